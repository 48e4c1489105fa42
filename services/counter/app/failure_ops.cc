// System failures and appointments (CT-7).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/common/config.h"
#include "services/common/rpc_util.h"
#include "services/counter/app/counter_workflow.h"
#include "services/counter/domain/business_types.h"
#include "services/counter/domain/failure_rules.h"
#include "services/counter/domain/visit_rules.h"

namespace gridserve::counter {
namespace {

std::string FailureSubject(const std::string& id) { return absl::StrCat("system_failure/", id); }
std::string AppointmentSubject(const std::string& id) { return absl::StrCat("appointment/", id); }

absl::Status FailureNotFound(const std::string& id) {
  return absl::NotFoundError(absl::StrCat("system failure ", id, " not found"));
}

}  // namespace

// One conversion clock per subject: a failure is evaluated again and again
// (every pass, every call that looks at it), so a clock already there stays.
absl::Status CounterWorkflow::StartConversionClockOnce(Transaction& txn, const std::string& subject,
                                                       const std::string& department, const std::string& staff_id,
                                                       absl::Time start) {
  auto existing = sla_.Get(txn, kSlaFailureConversion, subject);
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) return absl::OkStatus();
  return sla_.Start(txn, SlaTimer{kSlaFailureConversion, subject, department, staff_id, start,
                                  domain::ConversionDue(start, ct_)});
}

absl::Status CounterWorkflow::StartConversionClock(Transaction& txn, const v1::Visit& visit,
                                                   absl::Time became_long_at) {
  return StartConversionClockOnce(
      txn, VisitSubject(visit.visit_id()),
      visit.owner().department().empty() ? kHallDepartment : visit.owner().department(), visit.owner().staff_id(),
      domain::ConversionClockStart(became_long_at, FromProto(visit.started_at())));
}

absl::Status CounterWorkflow::StartTicketConversionClock(Transaction& txn, const v1::Ticket& ticket,
                                                         absl::Time became_long_at) {
  // Nobody owns a queued customer yet: the hall answers for the clock.
  return StartConversionClockOnce(txn, TicketSubject(ticket.ticket_id()), kHallDepartment, "",
                                  domain::ConversionClockStart(became_long_at, FromProto(ticket.issued_at())));
}

absl::Status CounterWorkflow::HandOverConversionClock(Transaction& txn, const v1::Visit& visit, absl::Time at) {
  if (visit.ticket_id().empty()) return absl::OkStatus();
  const std::string from = TicketSubject(visit.ticket_id());
  auto ticket_clock = sla_.Get(txn, kSlaFailureConversion, from);
  if (!ticket_clock.ok()) return ticket_clock.status();
  // No clock: the failure was still short when the ticket was last looked at;
  // the visit's own clock starts when the failure turns long. A clock already
  // closed (withdrawn or stopped when an earlier failure ended): it is over,
  // and the visit gets its own clock if this failure is long.
  if (!ticket_clock->has_value() || (*ticket_clock)->closed_at.has_value()) return absl::OkStatus();
  const std::string to = VisitSubject(visit.visit_id());
  // A clock the sweep already expired (breached, the customer not yet booked):
  // the customer's one SLA instance has had its one breach (one ledger entry,
  // one increment). The visit takes that very clock over, still breached: the
  // CT-7 gate still asks for the appointment, and no sweep expires it again (a
  // fresh open copy with the same past due time would be a second breach).
  if ((*ticket_clock)->state == SlaState::kBreached) {
    return sla_.HandOverBreached(txn, kSlaFailureConversion, from, to).status();
  }
  // Same customer, same wait: the visit's clock keeps the ticket's start and
  // due time, so starting a visit cannot reset the 15 minutes. The ticket's
  // clock is withdrawn (neither met nor breached: its goal moved to the visit).
  if (auto cancelled = sla_.Cancel(txn, kSlaFailureConversion, from, at); !cancelled.ok()) return cancelled.status();
  SlaTimer timer = (*ticket_clock)->timer;
  timer.subject = to;
  timer.department = visit.owner().department().empty() ? kHallDepartment : visit.owner().department();
  timer.staff_id = visit.owner().staff_id();
  return sla_.Start(txn, timer);
}

absl::Status CounterWorkflow::EvaluateFailureForTicket(CounterStore& store, Transaction& txn,
                                                       v1::SystemFailure& failure, const v1::Ticket& ticket,
                                                       absl::Time now) {
  if (!failure.has_became_long_at()) return EvaluateFailure(store, txn, failure, now);
  if (!domain::TicketWaitsForConversion(ticket)) return absl::OkStatus();
  return StartTicketConversionClock(txn, ticket, FromProto(failure.became_long_at()));
}

