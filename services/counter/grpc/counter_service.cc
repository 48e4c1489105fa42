#include "services/counter/grpc/counter_service.h"

#include "absl/strings/str_cat.h"
#include "services/common/breach_watch.h"
#include "services/common/idempotency.h"
#include "services/common/log.h"
#include "services/common/rpc_util.h"
#include "services/common/watch_stream.h"

namespace gridserve::counter {

CounterService::CounterService(ServiceContext& context)
    : context_(context),
      metrics_(*context.metrics.registry(), context.config.counter()),
      workflow_(context.config, context.calendar, context.clock, context.breaches, context.sla, &metrics_) {}

absl::Status CounterService::RunBackgroundPass() { return workflow_.BackgroundPass(context_.db, context_.clock.Now()); }

// A state-changing call: once per request_id, in one transaction.
#define GRIDSERVE_COUNTER_WRITE(Method)                                                                         \
  grpc::ServerUnaryReactor* CounterService::Method(grpc::CallbackServerContext* ctx, const v1::Method##Request* req, \
                                                   v1::Method##Response* resp) {                                \
    return Reply(ctx, resp,                                                                                     \
                 RunOnce<v1::Method##Response>(context_.db, context_.clock, "/gridserve.v1.Counter/" #Method,   \
                                               req->request_id(), *req, [&](Transaction& txn) {                 \
                                                 return workflow_.Method(txn, *req);                            \
                                               }));                                                             \
  }
// A read, no request id: `Run` is InReadTransactionResult, or
// InTransactionResult for a read that first brings the failure's CT-7 clocks
// up to date (running it twice changes nothing more).
#define GRIDSERVE_COUNTER_READ_IN(Method, Run)                                                                  \
  grpc::ServerUnaryReactor* CounterService::Method(grpc::CallbackServerContext* ctx, const v1::Method##Request* req, \
                                                   v1::Method##Response* resp) {                                \
    return Reply(ctx, resp, Run<v1::Method##Response>(context_.db, [&](Transaction& txn) {                      \
                   return workflow_.Method(txn, *req);                                                          \
                 }));                                                                                           \
  }
#define GRIDSERVE_COUNTER_READ(Method) GRIDSERVE_COUNTER_READ_IN(Method, InReadTransactionResult)

GRIDSERVE_COUNTER_WRITE(IssueTicket)
GRIDSERVE_COUNTER_WRITE(CallTicket)
GRIDSERVE_COUNTER_WRITE(MarkNoShow)
GRIDSERVE_COUNTER_WRITE(SetCounterState)
GRIDSERVE_COUNTER_READ(ListCounters)
GRIDSERVE_COUNTER_WRITE(StartVisit)
GRIDSERVE_COUNTER_WRITE(AddVisitAssist)
GRIDSERVE_COUNTER_WRITE(EndVisit)
GRIDSERVE_COUNTER_WRITE(SubmitApplicationForm)
GRIDSERVE_COUNTER_WRITE(OpenSystemFailure)
GRIDSERVE_COUNTER_WRITE(CloseSystemFailure)
GRIDSERVE_COUNTER_READ_IN(GetSystemFailure, InTransactionResult)
GRIDSERVE_COUNTER_WRITE(ConvertVisitToAppointment)
GRIDSERVE_COUNTER_WRITE(KeepAppointment)
GRIDSERVE_COUNTER_READ(GetAppointment)
GRIDSERVE_COUNTER_READ(ListAppointments)
GRIDSERVE_COUNTER_WRITE(RecordEscalation)
GRIDSERVE_COUNTER_WRITE(RecordCounterReview)
GRIDSERVE_COUNTER_WRITE(OpenHomeService)
GRIDSERVE_COUNTER_WRITE(CompleteHomeService)
GRIDSERVE_COUNTER_READ(GetHomeService)
GRIDSERVE_COUNTER_READ(ListHomeServices)
GRIDSERVE_COUNTER_WRITE(OpenSession)
GRIDSERVE_COUNTER_WRITE(CloseSession)
GRIDSERVE_COUNTER_WRITE(CloseHall)
GRIDSERVE_COUNTER_READ(GetTicket)
GRIDSERVE_COUNTER_READ(ListTickets)
GRIDSERVE_COUNTER_READ(GetVisit)
GRIDSERVE_COUNTER_READ(ListVisits)

#undef GRIDSERVE_COUNTER_WRITE
#undef GRIDSERVE_COUNTER_READ
#undef GRIDSERVE_COUNTER_READ_IN

grpc::ServerWriteReactor<v1::BreachEvent>* CounterService::WatchBreaches(grpc::CallbackServerContext* ctx,
                                                                        const v1::CounterWatchBreachesRequest* req) {
  return WatchBreachEvents(context_.db, context_.breaches, req->after_sequence(), req->rule());
}

absl::StatusOr<ServiceParts> BuildCounter(ServiceContext& context) {
  auto service = std::make_unique<CounterService>(context);
  CounterService* raw = service.get();
  ServiceParts parts;
  parts.Serve<v1::Counter>(std::move(service));
  parts.background_pass.push_back([raw] { return raw->RunBackgroundPass(); });
  return parts;
}

}  // namespace gridserve::counter
