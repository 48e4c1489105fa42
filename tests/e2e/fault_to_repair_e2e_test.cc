// From the customer's call to the crew at the door, with the real binaries:
// gridserve-contact-center records a utility-side fault (CC-3) and its outbox
// dispatches it to gridserve-repair, which opens the work order and runs the
// RP-1 arrival clock.
//
// The arrival promise runs from the dispatch, which contact-center stamps
// with its own clock when it queues the dispatch; an imported reported_at in
// the past does not move it. So that the promise expires during the test,
// repair runs with a config whose urban arrival_limit is 2 s (the other
// settings keep the norms.md defaults).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <memory>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "gridserve/v1/contact_center.grpc.pb.h"
#include "gridserve/v1/repair.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/support/suite_process.h"

namespace gridserve::testing {
namespace {

using google::protobuf::util::TimeUtil;

// A loopback port nothing listens on right now (bound, read, released).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::string Loopback(int port) { return "127.0.0.1:" + std::to_string(port); }

google::protobuf::Timestamp At(absl::Time t) { return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t)); }

// Polls `done` until it holds or `timeout` passes (background loops run every 0.2–5 s).
bool WaitFor(const std::function<bool()>& done, absl::Duration timeout = absl::Seconds(30)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return done();
}

std::unique_ptr<grpc::ClientContext> Deadline() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return ctx;
}

class FaultToRepairTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_dir_ = MakeWorkDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    // Risk is not running: breaches wait in repair's outbox (nothing is lost).
    dead_risk_ = Loopback(FreePort());
    config_path_ = work_dir_ + "/repair-config.json";
    std::ofstream(config_path_) << R"({"area_classes": [
        {"name": "urban", "arrival_limit": "2s", "restoration_limit": "10800s"},
        {"name": "rural", "arrival_limit": "5400s", "restoration_limit": "14400s"},
        {"name": "remote", "arrival_limit": "7200s", "restoration_limit": "14400s"}]})";
  }

  std::unique_ptr<ServiceProcess> StartRepair(int port) {
    auto repair = std::make_unique<ServiceProcess>(
        "repair", work_dir_,
        std::vector<std::string>{"--listen=" + Loopback(port), "--risk_target=" + dead_risk_,
                                 "--config=" + config_path_});
    EXPECT_TRUE(repair->Start()) << repair->Log();
    return repair;
  }

  std::unique_ptr<ServiceProcess> StartContactCenter(const std::string& repair_target) {
    auto cc = std::make_unique<ServiceProcess>(
        "contact-center", work_dir_,
        std::vector<std::string>{"--repair_target=" + repair_target, "--risk_target=" + dead_risk_});
    EXPECT_TRUE(cc->Start()) << cc->Log();
    return cc;
  }

  // A utility-side fault with the reporter's name, phone and address (CC-3).
  std::string ReportFault(ServiceProcess& cc, const std::string& request_id) {
    auto stub = v1::ContactCenter::NewStub(grpc::CreateChannel(cc.grpc_address(), grpc::InsecureChannelCredentials()));
    v1::ReportFaultRequest req;
    req.set_request_id(request_id);
    req.mutable_reporter()->set_name("Wang Fang");
    req.mutable_reporter()->set_phone("13800000000");
    req.mutable_location()->set_address("12 Jiefang Road");
    req.mutable_location()->set_area_class("urban");
    req.mutable_location()->set_feeder_id("F-10");
    req.set_description("whole street dark");
    req.set_classification(v1::FAULT_CLASSIFICATION_UTILITY_SIDE);
    req.set_department("repair");
    *req.mutable_reported_at() = At(absl::Now() - absl::Seconds(30));
    v1::ReportFaultResponse resp;
    grpc::Status s = stub->ReportFault(Deadline().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
    return resp.fault_report().fault_report_id();
  }

  // The repair work orders made from one fault report.
  static std::vector<v1::WorkOrder> OrdersFor(v1::Repair::Stub& repair, const std::string& fault_report_id) {
    std::vector<v1::WorkOrder> out;
    v1::ListWorkOrdersRequest req;
    req.set_page_size(500);
    v1::ListWorkOrdersResponse resp;
    if (!repair.ListWorkOrders(Deadline().get(), req, &resp).ok()) return out;
    for (const auto& o : resp.work_orders()) {
      if (o.fault_report_id() == fault_report_id) out.push_back(o);
    }
    return out;
  }

  std::string work_dir_;
  std::string dead_risk_;
  std::string config_path_;
};