absl::Status CounterWorkflow::EvaluateFailureForVisit(CounterStore& store, Transaction& txn,
                                                      v1::SystemFailure& failure, const v1::Visit& visit,
                                                      absl::Time now) {
  if (!failure.has_became_long_at()) return EvaluateFailure(store, txn, failure, now);
  return StartConversionClock(txn, visit, FromProto(failure.became_long_at()));
}

absl::Status CounterWorkflow::EvaluateFailure(CounterStore& store, Transaction& txn, v1::SystemFailure& failure,
                                              absl::Time now) {
  const absl::Time started = FromProto(failure.started_at());
  const absl::Time until =
      failure.state() == v1::SYSTEM_FAILURE_STATE_CLOSED ? FromProto(failure.ended_at()) : now;
  if (!failure.has_became_long_at()) {
    if (!domain::FailureIsLong(started, until, ct_)) return absl::OkStatus();  // still short: apologise, ask to wait
    *failure.mutable_became_long_at() = ToProto(domain::FailureBecomesLongAt(started, ct_));
    if (auto s = store.SaveFailure(failure); !s.ok()) return s;
  }
  const absl::Time became_long = FromProto(failure.became_long_at());
  // Every visit still waiting in the long failure needs an appointment in time.
  for (const std::string& visit_id : failure.affected_visit_ids()) {
    auto visit = store.FindVisit(visit_id);
    if (!visit.ok()) return visit.status();
    if (!visit->has_value() || (*visit)->state() != v1::VISIT_STATE_IN_PROGRESS) continue;
    if ((*visit)->system_failure_id() != failure.failure_id()) continue;
    if (auto s = StartConversionClock(txn, **visit, became_long); !s.ok()) return s;
  }
  // The customers still in the queue (WAITING, or CALLED without a visit) are
  // the ones actually waiting: each ticket gets its clock too. A closed failure
  // only concerns tickets issued before it ended.
  const bool closed = failure.state() == v1::SYSTEM_FAILURE_STATE_CLOSED;
  auto tickets = store.TicketsInStates(failure.hall_id(), {v1::TICKET_STATE_WAITING, v1::TICKET_STATE_CALLED});
  if (!tickets.ok()) return tickets.status();
  for (const v1::Ticket& ticket : *tickets) {
    if (!domain::TicketWaitsForConversion(ticket)) continue;
    if (closed && FromProto(ticket.issued_at()) >= until) continue;
    if (auto s = StartTicketConversionClock(txn, ticket, became_long); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::OpenSystemFailureResponse> CounterWorkflow::OpenSystemFailure(
    Transaction& txn, const v1::OpenSystemFailureRequest& req) {
  Validator v;
  v.Check(!req.hall_id().empty(), "hall_id", "is required");
  v.Check(!req.description().empty(), "description", "is required (the affected systems, no personal data)");
  const absl::Time started_at = EventTime(v, "started_at", req.started_at(), req.has_started_at());
  if (!v.empty()) return v.status();
  CounterStore store(txn);
  auto open = store.OpenFailures(req.hall_id());
  if (!open.ok()) return open.status();
  if (!open->empty()) {
    return PreconditionFailed("CT-7", FailureSubject(open->front().failure_id()),
                              "a system failure is already open in the hall");
  }
  v1::SystemFailure failure;
  failure.set_failure_id(NewId("SF"));
  failure.set_hall_id(req.hall_id());
  failure.set_description(req.description());
  failure.set_state(v1::SYSTEM_FAILURE_STATE_OPEN);
  *failure.mutable_started_at() = ToProto(started_at);
  *failure.mutable_opened_by() = req.opened_by();
  // The visits in progress wait in the failure.
  VisitFilter filter;
  filter.hall_id = req.hall_id();
  filter.state = v1::VISIT_STATE_IN_PROGRESS;
  auto visits = store.ListVisits(filter, 0, 100000);
  if (!visits.ok()) return visits.status();
  for (v1::Visit& visit : *visits) {
    visit.set_system_failure_id(failure.failure_id());
    failure.add_affected_visit_ids(visit.visit_id());
    if (auto s = store.SaveVisit(visit); !s.ok()) return s;
  }
  if (auto s = store.SaveFailure(failure); !s.ok()) return s;
  // Imported with an earlier start, the failure may already be long.
  if (auto s = EvaluateFailure(store, txn, failure, clock_.Now()); !s.ok()) return s;
  v1::OpenSystemFailureResponse resp;
  *resp.mutable_system_failure() = std::move(failure);
  return resp;
}

absl::StatusOr<v1::CloseSystemFailureResponse> CounterWorkflow::CloseSystemFailure(
    Transaction& txn, const v1::CloseSystemFailureRequest& req) {
  Validator v;
  v.Check(!req.failure_id().empty(), "failure_id", "is required");
  const absl::Time ended_at = EventTime(v, "ended_at", req.ended_at(), req.has_ended_at());
  if (!v.empty()) return v.status();
  CounterStore store(txn);
  auto found = store.FindFailure(req.failure_id());
  if (!found.ok()) return found.status();
  if (!found->has_value()) return FailureNotFound(req.failure_id());
  v1::SystemFailure failure = **found;
  if (failure.state() != v1::SYSTEM_FAILURE_STATE_OPEN) {
    return PreconditionFailed("CT-7", FailureSubject(failure.failure_id()), "the failure is already closed");
  }
  if (ended_at < FromProto(failure.started_at())) return InvalidField("ended_at", "is before the failure started");
  failure.set_state(v1::SYSTEM_FAILURE_STATE_CLOSED);
  *failure.mutable_ended_at() = ToProto(ended_at);
  if (auto s = store.SaveFailure(failure); !s.ok()) return s;
  // A failure that turned long before its end gets its clocks (if no pass saw it yet).
  if (auto s = EvaluateFailure(store, txn, failure, ended_at); !s.ok()) return s;
  // Systems are back: visits still in progress are served normally, so their
  // conversion clocks are withdrawn at the end of the failure: not met (no
  // appointment was booked), and late ones stay breached.
  for (const std::string& visit_id : failure.affected_visit_ids()) {
    if (auto s = sla_.Withdraw(txn, kSlaFailureConversion, VisitSubject(visit_id), ended_at); !s.ok()) return s;
  }
  // The same for the customers still queued: they are called and served.
  auto queued = store.TicketsInStates(failure.hall_id(), {v1::TICKET_STATE_WAITING, v1::TICKET_STATE_CALLED});
  if (!queued.ok()) return queued.status();
  for (const v1::Ticket& ticket : *queued) {
    if (auto s = sla_.Withdraw(txn, kSlaFailureConversion, TicketSubject(ticket.ticket_id()), ended_at); !s.ok()) {
      return s;
    }
  }
  v1::CloseSystemFailureResponse resp;
  if (auto s = AttachBreaches(txn, FailureSubject(failure.failure_id()), failure.mutable_breaches()); !s.ok()) return s;
  *resp.mutable_system_failure() = std::move(failure);
  return resp;
}

absl::StatusOr<v1::GetSystemFailureResponse> CounterWorkflow::GetSystemFailure(Transaction& txn,
                                                                               const v1::GetSystemFailureRequest& req) {
  if (req.failure_id().empty()) return InvalidField("failure_id", "is required");
  CounterStore store(txn);
  auto found = store.FindFailure(req.failure_id());
  if (!found.ok()) return found.status();
  if (!found->has_value()) return FailureNotFound(req.failure_id());
  v1::SystemFailure failure = **found;
  if (failure.state() == v1::SYSTEM_FAILURE_STATE_OPEN) {
    if (auto s = EvaluateFailure(store, txn, failure, clock_.Now()); !s.ok()) return s;
  }
  v1::GetSystemFailureResponse resp;
  if (auto s = AttachBreaches(txn, FailureSubject(failure.failure_id()), failure.mutable_breaches()); !s.ok()) return s;
  *resp.mutable_system_failure() = std::move(failure);
  return resp;
}

absl::StatusOr<v1::ConvertVisitToAppointmentResponse> CounterWorkflow::ConvertVisitToAppointment(
    Transaction& txn, const v1::ConvertVisitToAppointmentRequest& req) {
  Validator v;
  v.Check(!req.visit_id().empty(), "visit_id", "is required");
  v.Check(!req.contact().name().empty(), "contact.name", "is required (CT-7: take the customer's contact details)");
  if (v.Check(!req.contact().phone().empty(), "contact.phone",
              "is required (CT-7: take the customer's contact details)")) {
    if (auto problem = domain::CheckPhone(req.contact().phone())) v.Add("contact.phone", problem->message);
  }
  v.Check(req.apologised(), "apologised", "CT-7: apologise for the system failure before booking the appointment");
  const absl::Time booked_at = EventTime(v, "booked_at", req.booked_at(), req.has_booked_at(), /*required=*/false);
  // A planned time (it may lie ahead), but a real one: a garbled timestamp
  // would otherwise pass as "after the booking" and be promised to the customer.
  if (v.Check(req.has_scheduled_at(), "scheduled_at", "is required") &&
      v.Check(ValidTimestamp(req.scheduled_at()), "scheduled_at", "is not a valid timestamp")) {
    v.Check(FromProto(req.scheduled_at()) > booked_at, "scheduled_at", "must be after the booking");
  }
  if (!v.empty()) return v.status();
  CounterStore store(txn);
  auto found = store.FindVisit(req.visit_id());
  if (!found.ok()) return found.status();
  if (!found->has_value()) return absl::NotFoundError(absl::StrCat("visit ", req.visit_id(), " not found"));
  v1::Visit visit = **found;
  if (visit.state() != v1::VISIT_STATE_IN_PROGRESS) {
    return PreconditionFailed("CT-7", VisitSubject(visit.visit_id()), "the visit has already ended");
  }
  // The booking ends the visit and stops its conversion clock: it cannot
  // come before the visit began.
  if (booked_at < FromProto(visit.started_at())) return InvalidField("booked_at", "is before the visit started");
  // CT-1: the booking ends the visit, so only its owner books (as EndVisit);
  // an unnamed booker is the owner.
  const v1::StaffRef booked_by = req.booked_by().staff_id().empty() ? visit.owner() : req.booked_by();
  if (auto s = domain::CheckOwnerEnds(visit, booked_by.staff_id()); !s.ok()) return s;
  const std::string failure_id = req.failure_id().empty() ? visit.system_failure_id() : req.failure_id();
  std::optional<v1::SystemFailure> failure;
  if (!failure_id.empty()) {
    auto f = store.FindFailure(failure_id);
    if (!f.ok()) return f.status();
    if (!f->has_value()) return FailureNotFound(failure_id);
    failure = **f;
    // CT-7: the appointment answers a failure the visit waited in.
    const auto& affected = failure->affected_visit_ids();
    if (failure->hall_id() != visit.hall_id() ||
        std::find(affected.begin(), affected.end(), visit.visit_id()) == affected.end()) {
      return InvalidField("failure_id",
                          absl::StrCat("system failure ", failure_id, " did not affect visit ", visit.visit_id(),
                                       " (another hall, or the visit was not waiting)"));
    }
  }

  v1::Appointment appointment;
  appointment.set_appointment_id(NewId("AP"));
  appointment.set_hall_id(visit.hall_id());
  appointment.set_visit_id(visit.visit_id());
  appointment.set_failure_id(failure_id);
  *appointment.mutable_contact() = req.contact();
  appointment.set_business_type(visit.business_type());
  *appointment.mutable_scheduled_at() = req.scheduled_at();
  appointment.set_state(v1::APPOINTMENT_STATE_BOOKED);
  appointment.set_apologised(true);
  *appointment.mutable_booked_by() = booked_by;
  *appointment.mutable_booked_at() = ToProto(booked_at);
  if (auto s = store.SaveAppointment(appointment); !s.ok()) return s;

  visit.set_state(v1::VISIT_STATE_ENDED);
  visit.set_outcome(v1::VISIT_OUTCOME_CONVERTED_TO_APPOINTMENT);
  visit.set_appointment_id(appointment.appointment_id());
  *visit.mutable_ended_at() = ToProto(booked_at);
  if (auto s = store.SaveVisit(visit); !s.ok()) return s;
  if (auto s = FinishTicketOf(store, visit); !s.ok()) return s;
  // CT-7: the conversion clock stops with the booking (met when in time).
  auto clock = sla_.Get(txn, kSlaFailureConversion, VisitSubject(visit.visit_id()));
  if (!clock.ok()) return clock.status();
  if (clock->has_value() && !(*clock)->closed_at.has_value()) {
    auto stopped = sla_.Stop(txn, kSlaFailureConversion, VisitSubject(visit.visit_id()), booked_at);
    if (!stopped.ok()) return stopped.status();
  }
  if (failure.has_value()) {
    failure->add_converted_visit_ids(visit.visit_id());
    if (auto s = store.SaveFailure(*failure); !s.ok()) return s;
  }
  v1::ConvertVisitToAppointmentResponse resp;
  if (auto s = Decorate(txn, visit); !s.ok()) return s;
  *resp.mutable_visit() = std::move(visit);
  *resp.mutable_appointment() = std::move(appointment);
  return resp;
}

absl::StatusOr<v1::KeepAppointmentResponse> CounterWorkflow::KeepAppointment(Transaction& txn,
                                                                             const v1::KeepAppointmentRequest& req) {
  Validator v;
  v.Check(!req.appointment_id().empty(), "appointment_id", "is required");
  v.Check(!req.staff().staff_id().empty(), "staff.staff_id", "is required");
  const absl::Time kept_at = EventTime(v, "kept_at", req.kept_at(), req.has_kept_at());
  if (!v.empty()) return v.status();
  CounterStore store(txn);
  auto found = store.FindAppointment(req.appointment_id());
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    return absl::NotFoundError(absl::StrCat("appointment ", req.appointment_id(), " not found"));
  }
  v1::Appointment appointment = **found;
  if (appointment.state() != v1::APPOINTMENT_STATE_BOOKED) {
    return PreconditionFailed("CT-7", AppointmentSubject(appointment.appointment_id()),
                              "the appointment is not BOOKED (already kept)");
  }
  if (!req.visit_id().empty()) {
    auto visit = store.FindVisit(req.visit_id());
    if (!visit.ok()) return visit.status();
    if (!visit->has_value()) return absl::NotFoundError(absl::StrCat("visit ", req.visit_id(), " not found"));
  }
  if (kept_at < FromProto(appointment.booked_at())) return InvalidField("kept_at", "is before the booking");
  appointment.set_state(v1::APPOINTMENT_STATE_KEPT);
  *appointment.mutable_kept_at() = ToProto(kept_at);
  appointment.set_kept_visit_id(req.visit_id());
  if (auto s = store.SaveAppointment(appointment); !s.ok()) return s;
  v1::KeepAppointmentResponse resp;
  if (auto s = AttachBreaches(txn, AppointmentSubject(appointment.appointment_id()), appointment.mutable_breaches());
      !s.ok()) {
    return s;
  }
  *resp.mutable_appointment() = std::move(appointment);
  return resp;
}

absl::StatusOr<v1::GetAppointmentResponse> CounterWorkflow::GetAppointment(Transaction& txn,
                                                                           const v1::GetAppointmentRequest& req) {
  if (req.appointment_id().empty()) return InvalidField("appointment_id", "is required");
  CounterStore store(txn);
  auto found = store.FindAppointment(req.appointment_id());
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    return absl::NotFoundError(absl::StrCat("appointment ", req.appointment_id(), " not found"));
  }
  v1::GetAppointmentResponse resp;
  *resp.mutable_appointment() = **found;
  if (auto s = AttachBreaches(txn, AppointmentSubject(req.appointment_id()), resp.mutable_appointment()->mutable_breaches());
      !s.ok()) {
    return s;
  }
  return resp;
}

absl::StatusOr<v1::ListAppointmentsResponse> CounterWorkflow::ListAppointments(
    Transaction& txn, const v1::ListAppointmentsRequest& req) {
  Validator v;
  v.Check(v1::AppointmentState_IsValid(req.state()), "state", "is not an appointment state");
  const TimeBounds range = CheckTimeRange(v, req.time_range());
  const std::optional<absl::Time> due_before = CheckFilterBound(v, "due_before", req.due_before(), req.has_due_before());
  const int limit = CheckPageSize(v, req.page_size());
  const int64_t offset = DecodePageToken(v, req.page_token());
  if (!v.empty()) return v.status();
  AppointmentFilter f;
  f.hall_id = req.hall_id();
  f.failure_id = req.failure_id();
  f.state = req.state();
  f.scheduled_before = due_before;
  f.scheduled_from = range.start;
  f.scheduled_to = range.end;
  CounterStore store(txn);
  auto found = store.ListAppointments(f, offset, limit + 1);
  if (!found.ok()) return found.status();
  v1::ListAppointmentsResponse resp;
  for (int i = 0; i < static_cast<int>(found->size()) && i < limit; ++i) {
    v1::Appointment& a = (*found)[i];
    if (auto s = AttachBreaches(txn, AppointmentSubject(a.appointment_id()), a.mutable_breaches()); !s.ok()) return s;
    *resp.add_appointments() = std::move(a);
  }
  if (static_cast<int>(found->size()) > limit) resp.set_next_page_token(EncodePageToken(offset + limit));
  return resp;
}

}  // namespace gridserve::counter
