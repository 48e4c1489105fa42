#ifndef GRIDSERVE_SERVICES_CONSTRUCTION_STORAGE_PROJECT_STORE_H_
#define GRIDSERVE_SERVICES_CONSTRUCTION_STORAGE_PROJECT_STORE_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gridserve/v1/construction.pb.h"
#include "services/common/database.h"

namespace gridserve::construction {

// The construction_projects table.
class ProjectStore {
 public:
  // Inserts a new project (ALREADY_EXISTS if the id is taken).
  static absl::Status Insert(Transaction& txn, const v1::Project& project, absl::Time now);
  // Replaces a stored project.
  static absl::Status Update(Transaction& txn, const v1::Project& project, absl::Time now);
  // NOT_FOUND for an unknown id.
  static absl::StatusOr<v1::Project> Load(Transaction& txn, const std::string& project_id);

  struct Filter {
    v1::ProjectType project_type = v1::PROJECT_TYPE_UNSPECIFIED;
    v1::ProjectStage stage = v1::PROJECT_STAGE_UNSPECIFIED;
    std::string department;
    std::optional<absl::Time> due_before;  // an open clock due before this
    std::optional<absl::Time> applied_from;
    std::optional<absl::Time> applied_until;  // exclusive
    bool open_damage_only = false;
  };
  // Project ids matching the filter, in applied order (by due time when
  // due_before is set), from `offset`, at most `limit`.
  static absl::StatusOr<std::vector<std::string>> List(Transaction& txn, const Filter& filter, int64_t offset,
                                                       int limit);

  // CN-6: unconfirmed damages by the stage of their project (completed and
  // cancelled ones included), for the gauge.
  static absl::StatusOr<std::map<int, int64_t>> OpenDamagesByStage(Transaction& txn);

  // Ids of completed or cancelled projects with a clock still open (stored
  // before completion ended the project's clocks), in id order.
  static absl::StatusOr<std::vector<std::string>> EndedWithOpenClocks(Transaction& txn);

  // Projects by (stage, type), for the gauge; `dialect` is the database's (ReadKeptCount).
  static absl::StatusOr<std::map<std::pair<int, int>, int64_t>> CountByStageAndType(Transaction& txn,
                                                                                      absl::string_view dialect);
};

// Ends an SLA clock that no longer applies (project withdrawn) without
// counting it met or breached. The platform's SlaClock has no cancel; this
// marks the row 'cancelled' with closed_at, which its sweep and gauges skip


}  // namespace gridserve::construction

#endif  // GRIDSERVE_SERVICES_CONSTRUCTION_STORAGE_PROJECT_STORE_H_
