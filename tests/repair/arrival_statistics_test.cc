// RP-1 averages by area class (State Grid states its targets as averages).
#include "services/repair/domain/arrival_statistics.h"

#include "gtest/gtest.h"
#include "services/common/config.h"
#include "services/common/rpc_util.h"
#include "tests/common/test_db.h"

namespace gridserve::repair {
namespace {

using ::gridserve::testing::kStart;

OrderTimes Urban(absl::Time dispatched, std::optional<absl::Duration> arrival) {
  OrderTimes t;
  t.area_class = "urban";
  t.dispatched_at = dispatched;
  t.arrival_due = dispatched + absl::Minutes(45);
  if (arrival.has_value()) {
    t.arrived_at = dispatched + *arrival;
    t.restoration_due = *t.arrived_at + absl::Hours(3);
  }
  return t;
}

TEST(ArrivalStatisticsTest, AverageAndBreachesPerAreaClass) {
  const v1::SuiteConfig config = DefaultConfig();
  std::vector<OrderTimes> orders = {
      Urban(kStart, absl::Minutes(30)),
      Urban(kStart + absl::Minutes(1), absl::Minutes(45)),                             // exactly on the promise
      Urban(kStart + absl::Minutes(2), absl::Minutes(45) + absl::Microseconds(1)),    // late by 1 µs
      Urban(kStart + absl::Minutes(3), std::nullopt),                                 // not arrived, due passed
      Urban(kStart + absl::Hours(5), std::nullopt),                                   // not arrived, not yet due
  };
  orders[0].restored_at = *orders[0].arrived_at + absl::Hours(1);
  const absl::Time now = kStart + absl::Hours(5) + absl::Minutes(1);
  auto stats = ComputeArrivalStatistics(config, {{kStart, kStart + absl::Hours(24)}}, orders, now);
  ASSERT_EQ(stats.size(), 3u);  // urban, rural, remote
  const v1::ArrivalStatistic& urban = stats[0];
  EXPECT_EQ(urban.area_class(), "urban");
  EXPECT_EQ(urban.order_count(), 5);
  EXPECT_EQ(urban.arrived_count(), 3);
  // (30 + 45 + 45 min + 1 µs) / 3, to the microsecond (the platform's time resolution).
  EXPECT_EQ(absl::ToInt64Microseconds(FromProto(urban.average_arrival())),
            absl::ToInt64Microseconds(absl::Minutes(40)));
  EXPECT_EQ(urban.arrival_breached_count(), 2);
  EXPECT_EQ(FromProto(urban.arrival_limit()), absl::Minutes(45));
  EXPECT_EQ(urban.restored_count(), 1);
  EXPECT_EQ(FromProto(urban.average_restoration()), absl::Hours(1));
  // Orders 1 and 2 arrived ~46 min in and are still not restored 3 h later.
  EXPECT_EQ(urban.restoration_breached_count(), 2);
  EXPECT_EQ(stats[1].area_class(), "rural");
  EXPECT_EQ(stats[1].order_count(), 0);
  EXPECT_FALSE(stats[1].has_average_arrival());
}

// RP-1: an arrival (or restoration) dated in time but synced after the sweep
// had expired its clock keeps the breach on the order and in risk's ledger
// (platform.sla_expiry_grace); the statistics count what the clocks recorded.
TEST(ArrivalStatisticsTest, AClockExpiredBeforeAnInTimeFactWasSyncedCountsBreached) {
  const v1::SuiteConfig config = DefaultConfig();
  std::vector<OrderTimes> orders = {Urban(kStart, absl::Minutes(40)), Urban(kStart, absl::Minutes(40))};
  orders[0].arrival_clock_breached = true;  // arrived at 40 min, synced after the 45 min expiry
  orders[0].restored_at = *orders[0].arrived_at + absl::Hours(2);
  orders[0].restoration_clock_breached = true;  // restored in time, synced after the expiry
  orders[1].restored_at = *orders[1].arrived_at + absl::Hours(2);
  auto stats = ComputeArrivalStatistics(config, {{kStart, kStart + absl::Hours(24)}}, orders, kStart + absl::Hours(6));
  const v1::ArrivalStatistic& urban = stats[0];
  EXPECT_EQ(urban.arrived_count(), 2);
  EXPECT_EQ(FromProto(urban.average_arrival()), absl::Minutes(40));  // averages from the event times
  EXPECT_EQ(urban.arrival_breached_count(), 1);
  EXPECT_EQ(urban.restoration_breached_count(), 1);
}

TEST(ArrivalStatisticsTest, BucketsFollowLocalCalendar) {
  const v1::SuiteConfig config = DefaultConfig();  // +08:00
  auto calendar = BusinessCalendar::FromConfig(config.calendar());
  ASSERT_TRUE(calendar.ok());
  // kStart = 2026-11-27 09:00 UTC = 17:00 local (a Friday).
  auto days = MakeBuckets(*calendar, kStart, kStart + absl::Hours(48), v1::STATISTICS_GRANULARITY_DAY);
  ASSERT_TRUE(days.ok());
  ASSERT_EQ(days->size(), 3u);
  EXPECT_EQ((*days)[0].start, kStart);
  EXPECT_EQ((*days)[0].end, kStart + absl::Hours(7));  // local midnight
  EXPECT_EQ((*days)[2].end, kStart + absl::Hours(48));
  auto weeks = MakeBuckets(*calendar, kStart, kStart + absl::Hours(24 * 10), v1::STATISTICS_GRANULARITY_WEEK);
  ASSERT_TRUE(weeks.ok());
  ASSERT_EQ(weeks->size(), 3u);  // Fri..Mon 30 Nov, 30 Nov..7 Dec, 7 Dec 00:00..17:00 local
  EXPECT_EQ((*weeks)[0].end, kStart + absl::Hours(7 + 48));  // Monday 2026-11-30 00:00 local
  EXPECT_EQ((*weeks)[1].end, kStart + absl::Hours(7 + 48 + 24 * 7));
  auto months = MakeBuckets(*calendar, kStart, kStart + absl::Hours(24 * 10), v1::STATISTICS_GRANULARITY_MONTH);
  ASSERT_TRUE(months.ok());
  ASSERT_EQ(months->size(), 2u);
  EXPECT_EQ((*months)[0].end, kStart + absl::Hours(7 + 24 * 3));  // 2026-12-01 00:00 local
  auto whole = MakeBuckets(*calendar, kStart, kStart + absl::Hours(1), v1::STATISTICS_GRANULARITY_WHOLE_PERIOD);
  ASSERT_EQ(whole->size(), 1u);
  auto too_many = MakeBuckets(*calendar, kStart, kStart + absl::Hours(24 * 5000), v1::STATISTICS_GRANULARITY_DAY);
  EXPECT_EQ(too_many.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gridserve::repair
