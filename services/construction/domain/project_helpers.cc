#include "services/construction/domain/project_helpers.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/rpc_util.h"
#include "services/common/status_util.h"
#include "services/construction/domain/effects.h"

namespace gridserve::construction {

bool IsClosed(const v1::Project& project) {
  return project.stage() == v1::PROJECT_STAGE_COMPLETED || project.stage() == v1::PROJECT_STAGE_CANCELLED;
}

absl::Status RequireOpen(const v1::Project& project) {
  if (!IsClosed(project)) return absl::OkStatus();
  return PreconditionFailed("PROJECT_STATE", ProjectSubject(project.project_id()),
                            absl::StrCat("the project is ", StageName(project.stage())));
}

v1::Breach ProjectBreach(const v1::Project& project, absl::string_view rule, absl::string_view what,
                         absl::string_view detail, absl::Time at, v1::Mechanism mechanism,
                         absl::string_view staff_id, bool forced) {
  v1::Breach breach;
  breach.set_breach_id(absl::StrCat("construction/", rule, "/", ProjectSubject(project.project_id()), "/", what));
  breach.set_rule(std::string(rule));
  breach.set_department(project.department());
  breach.set_staff_id(std::string(staff_id.empty() ? project.manager().staff_id() : staff_id));
  breach.set_subject(ProjectSubject(project.project_id()));
  breach.set_detail(std::string(detail));
  *breach.mutable_occurred_at() = ToProto(at);
  breach.set_mechanism(mechanism);
  breach.set_forced(forced);
  return breach;
}

absl::Status NotBefore(absl::Time t, absl::Time earlier, absl::string_view field, absl::string_view what) {
  if (t >= earlier) return absl::OkStatus();
  return InvalidField(field, absl::StrCat("is before ", what, " (",
                                          absl::FormatTime(absl::RFC3339_sec, earlier, absl::UTCTimeZone()), ")"));
}

absl::Time AppliedAt(const v1::Project& project) { return FromProto(project.applied_at()); }

absl::Time LastStageChange(const v1::Project& project) {
  if (project.stage_history().empty()) return AppliedAt(project);
  return FromProto(project.stage_history(project.stage_history_size() - 1).at());
}

v1::SiteAppointment* FindAppointment(v1::Project& project, const std::string& appointment_id) {
  for (auto& a : *project.mutable_appointments()) {
    if (a.appointment_id() == appointment_id) return &a;
  }
  return nullptr;
}

v1::Damage* FindDamage(v1::Project& project, const std::string& damage_id) {
  for (auto& d : *project.mutable_damages()) {
    if (d.damage_id() == damage_id) return &d;
  }
  return nullptr;
}

v1::Inspection* FindInspection(v1::Project& project, const std::string& inspection_id) {
  for (auto& i : *project.mutable_inspections()) {
    if (i.inspection_id() == inspection_id) return &i;
  }
  return nullptr;
}

const v1::Inspection* LatestInspection(const v1::Project& project) {
  if (project.inspections().empty()) return nullptr;
  return &project.inspections(project.inspections_size() - 1);
}

std::string EntitySubject(const v1::Project& project, absl::string_view kind, absl::string_view id) {
  return absl::StrCat(ProjectSubject(project.project_id()), "/", kind, "/", id);
}

std::string StageName(v1::ProjectStage stage) {
  std::string name = v1::ProjectStage_Name(stage);
  absl::string_view view = name;
  if (absl::StartsWith(view, "PROJECT_STAGE_")) view.remove_prefix(14);
  return absl::AsciiStrToLower(view);
}

}  // namespace gridserve::construction
