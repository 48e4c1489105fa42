#ifndef GRIDSERVE_SERVICES_COMMON_SERVICE_METRICS_H_
#define GRIDSERVE_SERVICES_COMMON_SERVICE_METRICS_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gridserve/v1/config.pb.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace gridserve {

// The metrics every service exports (design.md, "Metrics (contract)"):
// build info, SLA outcomes and gauges, norm breaches. Every SLA, clause and
// configured department the service owns has its series from start-up.
// Also gridserve_calendar_covered_until_timestamp_seconds{service}: when the
// configured holidays end (BusinessCalendar::CoveredUntil), 0 when none are
// configured; GridserveCalendarEnding alerts 90 days before.
class ServiceMetrics {
 public:
  ServiceMetrics(std::string service, std::string version, const v1::SuiteConfig& config,
                 std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>());

  const std::shared_ptr<prometheus::Registry>& registry() const { return registry_; }
  const std::string& service() const { return service_; }

  // A configured department, or "other": labels stay bounded.
  std::string DepartmentLabel(const std::string& department) const;

  // gridserve_sla_total{service,sla,outcome}: one increment per SLA instance.
  void CountSla(const std::string& sla, bool met);
  // gridserve_sla_late_facts_total{service,sla}: a clock that ended in time
  // by its event time (goal reached, or case withdrawn) but was reported only
  // after the sweep had recorded the expiry — a breach that may be false
  // (platform.sla_expiry_grace).
  void CountLateFact(const std::string& sla);
  // gridserve_norm_breaches_total{service,rule,department}.
  void CountBreach(const std::string& rule, const std::string& department);
  // gridserve_sla_open / gridserve_sla_due_soon, refreshed from the database.
  void SetSlaGauges(const std::string& sla, double open, double due_soon);
  // gridserve_outbox_pending{service,topic}.
  void SetOutboxPending(const std::string& topic, double pending);
  // gridserve_outbox_delivered_total, gridserve_outbox_failed_attempts_total
  // and gridserve_outbox_rejected_total{service,topic} (failed attempts the
  // receiver rejected: OutboxOptions::rejected_retry).
  void CountOutboxDeliveries(const std::string& topic, double delivered, double failed_attempts,
                             double rejected = 0);

 private:
  prometheus::Counter& SlaCounter(const std::string& sla, const char* outcome);

  const std::string service_;
  const std::shared_ptr<prometheus::Registry> registry_;
  std::set<std::string> departments_;
  prometheus::Family<prometheus::Counter>& sla_total_;
  prometheus::Family<prometheus::Counter>& sla_late_facts_;
  prometheus::Family<prometheus::Gauge>& sla_open_;
  prometheus::Family<prometheus::Gauge>& sla_due_soon_;
  prometheus::Family<prometheus::Counter>& breaches_total_;
  prometheus::Family<prometheus::Gauge>& outbox_pending_;
  prometheus::Family<prometheus::Counter>& outbox_delivered_;
  prometheus::Family<prometheus::Counter>& outbox_failed_;
  prometheus::Family<prometheus::Counter>& outbox_rejected_;
};

// Histogram buckets with one boundary exactly at each threshold (so "within
// the limit" is a bucket count), plus a spread around them.
prometheus::Histogram::BucketBoundaries ThresholdBuckets(std::vector<double> thresholds,
                                                         std::vector<double> extra);

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_SERVICE_METRICS_H_
