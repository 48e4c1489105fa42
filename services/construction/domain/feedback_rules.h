#ifndef GRIDSERVE_SERVICES_CONSTRUCTION_DOMAIN_FEEDBACK_RULES_H_
#define GRIDSERVE_SERVICES_CONSTRUCTION_DOMAIN_FEEDBACK_RULES_H_

#include "absl/status/statusor.h"
#include "gridserve/v1/construction.pb.h"
#include "services/construction/domain/effects.h"

namespace gridserve::construction {

// The customer's feedback on the works (review mechanism).
// - CN-4: a false site_rules_respected or local_customs_respected is a breach,
//   unless the customer declined the survey (then the flags say nothing).
// - Review items (clauses CN-1..CN-8 only) marked FAIL are breaches of their clause.
// - The feedback counts as "opinion asked" for CN-8.
absl::StatusOr<Effects> RecordSiteFeedback(const Rules& rules, v1::Project& project, v1::Feedback feedback,
                                           bool site_rules_respected, bool local_customs_respected,
                                           const v1::QualityReview& review);

// RK-5: a report that staff forced the customer to use designated equipment or
// a designated contractor. Recorded on the project and sent to risk as a
// red-line report (source CONSTRUCTION). `report` has id, kind, supplier,
// description, reporter, accused staff, occurred_at (optional), reported_at.
absl::StatusOr<Effects> ReportDesignatedSupplierPressure(const Rules& rules, v1::Project& project,
                                                         v1::SupplierPressureReport report);

// The outbox message id of a report's red-line message (risk's request_id).
std::string RedLineMessageId(const std::string& report_id);

}  // namespace gridserve::construction

#endif  // GRIDSERVE_SERVICES_CONSTRUCTION_DOMAIN_FEEDBACK_RULES_H_
