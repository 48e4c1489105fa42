// Queue tickets and counters: CT-4 (wait clock, back office), CT-6 (apology
// after a long wait), CT-9 (priority for accessibility needs).
#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/common/config.h"
#include "services/common/rpc_util.h"
#include "services/counter/app/counter_workflow.h"
#include "services/counter/domain/accessibility_rules.h"
#include "services/counter/domain/business_types.h"
#include "services/counter/domain/queue_rules.h"

namespace gridserve::counter {
namespace {

void CheckNeeds(Validator& v, const std::string& field, const google::protobuf::RepeatedField<int>& needs) {
  for (int i = 0; i < needs.size(); ++i) {
    v.Check(needs[i] != v1::ACCESSIBILITY_NEED_UNSPECIFIED && v1::AccessibilityNeed_IsValid(needs[i]),
            absl::StrCat(field, "[", i, "]"), "is not a known accessibility need");
  }
}

}  // namespace

absl::StatusOr<v1::IssueTicketResponse> CounterWorkflow::IssueTicket(Transaction& txn,
                                                                     const v1::IssueTicketRequest& req) {
  Validator v;
  v.Check(!req.hall_id().empty(), "hall_id", "is required");
  const domain::BusinessType* type = domain::FindBusinessType(req.business_type());
  v.Check(type != nullptr, "business_type", "is not a business of the hall's catalogue");
  CheckNeeds(v, "accessibility_needs", req.accessibility_needs());
  const absl::Time issued_at = EventTime(v, "issued_at", req.issued_at(), req.has_issued_at());
  if (!v.empty()) return v.status();

  CounterStore store(txn);
  if (auto s = CheckHallOpen(store, req.hall_id(), issued_at); !s.ok()) return s;  // CT-10
  // Displayed number: the business letter and the hall's count of the local day.
  const absl::Time day_start = calendar_.StartOfDay(calendar_.LocalDay(issued_at));
  auto issued_today = store.CountTicketsIssued(req.hall_id(), day_start, day_start + absl::Hours(24));
  if (!issued_today.ok()) return issued_today.status();

  v1::Ticket ticket;
  ticket.set_ticket_id(NewId("TK"));
  ticket.set_hall_id(req.hall_id());
  ticket.set_ticket_number(absl::StrFormat("%s%03d", type->ticket_prefix, *issued_today + 1));
  ticket.set_business_type(req.business_type());
  *ticket.mutable_accessibility_needs() = req.accessibility_needs();
  ticket.set_priority(domain::TicketPriority(req.accessibility_needs()));  // CT-9
  ticket.set_state(v1::TICKET_STATE_WAITING);
  *ticket.mutable_issued_at() = ToProto(issued_at);
  const absl::Time due = domain::TicketWaitDue(issued_at, ct_);
  if (auto s = store.SaveTicket(ticket, due); !s.ok()) return s;
  // CT-4 wait clock: the ticket must be called by `due`.
  if (auto s = sla_.Start(txn, SlaTimer{kSlaTicketWait, TicketSubject(ticket.ticket_id()), kHallDepartment, "",
                                        issued_at, due});
      !s.ok()) {
    return s;
  }
  // CT-7: a customer arriving while a long failure is open waits in it from
  // the issue on (the ticket's conversion clock starts).
  auto failures = store.OpenFailures(req.hall_id());
  if (!failures.ok()) return failures.status();
  for (v1::SystemFailure& failure : *failures) {
    if (auto s = EvaluateFailureForTicket(store, txn, failure, ticket, std::max(clock_.Now(), issued_at)); !s.ok()) {
      return s;
    }
  }

  auto ahead = store.CountWaitingAhead(ticket);
  if (!ahead.ok()) return ahead.status();
  v1::IssueTicketResponse resp;
  resp.set_queue_position(static_cast<int32_t>(*ahead + 1));
  if (auto s = Decorate(txn, ticket, clock_.Now()); !s.ok()) return s;
  *resp.mutable_ticket() = std::move(ticket);
  return resp;
}

absl::StatusOr<v1::CallTicketResponse> CounterWorkflow::CallTicket(Transaction& txn,
                                                                   const v1::CallTicketRequest& req) {
  Validator v;
  v.Check(!req.counter_id().empty(), "counter_id", "is required");
  v.Check(!req.staff().staff_id().empty(), "staff.staff_id", "is required");
  const absl::Time called_at = EventTime(v, "called_at", req.called_at(), req.has_called_at());
  if (!v.empty()) return v.status();

  CounterStore store(txn);
  // The request names the counter by its number in its hall: a named ticket
  // says which hall; calling the next customer, the caller's counter does.
  std::optional<v1::Ticket> named;
  if (!req.ticket_id().empty()) {
    auto found = store.FindTicket(req.ticket_id());
    if (!found.ok()) return found.status();
    if (!found->has_value()) return absl::NotFoundError(absl::StrCat("ticket ", req.ticket_id(), " not found"));
    named = **found;
  }
  auto counter = FindHallCounter(store, named.has_value() ? named->hall_id() : "", req.counter_id(),
                                 req.staff().staff_id(), "counter_id",
                                 "names counters of several halls: call the ticket by its ticket_id, or the next "
                                 "one from the counter where you hold the open session");
  if (!counter.ok()) return counter.status();
  const StoredCounter& stored = *counter;
  const v1::HallCounter& c = stored.counter;

  // An empty ticket_id calls the next ticket in queue order (CT-9 priority first).
  if (!named.has_value()) {
    auto next = store.NextWaitingTicket(c.hall_id());
    if (!next.ok()) return next.status();
    if (!next->has_value()) return absl::NotFoundError(absl::StrCat("no ticket is waiting in hall ", c.hall_id()));
    named = **next;
  }
  v1::Ticket ticket = *std::move(named);
  const std::string ticket_id = ticket.ticket_id();
  if (ticket.state() != v1::TICKET_STATE_WAITING) {
    return PreconditionFailed("state", TicketSubject(ticket_id),
                              absl::StrCat("ticket is ", v1::TicketState_Name(ticket.state()), ", not WAITING"));
  }
  if (c.state() != v1::COUNTER_STATE_IN_SERVICE || c.session_id().empty()) {
    return PreconditionFailed("CT-4", stored.subject,
                              "the counter must be IN_SERVICE with an open session to call tickets");
  }
  const absl::Time issued_at = FromProto(ticket.issued_at());
  if (called_at < issued_at) return InvalidField("called_at", "is before the ticket was issued");
  // A counter calls within its open session: a call dated before the session
  // opened would stop the ticket's CT-4 clock at a time no one was serving.
  // (Not the current state's start: a call from an earlier in-service spell of
  // the same session, synced after a back-office break, is a real call.)
  auto session = store.FindSession(c.session_id());
  if (!session.ok()) return session.status();
  if (session->has_value() && called_at < FromProto((*session)->opened_at())) {
    return InvalidField("called_at", "is before the counter's session opened");
  }

  // CT-9: who is passed over is judged before this ticket leaves the queue
  // (the next in queue order passes over no one).
  std::vector<v1::Ticket> passed_over;
  if (!req.ticket_id().empty()) {
    auto waiting = store.TicketsInStates(c.hall_id(), {v1::TICKET_STATE_WAITING});
    if (!waiting.ok()) return waiting.status();
    passed_over = domain::PriorityPassedOver(ticket, *waiting, called_at);
  }

  const absl::Duration waited = called_at - issued_at;
  ticket.set_state(v1::TICKET_STATE_CALLED);
  *ticket.mutable_called_at() = ToProto(called_at);
  ticket.set_counter_id(c.counter_id());
  *ticket.mutable_called_by() = req.staff();
  ticket.set_apologised(req.apologised());
  *ticket.mutable_waited() = ToProto(waited);
  if (auto s = store.SaveTicket(ticket, domain::TicketWaitDue(issued_at, ct_)); !s.ok()) return s;
  // CT-4: calling the ticket stops its wait clock (met when at or before due).
  if (auto stopped = sla_.Stop(txn, kSlaTicketWait, TicketSubject(ticket_id), called_at); !stopped.ok()) {
    return stopped.status();
  }
  // CT-6 check: a long wait needs an apology.
  if (domain::ApologyMissing(waited, req.apologised(), ct_)) {
    auto breach = RecordBreach(txn, "CT-6", absl::StrCat("counter/CT-6/", TicketSubject(ticket_id)),
                               TicketSubject(ticket_id), req.staff(),
                               absl::StrCat("called after a wait of ", absl::FormatDuration(waited),
                                            " without an apology"),
                               called_at, v1::MECHANISM_CHECK);
    if (!breach.ok()) return breach.status();
  }
  // CT-9 check: a customer with accessibility needs was left waiting behind
  // this one. A check, not a gate: the call happened at the counter (the
  // priority customer may have stepped out or let others go first), so it is
  // kept and the passing-over is recorded for review.
  if (!passed_over.empty()) {
    auto breach = RecordBreach(txn, "CT-9", absl::StrCat("counter/CT-9/", TicketSubject(ticket_id)),
                               TicketSubject(ticket_id), req.staff(),
                               absl::StrCat("called ahead of ", passed_over.size(),
                                            " waiting ticket(s) with accessibility needs (first ",
                                            passed_over.front().ticket_number(), ")"),
                               called_at, v1::MECHANISM_CHECK);
    if (!breach.ok()) return breach.status();
  }
  if (metrics_ != nullptr) txn.AfterCommit([m = metrics_, waited] { m->ObserveWait(waited); });

  v1::CallTicketResponse resp;
  if (auto s = Decorate(txn, ticket, clock_.Now()); !s.ok()) return s;
  *resp.mutable_ticket() = std::move(ticket);
  return resp;
}

absl::StatusOr<v1::MarkNoShowResponse> CounterWorkflow::MarkNoShow(Transaction& txn,
                                                                   const v1::MarkNoShowRequest& req) {
  Validator v;
  v.Check(!req.ticket_id().empty(), "ticket_id", "is required");
  const absl::Time marked_at = EventTime(v, "marked_at", req.marked_at(), req.has_marked_at(), /*required=*/false);
  if (!v.empty()) return v.status();
  CounterStore store(txn);
  auto found = store.FindTicket(req.ticket_id());
  if (!found.ok()) return found.status();
  if (!found->has_value()) return absl::NotFoundError(absl::StrCat("ticket ", req.ticket_id(), " not found"));
  v1::Ticket ticket = **found;
  if (ticket.state() != v1::TICKET_STATE_CALLED) {
    return PreconditionFailed("state", TicketSubject(ticket.ticket_id()),
                              absl::StrCat("ticket is ", v1::TicketState_Name(ticket.state()), ", not CALLED"));
  }
  if (marked_at < FromProto(ticket.called_at())) return InvalidField("marked_at", "is before the ticket was called");
  ticket.set_state(v1::TICKET_STATE_NO_SHOW);
  if (auto s = store.SaveTicket(ticket, domain::TicketWaitDue(FromProto(ticket.issued_at()), ct_)); !s.ok()) return s;
  // CT-7: a customer who left the queue cannot be contacted for an appointment
  // any more. As a visit's clock when its failure ends, the ticket's clock is
  // withdrawn: no breach if the customer left before the conversion was due
  // (nobody was there to book for), a breach if it was already late.
  if (auto s = sla_.Withdraw(txn, kSlaFailureConversion, TicketSubject(ticket.ticket_id()), marked_at); !s.ok()) {
    return s;
  }
  v1::MarkNoShowResponse resp;
  if (auto s = Decorate(txn, ticket, clock_.Now()); !s.ok()) return s;
  *resp.mutable_ticket() = std::move(ticket);
  return resp;
}

absl::StatusOr<StoredCounter> CounterWorkflow::FindHallCounter(CounterStore& store, const std::string& hall_id,
                                                               const std::string& counter_id,
                                                               const std::string& staff_id,
                                                               const std::string& hall_field,
                                                               const std::string& how_to_name_the_hall) {
  if (!hall_id.empty()) {
    auto found = store.FindCounter(hall_id, counter_id);
    if (!found.ok()) return found.status();
    if (!found->has_value()) {
      return absl::NotFoundError(absl::StrCat("counter ", counter_id, " not found in hall ", hall_id));
    }
    return **found;
  }
  auto numbered = store.CountersNumbered(counter_id);
  if (!numbered.ok()) return numbered.status();
  if (numbered->empty()) return absl::NotFoundError(absl::StrCat("counter ", counter_id, " not found"));
  if (numbered->size() == 1) return numbered->front();
  const StoredCounter* staffed = nullptr;
  for (const StoredCounter& candidate : *numbered) {
    if (staff_id.empty() || candidate.counter.session_id().empty() ||
        candidate.counter.staff().staff_id() != staff_id) {
      continue;
    }
    if (staffed != nullptr) {
      staffed = nullptr;
      break;
    }
    staffed = &candidate;
  }
  if (staffed != nullptr) return *staffed;
  return InvalidField(hall_field, absl::StrCat(how_to_name_the_hall, " (counter ", counter_id, " is numbered in ",
                                               numbered->size(), " halls)"));
}

absl::Status CounterWorkflow::CheckBackOffice(CounterStore& store, Transaction& txn, const StoredCounter& stored,
                                              absl::Time at) {
  const v1::HallCounter& counter = stored.counter;
  if (counter.state() != v1::COUNTER_STATE_BACK_OFFICE) return absl::OkStatus();
  auto waiting = store.TicketsInStates(counter.hall_id(), {v1::TICKET_STATE_WAITING});
  if (!waiting.ok()) return waiting.status();
  std::optional<absl::Time> oldest;
  for (const v1::Ticket& t : *waiting) {
    const absl::Time issued = FromProto(t.issued_at());
    if (issued <= at && (!oldest.has_value() || issued < *oldest)) oldest = issued;
  }
  if (!oldest.has_value()) return absl::OkStatus();
  const absl::Time since = FromProto(counter.state_since());
  auto breach_at = domain::BackOfficeBreachAt(since, *oldest, at, ct_);
  if (!breach_at.has_value()) return absl::OkStatus();
  // One breach per back-office episode: the id carries when the episode began.
  return RecordBreach(txn, "CT-4", absl::StrCat("counter/CT-4/", stored.subject, "/", ToMicros(since)), stored.subject,
                      counter.staff(),
                      "counter in back-office work while a customer waited beyond the wait limit", *breach_at,
                      v1::MECHANISM_CHECK)
      .status();
}

absl::StatusOr<v1::SetCounterStateResponse> CounterWorkflow::SetCounterState(Transaction& txn,
                                                                             const v1::SetCounterStateRequest& req) {
  Validator v;
  v.Check(!req.counter_id().empty(), "counter_id", "is required");
  v.Check(req.state() != v1::COUNTER_STATE_UNSPECIFIED && v1::CounterState_IsValid(req.state()), "state",
          "must be IN_SERVICE, BACK_OFFICE or CLOSED");
  const absl::Time changed_at = EventTime(v, "changed_at", req.changed_at(), req.has_changed_at());
  if (!v.empty()) return v.status();
  CounterStore store(txn);
  auto found = FindHallCounter(store, req.hall_id(), req.counter_id(), req.staff().staff_id(), "hall_id",
                               "is required: several halls number a counter so");
  if (!found.ok()) return found.status();
  StoredCounter stored = *std::move(found);
  v1::HallCounter& counter = stored.counter;
  if (changed_at < FromProto(counter.state_since())) {
    return InvalidField("changed_at", "is before the counter's current state began");
  }
  if (req.state() == v1::COUNTER_STATE_IN_SERVICE && counter.session_id().empty()) {
    return PreconditionFailed("CT-4", stored.subject, "IN_SERVICE needs an open session at the counter (OpenSession)");
  }
  // A counter with an open session closes with it (CloseSession, CloseHall),
  // through the CT-10 gate. CLOSED here would leave the staff member signed in
  // at a counter the CT-4 back-office check does not watch, free to go back
  // IN_SERVICE later without ever finishing the business in progress.
  if (req.state() == v1::COUNTER_STATE_CLOSED && !counter.session_id().empty()) {
    return PreconditionFailed("CT-10", stored.subject,
                              absl::StrCat("the counter has open session ", counter.session_id(),
                                           ": close it with CloseSession (or CloseHall), not SetCounterState"));
  }
  // CT-4: the episode that ends now is judged as of its end.
  if (auto s = CheckBackOffice(store, txn, stored, changed_at); !s.ok()) return s;
  if (counter.state() != req.state()) {
    counter.set_state(req.state());
    *counter.mutable_state_since() = ToProto(changed_at);
  }
  if (!req.staff().staff_id().empty()) *counter.mutable_staff() = req.staff();
  // CT-4: going to back office while customers already wait too long.
  if (auto s = CheckBackOffice(store, txn, stored, changed_at); !s.ok()) return s;
  counter.clear_breaches();
  if (auto s = store.SaveCounter(stored); !s.ok()) return s;
  v1::SetCounterStateResponse resp;
  if (auto s = AttachBreaches(txn, stored.subject, counter.mutable_breaches()); !s.ok()) {
    return s;
  }
  *resp.mutable_counter() = std::move(counter);
  return resp;
}

absl::StatusOr<v1::ListCountersResponse> CounterWorkflow::ListCounters(Transaction& txn,
                                                                       const v1::ListCountersRequest& req) {
  Validator v;
  v.Check(!req.hall_id().empty(), "hall_id", "is required");
  v.Check(v1::CounterState_IsValid(req.state()), "state", "is not a counter state");
  const int limit = CheckPageSize(v, req.page_size());
  const int64_t offset = DecodePageToken(v, req.page_token());
  if (!v.empty()) return v.status();
  CounterStore store(txn);
  auto counters = store.ListCounters(req.hall_id(), req.state(), offset, limit + 1);
  if (!counters.ok()) return counters.status();
  v1::ListCountersResponse resp;
  for (size_t i = 0; i < counters->size() && static_cast<int>(i) < limit; ++i) {
    v1::HallCounter& c = (*counters)[i].counter;
    if (auto s = AttachBreaches(txn, (*counters)[i].subject, c.mutable_breaches()); !s.ok()) return s;
    *resp.add_counters() = std::move(c);
  }
  if (static_cast<int>(counters->size()) > limit) resp.set_next_page_token(EncodePageToken(offset + limit));
  auto waiting = store.CountWaiting(req.hall_id(), std::nullopt);
  if (!waiting.ok()) return waiting.status();
  // Overdue: wait due strictly before now (exactly at the limit is on time).
  auto overdue = store.CountWaiting(req.hall_id(), clock_.Now());
  if (!overdue.ok()) return overdue.status();
  resp.set_waiting_tickets(static_cast<int32_t>(*waiting));
  resp.set_overdue_tickets(static_cast<int32_t>(*overdue));
  return resp;
}

}  // namespace gridserve::counter
