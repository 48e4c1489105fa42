#include "services/common/rpc_util.h"

#include "services/common/config.h"

#include "absl/random/random.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"

namespace gridserve {

using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp ToProto(absl::Time t) { return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t)); }
absl::Time FromProto(const google::protobuf::Timestamp& t) { return absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(t)); }
google::protobuf::Duration ToProto(absl::Duration d) {
  return TimeUtil::MicrosecondsToDuration(absl::ToInt64Microseconds(d));
}
absl::Duration FromProto(const google::protobuf::Duration& d) {
  // Every nanosecond counts: CC-1 rounds an alerting time up to whole rings,
  // and 5.000000001 s is past the first 5 s ring.
  return ToAbsl(d);
}

bool ValidTimestamp(const google::protobuf::Timestamp& t) {
  return t.seconds() > 0 && t.seconds() < 253402300800 && t.nanos() >= 0 && t.nanos() < 1000000000;
}

bool ValidRangeBound(const google::protobuf::Timestamp& t) {
  return ValidTimestamp(t) || (t.seconds() == 0 && t.nanos() >= 0 && t.nanos() < 1000000000);
}

std::optional<absl::Time> CheckFilterBound(Validator& v, absl::string_view field, const google::protobuf::Timestamp& t,
                                           bool present) {
  if (!present || !v.Check(ValidRangeBound(t), field, "is not a valid timestamp")) return std::nullopt;
  return FromProto(t);
}

TimeBounds CheckTimeRange(Validator& v, const v1::TimeRange& range, absl::string_view field, bool required) {
  const std::string start = absl::StrCat(field, ".start");
  const std::string end = absl::StrCat(field, ".end");
  if (required) {
    v.Check(range.has_start(), start, "is required");
    v.Check(range.has_end(), end, "is required");
  }
  TimeBounds bounds;
  bounds.start = CheckFilterBound(v, start, range.start(), range.has_start());
  bounds.end = CheckFilterBound(v, end, range.end(), range.has_end());
  if (bounds.start.has_value() && bounds.end.has_value()) {
    v.Check(*bounds.start < *bounds.end, field, "start must be before end");
  }
  return bounds;
}

absl::Time CheckEventTime(Validator& v, absl::string_view field, const google::protobuf::Timestamp& t, bool present,
                          absl::Time now, absl::Duration max_skew, bool required) {
  if (!present) {
    v.Check(!required, field, "is required (the event time from the source system)");
    return now;
  }
  if (!v.Check(ValidTimestamp(t), field, "is not a valid timestamp")) return now;
  const absl::Time at = FromProto(t);
  v.Check(at <= now + max_skew, field,
          absl::StrCat("is in the future (more than ", absl::FormatDuration(max_skew), " ahead of the server clock)"));
  return at;
}

int CheckPageSize(Validator& v, int32_t page_size) {
  v.Check(page_size >= 0, "page_size", "must not be negative");
  if (page_size <= 0) return 50;
  return page_size > 500 ? 500 : page_size;
}

std::string EncodePageToken(int64_t offset) { return absl::WebSafeBase64Escape(absl::StrCat("o:", offset)); }

int64_t DecodePageToken(Validator& v, const std::string& token) {
  if (token.empty()) return 0;
  std::string decoded;
  int64_t offset = 0;
  absl::string_view rest;
  if (absl::WebSafeBase64Unescape(token, &decoded)) {
    rest = decoded;
    if (absl::ConsumePrefix(&rest, "o:") && absl::SimpleAtoi(rest, &offset) && offset >= 0) return offset;
  }
  v.Add("page_token", "is not a token this service issued");
  return 0;
}

std::string NewId(absl::string_view prefix) {
  // Time first, then 28 random bits: ids made later sort later, so a new row
  // lands on the last page of its table's key index instead of a random page
  // (a random key dirtied a page per insert: most of what a commit wrote).
  // The random part keeps ids of the same microsecond, on any replica, apart.
  static absl::Mutex mu(absl::kConstInit);
  static absl::BitGen* gen = new absl::BitGen();
  uint32_t random;
  {
    absl::MutexLock lock(&mu);
    random = absl::Uniform<uint32_t>(*gen) & 0x0fffffff;
  }
  const uint64_t micros = static_cast<uint64_t>(absl::ToUnixMicros(absl::Now()));
  return absl::StrFormat("%s-%013x%07x", prefix, micros, random);
}

}  // namespace gridserve
