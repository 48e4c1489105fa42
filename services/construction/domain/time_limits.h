#ifndef GRIDSERVE_SERVICES_CONSTRUCTION_DOMAIN_TIME_LIMITS_H_
#define GRIDSERVE_SERVICES_CONSTRUCTION_DOMAIN_TIME_LIMITS_H_

#include "absl/time/time.h"
#include "gridserve/v1/construction.pb.h"
#include "services/construction/domain/effects.h"

namespace gridserve::construction {

// Whole-process limit of a project type in working days (State Grid's
// published commitment, norms.md "Project-level stage time limits"):
// residential 5, low-voltage non-residential 6, high-voltage single 22,
// high-voltage dual 32 — all from config. 0 for an unknown type.
int WholeProcessLimitWorkingDays(const v1::ConstructionConfig& config, v1::ProjectType type);

// End of the whole process: limit working days after the application.
absl::Time ProjectDue(const Rules& rules, v1::ProjectType type, absl::Time applied_at);

// CN-1: first guidance contact within first_guidance_working_days (default 2)
// working days of the application.
absl::Time FirstGuidanceDue(const Rules& rules, absl::Time applied_at);

// CN-5: re-inspection within reinspection_working_days (default 10) working
// days of the written rectification notice's delivery.
absl::Time ReinspectionDue(const Rules& rules, absl::Time notice_delivered_at);

bool IsHighVoltage(v1::ProjectType type);

}  // namespace gridserve::construction

#endif  // GRIDSERVE_SERVICES_CONSTRUCTION_DOMAIN_TIME_LIMITS_H_
