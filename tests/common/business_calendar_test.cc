#include "services/common/business_calendar.h"

#include "gtest/gtest.h"
#include "services/common/config.h"
#include "services/common/status_util.h"

namespace gridserve {
namespace {

// 2026-10-01..07 is China's National Day holiday; Sunday 2026-09-27 and
// Saturday 2026-10-10 are make-up working days.
BusinessCalendar HolidayCalendar() {
  v1::CalendarConfig config = DefaultConfig().calendar();
  for (const char* day : {"2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"}) {
    config.add_holidays(day);
  }
  config.add_makeup_working_days("2026-09-27");
  config.add_makeup_working_days("2026-10-10");
  return *BusinessCalendar::FromConfig(config);
}

absl::Time Local(int y, int m, int d, int hh = 0, int mm = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, 0), absl::FixedTimeZone(8 * 3600));
}

TEST(BusinessCalendarTest, WeekendsHolidaysAndMakeupDays) {
  BusinessCalendar calendar = HolidayCalendar();
  EXPECT_TRUE(calendar.IsWorkingDay(absl::CivilDay(2026, 11, 27)));   // Friday
  EXPECT_FALSE(calendar.IsWorkingDay(absl::CivilDay(2026, 11, 28)));  // Saturday
  EXPECT_FALSE(calendar.IsWorkingDay(absl::CivilDay(2026, 10, 1)));   // holiday on a Thursday
  EXPECT_TRUE(calendar.IsWorkingDay(absl::CivilDay(2026, 9, 27)));    // make-up Sunday
  EXPECT_TRUE(calendar.IsWorkingDay(absl::CivilDay(2026, 10, 10)));   // make-up Saturday
}

// Holidays are configured year by year: the calendar knows where its list ends.
TEST(BusinessCalendarTest, CoveredUntilTheYearAfterTheLastConfiguredDay) {
  EXPECT_EQ(HolidayCalendar().CoveredUntil(), Local(2027, 1, 1));
  EXPECT_FALSE(BusinessCalendar::FromConfig(DefaultConfig().calendar())->CoveredUntil().has_value());
}

TEST(BusinessCalendarTest, WorkingDaysSkipWeekendAndEndAtEndOfDay) {
  BusinessCalendar calendar = HolidayCalendar();
  // Thursday 26 Nov 15:00 + 2 working days = end of Monday 30 Nov.
  EXPECT_EQ(calendar.AddWorkingDays(Local(2026, 11, 26, 15), 2), Local(2026, 12, 1));
  // An event on a Saturday: counting starts on Monday.
  EXPECT_EQ(calendar.AddWorkingDays(Local(2026, 11, 28, 9), 1), Local(2026, 12, 1));
}

TEST(BusinessCalendarTest, WorkingDaysCrossTheHolidayAndUseMakeupDays) {
  BusinessCalendar calendar = HolidayCalendar();
  // Wed 30 Sep + 3 working days: 1, 2 Oct holidays, 3-4 weekend, 5-7 holidays,
  // 8 (Thu), 9 (Fri), 10 (make-up Sat) → end of 10 Oct.
  EXPECT_EQ(calendar.AddWorkingDays(Local(2026, 9, 30, 10), 3), Local(2026, 10, 11));
  // Sat 26 Sep + 1 working day: the make-up Sunday 27 Sep counts.
  EXPECT_EQ(calendar.AddWorkingDays(Local(2026, 9, 26, 10), 1), Local(2026, 9, 28));
  EXPECT_EQ(calendar.WorkingDaysBetween(Local(2026, 9, 30), Local(2026, 10, 10)), 3);
}

TEST(BusinessCalendarTest, CalendarDaysAreWholeDaysFromTheEvent) {
  BusinessCalendar calendar = HolidayCalendar();
  const absl::Time t = Local(2026, 11, 27, 16, 30);
  EXPECT_EQ(calendar.AddDays(t, 5, v1::DAY_COUNT_MODE_CALENDAR_DAYS), t + absl::Hours(120));
  EXPECT_EQ(calendar.AddDays(t, 5, v1::DAY_COUNT_MODE_WORKING_DAYS), Local(2026, 12, 5));
}

TEST(BusinessCalendarTest, LocalDayUsesTheConfiguredOffset) {
  BusinessCalendar calendar = HolidayCalendar();
  // 2026-11-27 17:00 UTC is already 28 Nov in +08:00.
  const absl::Time t = absl::FromCivil(absl::CivilSecond(2026, 11, 27, 17, 0, 0), absl::UTCTimeZone());
  EXPECT_EQ(calendar.LocalDay(t), absl::CivilDay(2026, 11, 28));
}

TEST(BusinessCalendarTest, BadConfigNamesTheField) {
  v1::CalendarConfig config;
  config.add_holidays("2026-13-01");
  auto calendar = BusinessCalendar::FromConfig(config);
  ASSERT_FALSE(calendar.ok());
  ASSERT_EQ(FieldViolationsOf(calendar.status()).size(), 1u);
  EXPECT_EQ(FieldViolationsOf(calendar.status())[0].field, "calendar.holidays[0]");

  v1::CalendarConfig weekday;
  weekday.add_weekend_days("FUNDAY");
  EXPECT_EQ(FieldViolationsOf(BusinessCalendar::FromConfig(weekday).status())[0].field, "calendar.weekend_days[0]");

  v1::CalendarConfig offset;
  offset.set_utc_offset("8 hours");
  EXPECT_EQ(FieldViolationsOf(BusinessCalendar::FromConfig(offset).status())[0].field, "calendar.utc_offset");
}

}  // namespace
}  // namespace gridserve
