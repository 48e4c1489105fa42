#include "services/risk/domain/redline.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "services/common/request_limits.h"
#include "services/common/rpc_util.h"
#include "services/common/status_util.h"
#include "services/risk/domain/ledger_rules.h"

namespace gridserve::risk {
namespace {

absl::Status WrongState(const v1::RedLineReport& report, absl::string_view step, v1::RedLineState needed) {
  // The refusing rule is the report's own clause (e.g. "RK-8"): its workflow
  // does not allow the step from the current state.
  return PreconditionFailed(report.rule(), ReportSubject(report.report_id()),
                            absl::StrCat("cannot ", step, ": the report is ", StateLabel(report.state()),
                                         ", the step needs it ", StateLabel(needed)));
}

v1::RedLineStatusChange ChangeOf(const v1::RedLineReport& before, v1::RedLineState to, const v1::StaffRef& by,
                                 absl::Time at) {
  v1::RedLineStatusChange change;
  change.set_report_id(before.report_id());
  change.set_from_state(before.state());
  change.set_to_state(to);
  *change.mutable_changed_by() = by;
  *change.mutable_changed_at() = ToProto(at);
  return change;
}

// The decision (confirm / dismiss) common to both endings of the investigation.
absl::StatusOr<Transition> Decide(const v1::RedLineReport& report, v1::RedLineState to, absl::string_view step,
                                  const v1::StaffRef& decided_by, absl::Time decided_at, const std::string& finding,
                                  const std::string& action_taken) {
  if (report.state() != v1::RED_LINE_STATE_INVESTIGATING) {
    return WrongState(report, step, v1::RED_LINE_STATE_INVESTIGATING);
  }
  if (decided_at < FromProto(report.investigation_started_at())) {
    return InvalidField("decided_at", "must not be before the investigation started");
  }
  Transition t;
  t.change = ChangeOf(report, to, decided_by, decided_at);
  t.change.set_finding(finding);
  t.change.set_action_taken(action_taken);
  t.report = report;
  t.report.set_state(to);
  *t.report.mutable_decided_by() = decided_by;
  *t.report.mutable_decided_at() = ToProto(decided_at);
  t.report.set_finding(finding);
  t.report.set_action_taken(action_taken);
  return t;
}

void CheckStaff(Validator& v, absl::string_view field, const v1::StaffRef& staff, bool present) {
  v.Check(present && !staff.staff_id().empty(), absl::StrCat(field, ".staff_id"), "is required");
}

void CheckText(Validator& v, absl::string_view field, const std::string& text, bool required) {
  if (required) v.Check(!text.empty(), field, "is required");
  CheckMaxSize(v, field, text, kMaxTextSize);
}

}  // namespace

const std::vector<std::string>& RedLineRules() {
  static const auto* kRules = [] {
    auto* rules = new std::vector<std::string>();
    for (int i = 1; i <= 11; ++i) rules->push_back(absl::StrCat("RK-", i));
    return rules;
  }();
  return *kRules;
}

bool IsRedLineRule(const std::string& rule) {
  for (const auto& r : RedLineRules()) {
    if (r == rule) return true;
  }
  return false;
}

std::string StateLabel(v1::RedLineState state) {
  switch (state) {
    case v1::RED_LINE_STATE_REPORTED: return "reported";
    case v1::RED_LINE_STATE_INVESTIGATING: return "investigating";
    case v1::RED_LINE_STATE_CONFIRMED: return "confirmed";
    case v1::RED_LINE_STATE_DISMISSED: return "dismissed";
    default: return "unspecified";
  }
}

const std::vector<v1::RedLineState>& RedLineStates() {
  static const auto* kStates = new std::vector<v1::RedLineState>{
      v1::RED_LINE_STATE_REPORTED, v1::RED_LINE_STATE_INVESTIGATING, v1::RED_LINE_STATE_CONFIRMED,
      v1::RED_LINE_STATE_DISMISSED};
  return *kStates;
}

std::string ReportSubject(const std::string& report_id) { return absl::StrCat("red_line/", report_id); }

std::string ReportIdOfSubject(const std::string& subject) {
  absl::string_view rest = subject;
  return absl::ConsumePrefix(&rest, "red_line/") ? std::string(rest) : std::string();
}

bool IsOpen(v1::RedLineState state) {
  return state == v1::RED_LINE_STATE_REPORTED || state == v1::RED_LINE_STATE_INVESTIGATING;
}

std::string InvestigatingDepartment(const v1::RiskConfig& config) {
  return config.investigation_department().empty() ? kInvestigatingDepartment : config.investigation_department();
}

Responsible OverdueInvestigationOwner(const v1::RedLineReport& report, absl::Time due,
                                      const std::string& investigating_department) {
  // An investigator who took the report on only after the due time did not
  // let it expire: it lay with the department handling investigations.
  const bool held_by_investigator = report.has_investigator() && !report.investigator().staff_id().empty() &&
                                    FromProto(report.investigation_started_at()) <= due;
  if (!held_by_investigator) return Responsible{investigating_department, ""};
  const std::string& department = report.investigator().department();
  return Responsible{department.empty() ? investigating_department : department, report.investigator().staff_id()};
}

absl::Status ValidateRedLineRequest(const v1::ReportRedLineRequest& request, absl::Time now,
                                    absl::Duration max_skew) {
  Validator v;
  v.Check(IsRedLineRule(request.rule()), "rule", "must be a red-line clause RK-1 .. RK-11");
  v.Check(v1::RedLineSource_IsValid(request.source()) && request.source() != v1::RED_LINE_SOURCE_UNSPECIFIED,
          "source", "must be a RedLineSource other than UNSPECIFIED");
  v.Check(!request.department().empty(), "department", "is required (the responsible department)");
  v.Check(request.source_service().empty() || IsKnownService(request.source_service()), "source_service",
          "must be empty or one of contact-center, counter, construction, repair, risk");
  CheckEventTime(v, "occurred_at", request.occurred_at(), request.has_occurred_at(), now, max_skew);
  CheckText(v, "description", request.description(), /*required=*/true);  // senders fit theirs (FitTextToLimits)
  for (int i = 0; i < request.related_breaches_size(); ++i) {
    v.Check(!request.related_breaches(i).breach_id().empty(), absl::StrCat("related_breaches[", i, "].breach_id"),
            "is required");
  }
  return v.status();
}

v1::RedLineReport NewRedLineReport(const v1::ReportRedLineRequest& request, const std::string& report_id,
                                   absl::Time reported_at) {
  v1::RedLineReport report;
  report.set_report_id(report_id);
  report.set_rule(request.rule());
  report.set_source(request.source());
  report.set_department(request.department());
  *report.mutable_staff() = request.staff();
  *report.mutable_reporter() = request.reporter();
  report.set_source_service(request.source_service());
  report.set_source_reference(request.source_reference());
  *report.mutable_occurred_at() = request.occurred_at();
  report.set_description(request.description());
  report.set_state(v1::RED_LINE_STATE_REPORTED);
  *report.mutable_reported_at() = ToProto(reported_at);
  *report.mutable_related_breaches() = request.related_breaches();
  return report;
}

absl::Time InvestigationDue(absl::Time reported_at, const BusinessCalendar& calendar, const v1::RiskConfig& config) {
  return calendar.AddWorkingDays(reported_at, config.investigation_working_days());
}

absl::Status ValidateStartInvestigation(const v1::StartInvestigationRequest& request, absl::Time now,
                                        absl::Duration max_skew) {
  Validator v;
  v.Check(!request.report_id().empty(), "report_id", "is required");
  CheckStaff(v, "investigator", request.investigator(), request.has_investigator());
  CheckEventTime(v, "started_at", request.started_at(), request.has_started_at(), now, max_skew);
  return v.status();
}

absl::Status ValidateConfirm(const v1::ConfirmRedLineRequest& request, absl::Time now, absl::Duration max_skew) {
  Validator v;
  v.Check(!request.report_id().empty(), "report_id", "is required");
  CheckStaff(v, "decided_by", request.decided_by(), request.has_decided_by());
  CheckEventTime(v, "decided_at", request.decided_at(), request.has_decided_at(), now, max_skew);
  CheckText(v, "finding", request.finding(), /*required=*/true);
  CheckText(v, "action_taken", request.action_taken(), /*required=*/true);
  return v.status();
}

absl::Status ValidateDismiss(const v1::DismissRedLineRequest& request, absl::Time now, absl::Duration max_skew) {
  Validator v;
  v.Check(!request.report_id().empty(), "report_id", "is required");
  CheckStaff(v, "decided_by", request.decided_by(), request.has_decided_by());
  CheckEventTime(v, "decided_at", request.decided_at(), request.has_decided_at(), now, max_skew);
  CheckText(v, "finding", request.finding(), /*required=*/true);
  CheckText(v, "action_taken", request.action_taken(), /*required=*/false);
  return v.status();
}

absl::StatusOr<Transition> StartInvestigation(const v1::RedLineReport& report, const v1::StaffRef& investigator,
                                              absl::Time started_at) {
  if (report.state() != v1::RED_LINE_STATE_REPORTED) {
    return WrongState(report, "start the investigation", v1::RED_LINE_STATE_REPORTED);
  }
  if (started_at < FromProto(report.occurred_at())) {
    return InvalidField("started_at", "must not be before the reported behaviour occurred");
  }
  // Nobody investigates a report before it exists.
  if (started_at < FromProto(report.reported_at())) {
    return InvalidField("started_at", "must not be before the report was recorded (reported_at)");
  }
  Transition t;
  t.change = ChangeOf(report, v1::RED_LINE_STATE_INVESTIGATING, investigator, started_at);
  t.report = report;
  t.report.set_state(v1::RED_LINE_STATE_INVESTIGATING);
  *t.report.mutable_investigator() = investigator;
  *t.report.mutable_investigation_started_at() = ToProto(started_at);
  return t;
}

absl::StatusOr<Transition> Confirm(const v1::RedLineReport& report, const v1::StaffRef& decided_by,
                                   absl::Time decided_at, const std::string& finding,
                                   const std::string& action_taken) {
  return Decide(report, v1::RED_LINE_STATE_CONFIRMED, "confirm", decided_by, decided_at, finding, action_taken);
}

absl::StatusOr<Transition> Dismiss(const v1::RedLineReport& report, const v1::StaffRef& decided_by,
                                   absl::Time decided_at, const std::string& finding,
                                   const std::string& action_taken) {
  return Decide(report, v1::RED_LINE_STATE_DISMISSED, "dismiss", decided_by, decided_at, finding, action_taken);
}

}  // namespace gridserve::risk
