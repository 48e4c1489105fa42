#include "services/repair/domain/arrival_statistics.h"

#include <algorithm>

#include "absl/time/civil_time.h"
#include "services/common/config.h"
#include "services/common/rpc_util.h"
#include "services/common/status_util.h"

namespace gridserve::repair {
namespace {

// The local calendar unit containing `day`, as [first day, first day of the next).
std::pair<absl::CivilDay, absl::CivilDay> UnitOf(absl::CivilDay day, v1::StatisticsGranularity granularity) {
  switch (granularity) {
    case v1::STATISTICS_GRANULARITY_WEEK: {
      // Weeks start on Monday.
      int back = 0;
      while (absl::GetWeekday(day - back) != absl::Weekday::monday) ++back;
      return {day - back, day - back + 7};
    }
    case v1::STATISTICS_GRANULARITY_MONTH: {
      const absl::CivilMonth month(day);
      return {absl::CivilDay(month), absl::CivilDay(month + 1)};
    }
    default:
      return {day, day + 1};
  }
}

}  // namespace

absl::StatusOr<std::vector<StatisticsBucket>> MakeBuckets(const BusinessCalendar& calendar, absl::Time start,
                                                          absl::Time end, v1::StatisticsGranularity granularity,
                                                          int max_buckets) {
  std::vector<StatisticsBucket> buckets;
  switch (granularity) {
    case v1::STATISTICS_GRANULARITY_UNSPECIFIED:
    case v1::STATISTICS_GRANULARITY_WHOLE_PERIOD:
      buckets.push_back({start, end});
      return buckets;
    case v1::STATISTICS_GRANULARITY_DAY:
    case v1::STATISTICS_GRANULARITY_WEEK:
    case v1::STATISTICS_GRANULARITY_MONTH:
      break;
    default:
      return InvalidField("granularity", "unknown granularity");
  }
  absl::Time cursor = start;
  while (cursor < end) {
    if (static_cast<int>(buckets.size()) >= max_buckets) {
      return InvalidField("granularity", "too many buckets for the period; choose a coarser granularity");
    }
    const auto unit = UnitOf(calendar.LocalDay(cursor), granularity);
    const absl::Time unit_end = calendar.StartOfDay(unit.second);
    buckets.push_back({cursor, std::min(unit_end, end)});
    cursor = unit_end;
  }
  return buckets;
}

std::vector<v1::ArrivalStatistic> ComputeArrivalStatistics(const v1::SuiteConfig& config,
                                                           const std::vector<StatisticsBucket>& buckets,
                                                           const std::vector<OrderTimes>& orders, absl::Time now) {
  std::vector<v1::ArrivalStatistic> out;
  for (const StatisticsBucket& bucket : buckets) {
    for (const v1::AreaClass& area : config.area_classes()) {
      v1::ArrivalStatistic stat;
      stat.set_area_class(area.name());
      *stat.mutable_bucket_start() = ToProto(bucket.start);
      *stat.mutable_bucket_end() = ToProto(bucket.end);
      *stat.mutable_arrival_limit() = area.arrival_limit();
      *stat.mutable_restoration_limit() = area.restoration_limit();
      absl::Duration arrival_sum;
      absl::Duration restoration_sum;
      for (const OrderTimes& o : orders) {
        if (o.area_class != area.name() || o.dispatched_at < bucket.start || o.dispatched_at >= bucket.end) continue;
        stat.set_order_count(stat.order_count() + 1);
        // Breached = fulfilled after the promise, or still open past it, or
        // called off only after it (the customer had waited in vain), or the
        // clock expired before an in-time fact was synced: the breach the
        // order and risk's ledger keep is counted here too.
        const absl::Time arrival_end = o.arrived_at.has_value()     ? *o.arrived_at
                                       : o.cancelled_at.has_value() ? *o.cancelled_at
                                                                    : now;
        const bool arrival_late = o.arrival_clock_breached || arrival_end > o.arrival_due;
        if (arrival_late) stat.set_arrival_breached_count(stat.arrival_breached_count() + 1);
        if (o.cancelled_at.has_value()) stat.set_cancelled_count(stat.cancelled_count() + 1);
        if (!o.arrived_at.has_value()) continue;
        stat.set_arrived_count(stat.arrived_count() + 1);
        arrival_sum += *o.arrived_at - o.dispatched_at;
        if (o.restoration_due.has_value()) {
          const bool restoration_late =
              o.restoration_clock_breached ||
              (o.restored_at.has_value() ? *o.restored_at > *o.restoration_due : now > *o.restoration_due);
          if (restoration_late) stat.set_restoration_breached_count(stat.restoration_breached_count() + 1);
        }
        if (o.restored_at.has_value()) {
          stat.set_restored_count(stat.restored_count() + 1);
          restoration_sum += *o.restored_at - *o.arrived_at;
        }
      }
      if (stat.arrived_count() > 0) *stat.mutable_average_arrival() = ToProto(arrival_sum / stat.arrived_count());
      if (stat.restored_count() > 0) {
        *stat.mutable_average_restoration() = ToProto(restoration_sum / stat.restored_count());
      }
      out.push_back(std::move(stat));
    }
  }
  return out;
}

}  // namespace gridserve::repair
