// The worker pool that runs unary calls (services/common/call_executor.h):
// calls run off gRPC's threads, a full queue sheds new calls at once with
// RESOURCE_EXHAUSTED, a call whose deadline passed in the queue never runs;
// store reads (gridserve.v1.store_read) run on gRPC's threads when asked to.
#include "services/common/call_executor.h"

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "prometheus/registry.h"
#include "gridserve/v1/audit.pb.h"
#include "gridserve/v1/construction.pb.h"
#include "gridserve/v1/contact_center.pb.h"
#include "gridserve/v1/counter.pb.h"
#include "gridserve/v1/method_options.pb.h"
#include "gridserve/v1/repair.grpc.pb.h"
#include "gridserve/v1/risk.pb.h"
#include "services/common/auth_policy.h"
#include "services/common/database.h"
#include "services/common/status_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridserve {
namespace {

// GetWorkOrder and CreateWorkOrder block until released, counting the calls
// they started and ended; ListWorkOrders (a store read) answers at once,
// noting whether it ran as one (StoreReadScope) and whether a write would
// have been refused there.
class BlockingRepair final : public v1::Repair::CallbackService {
 public:
  grpc::ServerUnaryReactor* CreateWorkOrder(grpc::CallbackServerContext* context, const v1::CreateWorkOrderRequest* request,
                                            v1::CreateWorkOrderResponse*) override {
    {
      absl::MutexLock lock(&seen_mu);
      last_create = *request;
    }
    return Block(context);
  }
  grpc::ServerUnaryReactor* ListWorkOrders(grpc::CallbackServerContext* context, const v1::ListWorkOrdersRequest*,
                                           v1::ListWorkOrdersResponse*) override {
    ++lists;
    list_ran_as_store_read = StoreReadScope::Active();
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  grpc::ServerUnaryReactor* GetWorkOrder(grpc::CallbackServerContext* context, const v1::GetWorkOrderRequest*,
                                         v1::GetWorkOrderResponse*) override {
    return Block(context);
  }
  // A watch that stays open, sending nothing, until the client cancels it.
  grpc::ServerWriteReactor<v1::BreachEvent>* WatchBreaches(grpc::CallbackServerContext*,
                                                          const v1::RepairWatchBreachesRequest*) override {
    ++watches;
    class Held final : public grpc::ServerWriteReactor<v1::BreachEvent> {
     public:
      void OnCancel() override { Finish(grpc::Status::CANCELLED); }
      void OnDone() override { delete this; }
    };
    return new Held;
  }

  std::atomic<int> started{0};
  std::atomic<int> finished{0};
  std::atomic<int> lists{0};
  std::atomic<int> watches{0};
  std::atomic<bool> list_ran_as_store_read{false};
  absl::Notification release;
  absl::Mutex seen_mu;
  v1::CreateWorkOrderRequest last_create ABSL_GUARDED_BY(seen_mu);  // as the service saw it

 private:
  grpc::ServerUnaryReactor* Block(grpc::CallbackServerContext* context) {
    ++started;
    release.WaitForNotification();
    ++finished;
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

class CallExecutorTest : public ::testing::Test {
 protected:
  void Start(CallExecutorOptions options, bool store_reads_inline = false) {
    executor_ = std::make_unique<CallExecutor>(options);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    auto offloaded = executor_->Offload(&service_, "gridserve.v1.Repair", store_reads_inline);
    ASSERT_TRUE(offloaded.ok()) << offloaded.status();
    builder.RegisterService(*offloaded);
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
    interceptors.push_back(executor_->MakeInterceptorFactory());
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
    server_ = builder.BuildAndStart();
    ASSERT_NE(port, 0);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
    stub_ = v1::Repair::NewStub(channel_);
  }
  void TearDown() override {
    if (!service_.release.HasBeenNotified()) service_.release.Notify();
    if (server_) server_->Shutdown();
    server_.reset();
    executor_.reset();
  }

  // An async GetWorkOrder (blocks); the future holds its status.
  std::future<grpc::Status> Call(std::chrono::milliseconds deadline = std::chrono::seconds(30)) {
    return AsyncCall<v1::GetWorkOrderRequest, v1::GetWorkOrderResponse>(
        [&](auto* context, auto* request, auto* response, auto done) {
          stub_->async()->GetWorkOrder(context, request, response, std::move(done));
        },
        deadline);
  }

  // The same for a write (CreateWorkOrder, blocks) and a store read (ListWorkOrders).
  template <typename Request, typename Response, typename Start>
  std::future<grpc::Status> AsyncCall(Start start, std::chrono::milliseconds deadline = std::chrono::seconds(30)) {
    struct State {
      grpc::ClientContext context;
      Request request;
      Response response;
      std::promise<grpc::Status> done;
    };
    auto state = std::make_shared<State>();
    state->context.set_deadline(std::chrono::system_clock::now() + deadline);
    auto future = state->done.get_future();
    start(&state->context, &state->request, &state->response,
          [state](grpc::Status s) { state->done.set_value(std::move(s)); });
    return future;
  }
  std::future<grpc::Status> Write(const std::string& description = "") {
    return AsyncCall<v1::CreateWorkOrderRequest, v1::CreateWorkOrderResponse>(
        [&](auto* context, auto* request, auto* response, auto done) {
          request->set_description(description);
          stub_->async()->CreateWorkOrder(context, request, response, std::move(done));
        });
  }
  std::future<grpc::Status> List() {
    return AsyncCall<v1::ListWorkOrdersRequest, v1::ListWorkOrdersResponse>(
        [&](auto* context, auto* request, auto* response, auto done) {
          stub_->async()->ListWorkOrders(context, request, response, std::move(done));
        });
  }

  void WaitUntil(const std::function<bool()>& condition) {
    for (int i = 0; i < 2000 && !condition(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_TRUE(condition());
  }

  // With one worker: a write running, a write queued (with room for one
  // queued call, the next offloaded call is then shed).
  std::vector<std::future<grpc::Status>> OccupyTheWorkerAndTheQueue() {
    std::vector<std::future<grpc::Status>> writes;
    writes.push_back(Write());
    WaitUntil([&] { return service_.started == 1; });
    writes.push_back(Write());
    WaitUntil([&] { return executor_->queued() == 1; });
    return writes;
  }

  BlockingRepair service_;
  prometheus::Registry registry_;  // before the executor: it outlives the gauges' last update
  std::unique_ptr<CallExecutor> executor_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Repair::Stub> stub_;
};

TEST_F(CallExecutorTest, AFullQueueShedsNewCallsAtOnceAndTheQueuedOnesStillRun) {
  Start({/*threads=*/1, /*max_queued=*/2});
  auto running = Call();
  WaitUntil([&] { return service_.started == 1; });  // the one worker is busy
  auto queued1 = Call();
  auto queued2 = Call();
  WaitUntil([&] { return executor_->queued() == 2; });
  // The queue is full: the next call is refused without waiting for a worker.
  grpc::Status shed = Call().get();
  EXPECT_EQ(shed.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << shed.error_message();
  EXPECT_NE(shed.error_message().find("retry"), std::string::npos);
  EXPECT_EQ(service_.started, 1);

  service_.release.Notify();
  EXPECT_TRUE(running.get().ok());
  EXPECT_TRUE(queued1.get().ok());
  EXPECT_TRUE(queued2.get().ok());
  EXPECT_EQ(service_.finished, 3);  // the shed call never reached the service
}

// The queue is bounded by its requests' bytes too: a queued request holds its
// memory until a worker takes it.
TEST_F(CallExecutorTest, RequestsBeyondTheQueuedBytesAreShed) {
  CallExecutorOptions options{/*threads=*/1, /*max_queued=*/8};
  options.max_queued_bytes = 5000;
  Start(options);
  auto running = Write(std::string(3000, 'r'));
  WaitUntil([&] { return service_.started == 1; });  // the one worker is busy
  auto queued = Write(std::string(3000, 'q'));
  WaitUntil([&] { return executor_->queued() == 1; });
  EXPECT_GT(executor_->queued_bytes(), 3000);
  // 3000 more would make 6000 bytes waiting: refused at once.
  grpc::Status shed = Write(std::string(3000, 's')).get();
  EXPECT_EQ(shed.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << shed.error_message();
  EXPECT_NE(shed.error_message().find("request bytes"), std::string::npos) << shed.error_message();
  // A small one still fits.
  auto small = Write();
  WaitUntil([&] { return executor_->queued() == 2; });

  service_.release.Notify();
  EXPECT_TRUE(running.get().ok());
  EXPECT_TRUE(queued.get().ok());
  EXPECT_TRUE(small.get().ok());
  EXPECT_EQ(service_.finished, 3);
  WaitUntil([&] { return executor_->queued_bytes() == 0; });
}

TEST_F(CallExecutorTest, ACallWhoseDeadlinePassedInTheQueueNeverRuns) {
  Start({/*threads=*/1, /*max_queued=*/8});
  auto running = Call();
  WaitUntil([&] { return service_.started == 1; });
  auto expiring = Call(std::chrono::milliseconds(200));
  EXPECT_EQ(expiring.get().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  // The server's copy of the deadline starts when the call arrived, so it can
  // trail the client's by the time in transit: leave a wide margin (a loaded
  // machine delays arrival by far less than a second).
  std::this_thread::sleep_for(std::chrono::seconds(1));
  service_.release.Notify();
  EXPECT_TRUE(running.get().ok());
  EXPECT_TRUE(Call().get().ok());  // the worker is free again
  EXPECT_EQ(service_.started, 2);  // the expired call was dropped, not run
}

TEST_F(CallExecutorTest, ManyCallsRunConcurrentlyOnTheWorkers) {
  Start({/*threads=*/8, /*max_queued=*/64});
  std::vector<std::future<grpc::Status>> calls;
  for (int i = 0; i < 8; ++i) calls.push_back(Call());
  // All eight block in the service at once: none waits for gRPC's threads.
  WaitUntil([&] { return service_.started == 8; });
  service_.release.Notify();
  for (auto& c : calls) EXPECT_TRUE(c.get().ok());
}

// A store read (ListWorkOrders is marked gridserve.v1.store_read) runs on
// gRPC's thread when the executor is told to: it answers while the only
// worker is busy and the queue is full, inside a StoreReadScope (writes
// refused). Without it, the same read is shed like any call.
TEST_F(CallExecutorTest, StoreReadsAnswerWhileEveryWorkerIsBusy) {
  Start({/*threads=*/1, /*max_queued=*/1}, /*store_reads_inline=*/true);
  auto writes = OccupyTheWorkerAndTheQueue();

  grpc::Status read = List().get();
  EXPECT_TRUE(read.ok()) << read.error_message();
  EXPECT_TRUE(service_.list_ran_as_store_read);

  service_.release.Notify();
  for (auto& write : writes) EXPECT_TRUE(write.get().ok());
}

TEST_F(CallExecutorTest, WithoutInlineStoreReadsAReadWaitsForAWorkerLikeAnyCall) {
  Start({/*threads=*/1, /*max_queued=*/1}, /*store_reads_inline=*/false);
  auto writes = OccupyTheWorkerAndTheQueue();

  EXPECT_EQ(List().get().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  service_.release.Notify();
  for (auto& write : writes) EXPECT_TRUE(write.get().ok());
  EXPECT_TRUE(List().get().ok());
  EXPECT_FALSE(service_.list_ran_as_store_read);
}

// The fields a status's google.rpc.BadRequest names.
std::vector<std::string> ViolatedFields(const grpc::Status& status) {
  std::vector<std::string> fields;
  for (const FieldViolation& violation : FieldViolationsOf(FromGrpcStatus(status))) fields.push_back(violation.field);
  return fields;
}

// Admission (services/common/request_limits.h): a request with a string past
// its bound is answered INVALID_ARGUMENT naming the field, whichever way its
// method runs (on a worker, as an inline store read, as a stream), and never
// reaches the service; one within its bounds runs as before.
TEST_F(CallExecutorTest, ARequestWithAStringPastItsBoundIsRefusedBeforeItReachesTheService) {
  Start({/*threads=*/1, /*max_queued=*/8}, /*store_reads_inline=*/true);
  service_.release.Notify();  // writes that get through answer at once

  auto write = [&](size_t description_size) {
    return AsyncCall<v1::CreateWorkOrderRequest, v1::CreateWorkOrderResponse>(
               [&](auto* context, auto* request, auto* response, auto done) {
                 request->set_description(std::string(description_size, 'd'));
                 stub_->async()->CreateWorkOrder(context, request, response, std::move(done));
               })
        .get();
  };
  grpc::Status refused = write(4001);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << refused.error_message();
  EXPECT_THAT(ViolatedFields(refused), ::testing::ElementsAre("description"));
  EXPECT_EQ(service_.started, 0);
  EXPECT_TRUE(write(4000).ok());
  EXPECT_EQ(service_.started, 1);

  grpc::Status read = AsyncCall<v1::ListWorkOrdersRequest, v1::ListWorkOrdersResponse>(
                          [&](auto* context, auto* request, auto* response, auto done) {
                            request->set_page_token(std::string(129, 'p'));
                            stub_->async()->ListWorkOrders(context, request, response, std::move(done));
                          })
                          .get();
  EXPECT_EQ(read.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << read.error_message();
  EXPECT_THAT(ViolatedFields(read), ::testing::ElementsAre("page_token"));
  EXPECT_EQ(service_.lists, 0);

  // Admitted, the watch would stay open.
  grpc::ClientContext watch_context;
  watch_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::RepairWatchBreachesRequest watch;
  watch.set_rule(std::string(4001, 'r'));
  auto reader = stub_->WatchBreaches(&watch_context, watch);
  v1::BreachEvent event;
  EXPECT_FALSE(reader->Read(&event));
  grpc::Status watched = reader->Finish();
  EXPECT_EQ(watched.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << watched.error_message();
  EXPECT_THAT(ViolatedFields(watched), ::testing::ElementsAre("rule"));
  EXPECT_EQ(service_.watches, 0);
}

// A blank string reaches the service as the empty string it means, in nested
// messages too, so every "is required" check and optional text
// treats it as missing; real text keeps its spaces.
TEST_F(CallExecutorTest, BlankStringsReachTheServiceEmpty) {
  Start({/*threads=*/1, /*max_queued=*/8});
  service_.release.Notify();
  grpc::Status status = AsyncCall<v1::CreateWorkOrderRequest, v1::CreateWorkOrderResponse>(
                            [&](auto* context, auto* request, auto* response, auto done) {
                              request->set_description(" \t\xe3\x80\x80 ");  // spaces, a tab, an ideographic space
                              request->set_department("   ");
                              request->mutable_location()->set_address("\xc2\xa0");
                              request->set_request_id(" R-1 ");
                              stub_->async()->CreateWorkOrder(context, request, response, std::move(done));
                            })
                            .get();
  ASSERT_TRUE(status.ok()) << status.error_message();
  absl::MutexLock lock(&service_.seen_mu);
  EXPECT_EQ(service_.last_create.description(), "");
  EXPECT_EQ(service_.last_create.department(), "");
  EXPECT_EQ(service_.last_create.location().address(), "");
  EXPECT_EQ(service_.last_create.request_id(), " R-1 ");
}

// Bytes that do not parse as the method's request (here a string field whose
// length runs past the message; a legacy system's GBK text fails the same
// way) are INVALID_ARGUMENT naming the request type, on every kind of method.
// gRPC's callback handlers would answer UNIMPLEMENTED with no message, as for
// a method that does not exist.
TEST_F(CallExecutorTest, BytesThatDoNotParseAreInvalidArgumentNotUnimplemented) {
  Start({/*threads=*/1, /*max_queued=*/8}, /*store_reads_inline=*/true);
  service_.release.Notify();
  grpc::GenericStub generic(channel_);
  const std::string truncated("\x0a\x05" "ab", 4);  // field 1, 5 bytes announced, 2 sent
  const std::string not_utf8("\x0a\x02\xc3\x28", 4);  // field 1 (a string), not UTF-8
  for (const auto& [method, type] : std::vector<std::pair<std::string, std::string>>{
           {"/gridserve.v1.Repair/CreateWorkOrder", "gridserve.v1.CreateWorkOrderRequest"},
           {"/gridserve.v1.Repair/ListWorkOrders", "gridserve.v1.ListWorkOrdersRequest"}}) {
    for (const std::string& bytes : {truncated, not_utf8}) {
      grpc::Slice slice(bytes);
      grpc::ByteBuffer request(&slice, 1);
      grpc::ByteBuffer response;
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
      std::promise<grpc::Status> done;
      generic.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                        [&done](grpc::Status status) { done.set_value(std::move(status)); });
      const grpc::Status status = done.get_future().get();
      EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << method << ": " << status.error_message();
      EXPECT_THAT(status.error_message(), ::testing::HasSubstr("is not a valid " + type)) << method;
    }
  }
  EXPECT_EQ(service_.started, 0);
  EXPECT_EQ(service_.lists, 0);
}

// Watches have no deadline and hold a thread each: beyond max_streams open at
// once a new one is refused at once; one that ends frees its place.
TEST_F(CallExecutorTest, WatchesBeyondTheBoundAreRefusedUntilOneEnds) {
  CallExecutorOptions options{/*threads=*/1, /*max_queued=*/8};
  options.max_streams = 1;
  Start(options);
  struct Watch {
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientReader<v1::BreachEvent>> reader;
  };
  auto watch = [&] {
    auto w = std::make_unique<Watch>();
    w->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    w->reader = stub_->WatchBreaches(&w->context, v1::RepairWatchBreachesRequest());
    return w;
  };

  auto first = watch();
  WaitUntil([&] { return service_.watches == 1 && executor_->open_streams() == 1; });
  auto second = watch();
  v1::BreachEvent event;
  EXPECT_FALSE(second->reader->Read(&event));
  const grpc::Status refused = second->reader->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
  EXPECT_NE(refused.error_message().find("retry"), std::string::npos);
  EXPECT_EQ(service_.watches, 1);

  first->context.TryCancel();
  EXPECT_EQ(first->reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  WaitUntil([&] { return executor_->open_streams() == 0; });
  auto third = watch();
  WaitUntil([&] { return service_.watches == 2 && executor_->open_streams() == 1; });
  third->context.TryCancel();
  third->reader->Finish();
}

// The saturation gauges follow the executor: a call running, one waiting,
// a watch open, and each back to zero when it ends; the bounds are the options.
TEST_F(CallExecutorTest, SaturationGaugesFollowTheWorkersTheQueueAndTheWatches) {
  CallExecutorOptions options{/*threads=*/1, /*max_queued=*/4};
  options.max_streams = 3;
  Start(options);
  executor_->ExportSaturation(registry_, "repair");
  auto gauge = [&](const std::string& name) -> double {
    for (const auto& family : registry_.Collect()) {
      if (family.name != name) continue;
      EXPECT_EQ(family.metric.size(), 1u) << name;
      EXPECT_THAT(family.metric.at(0).label, ::testing::Contains(::testing::AllOf(
                                                 ::testing::Field(&prometheus::ClientMetric::Label::name, "service"),
                                                 ::testing::Field(&prometheus::ClientMetric::Label::value, "repair"))));
      return family.metric.at(0).gauge.value;
    }
    ADD_FAILURE() << name << " not exported";
    return -1;
  };
  EXPECT_EQ(gauge("gridserve_calls_queued_max"), 4);
  EXPECT_EQ(gauge("gridserve_calls_queued_bytes_max"), options.max_queued_bytes);
  EXPECT_EQ(gauge("gridserve_calls_queued_bytes"), 0);
  EXPECT_EQ(gauge("gridserve_call_workers"), 1);
  EXPECT_EQ(gauge("gridserve_watches_open_max"), 3);
  EXPECT_EQ(gauge("gridserve_calls_queued"), 0);
  EXPECT_EQ(gauge("gridserve_call_workers_busy"), 0);
  EXPECT_EQ(gauge("gridserve_watches_open"), 0);

  auto writes = OccupyTheWorkerAndTheQueue();
  EXPECT_EQ(gauge("gridserve_call_workers_busy"), 1);
  EXPECT_EQ(gauge("gridserve_calls_queued"), 1);
  EXPECT_EQ(gauge("gridserve_calls_queued_bytes"), executor_->queued_bytes());
  grpc::ClientContext watch_context;
  auto watch = stub_->WatchBreaches(&watch_context, v1::RepairWatchBreachesRequest());
  WaitUntil([&] { return service_.watches == 1; });
  EXPECT_EQ(gauge("gridserve_watches_open"), 1);

  service_.release.Notify();
  for (auto& write : writes) EXPECT_TRUE(write.get().ok());
  WaitUntil([&] { return gauge("gridserve_call_workers_busy") == 0; });
  EXPECT_EQ(gauge("gridserve_calls_queued"), 0);
  watch_context.TryCancel();
  watch->Finish();
  WaitUntil([&] { return gauge("gridserve_watches_open") == 0; });
}

// The store_read marks in the contracts: only on unary reads (never on a
// method the audit trail counts as state-changing), and not on the reads that
// do more than read a little of their store: GetSystemFailure brings CT-7
// clocks up to date, the contact center's LookupOutage asks repair, and the
// statistics and scores aggregate over a period.
// The five services' contracts.
std::vector<const google::protobuf::ServiceDescriptor*> DomainServices() {
  return {
      v1::GetProjectRequest::descriptor()->file()->FindServiceByName("Construction"),
      v1::GetCallRequest::descriptor()->file()->FindServiceByName("ContactCenter"),
      v1::GetTicketRequest::descriptor()->file()->FindServiceByName("Counter"),
      v1::GetWorkOrderRequest::descriptor()->file()->FindServiceByName("Repair"),
      v1::GetRedLineReportRequest::descriptor()->file()->FindServiceByName("RiskMonitor"),
  };
}

TEST(StoreReadMarksTest, OnlyPlainReadsOfTheirOwnStoreAreMarked) {
  std::vector<const google::protobuf::ServiceDescriptor*> services = DomainServices();
  services.push_back(v1::AuditRecord::descriptor()->file()->FindServiceByName("Audit"));
  int marked = 0;
  for (const auto* service : services) {
    ASSERT_NE(service, nullptr);
    for (int i = 0; i < service->method_count(); ++i) {
      const auto* method = service->method(i);
      if (!method->options().GetExtension(v1::store_read)) continue;
      ++marked;
      EXPECT_FALSE(method->client_streaming() || method->server_streaming()) << method->full_name();
      EXPECT_FALSE(IsStateChanging(method->name())) << method->full_name();
    }
  }
  EXPECT_EQ(marked, 30);
  // It writes the audit records still waiting before it reads (AuditLog::List).
  const auto* audit = v1::AuditRecord::descriptor()->file()->FindServiceByName("Audit");
  EXPECT_FALSE(audit->FindMethodByName("ListAuditRecords")->options().GetExtension(v1::store_read));
  const auto* counter = v1::GetTicketRequest::descriptor()->file()->FindServiceByName("Counter");
  EXPECT_FALSE(counter->FindMethodByName("GetSystemFailure")->options().GetExtension(v1::store_read));
  EXPECT_TRUE(counter->FindMethodByName("GetTicket")->options().GetExtension(v1::store_read));
  const auto* cc = v1::GetCallRequest::descriptor()->file()->FindServiceByName("ContactCenter");
  EXPECT_FALSE(cc->FindMethodByName("LookupOutage")->options().GetExtension(v1::store_read));
  const auto* risk = v1::GetRedLineReportRequest::descriptor()->file()->FindServiceByName("RiskMonitor");
  EXPECT_FALSE(risk->FindMethodByName("GetStatistics")->options().GetExtension(v1::store_read));
  EXPECT_FALSE(risk->FindMethodByName("GetRiskScores")->options().GetExtension(v1::store_read));
  const auto* repair = v1::GetWorkOrderRequest::descriptor()->file()->FindServiceByName("Repair");
  EXPECT_FALSE(repair->FindMethodByName("GetArrivalStatistics")->options().GetExtension(v1::store_read));
}

// design.md: "every create/record call carries a client request_id and is
// idempotent". Every state-changing method of every service takes one (the
// services run each such call through RunOnce, which refuses an empty one).
TEST(RequestIdContractTest, EveryStateChangingMethodTakesARequestId) {
  int writes = 0;
  for (const auto* service : DomainServices()) {
    ASSERT_NE(service, nullptr);
    for (int i = 0; i < service->method_count(); ++i) {
      const auto* method = service->method(i);
      if (!IsStateChanging(method->name())) continue;
      ++writes;
      const auto* field = method->input_type()->FindFieldByName("request_id");
      ASSERT_NE(field, nullptr) << method->full_name();
      EXPECT_EQ(field->type(), google::protobuf::FieldDescriptor::TYPE_STRING) << method->full_name();
    }
  }
  EXPECT_EQ(writes, 66);  // the five services' writes today: a new one is checked too
}

// A name that is no generated service would leave the service without the
// executor (no admission, no workers): an error, never the inner service.
TEST(CallExecutorOffloadTest, ANameThatIsNoGeneratedServiceIsAnError) {
  CallExecutor executor({/*threads=*/1, /*max_queued=*/1});
  BlockingRepair service;
  auto offloaded = executor.Offload(&service, "gridserve.v1.Repiar", /*store_reads_inline=*/false);
  ASSERT_FALSE(offloaded.ok());
  EXPECT_EQ(offloaded.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(offloaded.status().message().find("gridserve.v1.Repiar"), std::string::npos);
  auto right = executor.Offload(&service, "gridserve.v1.Repair", /*store_reads_inline=*/false);
  ASSERT_TRUE(right.ok());
  EXPECT_NE(*right, &service);
}

TEST(CallExecutorQueueTest, TrySubmitRefusesBeyondTheBoundAndRunsEverythingAccepted) {
  std::atomic<int> ran{0};
  absl::Notification release;
  {
    CallExecutor executor({/*threads=*/1, /*max_queued=*/3});
    ASSERT_TRUE(executor.TrySubmit([&] { release.WaitForNotification(); ++ran; }));
    // Wait until the worker took the first job off the queue.
    for (int i = 0; i < 2000 && executor.queued() != 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_TRUE(executor.TrySubmit([&] { ++ran; }));
    EXPECT_TRUE(executor.TrySubmit([&] { ++ran; }));
    EXPECT_TRUE(executor.TrySubmit([&] { ++ran; }));
    EXPECT_FALSE(executor.TrySubmit([&] { ++ran; }));
    EXPECT_EQ(executor.queued(), 3);
    release.Notify();
  }  // the destructor runs what was queued before joining
  EXPECT_EQ(ran, 4);
}

TEST(CallExecutorQueueTest, TrySubmitRefusesBeyondTheByteBoundButNeverACallAlone) {
  std::atomic<int> ran{0};
  absl::Notification release;
  {
    CallExecutorOptions options{/*threads=*/1, /*max_queued=*/10};
    options.max_queued_bytes = 100;
    CallExecutor executor(options);
    ASSERT_TRUE(executor.TrySubmit([&] { release.WaitForNotification(); ++ran; }, 1000));
    for (int i = 0; i < 2000 && executor.queued() != 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    // Alone in the queue, a request larger than the bound still waits: refusing it would refuse it for ever.
    EXPECT_TRUE(executor.TrySubmit([&] { ++ran; }, 150));
    EXPECT_FALSE(executor.TrySubmit([&] { ++ran; }, 1));
    EXPECT_EQ(executor.queued_bytes(), 150);
    release.Notify();
  }
  EXPECT_EQ(ran, 2);
}

}  // namespace
}  // namespace gridserve
