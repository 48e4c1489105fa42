#ifndef GRIDSERVE_SERVICES_REPAIR_GRPC_REQUEST_CHECKS_H_
#define GRIDSERVE_SERVICES_REPAIR_GRPC_REQUEST_CHECKS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/timestamp.pb.h"
#include "services/common/phone_number.h"
#include "services/common/request_limits.h"
#include "services/common/rpc_util.h"
#include "services/common/status_util.h"

namespace gridserve::repair {

// Field checks shared by the Repair methods (all violations are collected).

inline void CheckRequestId(Validator& v, const std::string& request_id) {
  v.Check(!request_id.empty(), "request_id", "is required (a client-generated idempotency key)");
  CheckMaxSize(v, "request_id", request_id, kMaxIdSize);
}

inline bool CheckRequired(Validator& v, const std::string& value, absl::string_view field) {
  return v.Check(!value.empty(), field, "is required");
}

// A planned time (may lie in the future): present and a valid timestamp.
inline bool CheckPlannedTime(Validator& v, const google::protobuf::Timestamp& t, bool present,
                             absl::string_view field) {
  if (!v.Check(present, field, "is required")) return false;
  return v.Check(ValidTimestamp(t), field, "is not a valid timestamp");
}

}  // namespace gridserve::repair

#endif  // GRIDSERVE_SERVICES_REPAIR_GRPC_REQUEST_CHECKS_H_
