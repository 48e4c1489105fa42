#include "services/common/grpc_metrics.h"

#include <grpcpp/grpcpp.h>

#include "gridserve/v1/risk.grpc.pb.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "services/common/config.h"
#include "services/common/outbox.h"
#include "services/common/service_metrics.h"
#include "tests/common/registry_value.h"

namespace gridserve {
namespace {

struct Series {
  int count = 0;
  double value = -1;
};

Series Find(prometheus::Registry& registry, const std::string& name, const std::map<std::string, std::string>& labels) {
  Series out;
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      if (!testing::MetricHasLabels(metric, labels)) continue;
      ++out.count;
      out.value = family.type == prometheus::MetricType::Histogram ? metric.histogram.sample_count
                  : family.type == prometheus::MetricType::Gauge   ? metric.gauge.value
                                                                   : metric.counter.value;
    }
  }
  return out;
}

// An in-process server on port 0 whose RiskMonitor implements nothing: every
// call ends UNIMPLEMENTED, which the interceptor must count like any code.
TEST(GrpcMetricsTest, EveryMethodAndCodeFromStartUpThenCountsCalls) {
  auto registry = std::make_shared<prometheus::Registry>();
  v1::RiskMonitor::CallbackService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(MakeGrpcMetricsInterceptorFactory(registry, {"gridserve.v1.RiskMonitor"}));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  auto server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);

  const std::map<std::string, std::string> report = {
      {"grpc_service", "gridserve.v1.RiskMonitor"}, {"grpc_method", "ReportBreach"}, {"grpc_type", "unary"}};
  EXPECT_EQ(Find(*registry, "grpc_server_started_total", report).value, 0);
  EXPECT_EQ(Find(*registry, "grpc_server_handled_total", report).count, 17);  // every code, at zero
  const int methods = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName("gridserve.v1.RiskMonitor")->method_count();
  EXPECT_EQ(Find(*registry, "grpc_server_handled_total", {}).count, 17 * methods);
  EXPECT_EQ(Find(*registry, "grpc_server_started_total", {{"grpc_method", "WatchLedger"}, {"grpc_type", "server_stream"}}).count, 1);

  auto stub = v1::RiskMonitor::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  for (int i = 0; i < 2; ++i) {
    grpc::ClientContext context;
    v1::ReportBreachResponse response;
    EXPECT_EQ(stub->ReportBreach(&context, v1::ReportBreachRequest(), &response).error_code(),
              grpc::StatusCode::UNIMPLEMENTED);
  }
  EXPECT_EQ(Find(*registry, "grpc_server_started_total", report).value, 2);
  auto unimplemented = report;
  unimplemented["grpc_code"] = "Unimplemented";
  EXPECT_EQ(Find(*registry, "grpc_server_handled_total", unimplemented).value, 2);
  auto ok = report;
  ok["grpc_code"] = "OK";
  EXPECT_EQ(Find(*registry, "grpc_server_handled_total", ok).value, 0);
  EXPECT_EQ(Find(*registry, "grpc_server_handling_seconds", report).value, 2);
  server->Shutdown();
}

// The outbox counters are there at zero before the first delivery (design.md:
// every series from start-up), for each topic whose pending gauge is kept.
TEST(ServiceMetricsTest, OutboxSeriesExistAtZeroFromStartUpThenCount) {
  auto registry = std::make_shared<prometheus::Registry>();
  ServiceMetrics metrics("repair", "test", DefaultConfig(), registry);
  for (const char* topic : {kTopicRiskBreach, kTopicRiskRedLine, kTopicRepairDispatch}) {
    const std::map<std::string, std::string> labels = {{"service", "repair"}, {"topic", topic}};
    for (const char* name : {"gridserve_outbox_delivered_total", "gridserve_outbox_failed_attempts_total",
                             "gridserve_outbox_rejected_total"}) {
      const Series series = Find(*registry, name, labels);
      EXPECT_EQ(series.count, 1) << name << " " << topic;
      EXPECT_EQ(series.value, 0) << name << " " << topic;
    }
  }
  metrics.CountOutboxDeliveries(kTopicRiskBreach, 2, 1, 1);
  metrics.CountOutboxDeliveries(kTopicRiskBreach, 0, 0);
  EXPECT_EQ(Find(*registry, "gridserve_outbox_delivered_total", {{"topic", kTopicRiskBreach}}).value, 2);
  EXPECT_EQ(Find(*registry, "gridserve_outbox_failed_attempts_total", {{"topic", kTopicRiskBreach}}).value, 1);
  EXPECT_EQ(Find(*registry, "gridserve_outbox_rejected_total", {{"topic", kTopicRiskBreach}}).value, 1);
  EXPECT_EQ(Find(*registry, "gridserve_outbox_delivered_total", {}).count, 3);
}

