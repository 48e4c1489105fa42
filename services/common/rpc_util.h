#ifndef GRIDSERVE_SERVICES_COMMON_RPC_UTIL_H_
#define GRIDSERVE_SERVICES_COMMON_RPC_UTIL_H_

#include <cstdint>
#include <optional>
#include <string>

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_callback.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "gridserve/v1/common.pb.h"
#include "services/common/status_util.h"

namespace gridserve {

// Finishes a unary callback call: the response on success, the mapped
// status (with details) otherwise.
template <typename Response>
grpc::ServerUnaryReactor* Reply(grpc::CallbackServerContext* context, Response* response,
                                absl::StatusOr<Response> result) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (result.ok()) {
    *response = *std::move(result);
    reactor->Finish(grpc::Status::OK);
  } else {
    reactor->Finish(ToGrpcStatus(result.status()));
  }
  return reactor;
}

// Time conversions between protobuf and Abseil.
google::protobuf::Timestamp ToProto(absl::Time t);
absl::Time FromProto(const google::protobuf::Timestamp& t);
google::protobuf::Duration ToProto(absl::Duration d);
absl::Duration FromProto(const google::protobuf::Duration& d);

// A set timestamp that means a real time: after the Unix epoch (an empty,
// zero Timestamp is a client's bug, not 1970) and before year 10000, nanos in range.
bool ValidTimestamp(const google::protobuf::Timestamp& t);
// A list filter's bound may sit at the epoch itself ("from the beginning"),
// which an event time may not.
bool ValidRangeBound(const google::protobuf::Timestamp& t);

// An optional filter bound such as due_before: when present, a valid range
// bound (a violation naming `field` otherwise). Returns it when present and valid.
std::optional<absl::Time> CheckFilterBound(Validator& v, absl::string_view field, const google::protobuf::Timestamp& t,
                                           bool present);

// The bounds of a half-open TimeRange [start, end); an unset bound is open.
struct TimeBounds {
  std::optional<absl::Time> start;
  std::optional<absl::Time> end;
};

// A list filter's time_range, or a statistics period (`required`: both
// bounds must be set), the same in every service: each bound given is a
// valid range bound (violations name "<field>.start" / "<field>.end"), and
// start is before end when both are ("<field>": an empty range is a
// client's mistake, not a query). Returns the bounds that are valid.
TimeBounds CheckTimeRange(Validator& v, const v1::TimeRange& range, absl::string_view field = "time_range",
                          bool required = false);

// Checks an imported record's event time: present (when required), a valid
// timestamp, and not later than now + max_skew. Adds a violation naming `field`.
// Returns the time (or `now` when absent and not required).
absl::Time CheckEventTime(Validator& v, absl::string_view field, const google::protobuf::Timestamp& t,
                          bool present, absl::Time now, absl::Duration max_skew, bool required = true);

// Page size with a default (50) and a cap (500); negative is a violation.
int CheckPageSize(Validator& v, int32_t page_size);

// Page tokens are opaque to clients; inside they carry the offset of the
// next page. A token that does not decode is INVALID_ARGUMENT on page_token.
std::string EncodePageToken(int64_t offset);
int64_t DecodePageToken(Validator& v, const std::string& token);

// A new entity id: the prefix, the time in microseconds and 28 random bits as
// 20 hex digits, e.g. "WO-0643a1f3c2b40e9d51c7"; later ids sort later.
std::string NewId(absl::string_view prefix);

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_RPC_UTIL_H_
