#ifndef GRIDSERVE_TESTS_COMMON_REGISTRY_VALUE_H_
#define GRIDSERVE_TESTS_COMMON_REGISTRY_VALUE_H_

#include <map>
#include <string>

#include "prometheus/registry.h"

namespace gridserve::testing {

// Whether a series carries every one of `labels` (it may carry more).
inline bool MetricHasLabels(const prometheus::ClientMetric& metric, const std::map<std::string, std::string>& labels) {
  for (const auto& [k, v] : labels) {
    bool found = false;
    for (const auto& label : metric.label) found |= (label.name == k && label.value == v);
    if (!found) return false;
  }
  return true;
}

// The first series of `name` carrying `labels`: a counter's or a gauge's
// value, a histogram's sample count, or with `le` its cumulative count in the
// bucket with that upper bound. -1 when there is none.
inline double RegistryValue(prometheus::Registry& registry, const std::string& name,
                            const std::map<std::string, std::string>& labels, double le = -1) {
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      if (!MetricHasLabels(metric, labels)) continue;
      switch (family.type) {
        case prometheus::MetricType::Counter:
          return metric.counter.value;
        case prometheus::MetricType::Gauge:
          return metric.gauge.value;
        case prometheus::MetricType::Histogram:
          if (le < 0) return static_cast<double>(metric.histogram.sample_count);
          for (const auto& bucket : metric.histogram.bucket) {
            if (bucket.upper_bound == le) return static_cast<double>(bucket.cumulative_count);
          }
          return -1;
        default:
          return -1;
      }
    }
  }
  return -1;
}

}  // namespace gridserve::testing

#endif  // GRIDSERVE_TESTS_COMMON_REGISTRY_VALUE_H_
