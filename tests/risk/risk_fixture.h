#ifndef GRIDSERVE_TESTS_RISK_RISK_FIXTURE_H_
#define GRIDSERVE_TESTS_RISK_RISK_FIXTURE_H_

// The risk service assembled over an in-memory database and a fake clock,
// as the platform would assemble it (tests/support/in_process_service).

#include <map>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "services/common/config.h"
#include "services/common/rpc_util.h"
#include "services/common/service_context.h"
#include "services/risk/grpc/risk_service.h"
#include "services/risk/risk_spec.h"
#include "services/risk/storage/risk_schema.h"
#include "tests/common/registry_value.h"
#include "tests/common/test_db.h"
#include "tests/support/in_process_service.h"

namespace gridserve::risk::testing {

using ::gridserve::testing::CountRows;
using ::gridserve::testing::kStart;

class RiskFixture : public ::testing::Test {
 protected:
  RiskFixture()
      : harness_(::gridserve::testing::InProcessService::StartOrDie(RiskSpec(), StartingAt(kStart))),
        config_(harness_->config()),
        calendar_(harness_->calendar()),
        clock_(harness_->clock()),
        db_(&harness_->db()),
        metrics_(harness_->metrics()),
        sla_(harness_->sla()),
        service_(static_cast<RiskService*>(harness_->service())) {}

  static ::gridserve::testing::InProcessService::Options StartingAt(absl::Time start) {
    ::gridserve::testing::InProcessService::Options options;
    options.start = start;
    return options;
  }

  RiskLedger& ledger() { return service_->ledger(); }
  // Writes to the ledger go through the service's locking database.
  Database& ledger_db() { return service_->ledger_db(); }

  double Metric(const std::string& name, const std::map<std::string, std::string>& labels) {
    return ::gridserve::testing::RegistryValue(*metrics_.registry(), name, labels);
  }

  void RefreshGauges() { ASSERT_TRUE(harness_->RefreshDomainGauges().ok()); }

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

  std::unique_ptr<::gridserve::testing::InProcessService> harness_;
  const v1::SuiteConfig& config_;
  const BusinessCalendar& calendar_;
  FakeClock& clock_;
  Database* db_;
  ServiceMetrics& metrics_;
  SlaClock& sla_;
  RiskService* service_;
};

}  // namespace gridserve::risk::testing

#endif  // GRIDSERVE_TESTS_RISK_RISK_FIXTURE_H_
