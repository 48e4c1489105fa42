// Fault reports and their dispatch to repair (CC-3).
#include "absl/strings/str_cat.h"
#include "gridserve/v1/repair.pb.h"
#include "services/common/idempotency.h"
#include "services/common/outbox.h"
#include "services/common/rpc_util.h"
#include "services/contact_center/domain/fault_rules.h"
#include "services/contact_center/grpc/contact_center_service.h"
#include "services/contact_center/grpc/read_model.h"
#include "services/contact_center/storage/contact_center_store.h"

namespace gridserve::contact_center {

grpc::ServerUnaryReactor* ContactCenterService::ReportFault(grpc::CallbackServerContext* ctx,
                                                            const v1::ReportFaultRequest* request,
                                                            v1::ReportFaultResponse* response) {
  return Reply(ctx, response, DoReportFault(*request));
}

absl::StatusOr<v1::ReportFaultResponse> ContactCenterService::DoReportFault(const v1::ReportFaultRequest& request) {
  Validator v;
  CheckFaultReport(v, request, context_.config);  // CC-3 gate
  CheckDepartment(v, "department", request.department(), /*required=*/false);
  const absl::Time reported_at = EventTime(v, "reported_at", request.reported_at(), request.has_reported_at());
  if (!v.empty()) return v.status();

  return RunOnce<v1::ReportFaultResponse>(
      context_.db, context_.clock, "gridserve.v1.ContactCenter/ReportFault", request.request_id(), request,
      [&](Transaction& txn) -> absl::StatusOr<v1::ReportFaultResponse> {
        // The SLA clock starts at reported_at: on a linked call it must lie within the call.
        if (auto s = CheckLinkedCall(txn, request.call_id(), "reported_at", reported_at); !s.ok()) return s;
        const absl::Time now = context_.clock.Now();
        v1::FaultReport report;
        report.set_fault_report_id(NewId("FR"));
        report.set_call_id(request.call_id());
        *report.mutable_reporter() = request.reporter();
        *report.mutable_location() = request.location();
        report.set_description(request.description());
        report.set_classification(request.classification());
        report.set_guidance_given(request.guidance_given());
        report.set_guidance_note(request.guidance_note());
        *report.mutable_agent() = request.agent();
        report.set_department(request.department());
        *report.mutable_reported_at() = request.reported_at();
        const bool dispatch = NeedsDispatch(request.classification());
        report.mutable_dispatch()->set_status(dispatch ? v1::DISPATCH_STATUS_PENDING
                                                       : v1::DISPATCH_STATUS_NOT_REQUIRED);
        if (dispatch) *report.mutable_dispatch()->mutable_queued_at() = ToProto(now);
        if (auto s = InsertFaultReport(txn, report); !s.ok()) return s;

        if (dispatch) {
          // CC-3 "notify the repair department at once": the dispatch exists
          // exactly when the report does (same transaction); the outbox
          // delivers it, and repair recognises redeliveries by fault_report_id.
          v1::AcceptDispatchRequest accept;
          const std::string message_id = DispatchMessageId(report.fault_report_id());
          accept.set_request_id(message_id);
          accept.set_fault_report_id(report.fault_report_id());
          *accept.mutable_reporter() = report.reporter();
          *accept.mutable_location() = report.location();
          accept.set_description(report.description());
          accept.set_classification(report.classification());
          accept.set_department(report.department());
          *accept.mutable_reported_at() = report.reported_at();
          *accept.mutable_dispatched_at() = ToProto(now);
          if (auto s = EnqueueOutbox(txn, now, message_id, kTopicRepairDispatch, accept.SerializeAsString()); !s.ok()) {
            return s;
          }
          // CC-3 timer: accepted by repair within dispatch_due of the report.
          // The delay is the contact centre's (the agent's department) to answer for.
          const std::string department =
              report.agent().department().empty() ? report.department() : report.agent().department();
          if (auto s = context_.sla.Start(txn, SlaTimer{kDispatchSla, FaultReportSubject(report.fault_report_id()),
                                                        department, report.agent().staff_id(), reported_at,
                                                        DispatchDue(reported_at, context_.config.contact_center())});
              !s.ok()) {
            return s;
          }
        }
        if (auto s = CompleteFaultReport(txn, context_, report); !s.ok()) return s;
        v1::ReportFaultResponse response;
        *response.mutable_fault_report() = std::move(report);
        return response;
      });
}

grpc::ServerUnaryReactor* ContactCenterService::GetFaultReport(grpc::CallbackServerContext* ctx,
                                                               const v1::GetFaultReportRequest* request,
                                                               v1::GetFaultReportResponse* response) {
  return Reply(ctx, response, DoGetFaultReport(*request));
}

absl::StatusOr<v1::GetFaultReportResponse> ContactCenterService::DoGetFaultReport(
    const v1::GetFaultReportRequest& request) {
  if (request.fault_report_id().empty()) return InvalidField("fault_report_id", "is required");
  v1::GetFaultReportResponse response;
  absl::Status status = context_.db.InReadTransaction([&](Transaction& txn) -> absl::Status {
    auto found = FindFaultReport(txn, request.fault_report_id());
    if (!found.ok()) return found.status();
    if (!found->has_value()) {
      return absl::NotFoundError(absl::StrCat("fault report ", request.fault_report_id(), " not found"));
    }
    if (auto s = CompleteFaultReport(txn, context_, **found); !s.ok()) return s;
    *response.mutable_fault_report() = **found;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return response;
}

grpc::ServerUnaryReactor* ContactCenterService::ListFaultReports(grpc::CallbackServerContext* ctx,
                                                                 const v1::ListFaultReportsRequest* request,
                                                                 v1::ListFaultReportsResponse* response) {
  return Reply(ctx, response, DoListFaultReports(*request));
}

absl::StatusOr<v1::ListFaultReportsResponse> ContactCenterService::DoListFaultReports(
    const v1::ListFaultReportsRequest& request) {
  Validator v;
  const int limit = CheckPageSize(v, request.page_size());
  const int64_t offset = DecodePageToken(v, request.page_token());
  CheckTimeRange(v, request.time_range());
  v.Check(v1::FaultClassification_IsValid(request.classification()), "classification",
          "is not a known fault classification");
  v.Check(v1::DispatchStatus_IsValid(request.dispatch_status()), "dispatch_status", "is not a known dispatch status");
  if (!v.empty()) return v.status();
  v1::ListFaultReportsResponse response;
  absl::Status status = context_.db.InReadTransaction([&](Transaction& txn) -> absl::Status {
    auto page = contact_center::ListFaultReports(txn, request, offset, limit);
    if (!page.ok()) return page.status();
    for (v1::FaultReport& report : page->items) {
      if (auto s = CompleteFaultReport(txn, context_, report); !s.ok()) return s;
      *response.add_fault_reports() = std::move(report);
    }
    if (page->more) response.set_next_page_token(EncodePageToken(offset + limit));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return response;
}

}  // namespace gridserve::contact_center
