#ifndef GRIDSERVE_SERVICES_COMMON_FEEDBACK_CHECK_H_
#define GRIDSERVE_SERVICES_COMMON_FEEDBACK_CHECK_H_

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gridserve/v1/common.pb.h"
#include "services/common/status_util.h"

namespace gridserve {

// A customer's evaluation (common.proto Feedback), checked the same in every
// service that records one, so a rating one service takes every service takes
// and the satisfaction figures mean the same everywhere: satisfaction 1..5,
// or 0 when the customer declined (a declined survey carries no score);
// collected_at required, a valid time and not later than now + max_skew (it
// dates the survey's findings). Violations name "<field>.satisfaction" and
// "<field>.collected_at", `field` being the request's own name for it.
void CheckFeedback(Validator& v, absl::string_view field, const v1::Feedback& feedback, absl::Time now,
                   absl::Duration max_skew);

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_FEEDBACK_CHECK_H_
