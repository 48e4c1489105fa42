#ifndef GRIDSERVE_SERVICES_COMMON_AUDIT_LOG_H_
#define GRIDSERVE_SERVICES_COMMON_AUDIT_LOG_H_

#include <atomic>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "gridserve/v1/audit.grpc.pb.h"
#include "gridserve/v1/audit.pb.h"
#include "services/common/call_audit.h"
#include "services/common/clock.h"
#include "services/common/database.h"

namespace gridserve {

// The append-only audit trail of a service (table audit_records, platform
// migration 5): rows are only ever inserted, never updated or deleted.
class AuditLog {
 public:
  AuditLog(Database& db, const Clock& clock, std::string service);
  // Writes what still waits (RecordSoon), then stops the writer.
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends one record; sequence, service and occurred_at (if unset) are
  // filled in. The message is masked (MaskPersonalData).
  absl::Status Record(v1::AuditRecord record);
  // The same, soon: the record waits for the log's writer thread, which
  // appends what waits in one transaction. How a call's end is recorded
  // (PendingCallAudit::Finish): a call refused on one of gRPC's threads (shed
  // by a full queue, a malformed request) must not hold that thread while a
  // commit waits for the disk, least of all under the flood that made it shed.
  // occurred_at is now. Past kMaxWaiting waiting records the caller writes its
  // own (Record): memory stays bounded and nothing is dropped.
  void RecordSoon(v1::AuditRecord record);
  // Appends every record waiting now. List does so first, so a listing shows
  // every call that has ended (ListAuditRecords therefore runs on a worker, not
  // as an inline store read, which may not write). A failed write keeps the
  // records waiting, in order, for the next attempt; errors are logged
  // (audit_write_failed) and returned.
  absl::Status Flush() const;
  static constexpr size_t kMaxWaiting = 10000;
  // The same, inside the caller's transaction.
  absl::Status RecordIn(Transaction& txn, v1::AuditRecord record) const;

  // Whether a call's record may be appended in the call's own transaction.
  // On SQLite (one writer) yes. On PostgreSQL no: the sequence is MAX+1, so
  // every two concurrent calls of a service would conflict and one would redo
  // its whole change; there the record is its own short transaction.
  bool RecordsInCallTransactions() const { return db_.dialect() == "sqlite"; }
  const Database& database() const { return db_; }

  // Newest first, filtered; INVALID_ARGUMENT for a bad page size or token.
  absl::StatusOr<v1::ListAuditRecordsResponse> List(const v1::ListAuditRecordsRequest& request) const;

  const std::string& service() const { return service_; }

 private:
  void WriteLoop();
  // Appends `records` in one transaction, retried when another replica took a sequence.
  absl::Status Append(const std::vector<v1::AuditRecord>& records) const;

  Database& db_;
  const Clock& clock_;
  const std::string service_;

  mutable absl::Mutex write_mu_;  // one writer of waiting records at a time, in order
  mutable absl::Mutex mu_ ABSL_ACQUIRED_AFTER(write_mu_);
  mutable std::deque<v1::AuditRecord> waiting_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread writer_;
};

// The audit of one state-changing call (the security interceptor makes one
// per call): written in the call's transaction when RunOnce can
// (RecordInTransaction), otherwise by Finish when the call ends.
class PendingCallAudit final : public CallAudit {
 public:
  // `record`: caller, authenticated_by, peer and method; the outcome is added.
  PendingCallAudit(AuditLog& log, v1::AuditRecord record);

  absl::Status RecordInTransaction(Transaction& txn) override;

  // The call ended with `outcome`: appends its record (AuditLog::RecordSoon:
  // this may run on one of gRPC's threads) unless its transaction already did
  // and the outcome is OK (a call that fails after its change committed gets a
  // second record with the failure).
  absl::Status Finish(const grpc::Status& outcome);

 protected:
  bool WritesTo(const Database& db) const override;

 private:
  AuditLog& log_;
  const v1::AuditRecord record_;
  std::atomic<bool> committed_{false};
};

// gridserve.v1.Audit, served by every binary (RunService).
std::unique_ptr<grpc::Service> MakeAuditService(const AuditLog& log);

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_AUDIT_LOG_H_
