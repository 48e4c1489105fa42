// Whole-process time limits and CN-1 / CN-5 due times in working days.
#include "services/construction/domain/time_limits.h"

#include "tests/construction/domain_fixture.h"

namespace gridserve::construction::testing {
namespace {

class TimeLimitsTest : public DomainTest {};

TEST_F(TimeLimitsTest, DefaultLimitsAreNormsMdNumbers) {
  const auto& c = config_.construction();
  EXPECT_EQ(WholeProcessLimitWorkingDays(c, v1::PROJECT_TYPE_RESIDENTIAL), 5);
  EXPECT_EQ(WholeProcessLimitWorkingDays(c, v1::PROJECT_TYPE_LOW_VOLTAGE_NON_RESIDENTIAL), 6);
  EXPECT_EQ(WholeProcessLimitWorkingDays(c, v1::PROJECT_TYPE_HIGH_VOLTAGE_SINGLE), 22);
  EXPECT_EQ(WholeProcessLimitWorkingDays(c, v1::PROJECT_TYPE_HIGH_VOLTAGE_DUAL), 32);
  EXPECT_EQ(c.first_guidance_working_days(), 2);
}

TEST_F(TimeLimitsTest, LimitsSkipTheWeekend) {
  // Applied Friday 27 Nov: the weekend does not count.
  // Residential 5 working days: Mon 30, Tue 1, Wed 2, Thu 3, Fri 4 Dec → end of Fri 4 Dec.
  EXPECT_EQ(ProjectDue(rules_, v1::PROJECT_TYPE_RESIDENTIAL, kFriday), Local(2026, 12, 5));
  // Low voltage 6: Mon 7 Dec (the second weekend skipped too).
  EXPECT_EQ(ProjectDue(rules_, v1::PROJECT_TYPE_LOW_VOLTAGE_NON_RESIDENTIAL, kFriday), Local(2026, 12, 8));
  // High voltage single 22 working days: 4 full weeks + 2 days → end of Tue 29 Dec.
  EXPECT_EQ(ProjectDue(rules_, v1::PROJECT_TYPE_HIGH_VOLTAGE_SINGLE, kFriday), Local(2026, 12, 30));
  // High voltage dual 32: 6 weeks + 2 days → end of Tue 12 Jan 2027.
  EXPECT_EQ(ProjectDue(rules_, v1::PROJECT_TYPE_HIGH_VOLTAGE_DUAL, kFriday), Local(2027, 1, 13));
}

TEST_F(TimeLimitsTest, FirstGuidanceIsTwoWorkingDaysAcrossTheWeekend) {
  // CN-1: Friday's application → Mon and Tue → due at the end of Tuesday.
  EXPECT_EQ(FirstGuidanceDue(rules_, kFriday), Local(2026, 12, 2));
  // Applied on a Monday: Tue, Wed → end of Wednesday.
  EXPECT_EQ(FirstGuidanceDue(rules_, Local(2026, 11, 23, 9)), Local(2026, 11, 26));
}

TEST_F(TimeLimitsTest, ReinspectionDueCountsWorkingDaysFromTheNotice) {
  // CN-5: 10 working days from Friday's notice → end of Fri 11 Dec.
  EXPECT_EQ(ReinspectionDue(rules_, kFriday), Local(2026, 12, 12));
}

TEST_F(TimeLimitsTest, LimitsComeFromConfig) {
  config_.mutable_construction()->set_residential_limit_working_days(3);
  config_.mutable_construction()->set_first_guidance_working_days(1);
  EXPECT_EQ(ProjectDue(rules_, v1::PROJECT_TYPE_RESIDENTIAL, kFriday), Local(2026, 12, 3));
  EXPECT_EQ(FirstGuidanceDue(rules_, kFriday), Local(2026, 12, 1));
}

TEST_F(TimeLimitsTest, HolidaysAreNotWorkingDays) {
  v1::SuiteConfig config = DefaultConfig();
  config.mutable_calendar()->add_holidays("2026-11-30");
  auto calendar = BusinessCalendar::FromConfig(config.calendar());
  ASSERT_TRUE(calendar.ok());
  Rules rules{config.construction(), *calendar, clock_};
  EXPECT_EQ(FirstGuidanceDue(rules, kFriday), Local(2026, 12, 3));
}

TEST_F(TimeLimitsTest, OpeningAProjectStartsBothCn1Clocks) {
  v1::Project p = NewProject(v1::PROJECT_TYPE_HIGH_VOLTAGE_DUAL);
  EXPECT_EQ(p.stage(), v1::PROJECT_STAGE_APPLICATION);
  ASSERT_EQ(last_open_.start_clocks.size(), 2u);
  EXPECT_EQ(last_open_.start_clocks[0].sla, "first_guidance");
  EXPECT_EQ(last_open_.start_clocks[0].subject, "project/PRJ-1");
  EXPECT_EQ(last_open_.start_clocks[0].department, "business-expansion");
  EXPECT_EQ(last_open_.start_clocks[0].started_at, kFriday);
  EXPECT_EQ(last_open_.start_clocks[0].due_at, Local(2026, 12, 2));
  EXPECT_EQ(last_open_.start_clocks[1].sla, "project_time_limit");
  EXPECT_EQ(last_open_.start_clocks[1].due_at, Local(2027, 1, 13));
}

}  // namespace
}  // namespace gridserve::construction::testing
