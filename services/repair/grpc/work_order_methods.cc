// Work-order RPCs (RP-1..RP-5): validation, then one domain step per request.
#include "absl/strings/str_cat.h"
#include "services/common/config.h"
#include "services/common/feedback_check.h"
#include "services/common/idempotency.h"
#include "services/common/rpc_util.h"
#include "services/repair/grpc/repair_service.h"
#include "services/repair/grpc/request_checks.h"
#include "services/repair/storage/outage_store.h"
#include "services/repair/storage/work_order_store.h"

namespace gridserve::repair {
namespace {

constexpr char kScope[] = "/gridserve.v1.Repair/";

std::string Scope(const char* method) { return absl::StrCat(kScope, method); }

// location.address and a configured location.area_class (RP-1 promises).
void CheckLocation(Validator& v, const v1::SuiteConfig& config, const v1::Location& location) {
  CheckRequired(v, location.address(), "location.address");
  if (CheckRequired(v, location.area_class(), "location.area_class")) {
    v.Check(FindAreaClass(config, location.area_class()).ok(), "location.area_class",
            absl::StrCat("\"", location.area_class(), "\" is not a configured area class"));
  }
}

}  // namespace

grpc::ServerUnaryReactor* RepairService::AcceptDispatch(grpc::CallbackServerContext* ctx,
                                                        const v1::AcceptDispatchRequest* req,
                                                        v1::AcceptDispatchResponse* resp) {
  Validator v;
  CheckRequired(v, req->fault_report_id(), "fault_report_id");
  CheckMaxSize(v, "fault_report_id", req->fault_report_id(), kMaxIdSize);
  CheckLocation(v, context_.config, req->location());
  // CC-3: a dispatch carries the reporter's name, phone and address (the
  // address is checked with the location), so the crew can reach them.
  CheckRequired(v, req->reporter().name(), "reporter.name");
  // Present, and taken as sent: the contact centre checks its format where the
  // caller gives it. A dispatch refused here for its format (one queued by an
  // older contact centre, say) would be redelivered hourly and never reach a
  // crew, whose way to the customer is the address anyway.
  CheckRequired(v, req->reporter().phone(), "reporter.phone");
  // CC-3: only a utility-side or unknown fault is dispatched; a fault inside
  // the customer's premises is guided by phone, and UNSPECIFIED or an unknown
  // value is not a classification at all.
  v.Check(req->classification() == v1::FAULT_CLASSIFICATION_UTILITY_SIDE ||
              req->classification() == v1::FAULT_CLASSIFICATION_UNKNOWN,
          "classification",
          req->classification() == v1::FAULT_CLASSIFICATION_CUSTOMER_INTERNAL
              ? "a customer-internal fault is not dispatched (CC-3)"
              : "must be UTILITY_SIDE or UNKNOWN (CC-3)");
  const absl::Time dispatched_at =
      CheckEventTime(v, "dispatched_at", req->dispatched_at(), req->has_dispatched_at(), Now(), MaxSkew());
  CheckEventTime(v, "reported_at", req->reported_at(), req->has_reported_at(), Now(), MaxSkew(),
                 /*required=*/false);
  if (!v.empty()) return Reply<v1::AcceptDispatchResponse>(ctx, resp, v.status());

  // Idempotent by fault_report_id (not request_id): a redelivered dispatch
  // returns the order it made. The UNIQUE column settles a race between two
  // deliveries; the loser finds the winner's order on its second pass.
  absl::StatusOr<v1::AcceptDispatchResponse> result = absl::InternalError("not run");
  for (int attempt = 0; attempt < 2; ++attempt) {
    v1::AcceptDispatchResponse response;
    absl::Status status = context_.db.InTransaction([&](Transaction& txn) -> absl::Status {
      auto existing = WorkOrderStore::FindByFaultReport(txn, req->fault_report_id());
      if (!existing.ok()) return existing.status();
      absl::StatusOr<v1::WorkOrder> order;
      if (existing->has_value()) {
        order = ReadModel(txn, **existing);
        response.set_created(false);
      } else {
        v1::WorkOrder fresh;
        fresh.set_source(v1::WORK_ORDER_SOURCE_DISPATCH);
        fresh.set_fault_report_id(req->fault_report_id());
        *fresh.mutable_customer() = req->reporter();
        *fresh.mutable_location() = req->location();
        fresh.set_description(req->description());
        fresh.set_department(req->department());
        *fresh.mutable_dispatched_at() = ToProto(dispatched_at);
        order = InsertNewOrder(txn, std::move(fresh));
        response.set_created(true);
      }
      if (!order.ok()) return order.status();
      *response.mutable_work_order() = *std::move(order);
      return absl::OkStatus();
    });
    if (absl::IsAlreadyExists(status) && attempt == 0) continue;
    result = status.ok() ? absl::StatusOr<v1::AcceptDispatchResponse>(std::move(response))
                         : absl::StatusOr<v1::AcceptDispatchResponse>(status);
    break;
  }
  return Reply(ctx, resp, std::move(result));
}

grpc::ServerUnaryReactor* RepairService::CreateWorkOrder(grpc::CallbackServerContext* ctx,
                                                         const v1::CreateWorkOrderRequest* req,
                                                         v1::CreateWorkOrderResponse* resp) {
  Validator v;
  CheckRequestId(v, req->request_id());
  CheckLocation(v, context_.config, req->location());
  CheckRequired(v, req->description(), "description");
  // A desk order need not name a customer (e.g. one found on patrol); a
  // number given is one the crew can call.
  CheckPhoneField(v, "customer.phone", req->customer().phone(), /*required=*/false);
  const absl::Time dispatched_at =
      CheckEventTime(v, "dispatched_at", req->dispatched_at(), req->has_dispatched_at(), Now(), MaxSkew());
  if (!v.empty()) return Reply<v1::CreateWorkOrderResponse>(ctx, resp, v.status());
  auto result = RunOnce<v1::CreateWorkOrderResponse>(
      context_.db, context_.clock, Scope("CreateWorkOrder"), req->request_id(), *req,
      [&](Transaction& txn) -> absl::StatusOr<v1::CreateWorkOrderResponse> {
        if (!req->outage_id().empty()) {
          auto outage = OutageStore::Find(txn, req->outage_id());
          if (!outage.ok()) return outage.status();
          if (!outage->has_value()) return absl::NotFoundError(absl::StrCat("outage ", req->outage_id(), " not found"));
        }
        v1::WorkOrder fresh;
        fresh.set_source(v1::WORK_ORDER_SOURCE_REPAIR_DESK);
        fresh.set_outage_id(req->outage_id());
        *fresh.mutable_customer() = req->customer();
        *fresh.mutable_location() = req->location();
        fresh.set_description(req->description());
        fresh.set_department(req->department());
        *fresh.mutable_dispatched_at() = ToProto(dispatched_at);
        auto order = InsertNewOrder(txn, std::move(fresh));
        if (!order.ok()) return order.status();
        v1::CreateWorkOrderResponse r;
        *r.mutable_work_order() = *std::move(order);
        return r;
      });
  return Reply(ctx, resp, std::move(result));
}

grpc::ServerUnaryReactor* RepairService::AcknowledgeWorkOrder(grpc::CallbackServerContext* ctx,
                                                              const v1::AcknowledgeWorkOrderRequest* req,
                                                              v1::AcknowledgeWorkOrderResponse* resp) {
  Validator v;
  CheckRequestId(v, req->request_id());
  CheckRequired(v, req->work_order_id(), "work_order_id");
  v.Check(req->crew_size() > 0, "crew", "at least one crew member is required");
  for (int i = 0; i < req->crew_size(); ++i) CheckRequired(v, req->crew(i).staff_id(), absl::StrCat("crew[", i, "].staff_id"));
  const absl::Time at =
      CheckEventTime(v, "acknowledged_at", req->acknowledged_at(), req->has_acknowledged_at(), Now(), MaxSkew());
  if (!v.empty()) return Reply<v1::AcknowledgeWorkOrderResponse>(ctx, resp, v.status());
  const std::vector<v1::StaffRef> crew(req->crew().begin(), req->crew().end());
  auto result = RunOnce<v1::AcknowledgeWorkOrderResponse>(
      context_.db, context_.clock, Scope("AcknowledgeWorkOrder"), req->request_id(), *req,
      [&](Transaction& txn) -> absl::StatusOr<v1::AcknowledgeWorkOrderResponse> {
        auto order = MutateOrder(txn, req->work_order_id(),
                                 [&](v1::WorkOrder& o) { return work_orders_.Acknowledge(o, crew, at); });
        if (!order.ok()) return order.status();
        v1::AcknowledgeWorkOrderResponse r;
        *r.mutable_work_order() = *std::move(order);
        return r;
      });
  return Reply(ctx, resp, std::move(result));
}

grpc::ServerUnaryReactor* RepairService::RecordArrival(grpc::CallbackServerContext* ctx,
                                                       const v1::RecordArrivalRequest* req,
                                                       v1::RecordArrivalResponse* resp) {
  Validator v;
  CheckRequestId(v, req->request_id());
  CheckRequired(v, req->work_order_id(), "work_order_id");
  CheckRequired(v, req->staff().staff_id(), "staff.staff_id");
  const absl::Time at = CheckEventTime(v, "arrived_at", req->arrived_at(), req->has_arrived_at(), Now(), MaxSkew());
  if (!v.empty()) return Reply<v1::RecordArrivalResponse>(ctx, resp, v.status());
  auto result = RunOnce<v1::RecordArrivalResponse>(
      context_.db, context_.clock, Scope("RecordArrival"), req->request_id(), *req,
      [&](Transaction& txn) -> absl::StatusOr<v1::RecordArrivalResponse> {
        auto order = MutateOrder(txn, req->work_order_id(), [&](v1::WorkOrder& o) {
          return work_orders_.Arrive(o, req->staff(), at, req->site_surveyed(), req->survey_note());
        });
        if (!order.ok()) return order.status();
        // RP-1 arrival histogram (counted once: a retry does not run this body).
        txn.AfterCommit([metrics = metrics_, area = order->location().area_class(),
                         took = at - FromProto(order->dispatched_at())] { metrics->ObserveArrival(area, took); });
        v1::RecordArrivalResponse r;
        *r.mutable_work_order() = *std::move(order);
        return r;
      });
  return Reply(ctx, resp, std::move(result));
}

grpc::ServerUnaryReactor* RepairService::RecordPremisesEntry(grpc::CallbackServerContext* ctx,
                                                             const v1::RecordPremisesEntryRequest* req,
                                                             v1::RecordPremisesEntryResponse* resp) {
  Validator v;
  CheckRequestId(v, req->request_id());
  CheckRequired(v, req->work_order_id(), "work_order_id");
  if (req->force()) v.Check(!req->force_reason().empty(), "force_reason", "is required when force is set");
  const absl::Time at = CheckEventTime(v, "entered_at", req->entered_at(), req->has_entered_at(), Now(), MaxSkew());
  if (!v.empty()) return Reply<v1::RecordPremisesEntryResponse>(ctx, resp, v.status());
  auto result = RunOnce<v1::RecordPremisesEntryResponse>(
      context_.db, context_.clock, Scope("RecordPremisesEntry"), req->request_id(), *req,
      [&](Transaction& txn) -> absl::StatusOr<v1::RecordPremisesEntryResponse> {
        v1::PremisesEntry entry;
        entry.set_entry_id(NewId("PE"));
        *entry.mutable_staff() = req->staff();
        *entry.mutable_entered_at() = ToProto(at);
        entry.set_knocked(req->knocked());
        entry.set_id_shown(req->id_shown());
        entry.set_consent_given(req->consent_given());
        entry.set_shoe_covers(req->shoe_covers());
        entry.set_force_reason(req->force_reason());
        const std::string entry_id = entry.entry_id();
        auto order = MutateOrder(txn, req->work_order_id(), [&](v1::WorkOrder& o) {
          return work_orders_.EnterPremises(o, entry, req->force());
        });
        if (!order.ok()) return order.status();
        v1::RecordPremisesEntryResponse r;
        *r.mutable_work_order() = *std::move(order);
        r.set_entry_id(entry_id);
        return r;
      });
  return Reply(ctx, resp, std::move(result));
}

grpc::ServerUnaryReactor* RepairService::RecordPremisesExit(grpc::CallbackServerContext* ctx,
                                                            const v1::RecordPremisesExitRequest* req,
                                                            v1::RecordPremisesExitResponse* resp) {
  Validator v;
  CheckRequestId(v, req->request_id());
  CheckRequired(v, req->work_order_id(), "work_order_id");
  CheckRequired(v, req->entry_id(), "entry_id");
  const absl::Time at = CheckEventTime(v, "exited_at", req->exited_at(), req->has_exited_at(), Now(), MaxSkew());
  if (!v.empty()) return Reply<v1::RecordPremisesExitResponse>(ctx, resp, v.status());
  auto result = RunOnce<v1::RecordPremisesExitResponse>(
      context_.db, context_.clock, Scope("RecordPremisesExit"), req->request_id(), *req,
      [&](Transaction& txn) -> absl::StatusOr<v1::RecordPremisesExitResponse> {
        auto order = MutateOrder(txn, req->work_order_id(), [&](v1::WorkOrder& o) {
          return work_orders_.ExitPremises(o, req->entry_id(), at, req->cleaned_up(), req->thanked());
        });
        if (!order.ok()) return order.status();
        v1::RecordPremisesExitResponse r;
        *r.mutable_work_order() = *std::move(order);
        return r;
      });
  return Reply(ctx, resp, std::move(result));
}

grpc::ServerUnaryReactor* RepairService::LogBorrowedItem(grpc::CallbackServerContext* ctx,
                                                         const v1::LogBorrowedItemRequest* req,
                                                         v1::LogBorrowedItemResponse* resp) {
  Validator v;
  CheckRequestId(v, req->request_id());
  CheckRequired(v, req->work_order_id(), "work_order_id");
  CheckRequired(v, req->description(), "description");
  const absl::Time at = CheckEventTime(v, "borrowed_at", req->borrowed_at(), req->has_borrowed_at(), Now(), MaxSkew());
  if (!v.empty()) return Reply<v1::LogBorrowedItemResponse>(ctx, resp, v.status());
  auto result = RunOnce<v1::LogBorrowedItemResponse>(
      context_.db, context_.clock, Scope("LogBorrowedItem"), req->request_id(), *req,
      [&](Transaction& txn) -> absl::StatusOr<v1::LogBorrowedItemResponse> {
        v1::BorrowedItem item;
        item.set_item_id(NewId("BI"));
        item.set_description(req->description());
        *item.mutable_staff() = req->staff();
        item.set_permission_asked(req->permission_asked());
        *item.mutable_borrowed_at() = ToProto(at);
        const std::string item_id = item.item_id();
        auto order = MutateOrder(txn, req->work_order_id(),
                                 [&](v1::WorkOrder& o) { return work_orders_.BorrowItem(o, item); });
        if (!order.ok()) return order.status();
        v1::LogBorrowedItemResponse r;
        *r.mutable_work_order() = *std::move(order);
        r.set_item_id(item_id);
        return r;
      });
  return Reply(ctx, resp, std::move(result));
}

grpc::ServerUnaryReactor* RepairService::ReturnBorrowedItem(grpc::CallbackServerContext* ctx,
                                                            const v1::ReturnBorrowedItemRequest* req,
                                                            v1::ReturnBorrowedItemResponse* resp) {
  Validator v;
  CheckRequestId(v, req->request_id());
  CheckRequired(v, req->work_order_id(), "work_order_id");
  CheckRequired(v, req->item_id(), "item_id");
  const absl::Time at = CheckEventTime(v, "returned_at", req->returned_at(), req->has_returned_at(), Now(), MaxSkew());
  if (!v.empty()) return Reply<v1::ReturnBorrowedItemResponse>(ctx, resp, v.status());
  auto result = RunOnce<v1::ReturnBorrowedItemResponse>(
      context_.db, context_.clock, Scope("ReturnBorrowedItem"), req->request_id(), *req,
      [&](Transaction& txn) -> absl::StatusOr<v1::ReturnBorrowedItemResponse> {
        auto order = MutateOrder(txn, req->work_order_id(), [&](v1::WorkOrder& o) {
          return work_orders_.ReturnItem(o, req->item_id(), at, req->cleaned(), req->returned_gently(),
                                         req->thanked());
        });
        if (!order.ok()) return order.status();
        v1::ReturnBorrowedItemResponse r;
        *r.mutable_work_order() = *std::move(order);
        return r;
      });
  return Reply(ctx, resp, std::move(result));
}

grpc::ServerUnaryReactor* RepairService::RecordRestoration(grpc::CallbackServerContext* ctx,
                                                           const v1::RecordRestorationRequest* req,
                                                           v1::RecordRestorationResponse* resp) {
  Validator v;
  CheckRequestId(v, req->request_id());
  CheckRequired(v, req->work_order_id(), "work_order_id");
  const absl::Time at = CheckEventTime(v, "restored_at", req->restored_at(), req->has_restored_at(), Now(), MaxSkew());
  if (!v.empty()) return Reply<v1::RecordRestorationResponse>(ctx, resp, v.status());
  auto result = RunOnce<v1::RecordRestorationResponse>(
      context_.db, context_.clock, Scope("RecordRestoration"), req->request_id(), *req,
      [&](Transaction& txn) -> absl::StatusOr<v1::RecordRestorationResponse> {
        auto order = MutateOrder(txn, req->work_order_id(), [&](v1::WorkOrder& o) {
          return work_orders_.Restore(o, req->staff(), at, req->fault_cause(), req->action_taken());
        });
        if (!order.ok()) return order.status();
        txn.AfterCommit([metrics = metrics_, area = order->location().area_class(),
                         took = at - FromProto(order->arrived_at())] { metrics->ObserveRestoration(area, took); });
        v1::RecordRestorationResponse r;
        *r.mutable_work_order() = *std::move(order);
        return r;
      });
  return Reply(ctx, resp, std::move(result));
}

grpc::ServerUnaryReactor* RepairService::CompleteWorkOrder(grpc::CallbackServerContext* ctx,
                                                           const v1::CompleteWorkOrderRequest* req,
                                                           v1::CompleteWorkOrderResponse* resp) {
  Validator v;
  CheckRequestId(v, req->request_id());
  CheckRequired(v, req->work_order_id(), "work_order_id");
  const absl::Time at =
      CheckEventTime(v, "completed_at", req->completed_at(), req->has_completed_at(), Now(), MaxSkew());
  for (int i = 0; i < req->completion_checklist().items_size(); ++i) {
    CheckRequired(v, req->completion_checklist().items(i).item(), absl::StrCat("completion_checklist.items[", i, "].item"));
  }
  if (!v.empty()) return Reply<v1::CompleteWorkOrderResponse>(ctx, resp, v.status());
  auto result = RunOnce<v1::CompleteWorkOrderResponse>(
      context_.db, context_.clock, Scope("CompleteWorkOrder"), req->request_id(), *req,
      [&](Transaction& txn) -> absl::StatusOr<v1::CompleteWorkOrderResponse> {
        auto order = MutateOrder(txn, req->work_order_id(), [&](v1::WorkOrder& o) {
          return work_orders_.Complete(o, req->staff(), at, req->completion_checklist());
        });
        if (!order.ok()) return order.status();
        v1::CompleteWorkOrderResponse r;
        *r.mutable_work_order() = *std::move(order);
        return r;
      });
  return Reply(ctx, resp, std::move(result));
}

grpc::ServerUnaryReactor* RepairService::RecordVisitFeedback(grpc::CallbackServerContext* ctx,
                                                             const v1::RecordVisitFeedbackRequest* req,
                                                             v1::RecordVisitFeedbackResponse* resp) {
  Validator v;
  CheckRequestId(v, req->request_id());
  CheckRequired(v, req->work_order_id(), "work_order_id");
  if (v.Check(req->has_feedback(), "feedback", "is required")) {
    CheckFeedback(v, "feedback", req->feedback(), Now(), MaxSkew());
  }
  if (!v.empty()) return Reply<v1::RecordVisitFeedbackResponse>(ctx, resp, v.status());
  auto result = RunOnce<v1::RecordVisitFeedbackResponse>(
      context_.db, context_.clock, Scope("RecordVisitFeedback"), req->request_id(), *req,
      [&](Transaction& txn) -> absl::StatusOr<v1::RecordVisitFeedbackResponse> {
        auto order = MutateOrder(txn, req->work_order_id(), [&](v1::WorkOrder& o) {
          return work_orders_.RecordFeedback(o, req->feedback(), req->civil_language(), req->review(), Now());
        });
        if (!order.ok()) return order.status();
        v1::RecordVisitFeedbackResponse r;
        *r.mutable_work_order() = *std::move(order);
        return r;
      });
  return Reply(ctx, resp, std::move(result));
}

grpc::ServerUnaryReactor* RepairService::CancelWorkOrder(grpc::CallbackServerContext* ctx,
                                                         const v1::CancelWorkOrderRequest* req,
                                                         v1::CancelWorkOrderResponse* resp) {
  Validator v;
  CheckRequestId(v, req->request_id());
  CheckRequired(v, req->work_order_id(), "work_order_id");
  CheckRequired(v, req->staff().staff_id(), "staff.staff_id");
  CheckRequired(v, req->reason(), "reason");
  const absl::Time at = CheckEventTime(v, "cancelled_at", req->cancelled_at(), req->has_cancelled_at(), Now(),
                                       MaxSkew(), /*required=*/false);
  if (!v.empty()) return Reply<v1::CancelWorkOrderResponse>(ctx, resp, v.status());
  auto result = RunOnce<v1::CancelWorkOrderResponse>(
      context_.db, context_.clock, Scope("CancelWorkOrder"), req->request_id(), *req,
      [&](Transaction& txn) -> absl::StatusOr<v1::CancelWorkOrderResponse> {
        auto order = MutateOrder(txn, req->work_order_id(), [&](v1::WorkOrder& o) {
          return work_orders_.Cancel(o, req->staff(), at, req->reason());
        });
        if (!order.ok()) return order.status();
        txn.AfterCommit([metrics = metrics_, area = order->location().area_class()] { metrics->CountCancellation(area); });
        v1::CancelWorkOrderResponse r;
        *r.mutable_work_order() = *std::move(order);
        return r;
      });
  return Reply(ctx, resp, std::move(result));
}

}  // namespace gridserve::repair
