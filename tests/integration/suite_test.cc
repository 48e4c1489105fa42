// The five real binaries on free loopback ports: health, reflection, metrics.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <set>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gridserve/v1/counter.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/support/suite_process.h"

namespace gridserve::testing {
namespace {

const std::vector<std::pair<std::string, std::string>> kServices = {
    {"contact-center", "gridserve.v1.ContactCenter"}, {"counter", "gridserve.v1.Counter"},
    {"construction", "gridserve.v1.Construction"},     {"repair", "gridserve.v1.Repair"},
    {"risk", "gridserve.v1.RiskMonitor"}};

class SuiteTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    work_dir_ = new std::string(MakeWorkDir("suite"));
    processes_ = new std::vector<std::unique_ptr<ServiceProcess>>();
    for (const auto& [name, grpc_service] : kServices) {
      processes_->push_back(std::make_unique<ServiceProcess>(name, *work_dir_));
      ASSERT_TRUE(processes_->back()->Start()) << name << " did not start:\n" << processes_->back()->Log();
    }
  }
  static void TearDownTestSuite() {
    delete processes_;
    delete work_dir_;
  }
  static std::string* work_dir_;
  static std::vector<std::unique_ptr<ServiceProcess>>* processes_;
};
std::string* SuiteTest::work_dir_ = nullptr;
std::vector<std::unique_ptr<ServiceProcess>>* SuiteTest::processes_ = nullptr;

TEST_F(SuiteTest, EveryServiceReportsServing) {
  for (size_t i = 0; i < kServices.size(); ++i) {
    auto channel = grpc::CreateChannel((*processes_)[i]->grpc_address(), grpc::InsecureChannelCredentials());
    auto health = grpc::health::v1::Health::NewStub(channel);
    for (const std::string& name : {std::string(), kServices[i].second}) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
      grpc::health::v1::HealthCheckRequest request;
      request.set_service(name);
      grpc::health::v1::HealthCheckResponse response;
      ASSERT_TRUE(health->Check(&context, request, &response).ok()) << kServices[i].first;
      EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING) << kServices[i].first << " " << name;
    }
  }
}

// Started without a config, no holiday is configured: working-day deadlines
// would count public holidays as working days, so each service says so.
TEST_F(SuiteTest, ACalendarWithoutHolidaysIsSaidAtStartUp) {
  for (const auto& process : *processes_) {
    EXPECT_THAT(process->Log(), ::testing::HasSubstr("\"event\":\"calendar_without_holidays\"")) << process->service();
  }
}

TEST_F(SuiteTest, ReflectionListsEachGridserveService) {
  for (size_t i = 0; i < kServices.size(); ++i) {
    auto channel = grpc::CreateChannel((*processes_)[i]->grpc_address(), grpc::InsecureChannelCredentials());
    auto reflection = grpc::reflection::v1alpha::ServerReflection::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    auto stream = reflection->ServerReflectionInfo(&context);
    grpc::reflection::v1alpha::ServerReflectionRequest request;
    request.set_list_services("");
    ASSERT_TRUE(stream->Write(request));
    grpc::reflection::v1alpha::ServerReflectionResponse response;
    ASSERT_TRUE(stream->Read(&response));
    std::set<std::string> names;
    for (const auto& s : response.list_services_response().service()) names.insert(s.name());
    EXPECT_THAT(names, ::testing::Contains(kServices[i].second));
    EXPECT_THAT(names, ::testing::Contains("grpc.health.v1.Health"));

    // The full schema is there too, so grpcurl can describe and call it.
    grpc::reflection::v1alpha::ServerReflectionRequest describe;
    describe.set_file_containing_symbol(kServices[i].second);
    ASSERT_TRUE(stream->Write(describe));
    ASSERT_TRUE(stream->Read(&response));
    EXPECT_GT(response.file_descriptor_response().file_descriptor_proto_size(), 0) << kServices[i].first;
    stream->WritesDone();
    EXPECT_TRUE(stream->Finish().ok());
  }
}

TEST_F(SuiteTest, MetricsPassPromtoolAndCarryTheContractSeries) {
  for (size_t i = 0; i < kServices.size(); ++i) {
    const ServiceProcess& p = *(*processes_)[i];
    SCOPED_TRACE(p.service());
    const std::string text = HttpGet(p.metrics_url());
    ASSERT_FALSE(text.empty());
    std::string lint;
    const int rc = RunCommand("curl -sf '" + p.metrics_url() + "' | promtool check metrics", &lint);
    EXPECT_EQ(rc, 0) << lint;
    EXPECT_EQ(MetricValue(text, "gridserve_build_info", {{"service", p.service()}}), 1);
    EXPECT_EQ(MetricValue(text, "grpc_server_handled_total",
                          {{"grpc_service", kServices[i].second}, {"grpc_code", "PermissionDenied"}}),
              0);
    EXPECT_EQ(MetricValue(text, "grpc_server_started_total", {{"grpc_service", kServices[i].second}}), 0);
    if (p.service() != "risk") {
      // Every clause the service owns, for every department, at zero.
      EXPECT_EQ(MetricValue(text, "gridserve_norm_breaches_total", {{"department", "other"}}), 0);
    }
    EXPECT_EQ(MetricValue(text, "gridserve_sla_total", {{"outcome", "breached"}}), 0);
  }
}

