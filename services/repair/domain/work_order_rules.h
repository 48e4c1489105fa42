#ifndef GRIDSERVE_SERVICES_REPAIR_DOMAIN_WORK_ORDER_RULES_H_
#define GRIDSERVE_SERVICES_REPAIR_DOMAIN_WORK_ORDER_RULES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gridserve/v1/config.pb.h"
#include "gridserve/v1/repair.pb.h"
#include "services/repair/domain/effects.h"

namespace gridserve::repair {

// Completion checklist items RP-5 requires (CompleteWorkOrderRequest).
inline constexpr char kSiteCleanedItem[] = "site_cleaned";
inline constexpr char kNoResidueItem[] = "no_residue";

// The on-site repair norms RP-1..RP-5 (norms.md part 四) as steps on a work
// order. Each step checks its preconditions, changes the order, and returns
// the breaches found and the SLA clocks to start or stop. Event times have
// already been checked against the server clock by the caller; the steps
// check their order against the record's earlier events.
class WorkOrderRules {
 public:
  explicit WorkOrderRules(const v1::SuiteConfig& config) : config_(config) {}

  // RP-1: promised arrival = dispatch + the area class's arrival_limit
  // (urban 45 min, rural 90 min, remote 120 min).
  absl::StatusOr<absl::Time> ArrivalDue(const std::string& area_class, absl::Time dispatched_at) const;
  // RP-1: promised restoration = arrival + restoration_limit (urban 3 h, rural 4 h).
  absl::StatusOr<absl::Time> RestorationDue(const std::string& area_class, absl::Time arrived_at) const;

  // A new order (id, location, department, dispatched_at set): DISPATCHED,
  // and the RP-1 arrival clock starts at the dispatch.
  absl::StatusOr<StepEffects> Open(v1::WorkOrder& order) const;

  // RP-1 "react at once": the crew acknowledges; only a DISPATCHED order.
  absl::StatusOr<StepEffects> Acknowledge(v1::WorkOrder& order, const std::vector<v1::StaffRef>& crew,
                                          absl::Time at) const;

  // RP-1: arrival stops the arrival clock (exactly at the promise is on time)
  // and starts the restoration clock; not asking / surveying is a check breach.
  absl::StatusOr<StepEffects> Arrive(v1::WorkOrder& order, const v1::StaffRef& staff, absl::Time at,
                                     bool site_surveyed, const std::string& survey_note) const;

  // RP-2: entering the customer's premises. `entry` carries the request's
  // facts (entry_id, staff, entered_at, knocked, id_shown, consent_given,
  // shoe_covers, force_reason); `force` overrides a missing consent.
  absl::StatusOr<StepEffects> EnterPremises(v1::WorkOrder& order, v1::PremisesEntry entry, bool force) const;

  // RP-2: leaving: clean up and thank.
  absl::StatusOr<StepEffects> ExitPremises(v1::WorkOrder& order, const std::string& entry_id, absl::Time at,
                                           bool cleaned_up, bool thanked) const;

  // RP-3: borrowing from the customer: ask first.
  absl::StatusOr<StepEffects> BorrowItem(v1::WorkOrder& order, v1::BorrowedItem item) const;

  // RP-3: give it back cleaned, gently, with thanks.
  absl::StatusOr<StepEffects> ReturnItem(v1::WorkOrder& order, const std::string& item_id, absl::Time at,
                                         bool cleaned, bool returned_gently, bool thanked) const;

  // RP-1: supply restored stops the restoration clock.
  absl::StatusOr<StepEffects> Restore(v1::WorkOrder& order, const v1::StaffRef& staff, absl::Time at,
                                      const std::string& fault_cause, const std::string& action_taken) const;

  // Completion gates: restored (RP-1), no borrowed item out (RP-3) and no
  // premises entry open (RP-2) at `at` (a return or exit dated later does not
  // count), site cleaned and no residue (RP-5).
  absl::StatusOr<StepEffects> Complete(v1::WorkOrder& order, const v1::StaffRef& staff, absl::Time at,
                                       const v1::Checklist& checklist) const;

  // Calls off an order before the crew arrived: CANCELLED, and the RP-1
  // arrival clock withdrawn (a breach if `at` is past the promise).
  absl::StatusOr<StepEffects> Cancel(v1::WorkOrder& order, const v1::StaffRef& staff, absl::Time at,
                                     const std::string& reason) const;

  // RP-4 review: the post-visit survey; uncivil language or a FAILed review
  // item (RP-2..RP-5) is a breach of that clause.
  absl::StatusOr<StepEffects> RecordFeedback(v1::WorkOrder& order, const v1::Feedback& feedback, bool civil_language,
                                             const v1::QualityReview& review, absl::Time now) const;

 private:
  const v1::SuiteConfig& config_;
};

}  // namespace gridserve::repair

#endif  // GRIDSERVE_SERVICES_REPAIR_DOMAIN_WORK_ORDER_RULES_H_
