#ifndef GRIDSERVE_TESTS_COMMON_REGISTRY_VALUE_H_
#define GRIDSERVE_TESTS_COMMON_REGISTRY_VALUE_H_

#include <map>
#include <string>

#include "prometheus/registry.h"

namespace gridserve::testing {

// The value of the first series of `name` carrying `labels` (a counter's or a
// gauge's), or -1 when there is none.
inline double RegistryValue(prometheus::Registry& registry, const std::string& name,
                            const std::map<std::string, std::string>& labels) {
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      bool match = true;
      for (const auto& [k, v] : labels) {
        bool found = false;
        for (const auto& label : metric.label) found |= (label.name == k && label.value == v);
        match &= found;
      }
      if (match) return family.type == prometheus::MetricType::Counter ? metric.counter.value : metric.gauge.value;
    }
  }
  return -1;
}

}  // namespace gridserve::testing

#endif  // GRIDSERVE_TESTS_COMMON_REGISTRY_VALUE_H_
