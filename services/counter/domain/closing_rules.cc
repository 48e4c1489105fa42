#include "services/counter/domain/closing_rules.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/status_util.h"

namespace gridserve::counter::domain {

absl::Time ClosingTimeOn(absl::Time t, const v1::CounterConfig& config, const BusinessCalendar& calendar) {
  // Validated by the config loader as "HH:MM".
  std::vector<std::string> parts = absl::StrSplit(config.closing_time(), ':');
  int hours = 17, minutes = 30;
  if (parts.size() == 2) {
    (void)absl::SimpleAtoi(parts[0], &hours);
    (void)absl::SimpleAtoi(parts[1], &minutes);
  }
  return calendar.StartOfDay(calendar.LocalDay(t)) + absl::Hours(hours) + absl::Minutes(minutes);
}

bool IssuedBeforeClosing(absl::Time issued_at, absl::Time closing_time) { return issued_at < closing_time; }

bool LastToLeaveAtClosing(absl::Time closed_at, absl::Time closing_time, int other_open_sessions) {
  return other_open_sessions == 0 && closed_at >= closing_time;
}

absl::Status CheckOpenForBusiness(const std::string& hall_subject, absl::CivilDay day, bool closed) {
  if (!closed) return absl::OkStatus();
  return PreconditionFailed("CT-10", hall_subject,
                            absl::StrCat("the hall is closed for ", absl::FormatCivilTime(day),
                                         ": no new business (tickets, sessions, visits) until the next day"));
}

absl::Status CheckClose(const std::string& subject, const OpenBusiness& open, bool force) {
  if (open.empty() || force) return absl::OkStatus();
  return PreconditionFailed("CT-10", subject,
                            absl::StrCat("business in progress: ", open.visit_ids.size(), " visit(s) in progress, ",
                                         open.ticket_ids.size(),
                                         " ticket(s) still waiting; finish them first or force with a reason"));
}

}  // namespace gridserve::counter::domain
