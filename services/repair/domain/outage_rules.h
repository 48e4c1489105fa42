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
//   temporary_maintenance_notice_lead (24 h) before the cut (planned_start,
//   or the actual start when the supply was cut earlier); judged when the
//   supply is actually cut (RecordOutageStart).
// - RK-4: restoration later than the ETR in force (see EtrInForce) plus
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

  // A new ETR while not restored or cancelled. RK-4: once the ETR in force
  // has passed, a new one needs a reason (INVALID_ARGUMENT on "reason"): the
  // reason is the recorded cause of the delay so far. A planned /
  // temporary-maintenance outage's ETR beyond planned_end (and beyond the ETR
  // in force) needs one at any time: it delays the announced end.
  absl::Status UpdateEtr(v1::Outage& outage, absl::Time etr, absl::Time updated_at, const std::string& reason) const;

  // ACTIVE → RESTORED; evaluates RK-4. The delay cause is kept trimmed; a
  // blank one is no recorded cause.
  absl::StatusOr<StepEffects> Restore(v1::Outage& outage, absl::Time at, const std::string& delay_cause) const;

  // SCHEDULED → CANCELLED at `at`.
  absl::Status Cancel(v1::Outage& outage, const std::string& reason, absl::Time at) const;

  // RK-3: the instant by which every important customer must have been
  // notified: the lead time before planned_start, or before started_at when
  // the supply was cut earlier; none for a fault outage.
  std::optional<absl::Time> NoticeDeadline(const v1::Outage& outage) const;

  // RK-4: the instant after which restoration needs a recorded cause
  // (EtrInForce + restoration_grace); none without an ETR or planned end.
  std::optional<absl::Time> RestorationDeadline(const v1::Outage& outage) const;

  // RK-4: the restoration time promised: the latest UpdateEtr (past
  // planned_end only with a recorded cause, see UpdateEtr); else
  // planned_end for a planned / temporary-maintenance outage (an ETR given at
  // creation does not replace the announced end); else a fault outage's
  // first ETR.
  static std::optional<absl::Time> EtrInForce(const v1::Outage& outage);

  // CC-4: whether the outage covers the location at `at` (supply cut at or
  // before `at`, not yet restored at `at`), and how precisely.
  static OutageMatch Covers(const v1::Outage& outage, const v1::Location& location, absl::Time at);

 private:
  const v1::SuiteConfig& config_;
};

}  // namespace gridserve::repair

#endif  // GRIDSERVE_SERVICES_REPAIR_DOMAIN_OUTAGE_RULES_H_
