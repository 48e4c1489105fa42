#ifndef GRIDSERVE_SERVICES_COMMON_AUDIT_LOG_H_
#define GRIDSERVE_SERVICES_COMMON_AUDIT_LOG_H_

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gridserve/v1/audit.grpc.pb.h"
#include "gridserve/v1/audit.pb.h"
#include "services/common/clock.h"
#include "services/common/database.h"

namespace gridserve {

// The append-only audit trail of a service (table audit_records, platform
// migration 5): rows are only ever inserted, never updated or deleted.
class AuditLog {
 public:
  AuditLog(Database& db, const Clock& clock, std::string service);

  // Appends one record; sequence, service and occurred_at (if unset) are
  // filled in. The message is masked (MaskPersonalData).
  absl::Status Record(v1::AuditRecord record);

  // Newest first, filtered; INVALID_ARGUMENT for a bad page size or token.
  absl::StatusOr<v1::ListAuditRecordsResponse> List(const v1::ListAuditRecordsRequest& request) const;

  const std::string& service() const { return service_; }

 private:
  Database& db_;
  const Clock& clock_;
  const std::string service_;
};

// gridserve.v1.Audit, served by every binary (RunService).
std::unique_ptr<grpc::Service> MakeAuditService(const AuditLog& log);

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_AUDIT_LOG_H_
