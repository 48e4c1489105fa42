#ifndef GRIDSERVE_SERVICES_CONSTRUCTION_DOMAIN_INSPECTION_RULES_H_
#define GRIDSERVE_SERVICES_CONSTRUCTION_DOMAIN_INSPECTION_RULES_H_

#include "absl/status/statusor.h"
#include "gridserve/v1/construction.pb.h"
#include "services/construction/domain/effects.h"

namespace gridserve::construction {

// CN-5: acceptance inspection. `inspection` carries id, result, inspector,
// inspected_at, notice and previous_inspection_id as given.
// - Only while the project is in INSPECTION.
// - FAILED (gate): needs the written rectification notice — items, text and
//   delivered_at — else INVALID_ARGUMENT naming notice.items / notice.text /
//   notice.delivered_at; starts the re-inspection clock from the delivery.
//   A notice whose items were not explained is a CN-5 breach (check).
// - A re-inspection (previous_inspection_id, or implicitly the latest
//   inspection when it failed) stops that failed inspection's clock.
absl::StatusOr<Effects> RecordInspection(const Rules& rules, v1::Project& project, v1::Inspection inspection);

}  // namespace gridserve::construction

#endif  // GRIDSERVE_SERVICES_CONSTRUCTION_DOMAIN_INSPECTION_RULES_H_
