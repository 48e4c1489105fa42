#ifndef GRIDSERVE_SERVICES_CONTACT_CENTER_STORAGE_CONTACT_CENTER_STORE_H_
#define GRIDSERVE_SERVICES_CONTACT_CENTER_STORAGE_CONTACT_CENTER_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gridserve/v1/contact_center.pb.h"
#include "services/common/database.h"

namespace gridserve::contact_center {

// One page of a list: at most `limit` items, and whether more follow.
template <typename T>
struct Page {
  std::vector<T> items;
  bool more = false;
};

// The contact center's tables (contact_center_schema.cc). Each record is
// stored whole as a serialized proto plus the columns lists filter on; SLA
// states and breaches are not stored here (they live in the platform tables
// and are joined in by the read model). Lists take already validated requests.

// Calls. Insert: ALREADY_EXISTS when the external_call_id was already recorded.
absl::Status InsertCall(Transaction& txn, const v1::Call& call);
absl::Status UpdateCall(Transaction& txn, const v1::Call& call);
absl::StatusOr<std::optional<v1::Call>> FindCall(Transaction& txn, const std::string& call_id);
// Newest first (alerting_started_at descending).
absl::StatusOr<Page<v1::Call>> ListCalls(Transaction& txn, const v1::ListCallsRequest& request, int64_t offset,
                                         int limit);

// Consultations; `due_at` is the callback due time, if any.
absl::Status InsertConsultation(Transaction& txn, const v1::Consultation& consultation,
                                std::optional<absl::Time> due_at);
absl::Status UpdateConsultation(Transaction& txn, const v1::Consultation& consultation);
absl::StatusOr<std::optional<v1::Consultation>> FindConsultation(Transaction& txn, const std::string& id);
// Awaiting a callback first, by callback due time; then the rest, newest first.
// `due_before`: the request's, validated (CheckFilterBound); nullopt = no bound.
absl::StatusOr<Page<v1::Consultation>> ListConsultations(Transaction& txn, const v1::ListConsultationsRequest& request,
                                                         std::optional<absl::Time> due_before, int64_t offset,
                                                         int limit);

// Fault reports.
absl::Status InsertFaultReport(Transaction& txn, const v1::FaultReport& report);
absl::Status UpdateFaultReport(Transaction& txn, const v1::FaultReport& report);
absl::StatusOr<std::optional<v1::FaultReport>> FindFaultReport(Transaction& txn, const std::string& id);
// Newest first (reported_at descending).
absl::StatusOr<Page<v1::FaultReport>> ListFaultReports(Transaction& txn, const v1::ListFaultReportsRequest& request,
                                                       int64_t offset, int limit);

// Complaints and tip-offs; `due_at` is the reply due time.
absl::Status InsertCase(Transaction& txn, const v1::CustomerCase& customer_case, absl::Time due_at);
absl::Status UpdateCase(Transaction& txn, const v1::CustomerCase& customer_case);
absl::StatusOr<std::optional<v1::CustomerCase>> FindCase(Transaction& txn, const std::string& id);
// By reply due time, earliest first. `due_before`: as for ListConsultations.
absl::StatusOr<Page<v1::CustomerCase>> ListCases(Transaction& txn, const v1::ListCasesRequest& request,
                                                 std::optional<absl::Time> due_before, int64_t offset, int limit);
// Number of cases by (kind, state), and open cases past their due time by kind.
struct CaseCount {
  v1::CaseKind kind;
  v1::CaseState state;
  int64_t count;
};
// `dialect`: the database's (ReadKeptCount).
absl::StatusOr<std::vector<CaseCount>> CountCases(Transaction& txn, absl::string_view dialect);
absl::StatusOr<std::vector<std::pair<v1::CaseKind, int64_t>>> CountOverdueCases(Transaction& txn, absl::Time now);


}  // namespace gridserve::contact_center

#endif  // GRIDSERVE_SERVICES_CONTACT_CENTER_STORAGE_CONTACT_CENTER_STORE_H_
