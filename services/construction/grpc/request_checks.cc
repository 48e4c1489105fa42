#include "services/construction/grpc/request_checks.h"

#include "absl/strings/str_cat.h"
#include "services/common/rpc_util.h"

namespace gridserve::construction {

void RequireText(Validator& v, absl::string_view field, const std::string& value, size_t max_size) {
  if (v.Check(!value.empty(), field, "is required")) {
    v.Check(value.size() <= max_size, field, absl::StrCat("must be at most ", max_size, " characters"));
  }
}

void RequireStaff(Validator& v, absl::string_view field, const v1::StaffRef& staff, bool present) {
  v.Check(present && !staff.staff_id().empty(), absl::StrCat(field, ".staff_id"), "is required");
}

void CheckPerson(Validator& v, absl::string_view field, const v1::Person& person, bool require_phone) {
  RequireText(v, absl::StrCat(field, ".name"), person.name(), 200);
  if (!require_phone && person.phone().empty()) return;
  const std::string phone_field = absl::StrCat(field, ".phone");
  if (!v.Check(!person.phone().empty(), phone_field, "is required")) return;
  bool digits = person.phone().size() >= 3 && person.phone().size() <= 20;
  for (char c : person.phone()) digits &= (c >= '0' && c <= '9') || c == '+' || c == '-' || c == ' ';
  v.Check(digits, phone_field, "must be 3 to 20 digits (with optional +, - or spaces)");
}

void CheckFeedback(Validator& v, absl::string_view field, const v1::Feedback& feedback, absl::Time now,
                   absl::Duration max_skew) {
  if (feedback.declined()) {
    v.Check(feedback.satisfaction() == 0, absl::StrCat(field, ".satisfaction"), "must be 0 when declined");
  } else {
    v.Check(feedback.satisfaction() >= 1 && feedback.satisfaction() <= 5, absl::StrCat(field, ".satisfaction"),
            "must be 1..5 unless the customer declined");
  }
  CheckEventTime(v, absl::StrCat(field, ".collected_at"), feedback.collected_at(), feedback.has_collected_at(), now,
                 max_skew);
}

void CheckTimestamp(Validator& v, absl::string_view field, const google::protobuf::Timestamp& t, bool present) {
  if (!present) return;
  v.Check(ValidTimestamp(t), field, "is not a valid timestamp");
}

}  // namespace gridserve::construction
