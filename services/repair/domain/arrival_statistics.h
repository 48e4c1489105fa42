#ifndef GRIDSERVE_SERVICES_REPAIR_DOMAIN_ARRIVAL_STATISTICS_H_
#define GRIDSERVE_SERVICES_REPAIR_DOMAIN_ARRIVAL_STATISTICS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gridserve/v1/config.pb.h"
#include "gridserve/v1/repair.pb.h"
#include "services/common/business_calendar.h"

namespace gridserve::repair {

// The RP-1 facts of one order, as its clocks recorded them.
struct OrderTimes {
  std::string area_class;
  absl::Time dispatched_at;
  absl::Time arrival_due;
  std::optional<absl::Time> arrived_at;
  std::optional<absl::Time> restoration_due;
  std::optional<absl::Time> restored_at;
  // Called off before the crew arrived (no arrival then).
  std::optional<absl::Time> cancelled_at;
  // The clock itself recorded a breach (the sweep expired it, or it was
  // stopped late). An expiry stands even when a fact dated in time is synced
  // after it (a late fact, platform.sla_expiry_grace): the RP-1 breach stays
  // on the order and in risk's ledger, so the statistics count it too.
  bool arrival_clock_breached = false;
  bool restoration_clock_breached = false;
};

struct StatisticsBucket {
  absl::Time start;
  absl::Time end;
};

// Splits [start, end) into local calendar days / weeks (from Monday) /
// months, clipped to the period; WHOLE_PERIOD (or unspecified) is one
// bucket. At most `max_buckets`, else INVALID_ARGUMENT on granularity.
absl::StatusOr<std::vector<StatisticsBucket>> MakeBuckets(const BusinessCalendar& calendar, absl::Time start,
                                                          absl::Time end, v1::StatisticsGranularity granularity,
                                                          int max_buckets = 1000);

// RP-1 as State Grid states it: the AVERAGE dispatch → arrival time per area
// class (and arrival → restoration), next to each class's promise, plus the
// count of orders whose arrival clock breached (arrived late, or not arrived
// and the promise already past at `now`, or the clock expired before an
// in-time arrival was synced; exactly at the promise is on time). The
// averages use the recorded event times.
// One statistic per bucket and configured area class, empty ones included.
std::vector<v1::ArrivalStatistic> ComputeArrivalStatistics(const v1::SuiteConfig& config,
                                                           const std::vector<StatisticsBucket>& buckets,
                                                           const std::vector<OrderTimes>& orders, absl::Time now);

}  // namespace gridserve::repair

#endif  // GRIDSERVE_SERVICES_REPAIR_DOMAIN_ARRIVAL_STATISTICS_H_
