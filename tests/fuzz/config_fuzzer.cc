// libFuzzer target: the config loader with arbitrary text. Findings: a crash,
// a sanitizer report, a hang, or a config the loader accepts that a service
// could still not start with (its business calendar refused).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "services/common/business_calendar.h"
#include "services/common/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string json(reinterpret_cast<const char*>(data), size);
  auto config = gridserve::ParseConfig(json);
  if (!config.ok()) return 0;
  if (auto calendar = gridserve::BusinessCalendar::FromConfig(config->calendar()); !calendar.ok()) {
    std::fprintf(stderr, "accepted config has an unusable calendar: %s\n", calendar.status().ToString().c_str());
    std::abort();
  }
  return 0;
}
