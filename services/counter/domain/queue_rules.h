#ifndef GRIDSERVE_SERVICES_COUNTER_DOMAIN_QUEUE_RULES_H_
#define GRIDSERVE_SERVICES_COUNTER_DOMAIN_QUEUE_RULES_H_

#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "gridserve/v1/config.pb.h"
#include "gridserve/v1/counter.pb.h"

namespace gridserve::counter::domain {

// Queue order: higher priority first (CT-9), then the earlier ticket, then
// the ticket id (a total order, so "next" is never ambiguous).
bool QueueBefore(const v1::Ticket& a, const v1::Ticket& b);

// CT-9 check (priority in the queue): calling `called` at `at` passes over
// every waiting ticket of a higher priority issued by then, i.e. a customer
// with accessibility needs left waiting behind one with fewer. Returns those
// tickets in queue order (empty when the call keeps the priority).
std::vector<v1::Ticket> PriorityPassedOver(const v1::Ticket& called, const std::vector<v1::Ticket>& waiting,
                                           absl::Time at);

// CT-4 timer: a ticket must be called within counter.ticket_wait_limit
// (default 15 min) of being issued. Called exactly at the due time is on time.
absl::Time TicketWaitDue(absl::Time issued_at, const v1::CounterConfig& config);
// Waiting beyond the limit at `now` (strictly later than the due time).
bool WaitOverdue(absl::Time issued_at, absl::Time now, const v1::CounterConfig& config);

// CT-6 check: calling a ticket that waited longer than
// counter.apology_wait_threshold (default 10 min) needs an apology. Exactly
// the threshold does not.
bool ApologyMissing(absl::Duration waited, bool apologised, const v1::CounterConfig& config);

// CT-4 check ("outside first"): a counter in back-office work while a ticket
// waits beyond counter.ticket_wait_limit. Given when the counter went to back
// office, the issue time of the oldest ticket still waiting and the moment
// looked at, returns when the breach began (the later of the two), or
// nullopt when there is none yet.
std::optional<absl::Time> BackOfficeBreachAt(absl::Time back_office_since, absl::Time oldest_waiting_issued_at,
                                             absl::Time now, const v1::CounterConfig& config);

}  // namespace gridserve::counter::domain

#endif  // GRIDSERVE_SERVICES_COUNTER_DOMAIN_QUEUE_RULES_H_
