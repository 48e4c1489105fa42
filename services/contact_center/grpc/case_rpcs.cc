// Complaints and tip-offs (CC-5), red-line cases forwarded to risk.
#include "absl/strings/str_cat.h"
#include "services/common/idempotency.h"
#include "services/common/outbox.h"
#include "services/common/rpc_util.h"
#include "services/contact_center/domain/case_rules.h"
#include "services/common/phone_number.h"
#include "services/contact_center/grpc/contact_center_service.h"
#include "services/contact_center/grpc/read_model.h"
#include "services/contact_center/storage/contact_center_store.h"

namespace gridserve::contact_center {

grpc::ServerUnaryReactor* ContactCenterService::RecordCase(grpc::CallbackServerContext* ctx,
                                                           const v1::RecordCaseRequest* request,
                                                           v1::RecordCaseResponse* response) {
  return Reply(ctx, response, DoRecordCase(*request));
}

absl::StatusOr<v1::RecordCaseResponse> ContactCenterService::DoRecordCase(const v1::RecordCaseRequest& request) {
  Validator v;
  v.Check(request.kind() == v1::CASE_KIND_COMPLAINT || request.kind() == v1::CASE_KIND_TIP_OFF, "kind",
          "must be COMPLAINT or TIP_OFF");
  CheckDepartment(v, "department", request.department(), /*required=*/true);
  v.Check(!request.summary().empty(), "summary", "is required");
  if (!request.red_line_rule().empty()) {
    v.Check(IsRedLineRule(request.red_line_rule()), "red_line_rule", "must be one of RK-1..RK-11");
  }
  // An anonymous case keeps no reporter data, and neither may the stored
  // request (RunOnce keeps it for replays): refuse rather than drop it.
  if (request.anonymous()) {
    v.Check(request.reporter().ByteSizeLong() == 0, "reporter",
            "must be empty on an anonymous case: the reporter's identity is not taken");
  } else {
    CheckPhoneField(v, "reporter.phone", request.reporter().phone(), /*required=*/false);
  }
  const absl::Time received_at = EventTime(v, "received_at", request.received_at(), request.has_received_at());
  if (!v.empty()) return v.status();

  return RunOnce<v1::RecordCaseResponse>(
      context_.db, context_.clock, "gridserve.v1.ContactCenter/RecordCase", request.request_id(), request,
      [&](Transaction& txn) -> absl::StatusOr<v1::RecordCaseResponse> {
        // The SLA clock starts at received_at: on a linked call it must lie within the call.
        if (auto s = CheckLinkedCall(txn, request.call_id(), "received_at", received_at); !s.ok()) return s;
        v1::CustomerCase c;
        c.set_case_id(NewId("CASE"));
        c.set_kind(request.kind());
        c.set_call_id(request.call_id());
        // An anonymous tip-off keeps no reporter data.
        if (!request.anonymous()) *c.mutable_reporter() = request.reporter();
        c.set_anonymous(request.anonymous());
        c.set_department(request.department());
        c.set_summary(request.summary());
        c.set_thanked(request.thanked());
        c.set_red_line_rule(request.red_line_rule());
        *c.mutable_accused_staff() = request.accused_staff();
        *c.mutable_recorded_by() = request.recorded_by();
        *c.mutable_received_at() = request.received_at();
        c.set_state(v1::CASE_STATE_OPEN);

        // CC-5 timer: forwarded to the department, reply due in N days.
        const ReplyClock clock = CaseReplyClock(c.kind(), received_at, context_.config.contact_center(),
                                                context_.calendar);
        if (auto s = InsertCase(txn, c, clock.due_at); !s.ok()) return s;
        if (auto s = context_.sla.Start(
                txn, SlaTimer{clock.sla, CaseSubject(c.case_id()), c.department(), "", received_at, clock.due_at});
            !s.ok()) {
          return s;
        }
        // CC-5 check: thank the customer (the recording agent's duty).
        const std::string agent_department =
            c.recorded_by().department().empty() ? c.department() : c.recorded_by().department();
        if (auto s = RecordFindings(txn, CheckCase(c), CaseSubject(c.case_id()), agent_department,
                                    c.recorded_by().staff_id(), received_at);
            !s.ok()) {
          return s;
        }
        // A red-line allegation opens an investigation at risk.
        if (!c.red_line_rule().empty()) {
          const std::string message_id = CaseRedLineMessageId(c.case_id());
          v1::ReportRedLineRequest report = RedLineReportForCase(c);
          report.set_request_id(message_id);
          if (auto s = EnqueueOutbox(txn, context_.clock.Now(), message_id, kTopicRiskRedLine,
                                     report.SerializeAsString());
              !s.ok()) {
            return s;
          }
        }
        if (auto s = CompleteCase(txn, context_, c); !s.ok()) return s;
        v1::RecordCaseResponse response;
        *response.mutable_customer_case() = std::move(c);
        return response;
      });
}

grpc::ServerUnaryReactor* ContactCenterService::ReplyCase(grpc::CallbackServerContext* ctx,
                                                          const v1::ReplyCaseRequest* request,
                                                          v1::ReplyCaseResponse* response) {
  return Reply(ctx, response, DoReplyCase(*request));
}

absl::StatusOr<v1::ReplyCaseResponse> ContactCenterService::DoReplyCase(const v1::ReplyCaseRequest& request) {
  Validator v;
  v.Check(!request.case_id().empty(), "case_id", "is required");
  v.Check(!request.reply_text().empty(), "reply_text", "is required");
  const absl::Time replied_at = EventTime(v, "replied_at", request.replied_at(), request.has_replied_at());
  if (!v.empty()) return v.status();

  return RunOnce<v1::ReplyCaseResponse>(
      context_.db, context_.clock, "gridserve.v1.ContactCenter/ReplyCase", request.request_id(), request,
      [&](Transaction& txn) -> absl::StatusOr<v1::ReplyCaseResponse> {
        auto found = FindCase(txn, request.case_id());
        if (!found.ok()) return found.status();
        if (!found->has_value()) return absl::NotFoundError(absl::StrCat("case ", request.case_id(), " not found"));
        v1::CustomerCase& c = **found;
        if (auto s = CheckCanReply(c); !s.ok()) return s;
        if (replied_at < FromProto(c.received_at())) {
          return InvalidField("replied_at", "must not be before received_at");
        }
        c.set_state(v1::CASE_STATE_REPLIED);
        c.set_reply_text(request.reply_text());
        *c.mutable_replied_at() = request.replied_at();
        *c.mutable_replied_by() = request.replied_by();
        if (auto s = UpdateCase(txn, c); !s.ok()) return s;
        // CC-5: the reply closes the clock, on time or late (a late reply's
        // breach is dated at the due time, counted once).
        const std::string sla = c.kind() == v1::CASE_KIND_TIP_OFF ? kTipOffSla : kComplaintSla;
        auto stopped = context_.sla.Stop(txn, sla, CaseSubject(c.case_id()), replied_at);
        if (!stopped.ok()) return stopped.status();
        txn.AfterCommit([this, kind = c.kind(), took = replied_at - FromProto(c.received_at())] {
          metrics_.ObserveReply(ContactCenterMetrics::KindLabel(kind), took);
        });
        if (auto s = CompleteCase(txn, context_, c); !s.ok()) return s;
        v1::ReplyCaseResponse response;
        *response.mutable_customer_case() = std::move(c);
        return response;
      });
}

grpc::ServerUnaryReactor* ContactCenterService::GetCase(grpc::CallbackServerContext* ctx,
                                                        const v1::GetCaseRequest* request,
                                                        v1::GetCaseResponse* response) {
  return Reply(ctx, response, DoGetCase(*request));
}

absl::StatusOr<v1::GetCaseResponse> ContactCenterService::DoGetCase(const v1::GetCaseRequest& request) {
  if (request.case_id().empty()) return InvalidField("case_id", "is required");
  v1::GetCaseResponse response;
  absl::Status status = context_.db.InReadTransaction([&](Transaction& txn) -> absl::Status {
    auto found = FindCase(txn, request.case_id());
    if (!found.ok()) return found.status();
    if (!found->has_value()) return absl::NotFoundError(absl::StrCat("case ", request.case_id(), " not found"));
    if (auto s = CompleteCase(txn, context_, **found); !s.ok()) return s;
    *response.mutable_customer_case() = **found;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return response;
}

grpc::ServerUnaryReactor* ContactCenterService::ListCases(grpc::CallbackServerContext* ctx,
                                                          const v1::ListCasesRequest* request,
                                                          v1::ListCasesResponse* response) {
  return Reply(ctx, response, DoListCases(*request));
}

absl::StatusOr<v1::ListCasesResponse> ContactCenterService::DoListCases(const v1::ListCasesRequest& request) {
  Validator v;
  const int limit = CheckPageSize(v, request.page_size());
  const int64_t offset = DecodePageToken(v, request.page_token());
  CheckTimeRange(v, request.time_range());
  v.Check(v1::CaseKind_IsValid(request.kind()), "kind", "is not a known case kind");
  v.Check(v1::CaseState_IsValid(request.state()), "state", "is not a known case state");
  const std::optional<absl::Time> due_before =
      CheckFilterBound(v, "due_before", request.due_before(), request.has_due_before());
  if (!v.empty()) return v.status();
  v1::ListCasesResponse response;
  absl::Status status = context_.db.InReadTransaction([&](Transaction& txn) -> absl::Status {
    auto page = contact_center::ListCases(txn, request, due_before, offset, limit);
    if (!page.ok()) return page.status();
    for (v1::CustomerCase& c : page->items) {
      if (auto s = CompleteCase(txn, context_, c); !s.ok()) return s;
      *response.add_cases() = std::move(c);
    }
    if (page->more) response.set_next_page_token(EncodePageToken(offset + limit));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return response;
}

}  // namespace gridserve::contact_center
