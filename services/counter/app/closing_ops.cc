// Counter sessions and closing (CT-10), and the background pass.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/common/config.h"
#include "services/common/rpc_util.h"
#include "services/counter/app/counter_workflow.h"
#include "services/counter/domain/closing_rules.h"
#include "services/counter/domain/queue_rules.h"
#include "services/counter/storage/counter_schema.h"

namespace gridserve::counter {
namespace {

std::string SessionSubject(const std::string& id) { return absl::StrCat("session/", id); }

}  // namespace

absl::Status CounterWorkflow::CheckHallOpen(CounterStore& store, const std::string& hall_id, absl::Time at) {
  const absl::CivilDay day = calendar_.LocalDay(at);
  auto closing = store.FindHallClosing(hall_id, absl::FormatCivilTime(day));
  if (!closing.ok()) return closing.status();
  return domain::CheckOpenForBusiness(HallSubject(hall_id), day, closing->has_value());
}

absl::StatusOr<v1::OpenSessionResponse> CounterWorkflow::OpenSession(Transaction& txn,
                                                                     const v1::OpenSessionRequest& req) {
  Validator v;
  v.Check(!req.hall_id().empty(), "hall_id", "is required");
  v.Check(!req.counter_id().empty(), "counter_id", "is required");
  v.Check(!req.staff().staff_id().empty(), "staff.staff_id", "is required");
  const absl::Time opened_at = EventTime(v, "opened_at", req.opened_at(), req.has_opened_at());
  if (!v.empty()) return v.status();
  CounterStore store(txn);
  if (auto s = CheckHallOpen(store, req.hall_id(), opened_at); !s.ok()) return s;  // CT-10
  // Each hall numbers its own counters: the counter is (hall_id, counter_id).
  auto found = store.FindCounter(req.hall_id(), req.counter_id());
  if (!found.ok()) return found.status();
  StoredCounter stored;
  v1::HallCounter& counter = stored.counter;
  if (found->has_value()) {
    stored = **found;
  } else {
    // The contract has no call to register counters: a counter joins its hall
    // with its first session.
    stored.subject = CounterSubject(req.hall_id(), req.counter_id());
    counter.set_counter_id(req.counter_id());
    counter.set_hall_id(req.hall_id());
    counter.set_state(v1::COUNTER_STATE_CLOSED);
    *counter.mutable_state_since() = ToProto(opened_at);
  }
  if (!counter.session_id().empty()) {
    return PreconditionFailed("CT-10", stored.subject,
                              absl::StrCat("the counter already has an open session ", counter.session_id()));
  }
  if (opened_at < FromProto(counter.state_since())) {
    return InvalidField("opened_at", "is before the counter's current state began");
  }
  if (auto s = CheckBackOffice(store, txn, stored, opened_at); !s.ok()) return s;
  v1::CounterSession session;
  session.set_session_id(NewId("SN"));
  session.set_hall_id(req.hall_id());
  session.set_counter_id(req.counter_id());
  *session.mutable_staff() = req.staff();
  session.set_state(v1::COUNTER_SESSION_STATE_OPEN);
  *session.mutable_opened_at() = ToProto(opened_at);
  if (auto s = store.SaveSession(session); !s.ok()) return s;
  counter.set_session_id(session.session_id());
  *counter.mutable_staff() = req.staff();
  counter.set_state(v1::COUNTER_STATE_IN_SERVICE);
  *counter.mutable_state_since() = ToProto(opened_at);
  if (auto s = store.SaveCounter(stored); !s.ok()) return s;
  v1::OpenSessionResponse resp;
  *resp.mutable_session() = std::move(session);
  return resp;
}

absl::StatusOr<v1::CloseSessionResponse> CounterWorkflow::CloseSession(Transaction& txn,
                                                                       const v1::CloseSessionRequest& req) {
  Validator v;
  v.Check(!req.session_id().empty(), "session_id", "is required");
  if (req.force()) v.Check(!req.force_reason().empty(), "force_reason", "is required when force is set");
  const absl::Time closed_at = EventTime(v, "closed_at", req.closed_at(), req.has_closed_at());
  if (!v.empty()) return v.status();
  CounterStore store(txn);
  auto found = store.FindSession(req.session_id());
  if (!found.ok()) return found.status();
  if (!found->has_value()) return absl::NotFoundError(absl::StrCat("session ", req.session_id(), " not found"));
  v1::CounterSession session = **found;
  if (session.state() != v1::COUNTER_SESSION_STATE_OPEN) {
    return PreconditionFailed("CT-10", SessionSubject(session.session_id()), "the session is already closed");
  }
  if (closed_at < FromProto(session.opened_at())) return InvalidField("closed_at", "is before the session opened");

  // CT-10: the staff member's visits in progress, and tickets called to the counter but not served.
  domain::OpenBusiness open;
  VisitFilter vf;
  vf.hall_id = session.hall_id();
  vf.owner_staff_id = session.staff().staff_id();
  vf.state = v1::VISIT_STATE_IN_PROGRESS;
  auto visits = store.ListVisits(vf, 0, 100000);
  if (!visits.ok()) return visits.status();
  for (const auto& visit : *visits) open.visit_ids.push_back(visit.visit_id());
  auto called = store.TicketsInStates(session.hall_id(), {v1::TICKET_STATE_CALLED});
  if (!called.ok()) return called.status();
  for (const auto& t : *called) {
    if (t.counter_id() == session.counter_id()) open.ticket_ids.push_back(t.ticket_id());
  }
  // CT-10: the last to leave at closing time also leaves the customers who
  // came before closing and still wait (or were called to a counter since
  // closed), as CloseHall counts them.
  auto sessions = store.OpenSessionsOfHall(session.hall_id());
  if (!sessions.ok()) return sessions.status();
  const int others = static_cast<int>(std::count_if(sessions->begin(), sessions->end(), [&](const auto& other) {
    return other.session_id() != session.session_id();
  }));
  const absl::Time closing_time = domain::ClosingTimeOn(closed_at, ct_, calendar_);
  if (domain::LastToLeaveAtClosing(closed_at, closing_time, others)) {
    auto waiting = store.TicketsInStates(session.hall_id(), {v1::TICKET_STATE_WAITING});
    if (!waiting.ok()) return waiting.status();
    for (const auto& t : *waiting) {
      if (domain::IssuedBeforeClosing(FromProto(t.issued_at()), closing_time)) open.ticket_ids.push_back(t.ticket_id());
    }
    for (const auto& t : *called) {
      if (t.counter_id() != session.counter_id() &&
          domain::IssuedBeforeClosing(FromProto(t.issued_at()), closing_time)) {
        open.ticket_ids.push_back(t.ticket_id());
      }
    }
  }
  if (auto s = domain::CheckClose(SessionSubject(session.session_id()), open, req.force()); !s.ok()) return s;

  session.set_state(v1::COUNTER_SESSION_STATE_CLOSED);
  *session.mutable_closed_at() = ToProto(closed_at);
  if (req.force() && !open.empty()) {
    session.set_forced(true);
    session.set_force_reason(req.force_reason());
    auto breach = RecordBreach(txn, "CT-10", absl::StrCat("counter/CT-10/", SessionSubject(session.session_id())),
                               SessionSubject(session.session_id()), session.staff(),
                               absl::StrCat("session closed by force with ", open.visit_ids.size(),
                                            " visit(s) in progress and ", open.ticket_ids.size(),
                                            " ticket(s) unserved"),
                               closed_at, v1::MECHANISM_GATE, /*forced=*/true);
    if (!breach.ok()) return breach.status();
  }
  if (auto s = store.SaveSession(session); !s.ok()) return s;
  auto counter = store.FindCounter(session.hall_id(), session.counter_id());
  if (!counter.ok()) return counter.status();
  if (counter->has_value() && (*counter)->counter.session_id() == session.session_id()) {
    StoredCounter stored = **counter;
    if (auto s = CheckBackOffice(store, txn, stored, closed_at); !s.ok()) return s;
    v1::HallCounter& c = stored.counter;
    c.clear_session_id();
    c.set_state(v1::COUNTER_STATE_CLOSED);
    *c.mutable_state_since() = ToProto(closed_at);
    if (auto s = store.SaveCounter(stored); !s.ok()) return s;
  }
  v1::CloseSessionResponse resp;
  if (auto s = AttachBreaches(txn, SessionSubject(session.session_id()), session.mutable_breaches()); !s.ok()) return s;
  *resp.mutable_session() = std::move(session);
  return resp;
}

absl::StatusOr<v1::CloseHallResponse> CounterWorkflow::CloseHall(Transaction& txn, const v1::CloseHallRequest& req) {
  Validator v;
  v.Check(!req.hall_id().empty(), "hall_id", "is required");
  if (req.force()) v.Check(!req.force_reason().empty(), "force_reason", "is required when force is set");
  const absl::Time closed_at = EventTime(v, "closed_at", req.closed_at(), req.has_closed_at());
  if (!v.empty()) return v.status();
  CounterStore store(txn);
  const std::string day = absl::FormatCivilTime(calendar_.LocalDay(closed_at));
  const std::string subject = HallSubject(req.hall_id());
  auto already = store.FindHallClosing(req.hall_id(), day);
  if (!already.ok()) return already.status();
  if (already->has_value()) {
    return PreconditionFailed("CT-10", subject, absl::StrCat("the hall is already closed for ", day));
  }

  // CT-10: visits in progress, and tickets issued before closing time still waiting.
  const absl::Time closing_time = domain::ClosingTimeOn(closed_at, ct_, calendar_);
  domain::OpenBusiness open;
  VisitFilter vf;
  vf.hall_id = req.hall_id();
  vf.state = v1::VISIT_STATE_IN_PROGRESS;
  auto visits = store.ListVisits(vf, 0, 100000);
  if (!visits.ok()) return visits.status();
  for (const auto& visit : *visits) open.visit_ids.push_back(visit.visit_id());
  auto tickets = store.TicketsInStates(req.hall_id(), {v1::TICKET_STATE_WAITING, v1::TICKET_STATE_CALLED});
  if (!tickets.ok()) return tickets.status();
  for (const auto& t : *tickets) {
    if (domain::IssuedBeforeClosing(FromProto(t.issued_at()), closing_time)) open.ticket_ids.push_back(t.ticket_id());
  }
  if (auto s = domain::CheckClose(subject, open, req.force()); !s.ok()) return s;

  v1::CloseHallResponse resp;
  resp.set_hall_id(req.hall_id());
  *resp.mutable_closed_at() = ToProto(closed_at);
  resp.set_forced(req.force() && !open.empty());
  for (const auto& id : open.visit_ids) resp.add_open_visit_ids(id);
  for (const auto& id : open.ticket_ids) resp.add_waiting_ticket_ids(id);
  if (resp.forced()) {
    auto breach = RecordBreach(txn, "CT-10", absl::StrCat("counter/CT-10/", subject, "/", day), subject,
                               req.closed_by(),
                               absl::StrCat("hall closed by force with ", open.visit_ids.size(),
                                            " visit(s) in progress and ", open.ticket_ids.size(),
                                            " ticket(s) issued before closing time still waiting"),
                               closed_at, v1::MECHANISM_GATE, /*forced=*/true);
    if (!breach.ok()) return breach.status();
    *resp.add_breaches() = *breach;
  }
  // CT-4 before the waiting tickets are cancelled below: a counter in back
  // office while a ticket waited past its limit is judged on those tickets.
  auto counters = store.ListCounters(req.hall_id(), 0, 0, 100000);
  if (!counters.ok()) return counters.status();
  for (const StoredCounter& c : *counters) {
    if (auto s = CheckBackOffice(store, txn, c, closed_at); !s.ok()) return s;
  }
  // CT-7: a failure that turned long before now gets its tickets' conversion
  // clocks before they are ended below (if no pass saw it yet).
  auto failures = store.OpenFailures(req.hall_id());
  if (!failures.ok()) return failures.status();
  for (v1::SystemFailure& failure : *failures) {
    if (auto s = EvaluateFailure(store, txn, failure, clock_.Now()); !s.ok()) return s;
  }
  // The day is over: remaining tickets are cancelled, and so are the wait
  // clocks of those never called (CT-4 not met: nobody called them; a wait
  // already past its limit stays breached).
  for (v1::Ticket t : *tickets) {
    if (t.state() == v1::TICKET_STATE_WAITING) {
      if (auto s = sla_.Withdraw(txn, kSlaTicketWait, TicketSubject(t.ticket_id()), closed_at); !s.ok()) return s;
    }
    // CT-7: likewise for a queued customer's conversion clock (a long failure
    // still open at closing): withdrawn when the conversion was not yet due,
    // a breach when it was already late. The forced closing itself is the
    // CT-10 breach recorded above.
    if (auto s = sla_.Withdraw(txn, kSlaFailureConversion, TicketSubject(t.ticket_id()), closed_at); !s.ok()) {
      return s;
    }
    t.set_state(v1::TICKET_STATE_CANCELLED);
    if (auto s = store.SaveTicket(t, domain::TicketWaitDue(FromProto(t.issued_at()), ct_)); !s.ok()) return s;
  }
  // Every open session of the hall closes; counters close.
  auto sessions = store.OpenSessionsOfHall(req.hall_id());
  if (!sessions.ok()) return sessions.status();
  for (v1::CounterSession session : *sessions) {
    session.set_state(v1::COUNTER_SESSION_STATE_CLOSED);
    *session.mutable_closed_at() = ToProto(std::max(closed_at, FromProto(session.opened_at())));
    if (auto s = store.SaveSession(session); !s.ok()) return s;
    resp.add_closed_session_ids(session.session_id());
  }
  for (StoredCounter stored : *counters) {
    v1::HallCounter& c = stored.counter;
    if (c.state() == v1::COUNTER_STATE_CLOSED && c.session_id().empty()) continue;
    c.clear_session_id();
    c.set_state(v1::COUNTER_STATE_CLOSED);
    *c.mutable_state_since() = ToProto(std::max(closed_at, FromProto(c.state_since())));
    if (auto s = store.SaveCounter(stored); !s.ok()) return s;
  }
  if (auto s = store.SaveHallClosing(day, resp); !s.ok()) return s;
  return resp;
}

absl::Status CounterWorkflow::BackgroundPass(Database& db, absl::Time now) {
  CounterMetrics::Snapshot snapshot;
  absl::Status status = db.InTransaction([&](Transaction& txn) -> absl::Status {
    CounterStore store(txn);
    // CT-4: counters in back office while tickets wait beyond the limit.
    auto back_office = store.ListCounters("", v1::COUNTER_STATE_BACK_OFFICE, 0, 100000);
    if (!back_office.ok()) return back_office.status();
    for (const auto& counter : *back_office) {
      if (auto s = CheckBackOffice(store, txn, counter, now); !s.ok()) return s;
    }
    // CT-7: failures turning long start their visits' conversion clocks.
    auto failures = store.OpenFailures("");
    if (!failures.ok()) return failures.status();
    for (auto& failure : *failures) {
      if (auto s = EvaluateFailure(store, txn, failure, now); !s.ok()) return s;
    }
    // Gauges.
    auto waiting = store.CountInState(TicketsByState(), v1::TICKET_STATE_WAITING, db.dialect());
    auto overdue = store.CountWaiting("", now);  // the tickets past their wait limit, on the state index
    auto booked = store.CountInState(AppointmentsByState(), v1::APPOINTMENT_STATE_BOOKED, db.dialect());
    auto homes = store.CountInState(HomeServicesByState(), v1::HOME_SERVICE_STATE_OPEN, db.dialect());
    auto by_state = store.CountCountersByState();
    for (const absl::Status& s : {waiting.status(), overdue.status(), booked.status(), homes.status(),
                                  by_state.status()}) {
      if (!s.ok()) return s;
    }
    snapshot.waiting = static_cast<double>(*waiting);
    snapshot.overdue = static_cast<double>(*overdue);
    snapshot.failures_open = static_cast<double>(failures->size());
    snapshot.appointments_booked = static_cast<double>(*booked);
    snapshot.home_services_open = static_cast<double>(*homes);
    for (const auto& [state, n] : *by_state) {
      snapshot.counters[static_cast<v1::CounterState>(state)] = static_cast<double>(n);
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (metrics_ != nullptr) metrics_->SetGauges(snapshot);
  return absl::OkStatus();
}

}  // namespace gridserve::counter