int Occurrences(const std::string& text, const std::string& part) {
  int n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// A department the config does not list is counted as "other" and named once
// in the log, so a misspelt one in a client's setup can be found; a listed
// one is not logged, and the names logged are bounded.
TEST(ServiceMetricsTest, AnUnlistedDepartmentIsCountedAsOtherAndLoggedOnce) {
  ServiceMetrics metrics("contact-center", "test", DefaultConfig());
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(metrics.DepartmentLabel("repair"), "repair");
  EXPECT_EQ(metrics.DepartmentLabel("Repair"), "other");
  EXPECT_EQ(metrics.DepartmentLabel("Repair"), "other");
  EXPECT_EQ(metrics.DepartmentLabel("sales"), "other");
  EXPECT_EQ(metrics.DepartmentLabel(""), "other");
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(Occurrences(log, "\"event\":\"department_not_configured\""), 2) << log;
  EXPECT_EQ(Occurrences(log, "\"department\":\"Repair\""), 1) << log;
  EXPECT_EQ(Occurrences(log, "\"department\":\"sales\""), 1) << log;

  ::testing::internal::CaptureStderr();
  for (int i = 0; i < ServiceMetrics::kMaxUnlistedLogged + 50; ++i) metrics.DepartmentLabel("d" + std::to_string(i));
  const std::string many = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(Occurrences(many, "department_not_configured"), ServiceMetrics::kMaxUnlistedLogged - 2);  // 2 above
}

// When the configured holidays run out (GridserveCalendarEnding); 0 without any.
TEST(ServiceMetricsTest, CalendarCoverageIsTheYearAfterTheLastConfiguredHoliday) {
  v1::SuiteConfig config = DefaultConfig();
  auto bare = std::make_shared<prometheus::Registry>();
  ServiceMetrics without_holidays("counter", "test", config, bare);
  const Series none = Find(*bare, "gridserve_calendar_covered_until_timestamp_seconds", {{"service", "counter"}});
  EXPECT_EQ(none.count, 1);
  EXPECT_EQ(none.value, 0);

  config.mutable_calendar()->add_holidays("2026-10-01");
  config.mutable_calendar()->add_makeup_working_days("2027-02-07");  // next year's holidays are not in yet
  auto registry = std::make_shared<prometheus::Registry>();
  ServiceMetrics metrics("counter", "test", config, registry);
  // 2027-01-01 00:00 in the default calendar's +08:00.
  EXPECT_EQ(Find(*registry, "gridserve_calendar_covered_until_timestamp_seconds", {{"service", "counter"}}).value,
            1798761600 - 8 * 3600);
}

// The background loops' series exist from start-up, one per task with its
// configured interval; a run counts by outcome, and only a success moves the
// last-success time (GridserveBackgroundTaskFailing).
TEST(ServiceMetricsTest, BackgroundLoopsHaveSeriesFromStartUpAndCountRuns) {
  v1::SuiteConfig config = DefaultConfig();
  config.mutable_platform()->mutable_sla_sweep_interval()->set_seconds(7);
  config.mutable_platform()->mutable_retention_sweep_interval()->set_seconds(3600);
  auto registry = std::make_shared<prometheus::Registry>();
  ServiceMetrics metrics("risk", "test", config, registry);
  EXPECT_EQ(Find(*registry, "gridserve_background_interval_seconds", {}).count, 5);
  EXPECT_EQ(Find(*registry, "gridserve_background_interval_seconds", {{"service", "risk"}, {"task", "sla_sweep"}}).value,
            7);
  EXPECT_EQ(Find(*registry, "gridserve_background_interval_seconds", {{"task", "retention"}}).value, 3600);
  for (const char* task : {"sla_sweep", "outbox_relay", "gauges", "service_pass", "retention"}) {
    EXPECT_EQ(Find(*registry, "gridserve_background_interval_seconds", {{"task", task}}).count, 1) << task;
    EXPECT_EQ(Find(*registry, "gridserve_background_last_success_timestamp_seconds", {{"task", task}}).value, 0) << task;
    for (const char* outcome : {"ok", "failed"}) {
      const Series runs = Find(*registry, "gridserve_background_runs_total", {{"task", task}, {"outcome", outcome}});
      EXPECT_EQ(runs.count, 1) << task << " " << outcome;
      EXPECT_EQ(runs.value, 0) << task << " " << outcome;
    }
  }

  metrics.RecordBackgroundRun(kTaskSlaSweep, /*ok=*/true, absl::FromUnixSeconds(1800000000));
  metrics.RecordBackgroundRun(kTaskSlaSweep, /*ok=*/false, absl::FromUnixSeconds(1800000060));
  metrics.RecordBackgroundRun(kTaskSlaSweep, /*ok=*/false, absl::FromUnixSeconds(1800000120));
  EXPECT_EQ(Find(*registry, "gridserve_background_runs_total", {{"task", "sla_sweep"}, {"outcome", "ok"}}).value, 1);
  EXPECT_EQ(Find(*registry, "gridserve_background_runs_total", {{"task", "sla_sweep"}, {"outcome", "failed"}}).value,
            2);
  EXPECT_EQ(Find(*registry, "gridserve_background_last_success_timestamp_seconds", {{"task", "sla_sweep"}}).value,
            1800000000);
  EXPECT_EQ(Find(*registry, "gridserve_background_last_success_timestamp_seconds", {{"task", "gauges"}}).value, 0);
}

}  // namespace
}  // namespace gridserve
