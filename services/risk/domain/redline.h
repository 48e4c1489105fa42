#ifndef GRIDSERVE_SERVICES_RISK_DOMAIN_REDLINE_H_
#define GRIDSERVE_SERVICES_RISK_DOMAIN_REDLINE_H_

// The red lines (norms.md part 五, RK-1..RK-11) and the investigation every
// report goes through: REPORTED → INVESTIGATING → CONFIRMED | DISMISSED,
// with who decided, when, the finding and the action taken.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gridserve/v1/config.pb.h"
#include "gridserve/v1/risk.pb.h"
#include "services/common/business_calendar.h"

namespace gridserve::risk {

// The catalogue SLA that times every open investigation (any RK clause).
inline constexpr char kInvestigationSla[] = "investigation";

// "RK-1" .. "RK-11", in order.
const std::vector<std::string>& RedLineRules();
bool IsRedLineRule(const std::string& rule);

// Lower-case state name, used as the `status` metric label.
std::string StateLabel(v1::RedLineState state);
// The four states in workflow order.
const std::vector<v1::RedLineState>& RedLineStates();

// The SLA subject of a report's investigation clock: "red_line/<report_id>".
std::string ReportSubject(const std::string& report_id);
// The report id back from an SLA subject ("" when it is not one).
std::string ReportIdOfSubject(const std::string& subject);

// Fields of a new red-line report: rule RK-1..RK-11, a known source, the
// responsible department, occurred_at (not in the future beyond the skew),
// a description. INVALID_ARGUMENT names every bad field.
absl::Status ValidateRedLineRequest(const v1::ReportRedLineRequest& request, absl::Time now,
                                    absl::Duration max_skew);

// The report as first recorded: state REPORTED at `reported_at`.
v1::RedLineReport NewRedLineReport(const v1::ReportRedLineRequest& request, const std::string& report_id,
                                   absl::Time reported_at);

// An open report must be decided within risk.investigation_working_days
// working days of being reported (catalogue SLA "investigation"; the end of
// the Nth working day is still on time).
absl::Time InvestigationDue(absl::Time reported_at, const BusinessCalendar& calendar, const v1::RiskConfig& config);

// One step of the workflow: the report after it and the status change that
// the ledger records for it.
struct Transition {
  v1::RedLineReport report;
  v1::RedLineStatusChange change;
};

// Request fields, checked before the report is looked up.
absl::Status ValidateStartInvestigation(const v1::StartInvestigationRequest& request, absl::Time now,
                                        absl::Duration max_skew);
absl::Status ValidateConfirm(const v1::ConfirmRedLineRequest& request, absl::Time now, absl::Duration max_skew);
absl::Status ValidateDismiss(const v1::DismissRedLineRequest& request, absl::Time now, absl::Duration max_skew);

// REPORTED → INVESTIGATING. FAILED_PRECONDITION from any other state;
// INVALID_ARGUMENT when started_at is before the report's occurred_at or
// its reported_at.
absl::StatusOr<Transition> StartInvestigation(const v1::RedLineReport& report, const v1::StaffRef& investigator,
                                              absl::Time started_at);
// INVESTIGATING → CONFIRMED with finding and action taken (both required).
absl::StatusOr<Transition> Confirm(const v1::RedLineReport& report, const v1::StaffRef& decided_by,
                                   absl::Time decided_at, const std::string& finding,
                                   const std::string& action_taken);
// INVESTIGATING → DISMISSED with the finding (action optional).
absl::StatusOr<Transition> Dismiss(const v1::RedLineReport& report, const v1::StaffRef& decided_by,
                                   absl::Time decided_at, const std::string& finding,
                                   const std::string& action_taken);

// Open = the investigation clock is running (REPORTED or INVESTIGATING).
bool IsOpen(v1::RedLineState state);

// The department that answers for an overdue investigation nobody had taken
// on, or whose investigator names no department: risk.investigation_department,
// by default the risk function itself (its metric label is "other" unless
// "risk" is a configured department).
inline constexpr char kInvestigatingDepartment[] = "risk";
std::string InvestigatingDepartment(const v1::RiskConfig& config);

// Who a breach is charged to (Breach.department / staff_id).
struct Responsible {
  std::string department;
  std::string staff_id;
};

// Who answers for an investigation clock that expired at `due`: the
// investigator who held the report by then (in their department, else
// `investigating_department`), otherwise `investigating_department` with
// nobody named. Never the reported staff member or, through them, their department:
// the missed deadline is the investigation's, not the reported conduct, and
// must not weigh in their early-warning score (a dismissed report weighs 0).
Responsible OverdueInvestigationOwner(const v1::RedLineReport& report, absl::Time due,
                                      const std::string& investigating_department);

}  // namespace gridserve::risk

#endif  // GRIDSERVE_SERVICES_RISK_DOMAIN_REDLINE_H_
