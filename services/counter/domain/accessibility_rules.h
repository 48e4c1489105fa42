#ifndef GRIDSERVE_SERVICES_COUNTER_DOMAIN_ACCESSIBILITY_RULES_H_
#define GRIDSERVE_SERVICES_COUNTER_DOMAIN_ACCESSIBILITY_RULES_H_

#include "absl/time/time.h"
#include "google/protobuf/repeated_field.h"
#include "gridserve/v1/config.pb.h"
#include "gridserve/v1/counter.pb.h"
#include "services/common/business_calendar.h"

namespace gridserve::counter::domain {

// CT-9: queue priority. Tickets without needs have 0; any accessibility need
// (disabled, mobility impaired, elderly hard of hearing ...) puts the ticket
// ahead of them. Mobility needs (wheelchair, mobility impaired) come first of
// all, since standing in the hall is hardest for them.
inline constexpr int kPriorityNone = 0;
inline constexpr int kPriorityAccessibility = 10;
inline constexpr int kPriorityMobility = 20;
int TicketPriority(const google::protobuf::RepeatedField<int>& needs);

// CT-9: a home-service case must be followed up within
// counter.home_service_followup_working_days working days (default 3) of
// being opened: the end of the Nth working day after the opening day.
absl::Time HomeServiceFollowupDue(absl::Time opened_at, const v1::CounterConfig& config,
                                  const BusinessCalendar& calendar);

}  // namespace gridserve::counter::domain

#endif  // GRIDSERVE_SERVICES_COUNTER_DOMAIN_ACCESSIBILITY_RULES_H_
