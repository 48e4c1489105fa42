// The real gridserve-contact-center binary on free loopback ports: a
// backdated complaint breached by the background sweep (CC-5), and a call
// answered at ring 5 without apology (CC-1), both seen on /metrics. Risk and
// repair are absent: their outbox messages simply wait.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <thread>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gridserve/v1/contact_center.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/support/suite_process.h"

namespace gridserve::testing {
namespace {

using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp Ts(absl::Time t) { return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t)); }

class ContactCenterE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    process_ = std::make_unique<ServiceProcess>(
        "contact-center", MakeWorkDir("contact_center_e2e"),
        std::vector<std::string>{"--risk_target=127.0.0.1:1", "--repair_target=127.0.0.1:1"});
    ASSERT_TRUE(process_->Start()) << process_->Log();
    stub_ = v1::ContactCenter::NewStub(grpc::CreateChannel(process_->grpc_address(), grpc::InsecureChannelCredentials()));
  }

  template <typename Req, typename Resp>
  grpc::Status Call(grpc::Status (v1::ContactCenter::Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                    const Req& request, Resp* response) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return (stub_.get()->*method)(&ctx, request, response);
  }

  double Metric(const std::string& name, const std::map<std::string, std::string>& labels) {
    return MetricValue(HttpGet(process_->metrics_url()), name, labels);
  }

  // Polls /metrics until the sample reaches `want` or the deadline passes.
  double WaitForMetric(const std::string& name, const std::map<std::string, std::string>& labels, double want,
                       absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    double value = Metric(name, labels);
    while (value < want && absl::Now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      value = Metric(name, labels);
    }
    return value;
  }

  std::unique_ptr<ServiceProcess> process_;
  std::unique_ptr<v1::ContactCenter::Stub> stub_;
};

TEST_F(ContactCenterE2eTest, BackdatedComplaintIsBreachedByTheSweep) {
  const std::map<std::string, std::string> breached{{"sla", "complaint_reply"}, {"outcome", "breached"}};
  const std::map<std::string, std::string> cc5{{"rule", "CC-5"}, {"department", "repair"}};
  // Series exist at zero before anything happens.
  EXPECT_EQ(Metric("gridserve_sla_total", breached), 0);
  EXPECT_EQ(Metric("gridserve_norm_breaches_total", cc5), 0);

  v1::RecordCaseRequest request;
  request.set_request_id("e2e-complaint-1");
  request.set_kind(v1::CASE_KIND_COMPLAINT);
  request.mutable_reporter()->set_name("Li");
  request.mutable_reporter()->set_phone("13900000000");
  request.set_department("repair");
  request.set_summary("the crew was rude");
  request.set_thanked(true);
  // Received 5 days + 1 minute ago: the 5-day reply clock expired a minute ago.
  *request.mutable_received_at() = Ts(absl::Now() - absl::Hours(24 * 5) - absl::Minutes(1));
  v1::RecordCaseResponse response;
  const grpc::Status status = Call(&v1::ContactCenter::Stub::RecordCase, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.customer_case().slas(0).sla(), "complaint_reply");

  EXPECT_EQ(WaitForMetric("gridserve_sla_total", breached, 1, absl::Seconds(20)), 1) << process_->Log();
  EXPECT_EQ(Metric("gridserve_norm_breaches_total", cc5), 1);
  EXPECT_EQ(Metric("gridserve_sla_total", {{"sla", "complaint_reply"}, {"outcome", "met"}}), 0);

  // The case's read model shows the expiry.
  v1::GetCaseRequest get;
  get.set_case_id(response.customer_case().case_id());
  v1::GetCaseResponse got;
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::GetCase, get, &got).ok());
  EXPECT_EQ(got.customer_case().slas(0).state(), v1::SLA_STATUS_BREACHED);
  ASSERT_EQ(got.customer_case().breaches_size(), 1);
  EXPECT_EQ(got.customer_case().breaches(0).rule(), "CC-5");
  // Personal data never reaches the log.
  EXPECT_THAT(process_->Log(), ::testing::Not(::testing::HasSubstr("13900000000")));
}

TEST_F(ContactCenterE2eTest, CallAnsweredAtRingFiveWithoutApologyIsACc1Breach) {
  const std::map<std::string, std::string> cc1{{"rule", "CC-1"}, {"department", "customer-service"}};
  EXPECT_EQ(Metric("gridserve_norm_breaches_total", cc1), 0);

  const absl::Time now = absl::Now();
  v1::RecordCallRequest request;
  request.set_request_id("e2e-call-1");
  request.set_external_call_id("TEL-e2e-1");
  request.mutable_agent()->set_staff_id("S-1");
  request.set_department("customer-service");
  request.set_caller_phone("13800000000");
  *request.mutable_alerting_started_at() = Ts(now - absl::Minutes(2));
  *request.mutable_answered_at() = Ts(now - absl::Minutes(2) + absl::Seconds(25));
  *request.mutable_ended_at() = Ts(now - absl::Seconds(10));
  request.set_outcome(v1::CALL_OUTCOME_ANSWERED);
  request.set_rings(5);
  request.set_greeted(true);
  request.set_unit_named(true);
  request.set_hang_up_party(v1::HANG_UP_PARTY_CUSTOMER);
  v1::RecordCallResponse response;
  const grpc::Status status = Call(&v1::ContactCenter::Stub::RecordCall, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.call().breaches_size(), 1);
  EXPECT_EQ(response.call().breaches(0).rule(), "CC-1");

  EXPECT_EQ(WaitForMetric("gridserve_norm_breaches_total", cc1, 1, absl::Seconds(10)), 1);
  EXPECT_EQ(Metric("gridserve_sla_total", {{"sla", "answer_within_rings"}, {"outcome", "breached"}}), 1);
  EXPECT_EQ(Metric("gridserve_contact_center_call_rings_bucket",
                   {{"department", "customer-service"}, {"outcome", "answered"}, {"le", "3"}}),
            0);
  EXPECT_EQ(Metric("gridserve_contact_center_call_rings_count",
                   {{"department", "customer-service"}, {"outcome", "answered"}}),
            1);
  // Recorded once even when the telephony system retries.
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::RecordCall, request, &response).ok());
  EXPECT_EQ(Metric("gridserve_norm_breaches_total", cc1), 1);
}

}  // namespace
}  // namespace gridserve::testing
