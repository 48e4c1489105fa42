#include "services/counter/domain/accessibility_rules.h"

#include <algorithm>

namespace gridserve::counter::domain {

int TicketPriority(const google::protobuf::RepeatedField<int>& needs) {
  int priority = kPriorityNone;
  for (int need : needs) {
    if (need == v1::ACCESSIBILITY_NEED_UNSPECIFIED) continue;
    const bool mobility = need == v1::ACCESSIBILITY_NEED_WHEELCHAIR || need == v1::ACCESSIBILITY_NEED_MOBILITY_IMPAIRED;
    priority = std::max(priority, mobility ? kPriorityMobility : kPriorityAccessibility);
  }
  return priority;
}

absl::Time HomeServiceFollowupDue(absl::Time opened_at, const v1::CounterConfig& config,
                                  const BusinessCalendar& calendar) {
  return calendar.AddWorkingDays(opened_at, config.home_service_followup_working_days());
}

}  // namespace gridserve::counter::domain
