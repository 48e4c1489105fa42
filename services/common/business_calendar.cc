#include "services/common/business_calendar.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/status_util.h"

namespace gridserve {
namespace {

absl::StatusOr<absl::Weekday> ParseWeekday(const std::string& name, const std::string& field) {
  static const std::pair<const char*, absl::Weekday> kDays[] = {
      {"MONDAY", absl::Weekday::monday},     {"TUESDAY", absl::Weekday::tuesday},
      {"WEDNESDAY", absl::Weekday::wednesday}, {"THURSDAY", absl::Weekday::thursday},
      {"FRIDAY", absl::Weekday::friday},     {"SATURDAY", absl::Weekday::saturday},
      {"SUNDAY", absl::Weekday::sunday}};
  const std::string upper = absl::AsciiStrToUpper(name);
  for (const auto& [day_name, day] : kDays) {
    if (upper == day_name) return day;
  }
  return InvalidField(field, absl::StrCat("\"", name, "\" is not a weekday name (MONDAY ... SUNDAY)"));
}

absl::StatusOr<absl::CivilDay> ParseDay(const std::string& text, const std::string& field) {
  absl::CivilDay day;
  if (!absl::ParseCivilTime(text, &day)) {
    return InvalidField(field, absl::StrCat("\"", text, "\" is not a date YYYY-MM-DD"));
  }
  return day;
}

// "+08:00" / "-05:30" / "Z" → a fixed zone.
absl::StatusOr<absl::TimeZone> ParseOffset(const std::string& text) {
  if (text == "Z" || text == "+00:00") return absl::UTCTimeZone();
  int hours = 0;
  int minutes = 0;
  if (text.size() != 6 || (text[0] != '+' && text[0] != '-') || text[3] != ':' ||
      !absl::SimpleAtoi(text.substr(1, 2), &hours) || !absl::SimpleAtoi(text.substr(4, 2), &minutes) ||
      hours > 14 || minutes > 59) {
    return InvalidField("calendar.utc_offset", absl::StrCat("\"", text, "\" is not an offset like +08:00"));
  }
  const int seconds = (hours * 3600 + minutes * 60) * (text[0] == '-' ? -1 : 1);
  return absl::FixedTimeZone(seconds);
}

}  // namespace

absl::StatusOr<BusinessCalendar> BusinessCalendar::FromConfig(const v1::CalendarConfig& config) {
  BusinessCalendar calendar;
  auto zone = ParseOffset(config.has_utc_offset() ? config.utc_offset() : "+08:00");
  if (!zone.ok()) return zone.status();
  calendar.zone_ = *zone;
  for (int i = 0; i < config.weekend_days_size(); ++i) {
    auto day = ParseWeekday(config.weekend_days(i), absl::StrCat("calendar.weekend_days[", i, "]"));
    if (!day.ok()) return day.status();
    calendar.weekend_.insert(*day);
  }
  for (int i = 0; i < config.holidays_size(); ++i) {
    auto day = ParseDay(config.holidays(i), absl::StrCat("calendar.holidays[", i, "]"));
    if (!day.ok()) return day.status();
    calendar.holidays_.insert(*day);
  }
  for (int i = 0; i < config.makeup_working_days_size(); ++i) {
    auto day = ParseDay(config.makeup_working_days(i), absl::StrCat("calendar.makeup_working_days[", i, "]"));
    if (!day.ok()) return day.status();
    calendar.makeup_days_.insert(*day);
  }
  return calendar;
}

std::optional<absl::Time> BusinessCalendar::CoveredUntil() const {
  // Holidays only: a make-up working day alone (say, early next year's, listed
  // with this year's schedule) does not mean next year's holidays are in.
  if (holidays_.empty()) return std::nullopt;
  return absl::FromCivil(absl::CivilYear(holidays_.rbegin()->year() + 1), zone_);
}

absl::CivilDay BusinessCalendar::LocalDay(absl::Time t) const { return absl::ToCivilDay(t, zone_); }

absl::Time BusinessCalendar::StartOfDay(absl::CivilDay day) const { return absl::FromCivil(day, zone_); }

bool BusinessCalendar::IsWorkingDay(absl::CivilDay day) const {
  if (makeup_days_.count(day) > 0) return true;
  if (holidays_.count(day) > 0) return false;
  return weekend_.count(absl::GetWeekday(day)) == 0;
}

absl::Time BusinessCalendar::AddWorkingDays(absl::Time t, int n) const {
  absl::CivilDay day = LocalDay(t);
  int counted = 0;
  // A calendar with no working day at all is rejected by config validation;
  // the bound keeps a pathological one from looping forever.
  for (int guard = 0; counted < n && guard < 3660; ++guard) {
    ++day;
    if (IsWorkingDay(day)) ++counted;
  }
  return StartOfDay(day + 1);
}

absl::Time BusinessCalendar::AddDays(absl::Time t, int n, v1::DayCountMode mode) const {
  if (mode == v1::DAY_COUNT_MODE_WORKING_DAYS) return AddWorkingDays(t, n);
  return t + absl::Hours(24) * n;
}

int BusinessCalendar::WorkingDaysBetween(absl::Time from, absl::Time to) const {
  int count = 0;
  for (absl::CivilDay day = LocalDay(from) + 1; day <= LocalDay(to); ++day) {
    if (IsWorkingDay(day)) ++count;
  }
  return count;
}

}  // namespace gridserve
