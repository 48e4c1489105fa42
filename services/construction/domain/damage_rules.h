#ifndef GRIDSERVE_SERVICES_CONSTRUCTION_DOMAIN_DAMAGE_RULES_H_
#define GRIDSERVE_SERVICES_CONSTRUCTION_DOMAIN_DAMAGE_RULES_H_

#include <string>

#include "absl/status/statusor.h"
#include "gridserve/v1/construction.pb.h"
#include "services/construction/domain/effects.h"

namespace gridserve::construction {

// CN-6: damaged customer facilities are restored or equivalently
// compensated until the customer is fully satisfied. A damage goes
// OPEN → REMEDIED (remedy recorded) → CONFIRMED (customer satisfied), or back
// to OPEN when the customer is not satisfied. CompleteProject refuses while
// any damage is not CONFIRMED.
//
// CN-6 outlives the works ("until the customer is fully satisfied"): a damage
// found after the project completed or was withdrawn (the customer finds the
// broken fence a week later) is recorded, remedied and confirmed as any other.
// The project keeps its stage — completion passed its gate with what was known
// then — and the open damage shows in ListProjects(open_damage_only) and in
// gridserve_construction_open_damages{stage="completed"|"cancelled"}.

absl::StatusOr<Effects> RecordDamage(const Rules& rules, v1::Project& project, v1::Damage damage);

// Only an OPEN damage takes a remedy; COMPENSATED needs compensation_fen > 0.
absl::StatusOr<Effects> RecordDamageRemedy(const Rules& rules, v1::Project& project, const std::string& damage_id,
                                           v1::DamageRemedy remedy);

// Only a REMEDIED damage takes the customer's answer.
absl::StatusOr<Effects> ConfirmDamageRemedy(const Rules& rules, v1::Project& project, const std::string& damage_id,
                                            bool customer_satisfied, const std::string& comment,
                                            absl::Time answered_at);

}  // namespace gridserve::construction

#endif  // GRIDSERVE_SERVICES_CONSTRUCTION_DOMAIN_DAMAGE_RULES_H_
