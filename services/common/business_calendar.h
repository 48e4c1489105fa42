#ifndef GRIDSERVE_SERVICES_COMMON_BUSINESS_CALENDAR_H_
#define GRIDSERVE_SERVICES_COMMON_BUSINESS_CALENDAR_H_

#include <optional>
#include <set>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gridserve/v1/config.pb.h"

namespace gridserve {

// The utility's working days: weekly rest days, public holidays, and the rest
// days made into working days (调休). Deadlines in norms.md are given in
// days or working days; this is the one place that counts them.
class BusinessCalendar {
 public:
  // Builds the calendar from config; fails naming the bad field.
  static absl::StatusOr<BusinessCalendar> FromConfig(const v1::CalendarConfig& config);

  // The local civil day of an instant.
  absl::CivilDay LocalDay(absl::Time t) const;
  // Midnight at the start of a local civil day.
  absl::Time StartOfDay(absl::CivilDay day) const;

  bool IsWorkingDay(absl::CivilDay day) const;

  // "Within N working days of t": the end of the Nth working day after t's
  // own day (t's day does not count). Exactly the returned instant is still
  // on time; anything later is late.
  absl::Time AddWorkingDays(absl::Time t, int n) const;

  // "Within N days" under the given counting mode (calendar days are N x 24 h).
  absl::Time AddDays(absl::Time t, int n, v1::DayCountMode mode) const;

  // Working days strictly after `from`'s day up to and including `to`'s day.
  int WorkingDaysBetween(absl::Time from, absl::Time to) const;

  // Holidays are configured year by year (the State Council publishes each
  // year's in the one before): the start of the first year after the last
  // one with a holiday configured, from when every working-day deadline
  // silently counts holidays as working days. None when no holiday is
  // configured at all.
  std::optional<absl::Time> CoveredUntil() const;

 private:
  absl::TimeZone zone_;
  std::set<absl::Weekday> weekend_;
  std::set<absl::CivilDay> holidays_;
  std::set<absl::CivilDay> makeup_days_;
};

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_BUSINESS_CALENDAR_H_
