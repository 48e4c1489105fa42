#ifndef GRIDSERVE_SERVICES_REPAIR_DOMAIN_OUTAGE_RULES_H_
#define GRIDSERVE_SERVICES_REPAIR_DOMAIN_OUTAGE_RULES_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gridserve/v1/config.pb.h"
#include "gridserve/v1/repair.pb.h"
#include "services/repair/domain/effects.h"

namespace gridserve::repair {

// How well an outage matches a location (CC-4 lookup: feeder first, then area).
enum class OutageMatch { kNone = 0, kArea = 1, kFeeder = 2 };

// Outages (norms.md "Outages belong to the repair service") and the facts of
// the automatic red lines:
// - RK-3: a planned / temporary-maintenance outage whose important customers
//   were not notified planned_outage_notice_lead (7 days) /
//   temporary_maintenance_notice_lead (24 h) before planned_start; judged
//   when the supply is actually cut (RecordOutageStart).
// - RK-4: restoration later than the current ETR (or the planned end) plus
//   restoration_grace with no recorded delay cause; judged at restoration.
// Both become a breach on the outage and a red-line report to risk (source
// AUTOMATIC), with ids stable per outage so a retry reports nothing twice.
class OutageRules {
 public:
  explicit OutageRules(const v1::SuiteConfig& config) : config_(config) {}

  // A new outage (fields validated by the caller): FAULT starts ACTIVE at
  // started_at; PLANNED / TEMPORARY_MAINTENANCE start SCHEDULED. The ETR
  // defaults to planned_end.
  void Open(v1::Outage& outage, absl::Time now) const;

  // Records a notice; an important customer's first_noticed_at is the
  // earliest notice sent to them.
  absl::Status AddNotice(v1::Outage& outage, v1::OutageNotice notice) const;

  // SCHEDULED → ACTIVE; evaluates RK-3.
  absl::StatusOr<StepEffects> Start(v1::Outage& outage, absl::Time at) const;

  // A new ETR while not restored or cancelled.
  absl::Status UpdateEtr(v1::Outage& outage, absl::Time etr, absl::Time updated_at, const std::string& reason) const;

  // ACTIVE → RESTORED; evaluates RK-4.
  absl::StatusOr<StepEffects> Restore(v1::Outage& outage, absl::Time at, const std::string& delay_cause) const;

  // SCHEDULED → CANCELLED.
  absl::Status Cancel(v1::Outage& outage, const std::string& reason) const;

  // RK-3: the instant by which every important customer must have been
  // notified; none for a fault outage.
  std::optional<absl::Time> NoticeDeadline(const v1::Outage& outage) const;

  // RK-4: the instant after which restoration needs a recorded cause; none
  // without an ETR or planned end.
  std::optional<absl::Time> RestorationDeadline(const v1::Outage& outage) const;

  // CC-4: whether the outage covers the location at `at` (supply cut at or
  // before `at`, not yet restored at `at`), and how precisely.
  static OutageMatch Covers(const v1::Outage& outage, const v1::Location& location, absl::Time at);

 private:
  const v1::SuiteConfig& config_;
};

}  // namespace gridserve::repair

#endif  // GRIDSERVE_SERVICES_REPAIR_DOMAIN_OUTAGE_RULES_H_
