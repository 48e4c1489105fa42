#ifndef GRIDSERVE_SERVICES_COUNTER_GRPC_COUNTER_SERVICE_H_
#define GRIDSERVE_SERVICES_COUNTER_GRPC_COUNTER_SERVICE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "gridserve/v1/counter.grpc.pb.h"
#include "services/common/service_context.h"
#include "services/counter/app/counter_workflow.h"
#include "services/counter/metrics/counter_metrics.h"

namespace gridserve::counter {

// The gridserve.v1.Counter callback service: every state change runs once per
// request_id (RunOnce) in one transaction; the rules live in CounterWorkflow
// and domain/.
class CounterService final : public v1::Counter::CallbackService {
 public:
  explicit CounterService(ServiceContext& context);

  // The background pass with the context's clock (CT-4 back office, CT-7 clocks, gauges).
  absl::Status RunBackgroundPass();

#define GRIDSERVE_COUNTER_RPC(Method) \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* ctx, const v1::Method##Request* req, \
                                   v1::Method##Response* resp) override;
  GRIDSERVE_COUNTER_RPC(IssueTicket)
  GRIDSERVE_COUNTER_RPC(CallTicket)
  GRIDSERVE_COUNTER_RPC(MarkNoShow)
  GRIDSERVE_COUNTER_RPC(SetCounterState)
  GRIDSERVE_COUNTER_RPC(ListCounters)
  GRIDSERVE_COUNTER_RPC(StartVisit)
  GRIDSERVE_COUNTER_RPC(AddVisitAssist)
  GRIDSERVE_COUNTER_RPC(EndVisit)
  GRIDSERVE_COUNTER_RPC(SubmitApplicationForm)
  GRIDSERVE_COUNTER_RPC(OpenSystemFailure)
  GRIDSERVE_COUNTER_RPC(CloseSystemFailure)
  GRIDSERVE_COUNTER_RPC(GetSystemFailure)
  GRIDSERVE_COUNTER_RPC(ConvertVisitToAppointment)
  GRIDSERVE_COUNTER_RPC(KeepAppointment)
  GRIDSERVE_COUNTER_RPC(GetAppointment)
  GRIDSERVE_COUNTER_RPC(ListAppointments)
  GRIDSERVE_COUNTER_RPC(RecordEscalation)
  GRIDSERVE_COUNTER_RPC(RecordCounterReview)
  GRIDSERVE_COUNTER_RPC(OpenHomeService)
  GRIDSERVE_COUNTER_RPC(CompleteHomeService)
  GRIDSERVE_COUNTER_RPC(GetHomeService)
  GRIDSERVE_COUNTER_RPC(ListHomeServices)
  GRIDSERVE_COUNTER_RPC(OpenSession)
  GRIDSERVE_COUNTER_RPC(CloseSession)
  GRIDSERVE_COUNTER_RPC(CloseHall)
  GRIDSERVE_COUNTER_RPC(GetTicket)
  GRIDSERVE_COUNTER_RPC(ListTickets)
  GRIDSERVE_COUNTER_RPC(GetVisit)
  GRIDSERVE_COUNTER_RPC(ListVisits)
#undef GRIDSERVE_COUNTER_RPC

  grpc::ServerWriteReactor<v1::BreachEvent>* WatchBreaches(grpc::CallbackServerContext* ctx,
                                                           const v1::CounterWatchBreachesRequest* req) override;

 private:
  ServiceContext& context_;
  CounterMetrics metrics_;
  CounterWorkflow workflow_;
};

absl::StatusOr<ServiceParts> BuildCounter(ServiceContext& context);

}  // namespace gridserve::counter

#endif  // GRIDSERVE_SERVICES_COUNTER_GRPC_COUNTER_SERVICE_H_
