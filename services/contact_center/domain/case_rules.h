#ifndef GRIDSERVE_SERVICES_CONTACT_CENTER_DOMAIN_CASE_RULES_H_
#define GRIDSERVE_SERVICES_CONTACT_CENTER_DOMAIN_CASE_RULES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gridserve/v1/config.pb.h"
#include "gridserve/v1/contact_center.pb.h"
#include "gridserve/v1/risk.pb.h"
#include "services/common/business_calendar.h"
#include "services/contact_center/domain/finding.h"

namespace gridserve::contact_center {

inline constexpr char kComplaintSla[] = "complaint_reply";
inline constexpr char kTipOffSla[] = "tipoff_reply";

// CC-5 timer: "reply to complaints within 5 days, to tip-offs within 10
// days", counted from receipt per the configured day mode (calendar days =
// N x 24 h; working days = end of the Nth working day after receipt).
struct ReplyClock {
  std::string sla;
  absl::Time due_at;
};
ReplyClock CaseReplyClock(v1::CaseKind kind, absl::Time received_at, const v1::ContactCenterConfig& config,
                          const BusinessCalendar& calendar);

// RK-1 .. RK-11 (the red lines a complaint or tip-off may allege), exactly as
// the catalogue writes them: the only form risk accepts.
bool IsRedLineRule(absl::string_view rule);

// CC-5 "thank, record, forward": a case recorded without thanking the
// customer is a CC-5 breach (check).
std::vector<Finding> CheckCase(const v1::CustomerCase& customer_case);

// CC-5 / RK: the red-line report sent to risk for a case naming a red line.
v1::ReportRedLineRequest RedLineReportForCase(const v1::CustomerCase& customer_case);

// CC-5: a case is replied to once (FAILED_PRECONDITION naming CC-5 otherwise).
absl::Status CheckCanReply(const v1::CustomerCase& customer_case);

}  // namespace gridserve::contact_center

#endif  // GRIDSERVE_SERVICES_CONTACT_CENTER_DOMAIN_CASE_RULES_H_
