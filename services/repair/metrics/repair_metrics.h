#ifndef GRIDSERVE_SERVICES_REPAIR_METRICS_REPAIR_METRICS_H_
#define GRIDSERVE_SERVICES_REPAIR_METRICS_REPAIR_METRICS_H_

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gridserve/v1/config.pb.h"
#include "gridserve/v1/common.pb.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "services/common/database.h"

namespace gridserve::repair {

// The repair service's domain metrics, every series present from start-up:
//   gridserve_repair_arrival_seconds{area_class}      dispatch → arrival (RP-1),
//     a bucket exactly at each area class's promise (45/90/120 min = 2700/5400/7200 s);
//   gridserve_repair_restoration_seconds{area_class}  arrival → restoration (RP-1),
//     a bucket exactly at each restoration promise;
//   gridserve_repair_open_work_orders{area_class}     orders neither completed nor cancelled;
//   gridserve_repair_active_outages{kind}             outages with supply cut;
//   gridserve_repair_work_orders_cancelled_total{area_class}  orders called off before
//     the crew arrived (a cancel-and-recreate that restarts the RP-1 promise shows here).
// Labels are configured area classes and the outage kinds: bounded.
class RepairMetrics {
 public:
  RepairMetrics(prometheus::Registry& registry, const v1::SuiteConfig& config);

  void ObserveArrival(const std::string& area_class, absl::Duration arrival);
  void ObserveRestoration(const std::string& area_class, absl::Duration restoration);
  void CountCancellation(const std::string& area_class);

  // Refreshes both gauges from the database (background, never on a scrape).
  absl::Status RefreshGauges(Database& db);

  static std::string KindLabel(v1::OutageKind kind);

 private:
  const v1::SuiteConfig& config_;
  prometheus::Family<prometheus::Histogram>& arrival_;
  prometheus::Family<prometheus::Histogram>& restoration_;
  prometheus::Family<prometheus::Gauge>& open_orders_;
  prometheus::Family<prometheus::Gauge>& active_outages_;
  prometheus::Family<prometheus::Counter>& cancelled_orders_;
  prometheus::Histogram::BucketBoundaries arrival_buckets_;
  prometheus::Histogram::BucketBoundaries restoration_buckets_;
};

}  // namespace gridserve::repair

#endif  // GRIDSERVE_SERVICES_REPAIR_METRICS_REPAIR_METRICS_H_
