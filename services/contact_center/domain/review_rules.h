#ifndef GRIDSERVE_SERVICES_CONTACT_CENTER_DOMAIN_REVIEW_RULES_H_
#define GRIDSERVE_SERVICES_CONTACT_CENTER_DOMAIN_REVIEW_RULES_H_

#include <vector>

#include "absl/strings/string_view.h"
#include "gridserve/v1/contact_center.pb.h"
#include "gridserve/v1/risk.pb.h"
#include "services/common/status_util.h"
#include "services/contact_center/domain/finding.h"

namespace gridserve::contact_center {

// CC-1 .. CC-8.
bool IsContactCenterClause(absl::string_view clause);

// A quality review checklist (CC-6 / CC-7, CC-1 items allowed): each item
// names a CC clause and what was checked, with a result. The reviewer is
// required. (The reviewed_at event time is checked by the caller.)
void CheckReview(Validator& v, const v1::QualityReview& review);

// Review mechanism: every FAIL item is a breach of its clause; abusive or
// foul language is a CC-6 breach ("never with foul language"). `number` is
// the review's position on the call (1 = first), which keeps keys stable.
std::vector<Finding> ReviewFindings(const v1::QualityReview& review, bool abusive_language, int number);

// RK-1 "rude, domineering attitude": abusive language found in a review is
// also reported to risk as a red line.
v1::ReportRedLineRequest AbusiveLanguageReport(const v1::Call& call, const v1::QualityReview& review);

}  // namespace gridserve::contact_center

#endif  // GRIDSERVE_SERVICES_CONTACT_CENTER_DOMAIN_REVIEW_RULES_H_
