#ifndef GRIDSERVE_SERVICES_CONSTRUCTION_GRPC_REQUEST_CHECKS_H_
#define GRIDSERVE_SERVICES_CONSTRUCTION_GRPC_REQUEST_CHECKS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gridserve/v1/common.pb.h"
#include "services/common/status_util.h"

namespace gridserve::construction {

// Field checks shared by the Construction RPCs; each adds violations naming
// the proto field path.

void RequireText(Validator& v, absl::string_view field, const std::string& value, size_t max_size = 2000);
void RequireStaff(Validator& v, absl::string_view field, const v1::StaffRef& staff, bool present);
void CheckPerson(Validator& v, absl::string_view field, const v1::Person& person, bool require_phone);
// A customer's evaluation: satisfaction 1..5 unless declined (then 0),
// collected_at required and not in the future.
void CheckFeedback(Validator& v, absl::string_view field, const v1::Feedback& feedback, absl::Time now,
                   absl::Duration max_skew);
// A timestamp that is set must be a valid one.
void CheckTimestamp(Validator& v, absl::string_view field, const google::protobuf::Timestamp& t, bool present);

}  // namespace gridserve::construction

#endif  // GRIDSERVE_SERVICES_CONSTRUCTION_GRPC_REQUEST_CHECKS_H_
