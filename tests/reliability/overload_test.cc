// Overload with the real binary: an oversized request, or a text past its
// bound, is refused before it costs anything; a flood of deadline-less calls is shed with
// RESOURCE_EXHAUSTED by the bounded call queue (platform.max_queued_calls)
// instead of piling up, every accepted write is stored once, and the service
// answers normally afterwards.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gridserve/v1/contact_center.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/reliability/case_request.h"
#include "tests/support/suite_process.h"

namespace gridserve::testing {
namespace {

class OverloadTest : public ::testing::Test {
 protected:
  void StartService(const std::string& config_json) {
    dir_ = MakeWorkDir("overload");
    std::ofstream(dir_ + "/config.json") << config_json;
    service_ = std::make_unique<ServiceProcess>(
        "contact-center", dir_,
        std::vector<std::string>{"--config=" + dir_ + "/config.json", "--risk_target=127.0.0.1:1",
                                 "--repair_target=127.0.0.1:1"});
    ASSERT_TRUE(service_->Start()) << service_->Log();
    channel_ = grpc::CreateChannel(service_->grpc_address(), grpc::InsecureChannelCredentials());
    stub_ = v1::ContactCenter::NewStub(channel_);
  }

  grpc::Status Record(const v1::RecordCaseRequest& request, v1::RecordCaseResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return stub_->RecordCase(&context, request, response);
  }

  bool Serving() {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::health::v1::HealthCheckResponse response;
    return grpc::health::v1::Health::NewStub(channel_)->Check(&context, {}, &response).ok() &&
           response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
  }

  std::string dir_;
  std::unique_ptr<ServiceProcess> service_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ContactCenter::Stub> stub_;
};

TEST_F(OverloadTest, AnOversizedRequestIsRefusedAndTheServiceCarriesOn) {
  StartService("{}");
  v1::RecordCaseResponse response;
  const grpc::Status oversized = Record(ComplaintCase("big-1", std::string(2 << 20, 'x')), &response);
  EXPECT_EQ(oversized.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << oversized.error_message();
  // Within the message limit but past the bound on a text (4000 bytes,
  // common.proto): refused naming the field, before the service stores it.
  const grpc::Status long_text = Record(ComplaintCase("big-1", std::string(4001, 'x')), &response);
  EXPECT_EQ(long_text.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << long_text.error_message();
  google::rpc::Status details;  // read as any client would, from the trailers
  ASSERT_TRUE(details.ParseFromString(long_text.error_details()));
  google::rpc::BadRequest bad_request;
  ASSERT_EQ(details.details_size(), 1);
  ASSERT_TRUE(details.details(0).UnpackTo(&bad_request));
  ASSERT_EQ(bad_request.field_violations_size(), 1);
  EXPECT_EQ(bad_request.field_violations(0).field(), "summary");
  EXPECT_EQ(bad_request.field_violations(0).description(), "must be at most 4000 bytes");
  // Nothing of it was stored; the same request id, now small, is a new request.
  const grpc::Status normal = Record(ComplaintCase("big-1"), &response);
  EXPECT_TRUE(normal.ok()) << normal.error_message();
  EXPECT_TRUE(Serving());
}

TEST_F(OverloadTest, ADeadlineLessFloodIsShedByTheBoundedQueue) {
  // Two workers and room for 16 waiting calls: a flood must overflow it.
  StartService(R"({"platform": {"callThreads": 2, "maxQueuedCalls": 16}})");
  constexpr int kCalls = 3000;
  struct Flight {
    grpc::ClientContext context;  // no deadline: the client would wait forever
    v1::RecordCaseRequest request;
    v1::RecordCaseResponse response;
  };
  std::vector<std::unique_ptr<Flight>> flights;
  std::mutex mu;
  std::map<grpc::StatusCode, int> codes;
  std::map<std::string, std::string> stored;  // request id → case id
  std::promise<void> all_done;
  std::atomic<int> remaining{kCalls};
  for (int i = 0; i < kCalls; ++i) {
    auto flight = std::make_unique<Flight>();
    flight->request = ComplaintCase(absl::StrCat("flood-", i));
    Flight* f = flight.get();
    flights.push_back(std::move(flight));
    stub_->async()->RecordCase(&f->context, &f->request, &f->response, [&, f](grpc::Status status) {
      {
        std::lock_guard<std::mutex> lock(mu);
        ++codes[status.error_code()];
        if (status.ok()) stored[f->request.request_id()] = f->response.customer_case().case_id();
      }
      if (--remaining == 0) all_done.set_value();
    });
  }
  all_done.get_future().wait();

  // Every call got an answer: accepted, or shed at once — nothing else.
  EXPECT_GT(codes[grpc::StatusCode::OK], 0);
  EXPECT_GT(codes[grpc::StatusCode::RESOURCE_EXHAUSTED], 0);
  EXPECT_EQ(codes[grpc::StatusCode::OK] + codes[grpc::StatusCode::RESOURCE_EXHAUSTED], kCalls);
  std::cout << "flood of " << kCalls << ": " << codes[grpc::StatusCode::OK] << " accepted, "
            << codes[grpc::StatusCode::RESOURCE_EXHAUSTED] << " shed" << std::endl;

  // Accepted writes are stored once: a retry of one answers the same case.
  ASSERT_FALSE(stored.empty());
  const auto& [request_id, case_id] = *stored.begin();
  const int index = std::stoi(request_id.substr(request_id.find('-') + 1));
  v1::RecordCaseResponse again;
  ASSERT_TRUE(Record(flights[index]->request, &again).ok());
  EXPECT_EQ(again.customer_case().case_id(), case_id);
  // A shed request was never stored: retried, it is recorded now.
  for (const auto& f : flights) {
    if (stored.count(f->request.request_id())) continue;
    v1::RecordCaseResponse retried;
    ASSERT_TRUE(Record(f->request, &retried).ok());
    EXPECT_FALSE(retried.customer_case().case_id().empty());
    break;
  }
  EXPECT_TRUE(Serving());
  EXPECT_EQ(service_->Stop(), 0) << service_->Log();
}

}  // namespace
}  // namespace gridserve::testing
