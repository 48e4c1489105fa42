#include "services/construction/domain/inspection_rules.h"

#include "absl/strings/str_cat.h"
#include "services/common/rpc_util.h"
#include "services/common/status_util.h"
#include "services/construction/domain/project_helpers.h"
#include "services/construction/domain/time_limits.h"

namespace gridserve::construction {
namespace {

// CN-5: the written notice left with the customer.
absl::Status CheckNotice(const v1::Inspection& inspection) {
  Validator v;
  const auto& notice = inspection.notice();
  if (v.Check(!notice.items().empty(), "notice.items", "CN-5: a failed inspection needs the non-compliant items")) {
    for (int i = 0; i < notice.items_size(); ++i) {
      v.Check(!notice.items(i).empty(), absl::StrCat("notice.items[", i, "]"), "must not be empty");
    }
  }
  v.Check(!notice.text().empty(), "notice.text", "CN-5: a failed inspection needs the written notice's text");
  if (v.Check(notice.has_delivered_at(), "notice.delivered_at",
              "CN-5: a failed inspection needs the time the written notice was delivered")) {
    v.Check(FromProto(notice.delivered_at()) >= FromProto(inspection.inspected_at()), "notice.delivered_at",
            "is before the inspection");
  }
  return v.status();
}

bool AlreadyReinspected(const v1::Project& project, const std::string& inspection_id) {
  for (const auto& i : project.inspections()) {
    if (i.previous_inspection_id() == inspection_id) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<Effects> RecordInspection(const Rules& rules, v1::Project& project, v1::Inspection inspection) {
  if (!inspection.previous_inspection_id().empty() &&
      FindInspection(project, inspection.previous_inspection_id()) == nullptr) {
    return absl::NotFoundError(absl::StrCat("inspection ", inspection.previous_inspection_id(), " not found"));
  }
  if (auto s = RequireOpen(project); !s.ok()) return s;
  const std::string subject = ProjectSubject(project.project_id());
  if (project.stage() != v1::PROJECT_STAGE_INSPECTION) {
    return PreconditionFailed("PROJECT_STATE", subject,
                              absl::StrCat("the project is in ", StageName(project.stage()), ", not in inspection"));
  }
  const absl::Time at = FromProto(inspection.inspected_at());
  const v1::Inspection* latest = LatestInspection(project);
  if (auto s = NotBefore(at, LastStageChange(project), "inspected_at", "the project entered inspection"); !s.ok()) {
    return s;
  }
  if (latest != nullptr) {
    if (auto s = NotBefore(at, FromProto(latest->inspected_at()), "inspected_at", "the previous inspection");
        !s.ok()) {
      return s;
    }
  }
  const bool failed = inspection.result() == v1::INSPECTION_RESULT_FAILED;
  if (failed) {
    if (auto s = CheckNotice(inspection); !s.ok()) return s;
  }

  // The re-inspection cycle: this inspection re-inspects the named failed
  // one, or the latest one when that failed.
  if (inspection.previous_inspection_id().empty() && latest != nullptr &&
      latest->result() == v1::INSPECTION_RESULT_FAILED) {
    inspection.set_previous_inspection_id(latest->inspection_id());
  }
  Effects effects;
  if (!inspection.previous_inspection_id().empty()) {
    const v1::Inspection* previous = FindInspection(project, inspection.previous_inspection_id());
    if (previous->result() != v1::INSPECTION_RESULT_FAILED) {
      return PreconditionFailed("CN-5", EntitySubject(project, "inspection", previous->inspection_id()),
                                "only a failed inspection is re-inspected");
    }
    if (AlreadyReinspected(project, previous->inspection_id())) {
      return PreconditionFailed("CN-5", EntitySubject(project, "inspection", previous->inspection_id()),
                                "that failed inspection was already re-inspected");
    }
    // The re-inspection clock runs from the notice's delivery (CN-5): the
    // customer rectifies after receiving it.
    if (auto s = NotBefore(at, FromProto(previous->notice().delivered_at()), "inspected_at",
                           "the previous inspection's rectification notice was delivered");
        !s.ok()) {
      return s;
    }
    effects.stop_clocks.push_back(
        {kSlaReinspection, ReinspectionSubject(project.project_id(), previous->inspection_id()), at});
  }
  if (failed) {
    const absl::Time delivered = FromProto(inspection.notice().delivered_at());
    effects.start_clocks.push_back(SlaTimer{kSlaReinspection,
                                            ReinspectionSubject(project.project_id(), inspection.inspection_id()),
                                            project.department(), inspection.inspector().staff_id(), delivered,
                                            ReinspectionDue(rules, delivered)});
    // CN-5: non-compliant items are explained patiently.
    if (!inspection.notice().explained()) {
      effects.breaches.push_back(ProjectBreach(
          project, "CN-5", absl::StrCat("inspection/", inspection.inspection_id(), "/not_explained"),
          "rectification notice left without explaining the non-compliant items", delivered, v1::MECHANISM_CHECK,
          inspection.inspector().staff_id()));
    }
  }
  *project.add_inspections() = std::move(inspection);
  return effects;
}

}  // namespace gridserve::construction
