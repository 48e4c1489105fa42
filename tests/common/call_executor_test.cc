// The worker pool that runs unary calls (services/common/call_executor.h):
// calls run off gRPC's threads, a full queue sheds new calls at once with
// RESOURCE_EXHAUSTED, a call whose deadline passed in the queue never runs.
#include "services/common/call_executor.h"

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/synchronization/notification.h"
#include "gridserve/v1/repair.grpc.pb.h"
#include "gtest/gtest.h"

namespace gridserve {
namespace {

// GetWorkOrder blocks until released, counting the calls it started and ended.
class BlockingRepair final : public v1::Repair::CallbackService {
 public:
  grpc::ServerUnaryReactor* GetWorkOrder(grpc::CallbackServerContext* context, const v1::GetWorkOrderRequest*,
                                         v1::GetWorkOrderResponse*) override {
    ++started;
    release.WaitForNotification();
    ++finished;
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  std::atomic<int> started{0};
  std::atomic<int> finished{0};
  absl::Notification release;
};

class CallExecutorTest : public ::testing::Test {
 protected:
  void Start(CallExecutorOptions options) {
    executor_ = std::make_unique<CallExecutor>(options);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(executor_->Offload(&service_, "gridserve.v1.Repair"));
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
    interceptors.push_back(executor_->MakeInterceptorFactory());
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
    server_ = builder.BuildAndStart();
    ASSERT_NE(port, 0);
    stub_ = v1::Repair::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (!service_.release.HasBeenNotified()) service_.release.Notify();
    if (server_) server_->Shutdown();
    server_.reset();
    executor_.reset();
  }

  // An async call; the future holds its status.
  std::future<grpc::Status> Call(std::chrono::milliseconds deadline = std::chrono::seconds(30)) {
    struct State {
      grpc::ClientContext context;
      v1::GetWorkOrderRequest request;
      v1::GetWorkOrderResponse response;
      std::promise<grpc::Status> done;
    };
    auto state = std::make_shared<State>();
    state->context.set_deadline(std::chrono::system_clock::now() + deadline);
    auto future = state->done.get_future();
    stub_->async()->GetWorkOrder(&state->context, &state->request, &state->response,
                                 [state](grpc::Status s) { state->done.set_value(std::move(s)); });
    return future;
  }

  void WaitUntil(const std::function<bool()>& condition) {
    for (int i = 0; i < 2000 && !condition(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_TRUE(condition());
  }

  BlockingRepair service_;
  std::unique_ptr<CallExecutor> executor_;
  std::unique_ptr<grpc::Server> server_;
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

}  // namespace
}  // namespace gridserve
