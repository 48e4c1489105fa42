#ifndef GRIDSERVE_SERVICES_COUNTER_DOMAIN_CLOSING_RULES_H_
#define GRIDSERVE_SERVICES_COUNTER_DOMAIN_CLOSING_RULES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gridserve/v1/config.pb.h"
#include "services/common/business_calendar.h"

namespace gridserve::counter::domain {

// CT-10: the hall's closing time (counter.closing_time, local "HH:MM",
// default 17:30) on the local day of `t`.
absl::Time ClosingTimeOn(absl::Time t, const v1::CounterConfig& config, const BusinessCalendar& calendar);

// Tickets issued before the closing time must be served before staff leave;
// a ticket issued after it does not hold the closing.
bool IssuedBeforeClosing(absl::Time issued_at, absl::Time closing_time);

// CT-10: the staff member closing the hall's last open session at or after
// the closing time leaves nobody to serve the tickets issued before it, so
// those hold the session's closing as they hold the hall's. Earlier in the
// day (a break) or with colleagues still serving, they do not.
bool LastToLeaveAtClosing(absl::Time closed_at, absl::Time closing_time, int other_open_sessions);

// CT-10: the hall closed for the day (CloseHall) takes no new business on
// that local day: no ticket is issued, no counter session opened and no visit
// started in it until the next day. The closing finished the day's business;
// what came in after it could never be finished that day (the hall closes
// once a day) and would queue into the next. `closed` says whether the hall
// has closed on `day`, the local day of the new business. FAILED_PRECONDITION
// "CT-10: ..." when it has.
absl::Status CheckOpenForBusiness(const std::string& hall_subject, absl::CivilDay day, bool closed);

// What is still in progress when someone closes.
struct OpenBusiness {
  std::vector<std::string> visit_ids;
  std::vector<std::string> ticket_ids;
  bool empty() const { return visit_ids.empty() && ticket_ids.empty(); }
};

// CT-10 gate: closing is refused (FAILED_PRECONDITION "CT-10: business in
// progress ...") while business is open, unless forced. A forced close with
// open business is a breach (the caller records it); force needs a reason
// (checked by the caller as a field).
absl::Status CheckClose(const std::string& subject, const OpenBusiness& open, bool force);

}  // namespace gridserve::counter::domain

#endif  // GRIDSERVE_SERVICES_COUNTER_DOMAIN_CLOSING_RULES_H_
