#ifndef GRIDSERVE_SERVICES_RISK_STORAGE_WARNING_STORE_H_
#define GRIDSERVE_SERVICES_RISK_STORAGE_WARNING_STORE_H_

// Early-warning state: the current level of each department / staff member
// (risk_levels) and the append-only list of level changes (warnings).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gridserve/v1/risk.pb.h"
#include "services/common/database.h"

namespace gridserve::risk {

// A department (staff_id empty) or a staff member within a department.
struct RiskSubject {
  v1::RiskScope scope = v1::RISK_SCOPE_DEPARTMENT;
  std::string department;
  std::string staff_id;
};

struct StoredLevel {
  v1::RiskLevel level = v1::RISK_LEVEL_GREEN;
  absl::Time since;
};

absl::StatusOr<std::optional<StoredLevel>> GetLevel(Transaction& txn, const RiskSubject& subject);
absl::Status PutLevel(Transaction& txn, const RiskSubject& subject, const StoredLevel& level);
// Subjects above GREEN: only they can fall as entries age out.
absl::StatusOr<std::vector<RiskSubject>> RaisedSubjects(Transaction& txn);
// Current department levels (scope DEPARTMENT), for the gauge.
absl::StatusOr<std::vector<std::pair<std::string, v1::RiskLevel>>> DepartmentLevels(Transaction& txn);

// Appends a warning, setting its sequence (MAX+1, UNIQUE).
absl::Status AppendWarning(Transaction& txn, v1::Warning& warning);
// Warnings after a sequence, oldest first (watch).
absl::StatusOr<std::vector<v1::Warning>> WarningsAfter(Transaction& txn, int64_t after, const std::string& department,
                                                       v1::RiskScope scope, int limit);

struct WarningQuery {
  std::string department;
  v1::RiskScope scope = v1::RISK_SCOPE_UNSPECIFIED;
  v1::RiskLevel level = v1::RISK_LEVEL_UNSPECIFIED;
  v1::WarningDirection direction = v1::WARNING_DIRECTION_UNSPECIFIED;
  std::optional<absl::Time> start, end;  // on raised_at
};
// Newest first.
absl::StatusOr<std::vector<v1::Warning>> ListWarnings(Transaction& txn, const WarningQuery& query, int64_t offset,
                                                      int limit);

}  // namespace gridserve::risk

#endif  // GRIDSERVE_SERVICES_RISK_STORAGE_WARNING_STORE_H_
