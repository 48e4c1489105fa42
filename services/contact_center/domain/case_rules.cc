#include "services/contact_center/domain/case_rules.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/catalogue.h"
#include "services/common/status_util.h"

namespace gridserve::contact_center {

ReplyClock CaseReplyClock(v1::CaseKind kind, absl::Time received_at, const v1::ContactCenterConfig& config,
                          const BusinessCalendar& calendar) {
  if (kind == v1::CASE_KIND_TIP_OFF) {
    return {kTipOffSla, calendar.AddDays(received_at, config.tipoff_reply_days(), config.tipoff_day_mode())};
  }
  return {kComplaintSla, calendar.AddDays(received_at, config.complaint_reply_days(), config.complaint_day_mode())};
}

bool IsRedLineRule(absl::string_view rule) {
  // Risk takes a clause ID exactly as written ("RK-5", never "RK-5 " or
  // "RK-+5"); anything else it refuses, and the outbox would retry the report
  // forever. The catalogue's own IDs are that exact list, so look it up there
  // rather than parse numbers.
  if (!absl::StartsWith(rule, "RK-")) return false;
  const v1::Clause* clause = FindClause(std::string(rule));
  return clause != nullptr && clause->severity() == v1::SEVERITY_REDLINE;
}

std::vector<Finding> CheckCase(const v1::CustomerCase& customer_case) {
  std::vector<Finding> found;
  if (!customer_case.thanked()) {
    found.push_back({"CC-5", "not_thanked",
                     customer_case.kind() == v1::CASE_KIND_TIP_OFF ? "tip-off recorded without thanking the reporter"
                                                                   : "complaint recorded without thanking the customer",
                     v1::MECHANISM_CHECK});
  }
  return found;
}

v1::ReportRedLineRequest RedLineReportForCase(const v1::CustomerCase& customer_case) {
  v1::ReportRedLineRequest report;
  report.set_rule(customer_case.red_line_rule());
  report.set_source(customer_case.kind() == v1::CASE_KIND_TIP_OFF ? v1::RED_LINE_SOURCE_TIP_OFF
                                                                  : v1::RED_LINE_SOURCE_COMPLAINT);
  report.set_department(customer_case.accused_staff().department().empty() ? customer_case.department()
                                                                           : customer_case.accused_staff().department());
  *report.mutable_staff() = customer_case.accused_staff();
  if (!customer_case.anonymous()) *report.mutable_reporter() = customer_case.reporter();
  report.set_source_service("contact-center");
  report.set_source_reference(absl::StrCat("case/", customer_case.case_id()));
  *report.mutable_occurred_at() = customer_case.received_at();
  report.set_description(customer_case.summary());
  return report;
}

absl::Status CheckCanReply(const v1::CustomerCase& customer_case) {
  if (customer_case.state() == v1::CASE_STATE_REPLIED) {
    return PreconditionFailed("CC-5", absl::StrCat("case/", customer_case.case_id()), "the case has already been replied");
  }
  return absl::OkStatus();
}

}  // namespace gridserve::contact_center
