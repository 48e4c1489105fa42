#ifndef GRIDSERVE_SERVICES_COMMON_SERVICE_METRICS_H_
#define GRIDSERVE_SERVICES_COMMON_SERVICE_METRICS_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
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
// And the health of the background loops (server.cc), by task:
// gridserve_background_runs_total{service,task,outcome="ok|failed"},
// gridserve_background_last_success_timestamp_seconds{service,task} (0: none
// yet) and gridserve_background_interval_seconds{service,task}, all from
// start-up: a sweep that keeps failing records no breach, and the violation
// dashboards would look clean (GridserveBackgroundTaskFailing).
class ServiceMetrics {
 public:
  ServiceMetrics(std::string service, std::string version, const v1::SuiteConfig& config,
                 std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>());

  const std::shared_ptr<prometheus::Registry>& registry() const { return registry_; }
  const std::string& service() const { return service_; }

  // A configured department, or "other": labels stay bounded. Records keep
  // the department as given (no service refuses one the config does not
  // list), so a misspelling in a client's setup would hide under "other":
  // the first time each such name is seen (up to kMaxUnlistedLogged names)
  // it is logged as department_not_configured, with the name.
  std::string DepartmentLabel(const std::string& department) const;
  static constexpr int kMaxUnlistedLogged = 100;

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
  // One run of a background loop (a task of BackgroundTasks), ended at `now`.
  void RecordBackgroundRun(const std::string& task, bool ok, absl::Time now);

 private:
  prometheus::Counter& SlaCounter(const std::string& sla, const char* outcome);

  const std::string service_;
  const std::shared_ptr<prometheus::Registry> registry_;
  std::set<std::string> departments_;
  mutable absl::Mutex unlisted_mu_;
  mutable absl::flat_hash_set<std::string> unlisted_logged_ ABSL_GUARDED_BY(unlisted_mu_);
  prometheus::Family<prometheus::Counter>& sla_total_;
  prometheus::Family<prometheus::Counter>& sla_late_facts_;
  prometheus::Family<prometheus::Gauge>& sla_open_;
  prometheus::Family<prometheus::Gauge>& sla_due_soon_;
  prometheus::Family<prometheus::Counter>& breaches_total_;
  prometheus::Family<prometheus::Gauge>& outbox_pending_;
  prometheus::Family<prometheus::Counter>& outbox_delivered_;
  prometheus::Family<prometheus::Counter>& outbox_failed_;
  prometheus::Family<prometheus::Counter>& outbox_rejected_;
  prometheus::Family<prometheus::Counter>& background_runs_;
  prometheus::Family<prometheus::Gauge>& background_last_success_;
};

// The background loops every service runs (server.cc), by the task label of
// the gridserve_background_* series, with their configured interval.
inline constexpr char kTaskSlaSweep[] = "sla_sweep";        // SLA clocks expiring (breaches)
inline constexpr char kTaskOutboxRelay[] = "outbox_relay";  // messages to risk and repair
inline constexpr char kTaskGauges[] = "gauges";              // SLA and outbox gauges
inline constexpr char kTaskServicePass[] = "service_pass";  // the service's own pass (ServiceParts)
inline constexpr char kTaskRetention[] = "retention";        // expired stored answers and messages
std::vector<std::pair<std::string, absl::Duration>> BackgroundTasks(const v1::PlatformConfig& platform);

// Histogram buckets with one boundary exactly at each threshold (so "within
// the limit" is a bucket count), plus a spread around them.
prometheus::Histogram::BucketBoundaries ThresholdBuckets(std::vector<double> thresholds,
                                                         std::vector<double> extra);

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_SERVICE_METRICS_H_
