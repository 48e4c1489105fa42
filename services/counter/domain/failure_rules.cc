#include "services/counter/domain/failure_rules.h"

#include <algorithm>

#include "services/common/config.h"

namespace gridserve::counter::domain {

absl::Time FailureBecomesLongAt(absl::Time started_at, const v1::CounterConfig& config) {
  return started_at + ToAbsl(config.short_failure_limit());
}

bool FailureIsLong(absl::Time started_at, absl::Time until, const v1::CounterConfig& config) {
  return until > FailureBecomesLongAt(started_at, config);
}

absl::Time ConversionClockStart(absl::Time became_long_at, absl::Time visit_started_at) {
  return std::max(became_long_at, visit_started_at);
}

absl::Time ConversionDue(absl::Time clock_start, const v1::CounterConfig& config) {
  return clock_start + ToAbsl(config.failure_conversion_due());
}

bool TicketWaitsForConversion(const v1::Ticket& ticket) {
  return ticket.visit_id().empty() &&
         (ticket.state() == v1::TICKET_STATE_WAITING || ticket.state() == v1::TICKET_STATE_CALLED);
}

}  // namespace gridserve::counter::domain
