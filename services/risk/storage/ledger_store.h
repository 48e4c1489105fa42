#ifndef GRIDSERVE_SERVICES_RISK_STORAGE_LEDGER_STORE_H_
#define GRIDSERVE_SERVICES_RISK_STORAGE_LEDGER_STORE_H_

// The ledger_entries table (append-only) and its read model ledger_view.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gridserve/v1/risk.pb.h"
#include "services/common/database.h"
#include "services/risk/domain/risk_score.h"
#include "services/risk/domain/statistics.h"

namespace gridserve::risk {

// Appends an entry: sets its sequence (MAX+1 in this transaction) and
// inserts it. Never updates. A sequence taken by a concurrent writer is
// ABORTED (retry); a breach_id already in the ledger is ALREADY_EXISTS.
absl::Status AppendEntry(Transaction& txn, v1::LedgerEntry& entry);

// Queues this transaction behind every other that appends to the ledger, as
// its first statement. On PostgreSQL (repeatable read) each append reads
// MAX(sequence) and moves its department's score rows, so concurrent appends
// conflict and are redone, and with several writers on one department some
// ran out of retries (ABORTED to the caller); a lock taken before the first
// read makes the snapshot start after the previous append committed. SQLite
// has one writer already: no statement. Must come before any other statement.
// Marks `txn` (on this thread) as holding the lock: AppendEntry and
// AppendWarning refuse a transaction that is not marked, on every backend, so
// a path that forgot the lock fails in the SQLite tests too.
absl::Status LockLedgerForAppend(Transaction& txn, absl::string_view dialect);

// INTERNAL unless LockLedgerForAppend ran in `txn` (see above).
absl::Status RequireLedgerLock(const Transaction& txn);

// The database every write to the ledger goes through: each write
// transaction takes the ledger lock as its first statement. Reads pass
// through. The call's audit record joins the transaction here (RunOnce
// cannot: CallAudit knows the platform's database, not this wrapper).
class LedgerDatabase final : public Database {
 public:
  explicit LedgerDatabase(Database& inner) : inner_(inner) {}
  absl::Status InReadTransaction(absl::FunctionRef<absl::Status(Transaction&)> body) override {
    return inner_.InReadTransaction(body);
  }
  absl::string_view dialect() const override { return inner_.dialect(); }
  bool ReadsNeverWait() const override { return inner_.ReadsNeverWait(); }

 protected:
  absl::Status RunTransaction(absl::FunctionRef<absl::Status(Transaction&)> body) override;

