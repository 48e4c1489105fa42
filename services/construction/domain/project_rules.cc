#include "services/construction/domain/project_rules.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/phone_number.h"
#include "services/common/rpc_util.h"
#include "services/common/status_util.h"
#include "services/construction/domain/project_helpers.h"
#include "services/construction/domain/time_limits.h"

namespace gridserve::construction {
namespace {

// CN-3: a plan counts for the design approval it was made before.
bool HasCoordinatedPlan(const v1::Project& project, absl::Time approval_at) {
  return project.has_coordinated_plan() && project.coordinated_plan().no_duplicate_building() &&
         FromProto(project.coordinated_plan().planned_at()) <= approval_at;
}

std::string MissingPlanDetail(const v1::Project& project) {
  if (!project.has_coordinated_plan()) {
    return "design approval entered without a coordinated substation / distribution-room plan";
  }
  if (!project.coordinated_plan().no_duplicate_building()) {
    return "design approval entered with a plan that does not confirm there is no duplicate building";
  }
  return "design approval entered before the coordinated substation / distribution-room plan was made";
}

// Stages a high-voltage project may not skip: design approval (CN-3 is
// checked there) and inspection (CN-5).
absl::Status CheckNoSkippedStage(const v1::Project& project, v1::ProjectStage to) {
  if (!IsHighVoltage(project.project_type())) return absl::OkStatus();
  const auto skips = [&](v1::ProjectStage s) { return project.stage() < s && to > s; };
  const std::string subject = ProjectSubject(project.project_id());
  if (skips(v1::PROJECT_STAGE_DESIGN_APPROVAL)) {
    return PreconditionFailed("CN-3", subject,
                              "a high-voltage project goes through design approval (the coordinated plan is checked there)");
  }
  if (skips(v1::PROJECT_STAGE_INSPECTION)) {
    return PreconditionFailed("CN-5", subject, "a high-voltage project goes through acceptance inspection");
  }
  return absl::OkStatus();
}

// CN-1: the earliest recorded guidance contact, by its event time.
std::optional<absl::Time> EarliestGuidance(const v1::Project& project) {
  std::optional<absl::Time> earliest;
  for (const auto& c : project.guidance_contacts()) {
    const absl::Time t = FromProto(c.contacted_at());
    if (!earliest.has_value() || t < *earliest) earliest = t;
  }
  return earliest;
}

// The project ends at `at` (completed or withdrawn): every clock of the
// project still running ends with it — withdrawn if its due time has not
// passed (neither met nor breached: nothing is left to guide or re-inspect),
// a breach if it has (the promise was broken before the project ended). The
// whole-process clock is withdrawn on a withdrawal; completion stops it
// instead (met or late). Nothing of the project stays open after it ends.
void EndRunningClocks(const v1::Project& project, absl::Time at, bool with_time_limit, Effects& effects) {
  const std::string subject = ProjectSubject(project.project_id());
  effects.cancel_clocks.push_back({kSlaFirstGuidance, subject, at});
  if (with_time_limit) effects.cancel_clocks.push_back({kSlaProjectTimeLimit, subject, at});
  for (const auto& inspection : project.inspections()) {
    if (inspection.result() == v1::INSPECTION_RESULT_FAILED) {
      effects.cancel_clocks.push_back(
          {kSlaReinspection, ReinspectionSubject(project.project_id(), inspection.inspection_id()), at});
    }
  }
}

}  // namespace

Effects OpenProject(const Rules& rules, v1::Project& project) {
  Effects effects;
  const absl::Time applied = AppliedAt(project);
  project.set_stage(v1::PROJECT_STAGE_APPLICATION);
  auto* first = project.add_stage_history();
  first->set_to_stage(v1::PROJECT_STAGE_APPLICATION);
  *first->mutable_at() = project.applied_at();
  *first->mutable_staff() = project.manager();
  const std::string subject = ProjectSubject(project.project_id());
  const std::string& staff = project.manager().staff_id();
  // CN-1: step in early — first guidance within N working days.
  effects.start_clocks.push_back(
      SlaTimer{kSlaFirstGuidance, subject, project.department(), staff, applied, FirstGuidanceDue(rules, applied)});
  // Whole-process limit by type (5 / 6 / 22 / 32 working days by default).
  effects.start_clocks.push_back(SlaTimer{kSlaProjectTimeLimit, subject, project.department(), staff, applied,
                                          ProjectDue(rules, project.project_type(), applied)});
  return effects;
}

absl::StatusOr<Effects> RecordGuidanceContact(const Rules& rules, v1::Project& project, v1::GuidanceContact contact) {
  const absl::Time at = FromProto(contact.contacted_at());
  // A project that ended takes no new guidance, but a contact made while it
  // was open may be synced after it ended (contact times are imported): it is
  // recorded, and judged below like any fact synced after its clock closed.
  if (IsClosed(project) && at > LastStageChange(project)) {
    return PreconditionFailed("PROJECT_STATE", ProjectSubject(project.project_id()),
                              absl::StrCat("the project is ", StageName(project.stage()),
                                           "; a guidance contact after it ended is refused"));
  }
  if (auto s = NotBefore(at, AppliedAt(project), "contacted_at", "the application"); !s.ok()) return s;
  Effects effects;
  // CN-1: the earliest guidance contact judges the first-guidance clock (met
  // if at or before its due time; a late one still closes it). Contact times
  // are imported, so the first one recorded need not be the earliest: an
  // earlier contact synced after only late ones stops the clock again at its
  // own time, and the adapter treats that as any fact synced after an expiry
  // (ApplyEffects). After an on-time contact the verdict cannot change.
  const std::optional<absl::Time> earliest = EarliestGuidance(project);
  if (!earliest.has_value() || (at < *earliest && *earliest > FirstGuidanceDue(rules, AppliedAt(project)))) {
    effects.stop_clocks.push_back({kSlaFirstGuidance, ProjectSubject(project.project_id()), at});
  }
  *project.add_guidance_contacts() = std::move(contact);
  return effects;
}

absl::StatusOr<Effects> AdvanceStage(const Rules&, v1::Project& project, v1::StageTransition change) {
  if (auto s = RequireOpen(project); !s.ok()) return s;
  const std::string subject = ProjectSubject(project.project_id());
  const v1::ProjectStage to = change.to_stage();
  if (to == v1::PROJECT_STAGE_COMPLETED) {
    return PreconditionFailed("PROJECT_STATE", subject, "COMPLETED is reached only through CompleteProject (CN-6, CN-8)");
  }
  if (to <= project.stage()) {
    return PreconditionFailed("PROJECT_STATE", subject,
                              absl::StrCat(StageName(to), " is not later than the current stage ",
                                           StageName(project.stage())));
  }
  const absl::Time at = FromProto(change.at());
  if (auto s = NotBefore(at, LastStageChange(project), "advanced_at", "the previous stage change"); !s.ok()) return s;

  Effects effects;
  if (to == v1::PROJECT_STAGE_CANCELLED) {
    EndRunningClocks(project, at, /*with_time_limit=*/true, effects);
  } else {
    if (auto s = CheckNoSkippedStage(project, to); !s.ok()) return s;
    // CN-5 (gate): acceptance inspection must have passed before moving on.
    if (project.stage() == v1::PROJECT_STAGE_INSPECTION) {
      const v1::Inspection* latest = LatestInspection(project);
      if (latest == nullptr || latest->result() != v1::INSPECTION_RESULT_PASSED) {
        return PreconditionFailed("CN-5", subject, "no passed inspection: the project cannot leave inspection");
      }
      if (auto s = NotBefore(at, FromProto(latest->inspected_at()), "advanced_at", "the passed inspection");
          !s.ok()) {
        return s;
      }
    }
    // CN-3 (check): a high-voltage project's substation / distribution room is
    // planned together with the supply works before design approval.
    if (to == v1::PROJECT_STAGE_DESIGN_APPROVAL && IsHighVoltage(project.project_type()) &&
        !HasCoordinatedPlan(project, at)) {
      effects.breaches.push_back(ProjectBreach(project, "CN-3", "design_approval", MissingPlanDetail(project), at,
                                               v1::MECHANISM_CHECK, change.staff().staff_id()));
    }
  }
  change.set_from_stage(project.stage());
  project.set_stage(to);
  *project.add_stage_history() = std::move(change);
  return effects;
}

absl::StatusOr<Effects> RecordCoordinatedPlan(const Rules&, v1::Project& project, v1::CoordinatedPlan plan) {
  if (auto s = RequireOpen(project); !s.ok()) return s;
  const absl::Time at = FromProto(plan.planned_at());
  if (auto s = NotBefore(at, AppliedAt(project), "planned_at", "the application"); !s.ok()) return s;
  *project.mutable_coordinated_plan() = std::move(plan);
  return Effects{};
}

Effects EndedProjectClocks(const v1::Project& project) {
  Effects effects;
  if (!IsClosed(project)) return effects;
  const absl::Time at = LastStageChange(project);
  const bool completed = project.stage() == v1::PROJECT_STAGE_COMPLETED;
  if (completed) effects.stop_clocks.push_back({kSlaProjectTimeLimit, ProjectSubject(project.project_id()), at});
  EndRunningClocks(project, at, /*with_time_limit=*/!completed, effects);
  return effects;
}

absl::StatusOr<Effects> CompleteProject(const Rules& rules, v1::Project& project, v1::ProjectCompletion completion,
                                        const v1::Feedback* feedback) {
  if (auto s = RequireOpen(project); !s.ok()) return s;
  const std::string subject = ProjectSubject(project.project_id());
  // CN-8: the department's phone number is left with the customer — one the
  // customer can call back, so checked as every service checks a contact number.
  if (completion.contact_number_left().empty()) {
    return InvalidField("contact_number_left", "CN-8: the department's phone number left with the customer is required");
  }
  if (!IsPhoneNumber(completion.contact_number_left())) {
    return InvalidField("contact_number_left", absl::StrCat("CN-8: ", kPhoneNumberProblem));
  }
  const absl::Time at = FromProto(completion.completed_at());
  if (auto s = NotBefore(at, LastStageChange(project), "completed_at", "the previous stage change"); !s.ok()) return s;
  if (project.stage() != v1::PROJECT_STAGE_CONNECTION) {
    return PreconditionFailed("PROJECT_STATE", subject,
                              absl::StrCat("the project is in ", StageName(project.stage()),
                                           "; it completes after connection"));
  }
  // The prerequisites must hold at completed_at: work that ended, or a damage
  // the customer confirmed, only after that instant was still open then.
  for (const auto& work : project.work_sessions()) {
    if (!work.has_ended_at() || FromProto(work.ended_at()) > at) {
      return PreconditionFailed("PROJECT_STATE", EntitySubject(project, "work_session", work.work_session_id()),
                                work.has_ended_at() ? "site work was still in progress at completed_at"
                                                    : "site work is still in progress");
    }
  }
  // CN-6: a damage closes only with the customer's confirmation.
  for (const auto& damage : project.damages()) {
    if (damage.state() != v1::DAMAGE_STATE_CONFIRMED || FromProto(damage.confirmed_at()) > at) {
      return PreconditionFailed("CN-6", EntitySubject(project, "damage", damage.damage_id()),
                                damage.state() == v1::DAMAGE_STATE_CONFIRMED
                                    ? "open damage: the customer confirmed its remedy only after completed_at"
                                    : "open damage: the customer has not confirmed its remedy");
    }
  }
  // CN-8: site cleaned, no residue left.
  std::vector<std::string> missing;
  for (const char* item : kCompletionItems) {
    bool done = false;
    for (const auto& i : completion.checklist().items()) done |= (i.item() == item && i.done());
    if (!done) missing.push_back(item);
  }
  if (!missing.empty()) {
    return PreconditionFailed("CN-8", subject, absl::StrCat("checklist incomplete: ", absl::StrJoin(missing, ", ")));
  }
  // Inline feedback passes the same order check as RecordSiteFeedback's.
  if (feedback != nullptr) {
    if (auto s = NotBefore(FromProto(feedback->collected_at()), AppliedAt(project), "feedback.collected_at",
                           "the application");
        !s.ok()) {
      return s;
    }
  }
  // CN-8: the customer's opinion was asked by completion; feedback collected
  // only after completed_at was not there when the project was closed.
  const auto asked_by_completion = [at](const v1::Feedback& f) { return FromProto(f.collected_at()) <= at; };
  bool asked = feedback != nullptr && asked_by_completion(*feedback);
  for (const auto& f : project.feedback()) asked = asked || asked_by_completion(f);
  if (!asked) {
    return PreconditionFailed("CN-8", subject,
                              project.feedback().empty() && feedback == nullptr
                                  ? "no feedback: the customer's opinion must be asked"
                                  : "no feedback by completed_at: the customer's opinion was collected only later");
  }

  Effects effects;
  effects.stop_clocks.push_back({kSlaProjectTimeLimit, subject, at});
  // CN-1: a first-guidance clock still running (no contact recorded) ends
  // with the project, as on a withdrawal.
  EndRunningClocks(project, at, /*with_time_limit=*/false, effects);
  effects.completed_in_working_days = rules.calendar.WorkingDaysBetween(AppliedAt(project), at);
  if (feedback != nullptr) *project.add_feedback() = *feedback;
  auto* transition = project.add_stage_history();
  transition->set_from_stage(project.stage());
  transition->set_to_stage(v1::PROJECT_STAGE_COMPLETED);
  *transition->mutable_at() = completion.completed_at();
  *transition->mutable_staff() = completion.completed_by();
  project.set_stage(v1::PROJECT_STAGE_COMPLETED);
  *project.mutable_completion() = std::move(completion);
  return effects;
}

}  // namespace gridserve::construction
