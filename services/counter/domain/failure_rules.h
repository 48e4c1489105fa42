#ifndef GRIDSERVE_SERVICES_COUNTER_DOMAIN_FAILURE_RULES_H_
#define GRIDSERVE_SERVICES_COUNTER_DOMAIN_FAILURE_RULES_H_

#include "absl/time/time.h"
#include "gridserve/v1/config.pb.h"
#include "gridserve/v1/counter.pb.h"

namespace gridserve::counter::domain {

// CT-7: a system failure is short while it has lasted at most
// counter.short_failure_limit (default 15 min): apologise and ask to wait.
// Beyond it the failure is long.
absl::Time FailureBecomesLongAt(absl::Time started_at, const v1::CounterConfig& config);
// Long as of `until` (now, or the end of a closed failure): strictly beyond the limit.
bool FailureIsLong(absl::Time started_at, absl::Time until, const v1::CounterConfig& config);

// CT-7 timer: once long, each visit waiting in the failure must be converted
// to an appointment with contact details within counter.failure_conversion_due
// (default 15 min). The clock of a visit starts when the failure turns long,
// or when the visit starts if that is later.
absl::Time ConversionClockStart(absl::Time became_long_at, absl::Time visit_started_at);
absl::Time ConversionDue(absl::Time clock_start, const v1::CounterConfig& config);

// CT-7: a customer holding a ticket still in the queue (WAITING, or CALLED
// with no visit started yet) waits in the failure as much as a visit does, so
// the ticket gets the same conversion clock (subject "ticket/<id>", started at
// the later of the failure turning long and the ticket's issue). A ticket whose
// visit started is judged on the visit (the clock is handed over).
bool TicketWaitsForConversion(const v1::Ticket& ticket);

}  // namespace gridserve::counter::domain

#endif  // GRIDSERVE_SERVICES_COUNTER_DOMAIN_FAILURE_RULES_H_
