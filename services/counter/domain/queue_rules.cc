#include "services/counter/domain/queue_rules.h"

#include <algorithm>

#include "services/common/config.h"
#include "services/common/rpc_util.h"

namespace gridserve::counter::domain {

bool QueueBefore(const v1::Ticket& a, const v1::Ticket& b) {
  if (a.priority() != b.priority()) return a.priority() > b.priority();
  const absl::Time ia = FromProto(a.issued_at());
  const absl::Time ib = FromProto(b.issued_at());
  if (ia != ib) return ia < ib;
  return a.ticket_id() < b.ticket_id();
}

std::vector<v1::Ticket> PriorityPassedOver(const v1::Ticket& called, const std::vector<v1::Ticket>& waiting,
                                           absl::Time at) {
  std::vector<v1::Ticket> passed;
  for (const v1::Ticket& t : waiting) {
    if (t.ticket_id() == called.ticket_id() || t.priority() <= called.priority()) continue;
    // A ticket issued after the call was not there to be passed over.
    if (FromProto(t.issued_at()) > at) continue;
    passed.push_back(t);
  }
  std::sort(passed.begin(), passed.end(), QueueBefore);
  return passed;
}

absl::Time TicketWaitDue(absl::Time issued_at, const v1::CounterConfig& config) {
  return issued_at + ToAbsl(config.ticket_wait_limit());
}

bool WaitOverdue(absl::Time issued_at, absl::Time now, const v1::CounterConfig& config) {
  return now > TicketWaitDue(issued_at, config);
}

bool ApologyMissing(absl::Duration waited, bool apologised, const v1::CounterConfig& config) {
  return waited > ToAbsl(config.apology_wait_threshold()) && !apologised;
}

std::optional<absl::Time> BackOfficeBreachAt(absl::Time back_office_since, absl::Time oldest_waiting_issued_at,
                                             absl::Time now, const v1::CounterConfig& config) {
  if (!WaitOverdue(oldest_waiting_issued_at, now, config)) return std::nullopt;
  if (now < back_office_since) return std::nullopt;
  return std::max(back_office_since, TicketWaitDue(oldest_waiting_issued_at, config));
}

}  // namespace gridserve::counter::domain
