#ifndef GRIDSERVE_SERVICES_CONSTRUCTION_METRICS_CONSTRUCTION_METRICS_H_
#define GRIDSERVE_SERVICES_CONSTRUCTION_METRICS_CONSTRUCTION_METRICS_H_

#include <map>
#include <string>
#include <utility>

#include "gridserve/v1/construction.pb.h"
#include "gridserve/v1/config.pb.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace gridserve::construction {

// The construction service's domain metrics (labels bounded: stage and
// project type are enums; no customer, staff or project ids):
//   gridserve_construction_projects{stage,project_type}  gauge, from the database
//   gridserve_construction_project_workdays{project_type}
//     histogram of completed projects' whole-process duration, with a bucket
//     exactly at each configured limit (5 / 6 / 22 / 32 by default)
//   gridserve_construction_gate_refusals_total{rule}  refused gated steps
//   gridserve_construction_open_damages{stage}  gauge, from the database:
//     unconfirmed damages (CN-6) by their project's stage — those under
//     "completed" / "cancelled" are remedies still owed after the works ended
// Every series exists at zero from start-up.
class ConstructionMetrics {
 public:
  ConstructionMetrics(prometheus::Registry& registry, const v1::ConstructionConfig& config);

  void ObserveDuration(v1::ProjectType type, double working_days);
  // (stage, type) -> count; combinations absent from `counts` are set to 0.
  void SetProjectCounts(const std::map<std::pair<int, int>, int64_t>& counts);
  void CountGateRefusal(const std::string& rule);
  // stage -> unconfirmed damages; stages absent from `counts` are set to 0.
  void SetOpenDamages(const std::map<int, int64_t>& counts);

  static std::string TypeLabel(v1::ProjectType type);
  static std::string StageLabel(v1::ProjectStage stage);

 private:
  prometheus::Family<prometheus::Gauge>& projects_;
  prometheus::Family<prometheus::Histogram>& duration_;
  prometheus::Family<prometheus::Counter>& refusals_;
  prometheus::Family<prometheus::Gauge>& open_damages_;
  prometheus::Histogram::BucketBoundaries buckets_;
};

}  // namespace gridserve::construction

#endif  // GRIDSERVE_SERVICES_CONSTRUCTION_METRICS_CONSTRUCTION_METRICS_H_
