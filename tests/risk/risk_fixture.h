#ifndef GRIDSERVE_TESTS_RISK_RISK_FIXTURE_H_
#define GRIDSERVE_TESTS_RISK_RISK_FIXTURE_H_

// The risk service assembled over an in-memory database and a fake clock,
// as the platform would assemble it (ServiceContext + BuildRisk).

#include <map>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "services/common/config.h"
#include "services/common/rpc_util.h"
#include "services/common/service_context.h"
#include "services/risk/grpc/risk_service.h"
#include "services/risk/storage/risk_schema.h"
#include "tests/common/test_db.h"

namespace gridserve::risk::testing {

using ::gridserve::testing::CountRows;
using ::gridserve::testing::kStart;

inline double MetricOf(prometheus::Registry& registry, const std::string& name,
                       const std::map<std::string, std::string>& labels) {
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      bool match = true;
      for (const auto& [k, v] : labels) {
        bool found = false;
        for (const auto& label : metric.label) found |= (label.name == k && label.value == v);
        match &= found;
      }
      if (match) return family.type == prometheus::MetricType::Counter ? metric.counter.value : metric.gauge.value;
    }
  }
  return -1;
}

class RiskFixture : public ::testing::Test {
 protected:
  explicit RiskFixture(v1::SuiteConfig config = DefaultConfig())
      : config_(std::move(config)),
        calendar_(*BusinessCalendar::FromConfig(config_.calendar())),
        clock_(kStart),
        db_(::gridserve::testing::OpenPlatformDb(clock_)),
        metrics_("risk", "test", config_),
        breaches_("risk", clock_, &metrics_, BreachRecorder::OutboxToRisk(clock_)),
        sla_(clock_, breaches_, &metrics_),
        outbox_(*db_, clock_, OutboxOptions{}),
        context_{config_, calendar_, clock_, *db_, metrics_, breaches_, sla_, outbox_, PeerTargets{}, nullptr} {
    EXPECT_TRUE(ApplyMigrations(*db_, clock_, "risk", RiskMigrations()).ok());
    auto parts = BuildRisk(context_);
    EXPECT_TRUE(parts.ok()) << parts.status();
    parts_ = *std::move(parts);
    service_ = static_cast<RiskService*>(parts_.service.get());
  }

  RiskLedger& ledger() { return service_->ledger(); }

  double Metric(const std::string& name, const std::map<std::string, std::string>& labels) {
    return MetricOf(*metrics_.registry(), name, labels);
  }

  void RefreshGauges() {
    for (auto& refresh : parts_.on_gauge_refresh) refresh();
  }

  static v1::Breach MakeBreach(const std::string& id, const std::string& department, absl::Time at,
                               const std::string& rule = "RP-1", const std::string& staff = "") {
    v1::Breach b;
    b.set_breach_id(id);
    b.set_service("repair");
    b.set_rule(rule);
    b.set_department(department);
    b.set_staff_id(staff);
    b.set_subject("work_order/" + id);
    b.set_mechanism(v1::MECHANISM_TIMER);
    *b.mutable_occurred_at() = ToProto(at);
    return b;
  }

  static v1::ReportRedLineRequest MakeRedLine(const std::string& request_id, const std::string& rule,
                                              const std::string& department, absl::Time at,
                                              const std::string& staff = "") {
    v1::ReportRedLineRequest r;
    r.set_request_id(request_id);
    r.set_rule(rule);
    r.set_source(v1::RED_LINE_SOURCE_TIP_OFF);
    r.set_department(department);
    r.mutable_staff()->set_staff_id(staff);
    r.mutable_staff()->set_department(department);
    r.set_source_service("contact-center");
    r.set_source_reference("case/C-1");
    *r.mutable_occurred_at() = ToProto(at);
    r.set_description("customer reports a gift was requested");
    return r;
  }

  v1::SuiteConfig config_;
  BusinessCalendar calendar_;
  FakeClock clock_;
  std::unique_ptr<Database> db_;
  ServiceMetrics metrics_;
  BreachRecorder breaches_;
  SlaClock sla_;
  OutboxRelay outbox_;
  ServiceContext context_;
  ServiceParts parts_;
  RiskService* service_ = nullptr;
};

}  // namespace gridserve::risk::testing

#endif  // GRIDSERVE_TESTS_RISK_RISK_FIXTURE_H_