// Every background loop of every service has run without an error on a real
// store: a domain gauge query that fails on the real schema, or a sweep that
// cannot run, shows here (and in GridserveBackgroundTaskFailing), not only in
// a log line.
TEST_F(SuiteTest, EveryBackgroundLoopRunsWithoutErrors) {
  for (size_t i = 0; i < kServices.size(); ++i) {
    const ServiceProcess& p = *(*processes_)[i];
    SCOPED_TRACE(p.service());
    for (const char* task : {"sla_sweep", "outbox_relay", "gauges", "service_pass", "retention"}) {
      SCOPED_TRACE(task);
      std::string text;
      // Each loop runs once when the service starts; wait for that run.
      const absl::Time deadline = absl::Now() + absl::Seconds(30);
      do {
        text = HttpGet(p.metrics_url());
        if (MetricValue(text, "gridserve_background_runs_total", {{"task", task}, {"outcome", "ok"}}) >= 1) break;
        absl::SleepFor(absl::Milliseconds(50));
      } while (absl::Now() < deadline);
      EXPECT_GE(MetricValue(text, "gridserve_background_runs_total", {{"task", task}, {"outcome", "ok"}}), 1);
      EXPECT_EQ(MetricValue(text, "gridserve_background_runs_total", {{"task", task}, {"outcome", "failed"}}), 0);
      EXPECT_GT(MetricValue(text, "gridserve_background_last_success_timestamp_seconds", {{"task", task}}),
                absl::ToUnixSeconds(absl::Now() - absl::Hours(1)));
      EXPECT_GT(MetricValue(text, "gridserve_background_interval_seconds", {{"task", task}}), 0);
    }
  }
}

TEST_F(SuiteTest, CallsToUnknownMethodsNeverBecomeLabelValues) {
  ServiceProcess& risk = *(*processes_)[4];
  // The Counter's method, sent to risk: UNIMPLEMENTED there.
  auto stub = v1::Counter::NewStub(grpc::CreateChannel(risk.grpc_address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  v1::IssueTicketResponse response;
  EXPECT_EQ(stub->IssueTicket(&context, v1::IssueTicketRequest(), &response).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  const std::string text = HttpGet(risk.metrics_url());
  EXPECT_EQ(text.find("gridserve.v1.Counter"), std::string::npos);
  EXPECT_NE(text.find("gridserve.v1.RiskMonitor"), std::string::npos);
}

// Runs last (alphabetically after the others is not guaranteed; it starts its own).
TEST(SuiteLifecycleTest, SigtermDrainsAndExitsCleanlyAndDataSurvives) {
  const std::string dir = MakeWorkDir("lifecycle");
  ServiceProcess repair("repair", dir);
  ASSERT_TRUE(repair.Start()) << repair.Log();
  EXPECT_EQ(repair.Stop(SIGTERM), 0);
  EXPECT_THAT(repair.Log(), ::testing::HasSubstr("\"event\":\"draining\""));
  EXPECT_THAT(repair.Log(), ::testing::HasSubstr("\"event\":\"stopped\""));
  auto applied = [&repair] {
    const std::string log = repair.Log();
    size_t n = 0;
    for (size_t at = 0; (at = log.find("\"event\":\"migration_applied\"", at)) != std::string::npos; ++at) ++n;
    return n;
  };
  const size_t first_run = applied();
  EXPECT_GE(first_run, 4u);  // the platform's four at least, plus the service's own
  // Restart on the same database: no migration is applied twice.
  ASSERT_TRUE(repair.Start()) << repair.Log();
  EXPECT_EQ(repair.Stop(SIGINT), 0);
  EXPECT_EQ(applied(), first_run);
}

TEST(SuiteLifecycleTest, ABadConfigStopsStartUpNamingTheField) {
  const std::string dir = MakeWorkDir("badconfig");
  std::string ignored;
  RunCommand("printf '{\"counter\": {\"ticketWaitLimit\": \"-5s\"}}' > '" + dir + "/bad.json'", &ignored);
  ServiceProcess counter("counter", dir, {"--config=" + dir + "/bad.json"});
  EXPECT_FALSE(counter.Start(absl::Seconds(10)));
  EXPECT_THAT(counter.Log(), ::testing::HasSubstr("counter.ticket_wait_limit"));
  EXPECT_THAT(counter.Log(), ::testing::HasSubstr("config_invalid"));
}

}  // namespace
}  // namespace gridserve::testing
