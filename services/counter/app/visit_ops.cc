// Visits: CT-1 (first-contact responsibility), CT-3 (forms), CT-8
// (escalations), CT-2/CT-5 (reviews), CT-9 (assisted forms).
#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "services/common/config.h"
#include "services/common/feedback_check.h"
#include "services/common/phone_number.h"
#include "services/common/rpc_util.h"
#include "services/counter/app/counter_workflow.h"
#include "services/counter/domain/business_types.h"
#include "services/counter/domain/failure_rules.h"
#include "services/counter/domain/queue_rules.h"
#include "services/counter/domain/visit_rules.h"

namespace gridserve::counter {
namespace {

absl::Status VisitNotFound(const std::string& id) { return absl::NotFoundError(absl::StrCat("visit ", id, " not found")); }

absl::Status VisitEnded(const v1::Visit& visit) {
  return PreconditionFailed("CT-1", VisitSubject(visit.visit_id()), "the visit has already ended");
}

}  // namespace

absl::StatusOr<v1::StartVisitResponse> CounterWorkflow::StartVisit(Transaction& txn, const v1::StartVisitRequest& req) {
  Validator v;
  v.Check(!req.hall_id().empty(), "hall_id", "is required");
  v.Check(!req.owner().staff_id().empty(), "owner.staff_id", "is required (CT-1: the first staff member approached)");
  if (!req.business_type().empty()) {
    v.Check(domain::FindBusinessType(req.business_type()) != nullptr, "business_type",
            "is not a business of the hall's catalogue");
  }
  for (int i = 0; i < req.accessibility_needs_size(); ++i) {
    v.Check(req.accessibility_needs(i) != v1::ACCESSIBILITY_NEED_UNSPECIFIED &&
                v1::AccessibilityNeed_IsValid(req.accessibility_needs(i)),
            absl::StrCat("accessibility_needs[", i, "]"), "is not a known accessibility need");
  }
  // A walk-in need not give a number; one given is checked like every service's.
  CheckPhoneField(v, "customer.phone", req.customer().phone(), /*required=*/false);
  const absl::Time started_at = EventTime(v, "started_at", req.started_at(), req.has_started_at());
  if (!v.empty()) return v.status();

  CounterStore store(txn);
  if (auto s = CheckHallOpen(store, req.hall_id(), started_at); !s.ok()) return s;  // CT-10
  v1::Visit visit;
  visit.set_visit_id(NewId("VS"));
  visit.set_hall_id(req.hall_id());
  *visit.mutable_owner() = req.owner();
  *visit.mutable_customer() = req.customer();
  visit.set_business_type(req.business_type());
  *visit.mutable_accessibility_needs() = req.accessibility_needs();
  visit.set_state(v1::VISIT_STATE_IN_PROGRESS);
  *visit.mutable_started_at() = ToProto(started_at);
  // CT-7: the hall's open system failures, which the visit will wait in.
  auto failures = store.OpenFailures(req.hall_id());
  if (!failures.ok()) return failures.status();

  if (!req.ticket_id().empty()) {
    auto found = store.FindTicket(req.ticket_id());
    if (!found.ok()) return found.status();
    if (!found->has_value() || (*found)->hall_id() != req.hall_id()) {
      return absl::NotFoundError(absl::StrCat("ticket ", req.ticket_id(), " not found in hall ", req.hall_id()));
    }
    v1::Ticket ticket = **found;
    if (!ticket.visit_id().empty()) {
      return PreconditionFailed("CT-1", TicketSubject(ticket.ticket_id()),
                                absl::StrCat("the ticket already has visit ", ticket.visit_id()));
    }
    // A queued customer is served only once called: CallTicket is where the
    // wait clock stops (CT-4), the apology after a long wait is checked (CT-6),
    // the counter must be in service, and priority holds (CT-9).
    if (ticket.state() == v1::TICKET_STATE_WAITING) {
      return PreconditionFailed("state", TicketSubject(ticket.ticket_id()),
                                "ticket is WAITING: call the ticket first (CallTicket)");
    }
    if (ticket.state() != v1::TICKET_STATE_CALLED) {
      return PreconditionFailed("state", TicketSubject(ticket.ticket_id()),
                                absl::StrCat("ticket is ", v1::TicketState_Name(ticket.state()), ", not CALLED"));
    }
    if (started_at < FromProto(ticket.called_at())) {
      return InvalidField("started_at", "is before the ticket was called");
    }
    // CT-1: the staff member who called the customer owns the visit, while still serving.
    auto sessions = store.OpenSessionsOfHall(ticket.hall_id());
    if (!sessions.ok()) return sessions.status();
    const bool caller_still_serving =
        std::any_of(sessions->begin(), sessions->end(), [&](const v1::CounterSession& session) {
          return session.staff().staff_id() == ticket.called_by().staff_id();
        });
    if (auto s = domain::CheckOwnerCalledTicket(ticket, req.owner().staff_id(), caller_still_serving); !s.ok()) {
      return s;
    }
    // CT-7: a failure that turned long while nothing evaluated it (no pass
    // yet, a restart) gives the still-queued ticket its conversion clock now,
    // from the ticket's own start, so the hand-over below keeps it: starting
    // the visit must not restart the customer's 15 minutes.
    for (v1::SystemFailure& failure : *failures) {
      if (auto s = EvaluateFailureForTicket(store, txn, failure, ticket, clock_.Now()); !s.ok()) return s;
    }
    ticket.set_state(v1::TICKET_STATE_SERVING);
    ticket.set_visit_id(visit.visit_id());
    if (auto s = store.SaveTicket(ticket, domain::TicketWaitDue(FromProto(ticket.issued_at()), ct_)); !s.ok()) return s;
    visit.set_ticket_id(ticket.ticket_id());
    if (visit.business_type().empty()) visit.set_business_type(ticket.business_type());
    if (visit.accessibility_needs_size() == 0) *visit.mutable_accessibility_needs() = ticket.accessibility_needs();
  }

  // CT-7: a visit starting while the hall's systems are down waits in the failure.
  if (auto s = store.SaveVisit(visit); !s.ok()) return s;
  for (v1::SystemFailure& failure : *failures) {
    visit.set_system_failure_id(failure.failure_id());
    failure.add_affected_visit_ids(visit.visit_id());
    if (auto s = store.SaveVisit(visit); !s.ok()) return s;
    if (auto s = store.SaveFailure(failure); !s.ok()) return s;
    // CT-7: the customer's wait in the failure began in the queue; the ticket's
    // clock moves to the visit before the failure is evaluated for it.
    if (auto s = HandOverConversionClock(txn, visit, started_at); !s.ok()) return s;
    if (auto s = EvaluateFailureForVisit(store, txn, failure, visit, clock_.Now()); !s.ok()) return s;
  }
  v1::StartVisitResponse resp;
  if (auto s = Decorate(txn, visit); !s.ok()) return s;
  *resp.mutable_visit() = std::move(visit);
  return resp;
}

absl::Status CounterWorkflow::CheckVisitMayEnd(CounterStore& store, Transaction& txn, const v1::Visit& visit,
                                               absl::string_view by_staff_id, absl::Time ends_at) {
  if (auto s = domain::CheckOwnerEnds(visit, by_staff_id); !s.ok()) return s;  // CT-1 gate
  // CT-7 gate: a visit waiting in a long failure is converted to an appointment.
  if (visit.system_failure_id().empty()) return absl::OkStatus();
  auto failure = store.FindFailure(visit.system_failure_id());
  if (!failure.ok()) return failure.status();
  if (!failure->has_value() || (*failure)->state() != v1::SYSTEM_FAILURE_STATE_OPEN) return absl::OkStatus();
  const std::string subject = VisitSubject(visit.visit_id());
  // Judged at the visit's end as reported, not at the server's time: a visit
  // that ended while the failure was still short needed no appointment, even
  // when the call comes in after the failure turned long. A conversion clock
  // a pass started since is withdrawn, neither met nor breached; one the sweep
  // already expired keeps its breach (reported too late to be undone here).
  const absl::Time failure_started = FromProto((*failure)->started_at());
  if (!domain::FailureIsLong(failure_started, ends_at, ct_)) {
    const absl::Time clock_start = domain::ConversionClockStart(domain::FailureBecomesLongAt(failure_started, ct_),
                                                                FromProto(visit.started_at()));
    return sla_.Withdraw(txn, kSlaFailureConversion, subject, std::max(ends_at, clock_start));
  }
  // An end reported a little ahead of the server's clock (within the event
  // skew) may fall after the failure turned long while the server's time does
  // not yet: evaluated at the later of the two, the gate sees it.
  if (auto s = EvaluateFailure(store, txn, **failure, std::max(clock_.Now(), ends_at)); !s.ok()) return s;
  auto clock = sla_.Get(txn, kSlaFailureConversion, subject);
  if (!clock.ok()) return clock.status();
  if (clock->has_value() && !(*clock)->closed_at.has_value()) {
    return PreconditionFailed("CT-7", subject,
                              "the visit waits in a long system failure: convert it to an appointment "
                              "(ConvertVisitToAppointment) with the customer's contact details");
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::AddVisitAssistResponse> CounterWorkflow::AddVisitAssist(Transaction& txn,
                                                                           const v1::AddVisitAssistRequest& req) {
  Validator v;
  v.Check(!req.visit_id().empty(), "visit_id", "is required");
  v.Check(!req.assistant().staff_id().empty(), "assistant.staff_id", "is required");
  const absl::Time at = EventTime(v, "assisted_at", req.assisted_at(), req.has_assisted_at());
  if (!v.empty()) return v.status();
  CounterStore store(txn);
  auto found = store.FindVisit(req.visit_id());
  if (!found.ok()) return found.status();
  if (!found->has_value()) return VisitNotFound(req.visit_id());
  v1::Visit visit = **found;
  if (visit.state() != v1::VISIT_STATE_IN_PROGRESS) return VisitEnded(visit);
  // CT-1: a hand-off is an assist; the owner cannot "assist" their own visit.
  if (req.assistant().staff_id() == visit.owner().staff_id()) {
    return InvalidField("assistant.staff_id", "is the visit's owner; an assist is another staff member");
  }
  if (at < FromProto(visit.started_at())) return InvalidField("assisted_at", "is before the visit started");
  v1::VisitAssist* assist = visit.add_assists();
  *assist->mutable_assistant() = req.assistant();
  assist->set_reason(req.reason());
  *assist->mutable_assisted_at() = ToProto(at);
  if (auto s = store.SaveVisit(visit); !s.ok()) return s;
  v1::AddVisitAssistResponse resp;
  if (auto s = Decorate(txn, visit); !s.ok()) return s;
  *resp.mutable_visit() = std::move(visit);
  return resp;
}

absl::StatusOr<v1::EndVisitResponse> CounterWorkflow::EndVisit(Transaction& txn, const v1::EndVisitRequest& req) {
  Validator v;
  v.Check(!req.visit_id().empty(), "visit_id", "is required");
  v.Check(!req.ended_by_staff_id().empty(), "ended_by_staff_id", "is required (CT-1: the visit's owner)");
  v.Check(domain::IsEndVisitOutcome(req.outcome()), "outcome",
          "must be COMPLETED, REDIRECTED_UNFINISHED, DECLINED_AGAINST_POLICY or CUSTOMER_LEFT "
          "(appointments and home service have their own calls)");
  if (req.outcome() == v1::VISIT_OUTCOME_REDIRECTED_UNFINISHED) {
    v.Check(!req.redirected_to().empty(), "redirected_to", "is required when the customer was redirected");
  }
  const absl::Time ended_at = EventTime(v, "ended_at", req.ended_at(), req.has_ended_at());
  if (!v.empty()) return v.status();
  CounterStore store(txn);
  auto found = store.FindVisit(req.visit_id());
  if (!found.ok()) return found.status();
  if (!found->has_value()) return VisitNotFound(req.visit_id());
  v1::Visit visit = **found;
  if (visit.state() != v1::VISIT_STATE_IN_PROGRESS) return VisitEnded(visit);
  if (ended_at < FromProto(visit.started_at())) return InvalidField("ended_at", "is before the visit started");
  // What was recorded during the visit happened before its end.
  for (const v1::VisitAssist& assist : visit.assists()) {
    if (ended_at < FromProto(assist.assisted_at())) return InvalidField("ended_at", "is before a recorded assist");
  }
  for (const v1::Escalation& escalation : visit.escalations()) {
    if (ended_at < FromProto(escalation.escalated_at())) {
      return InvalidField("ended_at", "is before a recorded escalation");
    }
  }
  if (auto s = CheckVisitMayEnd(store, txn, visit, req.ended_by_staff_id(), ended_at); !s.ok()) return s;  // CT-1, CT-7

  visit.set_state(v1::VISIT_STATE_ENDED);
  visit.set_outcome(req.outcome());
  visit.set_redirected_to(req.redirected_to());
  *visit.mutable_ended_at() = ToProto(ended_at);
  if (auto s = store.SaveVisit(visit); !s.ok()) return s;
  if (auto s = FinishTicketOf(store, visit); !s.ok()) return s;
  // CT-1 check: the customer was sent elsewhere with the business unfinished.
  if (domain::IsFirstContactBreach(req.outcome())) {
    auto breach = RecordBreach(txn, "CT-1", absl::StrCat("counter/CT-1/", VisitSubject(visit.visit_id())),
                               VisitSubject(visit.visit_id()), visit.owner(),
                               "customer redirected elsewhere with the business unfinished", ended_at,
                               v1::MECHANISM_CHECK);
    if (!breach.ok()) return breach.status();
  }
  v1::EndVisitResponse resp;
  if (auto s = Decorate(txn, visit); !s.ok()) return s;
  *resp.mutable_visit() = std::move(visit);
  return resp;
}

absl::StatusOr<v1::SubmitApplicationFormResponse> CounterWorkflow::SubmitApplicationForm(
    Transaction& txn, const v1::SubmitApplicationFormRequest& req) {
  Validator v;
  v.Check(!req.visit_id().empty(), "visit_id", "is required");
  const domain::BusinessType* type = domain::FindBusinessType(req.business_type());
  if (v.Check(type != nullptr, "business_type", "is not a business of the hall's catalogue")) {
    v.Check(type->has_form, "business_type", "has no application form");
  }
  if (req.filled_by_staff()) {
    v.Check(!req.filled_by().staff_id().empty(), "filled_by.staff_id", "is required when filled_by_staff (CT-9)");
  }
  const absl::Time submitted_at =
      EventTime(v, "submitted_at", req.submitted_at(), req.has_submitted_at(), /*required=*/false);
  if (!v.empty()) return v.status();

  CounterStore store(txn);
  auto found = store.FindVisit(req.visit_id());
  if (!found.ok()) return found.status();
  if (!found->has_value()) return VisitNotFound(req.visit_id());
  v1::Visit visit = **found;
  if (visit.state() != v1::VISIT_STATE_IN_PROGRESS) return VisitEnded(visit);

  v1::ApplicationForm form;
  if (req.form_id().empty()) {
    form.set_form_id(NewId("FM"));
    form.set_visit_id(visit.visit_id());
    form.set_business_type(req.business_type());
    visit.add_form_ids(form.form_id());
  } else {
    auto existing = store.FindForm(req.form_id());
    if (!existing.ok()) return existing.status();
    if (!existing->has_value() || (*existing)->visit_id() != visit.visit_id()) {
      return absl::NotFoundError(absl::StrCat("form ", req.form_id(), " not found on visit ", visit.visit_id()));
    }
    form = **existing;
    if (form.status() == v1::FORM_STATUS_ACCEPTED) {
      return PreconditionFailed("CT-3", absl::StrCat("form/", form.form_id()), "the form was already accepted");
    }
    if (form.business_type() != req.business_type()) {
      return InvalidField("business_type", absl::StrCat("differs from the form's business (", form.business_type(), ")"));
    }
    form.set_refill_count(form.refill_count() + 1);  // CT-3: re-fills are counted
  }
  // CT-3: field-by-field validation, each error with guidance for the re-fill.
  const std::map<std::string, std::string> fields(req.fields().begin(), req.fields().end());
  const auto errors = domain::ValidateForm(*type, fields);
  form.clear_field_errors();
  for (const auto& e : errors) *form.add_field_errors() = e;
  form.set_status(errors.empty() ? v1::FORM_STATUS_ACCEPTED : v1::FORM_STATUS_NEEDS_REFILL);
  *form.mutable_fields() = req.fields();
  form.set_filled_by_staff(req.filled_by_staff());  // CT-9: assisted form
  if (req.filled_by_staff()) {
    *form.mutable_filled_by() = req.filled_by();
  } else {
    form.clear_filled_by();
  }
  form.set_sample_shown(req.sample_shown());
  *form.mutable_submitted_at() = ToProto(submitted_at);
  if (auto s = store.SaveForm(form); !s.ok()) return s;
  if (auto s = store.SaveVisit(visit); !s.ok()) return s;
  if (metrics_ != nullptr) {
    txn.AfterCommit([m = metrics_, st = form.status(), staff = req.filled_by_staff()] { m->CountForm(st, staff); });
  }
  v1::SubmitApplicationFormResponse resp;
  *resp.mutable_form() = std::move(form);
  return resp;
}

absl::StatusOr<v1::RecordEscalationResponse> CounterWorkflow::RecordEscalation(
    Transaction& txn, const v1::RecordEscalationRequest& req) {
  Validator v;
  v.Check(!req.visit_id().empty(), "visit_id", "is required");
  v.Check(req.reason() != v1::ESCALATION_REASON_UNSPECIFIED && v1::EscalationReason_IsValid(req.reason()), "reason",
          "must be POLICY_REQUEST, AGITATED_CUSTOMER or OTHER");
  if (req.reason() == v1::ESCALATION_REASON_AGITATED_CUSTOMER) {
    v.Check(!req.to_staff().staff_id().empty(), "to_staff.staff_id",
            "is required: an agitated customer goes to a dedicated staff member (CT-8)");
  }
  const absl::Time at = EventTime(v, "escalated_at", req.escalated_at(), req.has_escalated_at());
  if (!v.empty()) return v.status();
  CounterStore store(txn);
  auto found = store.FindVisit(req.visit_id());
  if (!found.ok()) return found.status();
  if (!found->has_value()) return VisitNotFound(req.visit_id());
  v1::Visit visit = **found;
  if (visit.state() != v1::VISIT_STATE_IN_PROGRESS) return VisitEnded(visit);
  // CT-8: the customer goes to another, dedicated staff member.
  const v1::StaffRef sender = req.from_staff().staff_id().empty() ? visit.owner() : req.from_staff();
  if (!req.to_staff().staff_id().empty() && req.to_staff().staff_id() == sender.staff_id()) {
    return InvalidField("to_staff.staff_id",
                        "is the escalating staff member; escalate to another, dedicated one (CT-8)");
  }
  if (at < FromProto(visit.started_at())) return InvalidField("escalated_at", "is before the visit started");

  v1::Escalation* e = visit.add_escalations();
  e->set_escalation_id(NewId("ES"));
  e->set_reason(req.reason());
  *e->mutable_from_staff() = req.from_staff();
  *e->mutable_to_staff() = req.to_staff();
  e->set_policy_explained(req.policy_explained());
  e->set_argued_with_customer(req.argued_with_customer());
  e->set_note(req.note());
  *e->mutable_escalated_at() = ToProto(at);
  const std::string escalation_id = e->escalation_id();
  // CT-8 is enforced by review (norms.md, catalogue): the escalation record
  // carries what staff or a supervisor reported about the conversation.
  if (auto detail = domain::EscalationBreach(*e)) {
    auto breach = RecordBreach(txn, "CT-8", absl::StrCat("counter/CT-8/escalation/", escalation_id),
                               VisitSubject(visit.visit_id()), sender, *detail, at, v1::MECHANISM_REVIEW);
    if (!breach.ok()) return breach.status();
  }
  if (auto s = store.SaveVisit(visit); !s.ok()) return s;
  if (metrics_ != nullptr) txn.AfterCommit([m = metrics_, r = req.reason()] { m->CountEscalation(r); });
  v1::RecordEscalationResponse resp;
  resp.set_escalation_id(escalation_id);
  if (auto s = Decorate(txn, visit); !s.ok()) return s;
  *resp.mutable_visit() = std::move(visit);
  return resp;
}

absl::StatusOr<v1::RecordCounterReviewResponse> CounterWorkflow::RecordCounterReview(
    Transaction& txn, const v1::RecordCounterReviewRequest& req) {
  Validator v;
  v.Check(!req.visit_id().empty(), "visit_id", "is required");
  v.Check(req.source() != v1::REVIEW_SOURCE_UNSPECIFIED && v1::ReviewSource_IsValid(req.source()), "source",
          "must be SUPERVISOR, CUSTOMER_EVALUATION or MYSTERY_SHOPPER");
  v.Check(req.review().items_size() > 0, "review.items", "at least one reviewed item is needed");
  for (int i = 0; i < req.review().items_size(); ++i) {
    const auto& item = req.review().items(i);
    v.Check(domain::IsCounterClause(item.clause()), absl::StrCat("review.items[", i, "].clause"),
            "must be a counter clause (CT-1 .. CT-10)");
    v.Check(item.result() != v1::REVIEW_RESULT_UNSPECIFIED && v1::ReviewResult_IsValid(item.result()),
            absl::StrCat("review.items[", i, "].result"), "must be PASS, FAIL or NOT_APPLICABLE");
  }
  if (req.has_feedback()) {
    CheckFeedback(v, "feedback", req.feedback(), clock_.Now(), ToAbsl(config_.platform().max_event_skew()));
  }
  const absl::Time at =
      EventTime(v, "review.reviewed_at", req.review().reviewed_at(), req.review().has_reviewed_at());
  if (!v.empty()) return v.status();
  CounterStore store(txn);
  auto found = store.FindVisit(req.visit_id());
  if (!found.ok()) return found.status();
  if (!found->has_value()) return VisitNotFound(req.visit_id());
  v1::Visit visit = **found;
  // A review (and the customer's evaluation) judges a visit that had begun.
  const absl::Time visit_started = FromProto(visit.started_at());
  if (at < visit_started) return InvalidField("review.reviewed_at", "is before the visit started");
  if (req.has_feedback() && req.feedback().has_collected_at() &&
      FromProto(req.feedback().collected_at()) < visit_started) {
    return InvalidField("feedback.collected_at", "is before the visit started");
  }

  const std::string review_id = NewId("RV");
  v1::RecordCounterReviewResponse resp;
  for (const auto& finding : domain::ReviewFailures(req.review())) {
    auto breach = RecordBreach(
        txn, finding.clause,
        absl::StrCat("counter/", finding.clause, "/", VisitSubject(visit.visit_id()), "/", review_id, "/",
                     finding.item_index),
        VisitSubject(visit.visit_id()), visit.owner(),
        absl::StrCat("review (", v1::ReviewSource_Name(req.source()), ") failed item ", finding.item), at,
        v1::MECHANISM_REVIEW);
    if (!breach.ok()) return breach.status();
    *resp.add_breaches() = *breach;
  }
  // Reviews stored before origins were kept have none: pad (as Decorate does
  // on every read), so that origin i stays the origin of review i.
  while (visit.review_origins_size() < visit.reviews_size()) visit.add_review_origins();
  *visit.add_reviews() = req.review();
  v1::ReviewOrigin* origin = visit.add_review_origins();
  origin->set_source(req.source());
  if (req.has_feedback()) *origin->mutable_feedback() = req.feedback();
  if (auto s = store.SaveVisit(visit); !s.ok()) return s;
  if (metrics_ != nullptr) txn.AfterCommit([m = metrics_, src = req.source()] { m->CountReview(src); });
  if (auto s = Decorate(txn, visit); !s.ok()) return s;
  *resp.mutable_visit() = std::move(visit);
  return resp;
}

}  // namespace gridserve::counter