 private:
  Database& inner_;
};

absl::StatusOr<std::optional<v1::LedgerEntry>> FindEntry(Transaction& txn, const std::string& entry_id);
absl::StatusOr<std::optional<v1::LedgerEntry>> FindEntryBySequence(Transaction& txn, int64_t sequence);
absl::StatusOr<std::optional<v1::LedgerEntry>> FindBreachEntry(Transaction& txn, const std::string& breach_id);
// Entries referring to an entry (status changes, corrections), in sequence order.
absl::StatusOr<std::vector<v1::LedgerEntry>> EntriesReferringTo(Transaction& txn, const std::string& entry_id);

struct LedgerQuery {
  std::string rule, department, staff_id, service;
  v1::LedgerEntryKind kind = v1::LEDGER_ENTRY_KIND_UNSPECIFIED;
  std::optional<absl::Time> start, end;  // on occurred_at, [start, end)
  v1::RedLineState red_line_state = v1::RED_LINE_STATE_UNSPECIFIED;
  bool include_voided = false;
};
// In sequence order, `limit` from `offset`.
absl::StatusOr<std::vector<v1::LedgerEntry>> ListEntries(Transaction& txn, const LedgerQuery& query, int64_t offset,
                                                         int limit);
// Entries after a sequence (watch), optionally filtered; oldest first.
absl::StatusOr<std::vector<v1::LedgerEntry>> EntriesAfter(Transaction& txn, int64_t after, const std::string& service,
                                                          const std::string& rule, v1::LedgerEntryKind kind, int limit);

// The effective view of a BREACH or RED_LINE_REPORT entry.
struct ViewRecord {
  std::string entry_id;
  int64_t sequence = 0;
  v1::LedgerEntryKind kind = v1::LEDGER_ENTRY_KIND_BREACH;
  bool voided = false;
  v1::Breach breach;          // kind BREACH
  v1::RedLineReport report;   // kind RED_LINE_REPORT
  std::optional<absl::Time> due_at;  // open reports: the investigation due time
  // BREACH entries only: the red-line report (its entry_id) this breach is the
  // same incident as (ledger_rules.h: SameIncidentBreaches). It counts through
  // that report, so it weighs nothing in scores and statistics itself; empty:
  // it counts as a breach.
  std::string counted_in;
};
// Inserts or replaces the view of an entry (the read model, not the ledger).
// What it scores (score_counts) follows: nothing when voided or counted in a
// report.
absl::Status PutView(Transaction& txn, const ViewRecord& view);
absl::StatusOr<std::optional<ViewRecord>> GetView(Transaction& txn, const std::string& entry_id);

struct ReportQuery {
  std::string rule, department, staff_id;
  v1::RedLineSource source = v1::RED_LINE_SOURCE_UNSPECIFIED;
  v1::RedLineState state = v1::RED_LINE_STATE_UNSPECIFIED;
  std::optional<absl::Time> due_before;  // open (not voided) reports due before this
  std::optional<absl::Time> start, end;  // on occurred_at
};
// Red-line reports in ledger order.
absl::StatusOr<std::vector<ViewRecord>> ListReports(Transaction& txn, const ReportQuery& query, int64_t offset,
                                                    int limit);

// Red-line reports' claims on the breaches that are the same incident
// (migration 6). A breach is claimed by one report: the first to claim it.
// Claims `breach_id` for `report_id` unless another report holds it; returns
// the report holding it afterwards.
absl::StatusOr<std::string> ClaimBreach(Transaction& txn, const std::string& breach_id, const std::string& report_id);
// The report holding a claim on `breach_id`, if any.
absl::StatusOr<std::optional<std::string>> BreachClaimant(Transaction& txn, const std::string& breach_id);
// The breach ids a report holds claims on.
absl::StatusOr<std::vector<std::string>> ClaimsOf(Transaction& txn, const std::string& report_id);
absl::Status ReleaseClaim(Transaction& txn, const std::string& breach_id);

// Work a migration left for the service to do once (risk_backfills): true if
// `name` was pending, and it is no longer.
absl::StatusOr<bool> TakeBackfill(Transaction& txn, const std::string& name);

// Scoring inputs of a department (staff_id empty) or a staff member of a
// department: effective, not voided, not counted in a report, occurred_at ≥ since.
absl::StatusOr<std::vector<ScoreInput>> ScoreInputsFor(Transaction& txn, const std::string& department,
                                                       const std::string& staff_id, absl::Time since);
// The most recent entry of the subject that is older than `before` (the one
// whose ageing out lowered a score).
absl::StatusOr<std::string> LatestEntryBefore(Transaction& txn, const std::string& department,
                                              const std::string& staff_id, absl::Time before);
// (department, staff_id) pairs with effective entries since `since`;
// staff_id is "" for departments when `staff` is false.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> SubjectsSince(Transaction& txn, absl::Time since,
                                                                              bool staff);

// Effective entries grouped for statistics, occurred_at in [start, end); a
// breach counted in its red-line report is counted there only.
absl::StatusOr<std::vector<StatisticsRow>> StatisticsRows(Transaction& txn, absl::Time start, absl::Time end);

// Open (REPORTED or INVESTIGATING, not voided) reports by rule.
absl::StatusOr<std::map<std::string, int64_t>> OpenReportsByRule(Transaction& txn);

}  // namespace gridserve::risk

#endif  // GRIDSERVE_SERVICES_RISK_STORAGE_LEDGER_STORE_H_
