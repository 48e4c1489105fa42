// Calls (CC-1, CC-4, CC-8 checks; CC-6 / CC-7 reviews, RK-1 reports).
#include "absl/strings/str_cat.h"
#include "services/common/config.h"
#include "services/common/idempotency.h"
#include "services/common/outbox.h"
#include "services/common/rpc_util.h"
#include "services/contact_center/domain/call_rules.h"
#include "services/contact_center/domain/review_rules.h"
#include "services/contact_center/grpc/contact_center_service.h"
#include "services/contact_center/grpc/read_model.h"
#include "services/contact_center/storage/contact_center_store.h"

namespace gridserve::contact_center {
namespace {

constexpr char kAnswerSla[] = "answer_within_rings";

// The instantaneous CC-1 answer SLA of a call, as kept on the call record.
v1::SlaState AnswerSlaState(const v1::Call& call, AnswerSla judged, const v1::ContactCenterConfig& config) {
  v1::SlaState state;
  state.set_sla(kAnswerSla);
  state.set_clause("CC-1");
  *state.mutable_started_at() = call.alerting_started_at();
  *state.mutable_due_at() = ToProto(AnswerDue(call, config));
  if (call.has_answered_at()) {
    *state.mutable_closed_at() = call.answered_at();
  } else if (call.has_ended_at()) {
    *state.mutable_closed_at() = call.ended_at();
  }
  switch (judged) {
    case AnswerSla::kMet:
      state.set_state(v1::SLA_STATUS_MET);
      break;
    case AnswerSla::kBreached:
      state.set_state(v1::SLA_STATUS_BREACHED);
      *state.mutable_breached_at() = ToProto(AnswerSlaBreachedAt(call, config));
      break;
    case AnswerSla::kNotCounted:  // an abandon under short_abandon_threshold (> 0): neither met nor breached
      state.set_state(v1::SLA_STATUS_CANCELLED);
      break;
  }
  return state;
}

}  // namespace

grpc::ServerUnaryReactor* ContactCenterService::RecordCall(grpc::CallbackServerContext* ctx,
                                                           const v1::RecordCallRequest* request,
                                                           v1::RecordCallResponse* response) {
  return Reply(ctx, response, DoRecordCall(*request));
}

absl::StatusOr<v1::RecordCallResponse> ContactCenterService::DoRecordCall(const v1::RecordCallRequest& request) {
  const v1::ContactCenterConfig& config = context_.config.contact_center();
  Validator v;
  const bool answered = request.outcome() == v1::CALL_OUTCOME_ANSWERED;
  v.Check(answered || request.outcome() == v1::CALL_OUTCOME_ABANDONED, "outcome", "must be ANSWERED or ABANDONED");
  CheckDepartment(v, "department", request.department(), /*required=*/true);
  // Stored as given and filtered on later: a value outside the enum is a client's bug.
  v.Check(v1::CallPurpose_IsValid(request.purpose()), "purpose", "is not a known call purpose");
  v.Check(v1::CallDisposition_IsValid(request.disposition()), "disposition", "is not a known call disposition");
  // caller_phone is the switch's caller id in whatever form it presents it
  // (E.164, "withheld", a trunk's own prefix): stored as given, never a reason
  // to refuse the call record, which the answer SLA (CC-1) counts.
  const absl::Time alerting_started =
      EventTime(v, "alerting_started_at", request.alerting_started_at(), request.has_alerting_started_at());
  // CC-1: exactly one ring measure.
  int rings = 0;
  switch (request.ring_measure_case()) {
    case v1::RecordCallRequest::kRings:
      v.Check(request.rings() >= 0, "rings", "must not be negative");
      rings = request.rings();
      break;
    case v1::RecordCallRequest::kAlertingDuration: {
      const auto& d = request.alerting_duration();
      if (v.Check(d.seconds() >= 0 && d.nanos() >= 0 && d.nanos() < 1000000000, "alerting_duration",
                  "must be a valid, non-negative duration")) {
        rings = RingsFromAlerting(FromProto(d), ToAbsl(config.ring_cycle()));
      }
      break;
    }
    default:
      v.Add("rings", "exactly one of rings or alerting_duration is required (CC-1)");
  }
  absl::Time answered_at = alerting_started;
  if (answered) {
    answered_at = EventTime(v, "answered_at", request.answered_at(), request.has_answered_at());
    if (request.has_answered_at() && request.has_alerting_started_at()) {
      v.Check(answered_at >= alerting_started, "answered_at", "must not be before alerting_started_at");
    }
    v.Check(!request.agent().staff_id().empty(), "agent.staff_id", "is required on an answered call");
    // CC-8 is judged on who hung up: an answered call must say.
    v.Check(request.hang_up_party() != v1::HANG_UP_PARTY_UNSPECIFIED &&
                v1::HangUpParty_IsValid(request.hang_up_party()),
            "hang_up_party", "must be CUSTOMER, AGENT or SYSTEM on an answered call (CC-8)");
  } else {
    if (request.outcome() == v1::CALL_OUTCOME_ABANDONED) {
      v.Check(!request.has_answered_at(), "answered_at", "must be unset on an abandoned call");
    }
    v.Check(v1::HangUpParty_IsValid(request.hang_up_party()), "hang_up_party", "is not a known hang-up party");
  }
  if (request.has_ended_at()) {
    const absl::Time ended = EventTime(v, "ended_at", request.ended_at(), true);
    v.Check(ended >= answered_at, "ended_at",
            answered ? "must not be before answered_at" : "must not be before alerting_started_at");
  }
  // Checked on an abandoned call too, though only an answered one is looked
  // up: the field has one contract, whatever the outcome.
  if (request.has_caller_location()) CheckOutageLookupLocation(v, "caller_location", request.caller_location());
  if (!v.empty()) return v.status();

  v1::Call draft;
  draft.set_external_call_id(request.external_call_id());
  *draft.mutable_agent() = request.agent();
  draft.set_department(request.department());
  draft.set_purpose(request.purpose());
  draft.set_caller_phone(request.caller_phone());
  *draft.mutable_alerting_started_at() = request.alerting_started_at();
  if (answered) *draft.mutable_answered_at() = request.answered_at();
  if (request.has_ended_at()) *draft.mutable_ended_at() = request.ended_at();
  draft.set_outcome(request.outcome());
  draft.set_rings(rings);
  if (request.has_alerting_duration()) *draft.mutable_alerting_duration() = request.alerting_duration();
  draft.set_greeted(request.greeted());
  draft.set_unit_named(request.unit_named());
  draft.set_apologised(request.apologised());
  draft.set_disposition(request.disposition() == v1::CALL_DISPOSITION_UNSPECIFIED ? v1::CALL_DISPOSITION_NORMAL
                                                                                  : request.disposition());
  draft.set_hang_up_party(request.hang_up_party());
  if (request.has_caller_location()) *draft.mutable_caller_location() = request.caller_location();
  draft.set_apologised_for_outage(request.apologised_for_outage());
  draft.set_etr_told(request.etr_told());
  if (request.has_etr_given()) *draft.mutable_etr_given() = request.etr_given();

  // CC-4: ask repair before the transaction (no network call inside one).
  // Only a conversation can carry the apology and the ETR.
  if (answered && request.has_caller_location()) {
    const OutageAnswer answer = outages_->Lookup(request.caller_location(), alerting_started);
    draft.set_outage_lookup_status(answer.status);
    if (answer.status == v1::OUTAGE_LOOKUP_STATUS_COVERED) *draft.mutable_outage() = answer.outage;
  }

  return RunOnce<v1::RecordCallResponse>(
      context_.db, context_.clock, "gridserve.v1.ContactCenter/RecordCall", request.request_id(), request,
      [&](Transaction& txn) -> absl::StatusOr<v1::RecordCallResponse> {
        v1::Call call = draft;  // the body may be re-run if the transaction is retried
        call.set_call_id(NewId("CALL"));
        *call.mutable_recorded_at() = ToProto(context_.clock.Now());
        const AnswerSla judged = JudgeAnswerSla(call, config);
        *call.add_slas() = AnswerSlaState(call, judged, config);
        if (auto s = InsertCall(txn, call); !s.ok()) return s;
        const absl::Time occurred = answered ? answered_at : alerting_started;
        if (auto s = RecordFindings(txn, CheckCall(call, config), CallSubject(call.call_id()), call.department(),
                                    call.agent().staff_id(), occurred);
            !s.ok()) {
          return s;
        }
        txn.AfterCommit([this, department = call.department(), outcome = call.outcome(), rings, judged] {
          metrics_.ObserveCall(department, outcome, rings);
          // The answer SLA is judged at once: counted directly, no clock.
          if (judged != AnswerSla::kNotCounted) context_.metrics.CountSla(kAnswerSla, judged == AnswerSla::kMet);
        });
        if (auto s = CompleteCall(txn, context_, call); !s.ok()) return s;
        v1::RecordCallResponse response;
        *response.mutable_call() = call;
        return response;
      });
}

grpc::ServerUnaryReactor* ContactCenterService::GetCall(grpc::CallbackServerContext* ctx,
                                                        const v1::GetCallRequest* request,
                                                        v1::GetCallResponse* response) {
  return Reply(ctx, response, DoGetCall(*request));
}

absl::StatusOr<v1::GetCallResponse> ContactCenterService::DoGetCall(const v1::GetCallRequest& request) {
  if (request.call_id().empty()) return InvalidField("call_id", "is required");
  v1::GetCallResponse response;
  absl::Status status = context_.db.InReadTransaction([&](Transaction& txn) -> absl::Status {
    auto call = FindCall(txn, request.call_id());
    if (!call.ok()) return call.status();
    if (!call->has_value()) return absl::NotFoundError(absl::StrCat("call ", request.call_id(), " not found"));
    if (auto s = CompleteCall(txn, context_, **call); !s.ok()) return s;
    *response.mutable_call() = **call;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return response;
}

grpc::ServerUnaryReactor* ContactCenterService::ListCalls(grpc::CallbackServerContext* ctx,
                                                          const v1::ListCallsRequest* request,
                                                          v1::ListCallsResponse* response) {
  return Reply(ctx, response, DoListCalls(*request));
}

absl::StatusOr<v1::ListCallsResponse> ContactCenterService::DoListCalls(const v1::ListCallsRequest& request) {
  Validator v;
  const int limit = CheckPageSize(v, request.page_size());
  const int64_t offset = DecodePageToken(v, request.page_token());
  CheckTimeRange(v, request.time_range());
  v.Check(v1::CallOutcome_IsValid(request.outcome()), "outcome", "is not a known call outcome");
  v.Check(v1::CallDisposition_IsValid(request.disposition()), "disposition", "is not a known call disposition");
  if (!v.empty()) return v.status();
  v1::ListCallsResponse response;
  absl::Status status = context_.db.InReadTransaction([&](Transaction& txn) -> absl::Status {
    auto page = contact_center::ListCalls(txn, request, offset, limit);
    if (!page.ok()) return page.status();
    for (v1::Call& call : page->items) {
      if (auto s = CompleteCall(txn, context_, call); !s.ok()) return s;
      *response.add_calls() = std::move(call);
    }
    if (page->more) response.set_next_page_token(EncodePageToken(offset + limit));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return response;
}

grpc::ServerUnaryReactor* ContactCenterService::RecordCallReview(grpc::CallbackServerContext* ctx,
                                                                 const v1::RecordCallReviewRequest* request,
                                                                 v1::RecordCallReviewResponse* response) {
  return Reply(ctx, response, DoRecordCallReview(*request));
}

absl::StatusOr<v1::RecordCallReviewResponse> ContactCenterService::DoRecordCallReview(
    const v1::RecordCallReviewRequest& request) {
  Validator v;
  v.Check(!request.call_id().empty(), "call_id", "is required");
  CheckReview(v, request.review());
  const absl::Time reviewed_at =
      EventTime(v, "review.reviewed_at", request.review().reviewed_at(), request.review().has_reviewed_at());
  if (!v.empty()) return v.status();

  return RunOnce<v1::RecordCallReviewResponse>(
      context_.db, context_.clock, "gridserve.v1.ContactCenter/RecordCallReview", request.request_id(), request,
      [&](Transaction& txn) -> absl::StatusOr<v1::RecordCallReviewResponse> {
        auto found = FindCall(txn, request.call_id());
        if (!found.ok()) return found.status();
        if (!found->has_value()) return absl::NotFoundError(absl::StrCat("call ", request.call_id(), " not found"));
        v1::Call& call = **found;
        // A review judges a call that had taken place: its findings are
        // dated at the review, never before the call began ringing.
        if (call.has_alerting_started_at() && reviewed_at < FromProto(call.alerting_started_at())) {
          return InvalidField("review.reviewed_at", "is before the call began (alerting_started_at)");
        }
        const int number = call.reviews_size() + 1;
        *call.add_reviews() = request.review();
        if (auto s = UpdateCall(txn, call); !s.ok()) return s;

        v1::RecordCallReviewResponse response;
        std::vector<v1::Breach> recorded;
        const std::string subject = CallSubject(call.call_id());
        if (auto s = RecordFindings(txn, ReviewFindings(request.review(), request.abusive_language(), number), subject,
                                    call.department(), call.agent().staff_id(), reviewed_at, &recorded);
            !s.ok()) {
          return s;
        }
        if (request.abusive_language()) {
          // RK-1: abusive language is also a red line, reported to risk.
          v1::ReportRedLineRequest report = AbusiveLanguageReport(call, request.review());
          for (const v1::Breach& b : recorded) {
            if (b.rule() != "CC-6") continue;
            auto* ref = report.add_related_breaches();
            ref->set_breach_id(b.breach_id());
            ref->set_service("contact-center");
            ref->set_rule(b.rule());
          }
          if (auto s = EnqueueOutbox(txn, context_.clock.Now(),
                                     absl::StrCat("contact-center/redline/", subject, "/review/", number),
                                     kTopicRiskRedLine, report.SerializeAsString());
              !s.ok()) {
            return s;
          }
          response.set_red_line_reported(true);
        }
        if (auto s = CompleteCall(txn, context_, call); !s.ok()) return s;
        *response.mutable_call() = call;
        for (auto& b : recorded) *response.add_breaches() = std::move(b);
        return response;
      });
}

}  // namespace gridserve::contact_center
