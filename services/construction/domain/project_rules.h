#ifndef GRIDSERVE_SERVICES_CONSTRUCTION_DOMAIN_PROJECT_RULES_H_
#define GRIDSERVE_SERVICES_CONSTRUCTION_DOMAIN_PROJECT_RULES_H_

#include "absl/status/statusor.h"
#include "gridserve/v1/construction.pb.h"
#include "services/construction/domain/effects.h"

namespace gridserve::construction {

// A project's life: application, guidance (CN-1), stages with the CN-3 check
// and the CN-5 exit gate, the coordinated plan (CN-3), completion (CN-6 and
// CN-8 gates). Each function checks the clause, changes `project` only when
// it succeeds, and returns what else must happen (clocks, breaches).

// A new project from an application. `project` carries id, type, customer,
// site, department, manager and applied_at. Starts the CN-1 first-guidance
// clock and the whole-process clock of the type.
Effects OpenProject(const Rules& rules, v1::Project& project);

// CN-1: a guidance contact; the earliest one (by contacted_at, whatever the
// order they are recorded in) stops the first-guidance clock. On a completed
// or withdrawn project only a contact made while it was open (contacted_at not
// after it ended) is taken — a late-synced fact, judged against the clock as
// the project's end left it (FAILED_PRECONDITION otherwise).
absl::StatusOr<Effects> RecordGuidanceContact(const Rules& rules, v1::Project& project,
                                              v1::GuidanceContact contact);

// Moves to a later stage (`change` has to_stage, staff, note, at).
// - COMPLETED only through CompleteProject; CANCELLED (withdrawn) from any
//   open stage, ending the project's running clocks (withdrawn before their
//   due time, breached after it).
// - CN-3 (check): entering DESIGN_APPROVAL on a high-voltage project without a
//   coordinated plan confirming no duplicate building is a breach; a
//   high-voltage project may not skip DESIGN_APPROVAL.
// - CN-5 (gate): leaving INSPECTION needs a passed inspection; a high-voltage
//   project may not skip INSPECTION.
absl::StatusOr<Effects> AdvanceStage(const Rules& rules, v1::Project& project, v1::StageTransition change);

// CN-3: the customer's substation / distribution room planned together with
// the supply works. The latest plan replaces an earlier one.
absl::StatusOr<Effects> RecordCoordinatedPlan(const Rules& rules, v1::Project& project, v1::CoordinatedPlan plan);

// Completes the project (from CONNECTION, no site work running). Gates:
// CN-6 no damage without the customer's confirmation; CN-8 checklist items
// "site_cleaned" and "no_residue" done, the department's contact number left,
// and the customer's opinion asked (an earlier RecordSiteFeedback, or
// `feedback` given here, which is then recorded). Stops the whole-process
// clock; the project's other running clocks (CN-1 first guidance when no
// contact is recorded, a re-inspection) end with it as on a withdrawal:
// withdrawn before their due time, breached after it — none stays open, is
// listed as due or breaches after completion.
absl::StatusOr<Effects> CompleteProject(const Rules& rules, v1::Project& project, v1::ProjectCompletion completion,
                                        const v1::Feedback* feedback);

// The clocks a completed or withdrawn project ends at the time it ended (as
// CompleteProject and a withdrawal do). For projects stored before completion
// ended them (start-up repairs those); nothing for an open project.
Effects EndedProjectClocks(const v1::Project& project);

// CN-8 required completion checklist items.
inline constexpr const char* kCompletionItems[] = {"site_cleaned", "no_residue"};

}  // namespace gridserve::construction

#endif  // GRIDSERVE_SERVICES_CONSTRUCTION_DOMAIN_PROJECT_RULES_H_
