// Consultations and callbacks (CC-2).
#include "absl/strings/str_cat.h"
#include "services/common/idempotency.h"
#include "services/common/rpc_util.h"
#include "services/contact_center/domain/consultation_rules.h"
#include "services/common/phone_number.h"
#include "services/contact_center/grpc/contact_center_service.h"
#include "services/contact_center/grpc/read_model.h"
#include "services/contact_center/storage/contact_center_store.h"

namespace gridserve::contact_center {

grpc::ServerUnaryReactor* ContactCenterService::OpenConsultation(grpc::CallbackServerContext* ctx,
                                                                 const v1::OpenConsultationRequest* request,
                                                                 v1::OpenConsultationResponse* response) {
  return Reply(ctx, response, DoOpenConsultation(*request));
}

absl::StatusOr<v1::OpenConsultationResponse> ContactCenterService::DoOpenConsultation(
    const v1::OpenConsultationRequest& request) {
  Validator v;
  v.Check(!request.question().empty(), "question", "is required");
  CheckConsultationHandling(v, request);  // CC-2 gate for a deferred answer
  CheckPhoneField(v, "customer.phone", request.customer().phone(), /*required=*/false);
  CheckDepartment(v, "department", request.department(), /*required=*/false);
  CheckDepartment(v, "escalated_to_department", request.escalated_to_department(), /*required=*/false);
  const absl::Time opened_at = EventTime(v, "opened_at", request.opened_at(), request.has_opened_at());
  if (!v.empty()) return v.status();

  return RunOnce<v1::OpenConsultationResponse>(
      context_.db, context_.clock, "gridserve.v1.ContactCenter/OpenConsultation", request.request_id(), request,
      [&](Transaction& txn) -> absl::StatusOr<v1::OpenConsultationResponse> {
        // The SLA clock starts at opened_at: on a linked call it must lie within the call.
        if (auto s = CheckLinkedCall(txn, request.call_id(), "opened_at", opened_at); !s.ok()) return s;
        const bool deferred = request.handling() == v1::CONSULTATION_HANDLING_DEFERRED;
        v1::Consultation c;
        c.set_consultation_id(NewId("CONS"));
        c.set_call_id(request.call_id());
        *c.mutable_customer() = request.customer();
        *c.mutable_agent() = request.agent();
        c.set_department(request.department().empty() ? request.agent().department() : request.department());
        c.set_question(request.question());
        c.set_handling(request.handling());
        c.set_state(deferred ? v1::CONSULTATION_STATE_AWAITING_CALLBACK : v1::CONSULTATION_STATE_ANSWERED);
        c.set_answer(request.answer());
        c.set_apologised(request.apologised());
        c.set_callback_number(request.callback_number());
        c.set_escalated_to_department(request.escalated_to_department());
        *c.mutable_opened_at() = request.opened_at();
        std::optional<absl::Time> due;
        if (deferred) due = CallbackDue(opened_at, context_.config.contact_center());
        if (auto s = InsertConsultation(txn, c, due); !s.ok()) return s;
        if (deferred) {
          // CC-2 timer: reply on the callback number within callback_due.
          if (auto s = context_.sla.Start(txn, SlaTimer{kCallbackSla, ConsultationSubject(c.consultation_id()),
                                                        c.department(), c.agent().staff_id(), opened_at, *due});
              !s.ok()) {
            return s;
          }
        }
        if (auto s = CompleteConsultation(txn, context_, c); !s.ok()) return s;
        v1::OpenConsultationResponse response;
        *response.mutable_consultation() = std::move(c);
        return response;
      });
}

grpc::ServerUnaryReactor* ContactCenterService::ReplyConsultation(grpc::CallbackServerContext* ctx,
                                                                  const v1::ReplyConsultationRequest* request,
                                                                  v1::ReplyConsultationResponse* response) {
  return Reply(ctx, response, DoReplyConsultation(*request));
}

absl::StatusOr<v1::ReplyConsultationResponse> ContactCenterService::DoReplyConsultation(
    const v1::ReplyConsultationRequest& request) {
  Validator v;
  v.Check(!request.consultation_id().empty(), "consultation_id", "is required");
  v.Check(!request.answer().empty(), "answer", "is required");
  const absl::Time replied_at = EventTime(v, "replied_at", request.replied_at(), request.has_replied_at());
  if (!v.empty()) return v.status();

  return RunOnce<v1::ReplyConsultationResponse>(
      context_.db, context_.clock, "gridserve.v1.ContactCenter/ReplyConsultation", request.request_id(), request,
      [&](Transaction& txn) -> absl::StatusOr<v1::ReplyConsultationResponse> {
        auto found = FindConsultation(txn, request.consultation_id());
        if (!found.ok()) return found.status();
        if (!found->has_value()) {
          return absl::NotFoundError(absl::StrCat("consultation ", request.consultation_id(), " not found"));
        }
        v1::Consultation& c = **found;
        if (auto s = CheckCanReply(c); !s.ok()) return s;
        if (replied_at < FromProto(c.opened_at())) return InvalidField("replied_at", "must not be before opened_at");
        c.set_state(v1::CONSULTATION_STATE_REPLIED);
        c.set_answer(request.answer());
        *c.mutable_replied_at() = request.replied_at();
        *c.mutable_replied_by() = request.replied_by();
        if (auto s = UpdateConsultation(txn, c); !s.ok()) return s;
        // CC-2: the reply closes the callback clock, on time or late.
        auto stopped = context_.sla.Stop(txn, kCallbackSla, ConsultationSubject(c.consultation_id()), replied_at);
        if (!stopped.ok()) return stopped.status();
        txn.AfterCommit([this, took = replied_at - FromProto(c.opened_at())] {
          metrics_.ObserveReply(ContactCenterMetrics::kCallbackKind, took);
        });
        if (auto s = CompleteConsultation(txn, context_, c); !s.ok()) return s;
        v1::ReplyConsultationResponse response;
        *response.mutable_consultation() = std::move(c);
        return response;
      });
}

grpc::ServerUnaryReactor* ContactCenterService::GetConsultation(grpc::CallbackServerContext* ctx,
                                                                const v1::GetConsultationRequest* request,
                                                                v1::GetConsultationResponse* response) {
  return Reply(ctx, response, DoGetConsultation(*request));
}

absl::StatusOr<v1::GetConsultationResponse> ContactCenterService::DoGetConsultation(
    const v1::GetConsultationRequest& request) {
  if (request.consultation_id().empty()) return InvalidField("consultation_id", "is required");
  v1::GetConsultationResponse response;
  absl::Status status = context_.db.InReadTransaction([&](Transaction& txn) -> absl::Status {
    auto found = FindConsultation(txn, request.consultation_id());
    if (!found.ok()) return found.status();
    if (!found->has_value()) {
      return absl::NotFoundError(absl::StrCat("consultation ", request.consultation_id(), " not found"));
    }
    if (auto s = CompleteConsultation(txn, context_, **found); !s.ok()) return s;
    *response.mutable_consultation() = **found;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return response;
}

grpc::ServerUnaryReactor* ContactCenterService::ListConsultations(grpc::CallbackServerContext* ctx,
                                                                  const v1::ListConsultationsRequest* request,
                                                                  v1::ListConsultationsResponse* response) {
  return Reply(ctx, response, DoListConsultations(*request));
}

absl::StatusOr<v1::ListConsultationsResponse> ContactCenterService::DoListConsultations(
    const v1::ListConsultationsRequest& request) {
  Validator v;
  const int limit = CheckPageSize(v, request.page_size());
  const int64_t offset = DecodePageToken(v, request.page_token());
  CheckTimeRange(v, request.time_range());
  v.Check(v1::ConsultationState_IsValid(request.state()), "state", "is not a known consultation state");
  const std::optional<absl::Time> due_before =
      CheckFilterBound(v, "due_before", request.due_before(), request.has_due_before());
  if (!v.empty()) return v.status();
  v1::ListConsultationsResponse response;
  absl::Status status = context_.db.InReadTransaction([&](Transaction& txn) -> absl::Status {
    auto page = contact_center::ListConsultations(txn, request, due_before, offset, limit);
    if (!page.ok()) return page.status();
    for (v1::Consultation& c : page->items) {
      if (auto s = CompleteConsultation(txn, context_, c); !s.ok()) return s;
      *response.add_consultations() = std::move(c);
    }
    if (page->more) response.set_next_page_token(EncodePageToken(offset + limit));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return response;
}

}  // namespace gridserve::contact_center
