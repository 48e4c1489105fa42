#ifndef GRIDSERVE_SERVICES_CONSTRUCTION_DOMAIN_PROJECT_HELPERS_H_
#define GRIDSERVE_SERVICES_CONSTRUCTION_DOMAIN_PROJECT_HELPERS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gridserve/v1/construction.pb.h"

namespace gridserve::construction {

// Small pieces every rule file shares.

bool IsClosed(const v1::Project& project);
// FAILED_PRECONDITION when the project is completed or cancelled.
absl::Status RequireOpen(const v1::Project& project);

// A breach of `rule` about the project. breach_id is
// "construction/<rule>/project/<id>/<what>": stable, so a retry records nothing twice.
v1::Breach ProjectBreach(const v1::Project& project, absl::string_view rule, absl::string_view what,
                         absl::string_view detail, absl::Time at, v1::Mechanism mechanism,
                         absl::string_view staff_id = "", bool forced = false);

// INVALID_ARGUMENT on `field` when `t` is before `earlier` (event times must
// be in order with the record's earlier events).
absl::Status NotBefore(absl::Time t, absl::Time earlier, absl::string_view field, absl::string_view what);

absl::Time AppliedAt(const v1::Project& project);
// When the project entered its current stage (the application for the first).
absl::Time LastStageChange(const v1::Project& project);

v1::SiteAppointment* FindAppointment(v1::Project& project, const std::string& appointment_id);
v1::Damage* FindDamage(v1::Project& project, const std::string& damage_id);
v1::Inspection* FindInspection(v1::Project& project, const std::string& inspection_id);

// The latest inspection (by record order), or nullptr.
const v1::Inspection* LatestInspection(const v1::Project& project);

// "project/<id>/<kind>/<entity id>": the subject of a gate refusal.
std::string EntitySubject(const v1::Project& project, absl::string_view kind, absl::string_view id);

std::string StageName(v1::ProjectStage stage);

}  // namespace gridserve::construction

#endif  // GRIDSERVE_SERVICES_CONSTRUCTION_DOMAIN_PROJECT_HELPERS_H_
