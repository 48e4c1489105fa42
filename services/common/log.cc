#include "absl/strings/string_view.h"
#include "services/common/log.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "services/common/audit_mask.h"

namespace gridserve {
namespace {

absl::Mutex g_mu;
std::string* g_service = new std::string("gridserve");

void Write(absl::string_view level, absl::string_view event, const LogFields& fields) {
  const std::string line = FormatLogLine(level, event, fields);
  absl::MutexLock lock(&g_mu);
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

}  // namespace

void SetLogService(absl::string_view service) {
  absl::MutexLock lock(&g_mu);
  *g_service = std::string(service);
}

// A JSON string literal, escaped by protobuf's JSON printer.
std::string JsonString(absl::string_view text) {
  google::protobuf::Value value;
  value.set_string_value(std::string(text));
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(value, &out).ok()) return "\"\"";
  return out;
}

std::string FormatLogLine(absl::string_view level, absl::string_view event, const LogFields& fields) {
  std::string service;
  {
    absl::MutexLock lock(&g_mu);
    service = *g_service;
  }
  // Fixed keys first, so a human reading the stream sees when/what at once.
  std::string line = absl::StrCat(
      "{\"ts\":", JsonString(absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone())),
      ",\"level\":", JsonString(level), ",\"service\":", JsonString(service), ",\"event\":", JsonString(event));
  // Personal data (phones, ID numbers, addresses) is masked in every value.
  for (const auto& [key, value] : fields) {
    absl::StrAppend(&line, ",", JsonString(key), ":", JsonString(MaskLogField(key, value)));
  }
  line += "}";
  return line;
}

void LogInfo(absl::string_view event, const LogFields& fields) { Write("info", event, fields); }
void LogWarning(absl::string_view event, const LogFields& fields) { Write("warning", event, fields); }
void LogError(absl::string_view event, const LogFields& fields) { Write("error", event, fields); }

}  // namespace gridserve
