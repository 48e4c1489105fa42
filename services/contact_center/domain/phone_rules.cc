#include "services/contact_center/domain/phone_rules.h"

#include "services/common/phone_number.h"

namespace gridserve::contact_center {

void CheckPhoneIfGiven(Validator& v, absl::string_view field, absl::string_view phone) {
  if (phone.empty()) return;
  v.Check(IsPhoneNumber(phone), field, kPhoneNumberProblem);
}

}  // namespace gridserve::contact_center
