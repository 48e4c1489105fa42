#ifndef GRIDSERVE_SERVICES_COMMON_LOG_H_
#define GRIDSERVE_SERVICES_COMMON_LOG_H_

#include <string>
#include "absl/strings/string_view.h"
#include <utility>
#include <vector>

namespace gridserve {

// Structured logs: one JSON object per line on stderr,
//   {"ts":"…","level":"info","service":"repair","event":"serving","grpc_port":"50054"}.
// Never pass a name, phone number, address or ID number as a field: log ids
// and counts only.
using LogFields = std::vector<std::pair<std::string, std::string>>;

void SetLogService(absl::string_view service);
void LogInfo(absl::string_view event, const LogFields& fields = {});
void LogWarning(absl::string_view event, const LogFields& fields = {});
void LogError(absl::string_view event, const LogFields& fields = {});

// The JSON line itself (without the newline), for tests.
std::string FormatLogLine(absl::string_view level, absl::string_view event, const LogFields& fields);

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_LOG_H_
