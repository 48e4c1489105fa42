#include "services/construction/grpc/request_checks.h"

#include "absl/strings/str_cat.h"
#include "services/common/phone_number.h"
#include "services/common/rpc_util.h"

namespace gridserve::construction {

void RequireText(Validator& v, absl::string_view field, const std::string& value, size_t max_size) {
  if (v.Check(!value.empty(), field, "is required")) {
    CheckMaxSize(v, field, value, max_size);
  }
}

void RequireStaff(Validator& v, absl::string_view field, const v1::StaffRef& staff, bool present) {
  v.Check(present && !staff.staff_id().empty(), absl::StrCat(field, ".staff_id"), "is required");
}

void CheckPerson(Validator& v, absl::string_view field, const v1::Person& person, bool require_phone) {
  RequireText(v, absl::StrCat(field, ".name"), person.name(), 200);
  CheckPhoneField(v, absl::StrCat(field, ".phone"), person.phone(), require_phone);
}

void CheckTimestamp(Validator& v, absl::string_view field, const google::protobuf::Timestamp& t, bool present) {
  if (!present) return;
  v.Check(ValidTimestamp(t), field, "is not a valid timestamp");
}

}  // namespace gridserve::construction
