#ifndef GRIDSERVE_TESTS_CONSTRUCTION_DOMAIN_FIXTURE_H_
#define GRIDSERVE_TESTS_CONSTRUCTION_DOMAIN_FIXTURE_H_

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "services/common/business_calendar.h"
#include "services/common/clock.h"
#include "services/common/config.h"
#include "services/common/rpc_util.h"
#include "services/common/status_util.h"
#include "services/construction/domain/effects.h"
#include "services/construction/domain/inspection_rules.h"
#include "services/construction/domain/project_rules.h"

namespace gridserve::construction::testing {

// Beijing time (the default calendar is UTC+8, Saturday and Sunday off).
inline absl::Time Local(int y, int m, int d, int hh = 0, int mm = 0, int ss = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss), absl::FixedTimeZone(8 * 3600));
}

// Friday 2026-11-27 10:00 local: every working-day limit crosses a weekend.
inline const absl::Time kFriday = Local(2026, 11, 27, 10);

// True when `status` is FAILED_PRECONDITION naming `rule` ("CN-2: ...").
inline bool RefusedBy(const absl::Status& status, const std::string& rule) {
  return absl::IsFailedPrecondition(status) && absl::StartsWith(status.message(), rule + ":");
}

inline bool HasViolation(const absl::Status& status, const std::string& field) {
  for (const auto& v : FieldViolationsOf(status)) {
    if (v.field == field) return true;
  }
  return false;
}

class DomainTest : public ::testing::Test {
 protected:
  DomainTest()
      : config_(DefaultConfig()),
        calendar_(*BusinessCalendar::FromConfig(config_.calendar())),
        clock_(kFriday),
        rules_{config_.construction(), calendar_, clock_} {}

  v1::Project NewProject(v1::ProjectType type, absl::Time applied = kFriday) {
    v1::Project p;
    p.set_project_id("PRJ-1");
    p.set_project_type(type);
    p.mutable_customer()->set_name("Customer");
    p.mutable_customer()->set_phone("13800000000");
    p.mutable_site()->set_address("1 Road");
    p.set_department("business-expansion");
    p.mutable_manager()->set_staff_id("S-1");
    *p.mutable_applied_at() = ToProto(applied);
    last_open_ = OpenProject(rules_, p);
    return p;
  }

  v1::StageTransition To(v1::ProjectStage stage, absl::Time at) {
    v1::StageTransition t;
    t.set_to_stage(stage);
    t.mutable_staff()->set_staff_id("S-1");
    *t.mutable_at() = ToProto(at);
    return t;
  }

  // Walks the project to `stage` through every stage in order (for
  // high-voltage projects a coordinated plan is recorded first).
  void WalkTo(v1::Project& p, v1::ProjectStage stage, absl::Time at) {
    for (int s = p.stage() + 1; s <= stage; ++s) {
      if (s == v1::PROJECT_STAGE_CONNECTION && p.stage() == v1::PROJECT_STAGE_INSPECTION) PassInspection(p, at);
      auto e = AdvanceStage(rules_, p, To(static_cast<v1::ProjectStage>(s), at));
      ASSERT_TRUE(e.ok()) << e.status();
    }
  }

  void PassInspection(v1::Project& p, absl::Time at) {
    v1::Inspection inspection;
    inspection.set_inspection_id("INS-PASS-" + std::to_string(p.inspections_size() + 1));
    inspection.set_result(v1::INSPECTION_RESULT_PASSED);
    *inspection.mutable_inspected_at() = ToProto(at);
    auto e = RecordInspection(rules_, p, inspection);
    ASSERT_TRUE(e.ok()) << e.status();
  }

  v1::SuiteConfig config_;
  BusinessCalendar calendar_;
  FakeClock clock_;
  Rules rules_;
  Effects last_open_;
};

}  // namespace gridserve::construction::testing

#endif  // GRIDSERVE_TESTS_CONSTRUCTION_DOMAIN_FIXTURE_H_
