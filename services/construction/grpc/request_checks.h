#ifndef GRIDSERVE_SERVICES_CONSTRUCTION_GRPC_REQUEST_CHECKS_H_
#define GRIDSERVE_SERVICES_CONSTRUCTION_GRPC_REQUEST_CHECKS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "gridserve/v1/common.pb.h"
#include "services/common/request_limits.h"
#include "services/common/status_util.h"

namespace gridserve::construction {

// Field checks shared by the Construction RPCs; each adds violations naming
// the proto field path.

void RequireText(Validator& v, absl::string_view field, const std::string& value, size_t max_size = kMaxTextSize);
void RequireStaff(Validator& v, absl::string_view field, const v1::StaffRef& staff, bool present);
// A person's name (required) and phone (CheckPhoneField, services/common/phone_number.h).
void CheckPerson(Validator& v, absl::string_view field, const v1::Person& person, bool require_phone);
// A timestamp that is set must be a valid one.
void CheckTimestamp(Validator& v, absl::string_view field, const google::protobuf::Timestamp& t, bool present);

}  // namespace gridserve::construction

#endif  // GRIDSERVE_SERVICES_CONSTRUCTION_GRPC_REQUEST_CHECKS_H_
