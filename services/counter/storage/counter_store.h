#ifndef GRIDSERVE_SERVICES_COUNTER_STORAGE_COUNTER_STORE_H_
#define GRIDSERVE_SERVICES_COUNTER_STORAGE_COUNTER_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gridserve/v1/counter.pb.h"
#include "services/common/database.h"
#include "services/common/kept_counts.h"

namespace gridserve::counter {

// Filters of the list calls; unset fields do not filter.
struct TicketFilter {
  std::string hall_id;
  int state = 0;
  std::string business_type;
  bool accessibility_only = false;
  std::optional<absl::Time> wait_due_before;
  std::optional<absl::Time> issued_from, issued_to;
};
struct VisitFilter {
  std::string hall_id, owner_staff_id, department;
  int state = 0, outcome = 0;
  std::optional<absl::Time> started_from, started_to;
};
struct AppointmentFilter {
  std::string hall_id, failure_id;
  int state = 0;
  std::optional<absl::Time> scheduled_before, scheduled_from, scheduled_to;
};
struct HomeServiceFilter {
  std::string hall_id;
  int state = 0;
  std::optional<absl::Time> due_before, opened_from, opened_to;
};

// A counter as stored: the entity, and the subject of its breaches
// ("counter/<hall>/<id>", or "counter/<id>" for a counter stored before
// counters were keyed by hall: counter_schema.cc, migration 6).
struct StoredCounter {
  v1::HallCounter counter;
  std::string subject;
};

// The counter tables inside one transaction: entities in, entities out.
// Save* inserts or replaces the whole entity.
class CounterStore {
 public:
  explicit CounterStore(Transaction& txn) : txn_(txn) {}

  absl::StatusOr<std::optional<v1::Ticket>> FindTicket(const std::string& id);
  absl::Status SaveTicket(const v1::Ticket& ticket, absl::Time wait_due_at);
  // Tickets of a hall in the given states, in queue order (CT-9 priority first).
  absl::StatusOr<std::vector<v1::Ticket>> TicketsInStates(const std::string& hall_id, const std::vector<int>& states);
  // The first WAITING ticket of the hall in queue order, read off the queue
  // index alone (calling the next customer reads one ticket, not the queue).
  absl::StatusOr<std::optional<v1::Ticket>> NextWaitingTicket(const std::string& hall_id);
  // Waiting tickets of the hall that come before `ticket` in queue order
  // (priority first, then issue time): its queue position is this + 1.
  absl::StatusOr<int64_t> CountWaitingAhead(const v1::Ticket& ticket);
  absl::StatusOr<int64_t> CountTicketsIssued(const std::string& hall_id, absl::Time from, absl::Time to);
  // WAITING tickets whose wait clock is due before `t` (all halls when hall_id is empty).
  absl::StatusOr<int64_t> CountWaiting(const std::string& hall_id, std::optional<absl::Time> due_before);
  absl::StatusOr<std::vector<v1::Ticket>> ListTickets(const TicketFilter& f, int64_t offset, int limit);

  // Counters are (hall_id, counter_id): every hall numbers its own.
  absl::StatusOr<std::optional<StoredCounter>> FindCounter(const std::string& hall_id, const std::string& counter_id);
  // The counters numbered `counter_id` in every hall, by hall.
  absl::StatusOr<std::vector<StoredCounter>> CountersNumbered(const std::string& counter_id);
  // Inserts the counter with its subject, or replaces its state (the subject
  // of a stored counter never changes).
  absl::Status SaveCounter(const StoredCounter& counter);
  // Counters of a hall (all halls when hall_id is empty) in `state` (any when 0).
  absl::StatusOr<std::vector<StoredCounter>> ListCounters(const std::string& hall_id, int state, int64_t offset,
                                                          int limit);
  absl::StatusOr<std::vector<std::pair<int, int64_t>>> CountCountersByState();

  absl::StatusOr<std::optional<v1::CounterSession>> FindSession(const std::string& id);
  absl::Status SaveSession(const v1::CounterSession& session);
  absl::StatusOr<std::vector<v1::CounterSession>> OpenSessionsOfHall(const std::string& hall_id);

  absl::StatusOr<std::optional<v1::Visit>> FindVisit(const std::string& id);
  absl::Status SaveVisit(const v1::Visit& visit);
  absl::StatusOr<std::vector<v1::Visit>> ListVisits(const VisitFilter& f, int64_t offset, int limit);

  absl::StatusOr<std::optional<v1::ApplicationForm>> FindForm(const std::string& id);
  absl::Status SaveForm(const v1::ApplicationForm& form);

  absl::StatusOr<std::optional<v1::SystemFailure>> FindFailure(const std::string& id);
  absl::Status SaveFailure(const v1::SystemFailure& failure);
  // Open failures (of one hall, or all halls when hall_id is empty).
  absl::StatusOr<std::vector<v1::SystemFailure>> OpenFailures(const std::string& hall_id);

  absl::StatusOr<std::optional<v1::Appointment>> FindAppointment(const std::string& id);
  absl::Status SaveAppointment(const v1::Appointment& appointment);
  absl::StatusOr<std::vector<v1::Appointment>> ListAppointments(const AppointmentFilter& f, int64_t offset, int limit);

  absl::StatusOr<std::optional<v1::HomeService>> FindHomeService(const std::string& id);
  absl::Status SaveHomeService(const v1::HomeService& home_service, absl::Time due_at);
  absl::StatusOr<std::vector<v1::HomeService>> ListHomeServices(const HomeServiceFilter& f, int64_t offset,
                                                                int limit);

  // Hall closings, one per hall and local day ("2026-11-27").
  absl::StatusOr<std::optional<v1::CloseHallResponse>> FindHallClosing(const std::string& hall_id,
                                                                        const std::string& day);
  absl::Status SaveHallClosing(const std::string& day, const v1::CloseHallResponse& closing);

  // Rows counted by `count` (one of counter_schema.h's, by state) in `state`,
  // for the gauges; `dialect` is the database's (ReadKeptCount).
  absl::StatusOr<int64_t> CountInState(const KeptCount& count, int state, absl::string_view dialect);

 private:
  Transaction& txn_;
};

}  // namespace gridserve::counter

#endif  // GRIDSERVE_SERVICES_COUNTER_STORAGE_COUNTER_STORE_H_
