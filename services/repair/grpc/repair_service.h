#ifndef GRIDSERVE_SERVICES_REPAIR_GRPC_REPAIR_SERVICE_H_
#define GRIDSERVE_SERVICES_REPAIR_GRPC_REPAIR_SERVICE_H_

#include <memory>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "gridserve/v1/repair.grpc.pb.h"
#include "services/common/service_context.h"
#include "services/repair/domain/effects.h"
#include "services/repair/domain/outage_rules.h"
#include "services/repair/domain/work_order_rules.h"
#include "services/repair/metrics/repair_metrics.h"

namespace gridserve::repair {

// The gridserve.v1.Repair callback service: validates requests, runs the
// domain steps (domain/) in one transaction per request (once per
// request_id), applies their effects (breaches, SLA clocks, red-line
// reports) and answers with the read model.
//   work_order_methods.cc  work orders (RP-1..RP-5)
//   outage_methods.cc      outages (RK-3, RK-4 facts)
//   query_methods.cc       reads, lists, statistics, CC-4 lookup, breach stream
class RepairService final : public v1::Repair::CallbackService {
 public:
  RepairService(ServiceContext& context, std::shared_ptr<RepairMetrics> metrics);

  // Work orders.
  grpc::ServerUnaryReactor* AcceptDispatch(grpc::CallbackServerContext* ctx, const v1::AcceptDispatchRequest* req,
                                           v1::AcceptDispatchResponse* resp) override;
  grpc::ServerUnaryReactor* CreateWorkOrder(grpc::CallbackServerContext* ctx, const v1::CreateWorkOrderRequest* req,
                                            v1::CreateWorkOrderResponse* resp) override;
  grpc::ServerUnaryReactor* AcknowledgeWorkOrder(grpc::CallbackServerContext* ctx,
                                                 const v1::AcknowledgeWorkOrderRequest* req,
                                                 v1::AcknowledgeWorkOrderResponse* resp) override;
  grpc::ServerUnaryReactor* RecordArrival(grpc::CallbackServerContext* ctx, const v1::RecordArrivalRequest* req,
                                          v1::RecordArrivalResponse* resp) override;
  grpc::ServerUnaryReactor* RecordPremisesEntry(grpc::CallbackServerContext* ctx,
                                                const v1::RecordPremisesEntryRequest* req,
                                                v1::RecordPremisesEntryResponse* resp) override;
  grpc::ServerUnaryReactor* RecordPremisesExit(grpc::CallbackServerContext* ctx,
                                               const v1::RecordPremisesExitRequest* req,
                                               v1::RecordPremisesExitResponse* resp) override;
  grpc::ServerUnaryReactor* LogBorrowedItem(grpc::CallbackServerContext* ctx, const v1::LogBorrowedItemRequest* req,
                                            v1::LogBorrowedItemResponse* resp) override;
  grpc::ServerUnaryReactor* ReturnBorrowedItem(grpc::CallbackServerContext* ctx,
                                               const v1::ReturnBorrowedItemRequest* req,
                                               v1::ReturnBorrowedItemResponse* resp) override;
  grpc::ServerUnaryReactor* RecordRestoration(grpc::CallbackServerContext* ctx,
                                              const v1::RecordRestorationRequest* req,
                                              v1::RecordRestorationResponse* resp) override;
  grpc::ServerUnaryReactor* CompleteWorkOrder(grpc::CallbackServerContext* ctx,
                                              const v1::CompleteWorkOrderRequest* req,
                                              v1::CompleteWorkOrderResponse* resp) override;
  grpc::ServerUnaryReactor* RecordVisitFeedback(grpc::CallbackServerContext* ctx,
                                                const v1::RecordVisitFeedbackRequest* req,
                                                v1::RecordVisitFeedbackResponse* resp) override;