TEST_F(FaultToRepairTest, LateArrivalAfterDispatchIsAnRp1BreachOnRepairMetricsAndQueuedForRisk) {
  auto repair = StartRepair(0);
  auto cc = StartContactCenter(repair->grpc_address());
  const std::string fault_report_id = ReportFault(*cc, "call-1-fault");
  ASSERT_FALSE(fault_report_id.empty());

  auto stub = v1::Repair::NewStub(grpc::CreateChannel(repair->grpc_address(), grpc::InsecureChannelCredentials()));
  ASSERT_TRUE(WaitFor([&] { return OrdersFor(*stub, fault_report_id).size() == 1; })) << cc->Log();
  const v1::WorkOrder order = OrdersFor(*stub, fault_report_id).front();
  EXPECT_EQ(order.source(), v1::WORK_ORDER_SOURCE_DISPATCH);
  EXPECT_EQ(order.location().area_class(), "urban");
  ASSERT_EQ(order.slas_size(), 1);
  const absl::Time promise = absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(order.slas(0).due_at()));

  // The crew's app reports an arrival one second after the promise. No
  // waiting for the promise to pass: the 2 s urban limit keeps that time
  // within the accepted clock skew, and whether the sweep recorded the breach
  // first or the arrival does, there is one.
  v1::RecordArrivalRequest arrive;
  arrive.set_request_id("arrival-1");
  arrive.set_work_order_id(order.work_order_id());
  arrive.mutable_staff()->set_staff_id("crew-7");
  *arrive.mutable_arrived_at() = At(promise + absl::Seconds(1));
  arrive.set_site_surveyed(true);
  v1::RecordArrivalResponse arrived;
  grpc::Status s = stub->RecordArrival(Deadline().get(), arrive, &arrived);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(arrived.work_order().state(), v1::WORK_ORDER_STATE_ON_SITE);
  ASSERT_GE(arrived.work_order().breaches_size(), 1);
  EXPECT_EQ(arrived.work_order().breaches(0).rule(), "RP-1");

  // Counted on repair's /metrics and waiting in the outbox for risk.
  std::string metrics;
  ASSERT_TRUE(WaitFor([&] {
    metrics = HttpGet(repair->metrics_url());
    return MetricValue(metrics, "gridserve_outbox_pending", {{"topic", "risk.breach"}}) > 0;
  })) << metrics;
  EXPECT_GE(MetricValue(metrics, "gridserve_norm_breaches_total", {{"rule", "RP-1"}, {"department", "repair"}}), 1);
  EXPECT_EQ(MetricValue(metrics, "gridserve_sla_total", {{"sla", "repair_arrival"}, {"outcome", "breached"}}), 1);
  EXPECT_EQ(MetricValue(metrics, "gridserve_repair_arrival_seconds_count", {{"area_class", "urban"}}), 1);
}

TEST_F(FaultToRepairTest, DispatchRecordedWhileRepairIsDownArrivesExactlyOnce) {
  const int repair_port = FreePort();
  auto cc = StartContactCenter(Loopback(repair_port));
  const std::string fault_report_id = ReportFault(*cc, "call-2-fault");
  ASSERT_FALSE(fault_report_id.empty());
  // The outbox tries, and fails, while repair is down.
  ASSERT_TRUE(WaitFor([&] {
    return MetricValue(HttpGet(cc->metrics_url()), "gridserve_outbox_failed_attempts_total",
                       {{"topic", "repair.dispatch"}}) >= 1;
  })) << cc->Log();

  auto repair = StartRepair(repair_port);
  auto stub = v1::Repair::NewStub(grpc::CreateChannel(repair->grpc_address(), grpc::InsecureChannelCredentials()));
  ASSERT_TRUE(WaitFor([&] { return !OrdersFor(*stub, fault_report_id).empty(); }, absl::Seconds(90))) << cc->Log();
  // Once the contact center counts the dispatch delivered (acknowledged by
  // repair, so removed from its outbox), no retry or redelivery is left that
  // could make a second order.
  ASSERT_TRUE(WaitFor([&] {
    return MetricValue(HttpGet(cc->metrics_url()), "gridserve_outbox_delivered_total",
                       {{"topic", "repair.dispatch"}}) >= 1;
  })) << cc->Log();
  EXPECT_EQ(OrdersFor(*stub, fault_report_id).size(), 1u);

  // A restart of repair keeps the one order.
  repair->Stop();
  repair = StartRepair(repair_port);
  stub = v1::Repair::NewStub(grpc::CreateChannel(repair->grpc_address(), grpc::InsecureChannelCredentials()));
  EXPECT_EQ(OrdersFor(*stub, fault_report_id).size(), 1u);
}

}  // namespace
}  // namespace gridserve::testing
