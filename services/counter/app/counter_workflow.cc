#include "services/counter/app/counter_workflow.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/common/catalogue.h"
#include "services/common/rpc_util.h"
#include "services/common/config.h"
#include "services/counter/domain/queue_rules.h"

namespace gridserve::counter {

std::string TicketSubject(const std::string& id) { return absl::StrCat("ticket/", id); }
std::string VisitSubject(const std::string& id) { return absl::StrCat("visit/", id); }
std::string CounterSubject(const std::string& hall_id, const std::string& counter_id) {
  return absl::StrCat("counter/", hall_id, "/", counter_id);
}
std::string HallSubject(const std::string& hall_id) { return absl::StrCat("hall/", hall_id); }

CounterWorkflow::CounterWorkflow(const v1::SuiteConfig& config, const BusinessCalendar& calendar, const Clock& clock,
                                 BreachRecorder& breaches, SlaClock& sla, CounterMetrics* metrics)
    : config_(config),
      ct_(config.counter()),
      calendar_(calendar),
      clock_(clock),
      breaches_(breaches),
      sla_(sla),
      metrics_(metrics) {}

absl::StatusOr<v1::Breach> CounterWorkflow::RecordBreach(Transaction& txn, const std::string& rule,
                                                         const std::string& breach_id, const std::string& subject,
                                                         const v1::StaffRef& staff, const std::string& detail,
                                                         absl::Time occurred_at, v1::Mechanism mechanism,
                                                         bool forced) {
  v1::Breach breach;
  breach.set_breach_id(breach_id);
  breach.set_service("counter");
  breach.set_rule(rule);
  breach.set_department(staff.department().empty() ? kHallDepartment : staff.department());
  breach.set_staff_id(staff.staff_id());
  breach.set_subject(subject);
  breach.set_detail(detail);
  *breach.mutable_occurred_at() = ToProto(occurred_at);
  breach.set_mechanism(mechanism);
  breach.set_forced(forced);
  auto recorded = breaches_.Record(txn, breach);
  if (!recorded.ok()) return recorded.status();
  return breach;
}

absl::Status CounterWorkflow::AttachBreaches(Transaction& txn, const std::string& subject,
                                             google::protobuf::RepeatedPtrField<v1::Breach>* out) {
  auto found = breaches_.ListForSubject(txn, subject);
  if (!found.ok()) return found.status();
  out->Clear();
  for (auto& b : *found) *out->Add() = std::move(b);
  return absl::OkStatus();
}

absl::Status CounterWorkflow::AttachSla(Transaction& txn, const std::string& sla, const std::string& subject,
                                        google::protobuf::RepeatedPtrField<v1::SlaState>* out) {
  return sla_.AppendState(txn, sla, subject, out);
}

absl::Status CounterWorkflow::Decorate(Transaction& txn, v1::Ticket& ticket, absl::Time now) {
  if (ticket.state() == v1::TICKET_STATE_WAITING) {
    *ticket.mutable_waited() = ToProto(now - FromProto(ticket.issued_at()));
  }
  ticket.clear_slas();
  if (auto s = AttachSla(txn, kSlaTicketWait, TicketSubject(ticket.ticket_id()), ticket.mutable_slas()); !s.ok()) {
    return s;
  }
  // CT-7: the conversion clock of a customer queued in a long failure.
  if (auto s = AttachSla(txn, kSlaFailureConversion, TicketSubject(ticket.ticket_id()), ticket.mutable_slas());
      !s.ok()) {
    return s;
  }
  return AttachBreaches(txn, TicketSubject(ticket.ticket_id()), ticket.mutable_breaches());
}

absl::Status CounterWorkflow::Decorate(Transaction& txn, v1::Visit& visit) {
  // Reviews stored before their origins were kept read with an UNSPECIFIED
  // origin: origin i is always review i's.
  while (visit.review_origins_size() < visit.reviews_size()) visit.add_review_origins();
  visit.clear_slas();
  if (auto s = AttachSla(txn, kSlaFailureConversion, VisitSubject(visit.visit_id()), visit.mutable_slas()); !s.ok()) {
    return s;
  }
  if (auto s = AttachBreaches(txn, VisitSubject(visit.visit_id()), visit.mutable_breaches()); !s.ok()) return s;
  // CT-7: a conversion clock the sweep breached while the customer queued was
  // handed to the visit as it is (HandOverBreached); its breach stays the
  // ticket's, and is shown here beside the clock it belongs to.
  const bool clock_breached = std::any_of(visit.slas().begin(), visit.slas().end(), [](const v1::SlaState& sla) {
    return sla.state() == v1::SLA_STATUS_BREACHED;
  });
  if (!clock_breached || visit.ticket_id().empty()) return absl::OkStatus();
  auto ticket_breaches = breaches_.ListForSubject(txn, TicketSubject(visit.ticket_id()));
  if (!ticket_breaches.ok()) return ticket_breaches.status();
  for (auto& b : *ticket_breaches) {
    if (b.rule() == "CT-7") *visit.add_breaches() = std::move(b);
  }
  return absl::OkStatus();
}

absl::Status CounterWorkflow::Decorate(Transaction& txn, v1::HomeService& h) {
  const std::string subject = absl::StrCat("home_service/", h.home_service_id());
  h.clear_slas();
  if (auto s = AttachSla(txn, kSlaHomeServiceFollowup, subject, h.mutable_slas()); !s.ok()) return s;
  return AttachBreaches(txn, subject, h.mutable_breaches());
}

absl::Time CounterWorkflow::EventTime(Validator& v, absl::string_view field, const google::protobuf::Timestamp& t,
                                      bool present, bool required) const {
  return CheckEventTime(v, field, t, present, clock_.Now(), ToAbsl(config_.platform().max_event_skew()), required);
}

absl::Status CounterWorkflow::FinishTicketOf(CounterStore& store, const v1::Visit& visit) {
  if (visit.ticket_id().empty()) return absl::OkStatus();
  auto ticket = store.FindTicket(visit.ticket_id());
  if (!ticket.ok()) return ticket.status();
  if (!ticket->has_value()) return absl::OkStatus();
  v1::Ticket& t = **ticket;
  t.set_state(v1::TICKET_STATE_DONE);
  return store.SaveTicket(t, domain::TicketWaitDue(FromProto(t.issued_at()), ct_));
}

}  // namespace gridserve::counter