  // Outages.
  grpc::ServerUnaryReactor* CreateOutage(grpc::CallbackServerContext* ctx, const v1::CreateOutageRequest* req,
                                         v1::CreateOutageResponse* resp) override;
  grpc::ServerUnaryReactor* RecordOutageNotice(grpc::CallbackServerContext* ctx,
                                               const v1::RecordOutageNoticeRequest* req,
                                               v1::RecordOutageNoticeResponse* resp) override;
  grpc::ServerUnaryReactor* RecordOutageStart(grpc::CallbackServerContext* ctx,
                                              const v1::RecordOutageStartRequest* req,
                                              v1::RecordOutageStartResponse* resp) override;
  grpc::ServerUnaryReactor* UpdateOutageEtr(grpc::CallbackServerContext* ctx, const v1::UpdateOutageEtrRequest* req,
                                            v1::UpdateOutageEtrResponse* resp) override;
  grpc::ServerUnaryReactor* RecordOutageRestoration(grpc::CallbackServerContext* ctx,
                                                    const v1::RecordOutageRestorationRequest* req,
                                                    v1::RecordOutageRestorationResponse* resp) override;
  grpc::ServerUnaryReactor* CancelWorkOrder(grpc::CallbackServerContext* ctx, const v1::CancelWorkOrderRequest* req,
                                            v1::CancelWorkOrderResponse* resp) override;
  grpc::ServerUnaryReactor* CancelOutage(grpc::CallbackServerContext* ctx, const v1::CancelOutageRequest* req,
                                         v1::CancelOutageResponse* resp) override;

  // Reads.
  grpc::ServerUnaryReactor* GetWorkOrder(grpc::CallbackServerContext* ctx, const v1::GetWorkOrderRequest* req,
                                         v1::GetWorkOrderResponse* resp) override;
  grpc::ServerUnaryReactor* ListWorkOrders(grpc::CallbackServerContext* ctx, const v1::ListWorkOrdersRequest* req,
                                           v1::ListWorkOrdersResponse* resp) override;
  grpc::ServerUnaryReactor* GetArrivalStatistics(grpc::CallbackServerContext* ctx,
                                                 const v1::GetArrivalStatisticsRequest* req,
                                                 v1::GetArrivalStatisticsResponse* resp) override;
  grpc::ServerUnaryReactor* GetOutage(grpc::CallbackServerContext* ctx, const v1::GetOutageRequest* req,
                                      v1::GetOutageResponse* resp) override;
  grpc::ServerUnaryReactor* ListOutages(grpc::CallbackServerContext* ctx, const v1::ListOutagesRequest* req,
                                        v1::ListOutagesResponse* resp) override;
  grpc::ServerUnaryReactor* LookupOutage(grpc::CallbackServerContext* ctx, const v1::RepairLookupOutageRequest* req,
                                         v1::RepairLookupOutageResponse* resp) override;
  grpc::ServerWriteReactor<v1::BreachEvent>* WatchBreaches(grpc::CallbackServerContext* ctx,
                                                           const v1::RepairWatchBreachesRequest* req) override;

 private:
  using OrderStep = absl::FunctionRef<absl::StatusOr<StepEffects>(v1::WorkOrder&)>;
  using OutageStep = absl::FunctionRef<absl::StatusOr<StepEffects>(v1::Outage&)>;

  absl::Time Now() const { return context_.clock.Now(); }
  absl::Duration MaxSkew() const;

  // Loads the order (NOT_FOUND), runs the step, applies its effects, stores
  // the order and returns its read model.
  absl::StatusOr<v1::WorkOrder> MutateOrder(Transaction& txn, const std::string& work_order_id, OrderStep step);
  absl::StatusOr<v1::Outage> MutateOutage(Transaction& txn, const std::string& outage_id, OutageStep step);
  // Records the breaches, stops and starts the clocks, queues the red lines.
  absl::Status Apply(Transaction& txn, const std::string& subject, const StepEffects& effects);
  // The stored entity plus its clocks and breaches.
  absl::StatusOr<v1::WorkOrder> ReadModel(Transaction& txn, v1::WorkOrder order);
  absl::StatusOr<v1::Outage> ReadModel(Transaction& txn, v1::Outage outage);
  // Creates a dispatched / desk order in the transaction.
  absl::StatusOr<v1::WorkOrder> InsertNewOrder(Transaction& txn, v1::WorkOrder order);

  ServiceContext& context_;
  std::shared_ptr<RepairMetrics> metrics_;
  WorkOrderRules work_orders_;
  OutageRules outages_;
};

absl::StatusOr<ServiceParts> BuildRepair(ServiceContext& context);

}  // namespace gridserve::repair

#endif  // GRIDSERVE_SERVICES_REPAIR_GRPC_REPAIR_SERVICE_H_
