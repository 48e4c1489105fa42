#include "services/common/feedback_check.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "services/common/rpc_util.h"

namespace gridserve {

void CheckFeedback(Validator& v, absl::string_view field, const v1::Feedback& feedback, absl::Time now,
                   absl::Duration max_skew) {
  const std::string satisfaction = absl::StrCat(field, ".satisfaction");
  if (feedback.declined()) {
    v.Check(feedback.satisfaction() == 0, satisfaction, "must be 0 when the customer declined");
  } else {
    v.Check(feedback.satisfaction() >= 1 && feedback.satisfaction() <= 5, satisfaction,
            "must be 1..5 unless the customer declined");
  }
  CheckEventTime(v, absl::StrCat(field, ".collected_at"), feedback.collected_at(), feedback.has_collected_at(), now,
                 max_skew);
}

}  // namespace gridserve
