#include "services/common/service_metrics.h"

#include <algorithm>
#include <optional>

#include "services/common/business_calendar.h"
#include "services/common/catalogue.h"
#include "services/common/config.h"
#include "services/common/log.h"
#include "services/common/outbox.h"

namespace gridserve {

ServiceMetrics::ServiceMetrics(std::string service, std::string version, const v1::SuiteConfig& config,
                               std::shared_ptr<prometheus::Registry> registry)
    : service_(std::move(service)),
      registry_(std::move(registry)),
      departments_(config.departments().begin(), config.departments().end()),
      sla_total_(prometheus::BuildCounter()
                     .Name("gridserve_sla_total")
                     .Help("SLA instances by outcome: met when fulfilled in time, breached when the clock expired.")
                     .Register(*registry_)),
      sla_late_facts_(prometheus::BuildCounter()
                          .Name("gridserve_sla_late_facts_total")
                          .Help("SLA clocks that ended in time by their event time (goal reached or case withdrawn) "
                                "but were reported after the clock had expired and its breach was recorded "
                                "(platform.sla_expiry_grace).")
                          .Register(*registry_)),
      sla_open_(prometheus::BuildGauge()
                    .Name("gridserve_sla_open")
                    .Help("SLA instances whose clock is running.")
                    .Register(*registry_)),
      sla_due_soon_(prometheus::BuildGauge()
                        .Name("gridserve_sla_due_soon")
                        .Help("Running SLA instances due within the SLA's due-soon window.")
                        .Register(*registry_)),
      breaches_total_(prometheus::BuildCounter()
                          .Name("gridserve_norm_breaches_total")
                          .Help("Norm breaches found, by clause ID and responsible department.")
                          .Register(*registry_)),
      outbox_pending_(prometheus::BuildGauge()
                          .Name("gridserve_outbox_pending")
                          .Help("Outbox messages not yet accepted by their receiver.")
                          .Register(*registry_)),
      outbox_delivered_(prometheus::BuildCounter()
                            .Name("gridserve_outbox_delivered_total")
                            .Help("Outbox messages delivered to their receiver.")
                            .Register(*registry_)),
      outbox_failed_(prometheus::BuildCounter()
                         .Name("gridserve_outbox_failed_attempts_total")
                         .Help("Outbox delivery attempts that failed and will be retried.")
                         .Register(*registry_)),
      outbox_rejected_(prometheus::BuildCounter()
                           .Name("gridserve_outbox_rejected_total")
                           .Help("Outbox delivery attempts the receiver rejected as invalid or unimplemented "
                                 "(retried hourly until it accepts them).")
                           .Register(*registry_)),
      background_runs_(prometheus::BuildCounter()
                           .Name("gridserve_background_runs_total")
                           .Help("Runs of the service's background loops (SLA sweep, outbox relay, gauges, the "
                                 "service's own pass, retention), by outcome.")
                           .Register(*registry_)),
      background_last_success_(prometheus::BuildGauge()
                                   .Name("gridserve_background_last_success_timestamp_seconds")
                                   .Help("When a background loop last ran without an error; 0: not yet.")
                                   .Register(*registry_)) {
  prometheus::BuildGauge()
      .Name("gridserve_build_info")
      .Help("Build of the running service; always 1.")
      .Register(*registry_)
      .Add({{"service", service_}, {"version", std::move(version)}})
      .Set(1);
  // A config that did not parse never gets this far (the server fails first).
  const auto calendar = BusinessCalendar::FromConfig(config.calendar());
  const std::optional<absl::Time> covered_until = calendar.ok() ? calendar->CoveredUntil() : std::nullopt;
  prometheus::BuildGauge()
      .Name("gridserve_calendar_covered_until_timestamp_seconds")
      .Help("Start of the first year with no holidays configured (calendar.holidays): from then working-day "
            "deadlines count holidays as working days. 0: no holidays configured.")
      .Register(*registry_)
      .Add({{"service", service_}})
      .Set(covered_until.has_value() ? static_cast<double>(absl::ToUnixSeconds(*covered_until)) : 0);
  for (const v1::SlaDefinition* sla : SlasOfService(service_)) {
    SlaCounter(sla->name(), "met");
    SlaCounter(sla->name(), "breached");
    sla_late_facts_.Add({{"service", service_}, {"sla", sla->name()}});
    SetSlaGauges(sla->name(), 0, 0);
  }
  std::vector<std::string> labels(departments_.begin(), departments_.end());
  labels.push_back("other");
  for (const v1::Clause* clause : ClausesOfService(service_)) {
    for (const std::string& department : labels) {
      breaches_total_.Add({{"service", service_}, {"rule", clause->id()}, {"department", department}});
    }
  }
  // The topics whose pending gauge the server refreshes: their counters are
  // at zero before the first delivery, so rate() and alerts see them. (Not the
  // pending gauge: 0 before the first read of the database would be a lie.)
  for (const char* topic : {kTopicRiskBreach, kTopicRiskRedLine, kTopicRepairDispatch}) {
    CountOutboxDeliveries(topic, 0, 0);
  }
  auto& interval = prometheus::BuildGauge()
                       .Name("gridserve_background_interval_seconds")
                       .Help("How often a background loop runs (platform config).")
                       .Register(*registry_);
  for (const auto& [task, every] : BackgroundTasks(config.platform())) {
    interval.Add({{"service", service_}, {"task", task}}).Set(absl::ToDoubleSeconds(every));
    background_runs_.Add({{"service", service_}, {"task", task}, {"outcome", "ok"}});
    background_runs_.Add({{"service", service_}, {"task", task}, {"outcome", "failed"}});
    background_last_success_.Add({{"service", service_}, {"task", task}});
  }
}

std::vector<std::pair<std::string, absl::Duration>> BackgroundTasks(const v1::PlatformConfig& platform) {
  return {{kTaskSlaSweep, ToAbsl(platform.sla_sweep_interval())},
          {kTaskOutboxRelay, ToAbsl(platform.outbox_poll_interval())},
          {kTaskGauges, ToAbsl(platform.gauge_refresh_interval())},
          {kTaskServicePass, ToAbsl(platform.gauge_refresh_interval())},
          {kTaskRetention, ToAbsl(platform.retention_sweep_interval())}};
}

void ServiceMetrics::RecordBackgroundRun(const std::string& task, bool ok, absl::Time now) {
  background_runs_.Add({{"service", service_}, {"task", task}, {"outcome", ok ? "ok" : "failed"}}).Increment();
  if (ok) background_last_success_.Add({{"service", service_}, {"task", task}}).Set(absl::ToDoubleSeconds(now - absl::UnixEpoch()));
}

std::string ServiceMetrics::DepartmentLabel(const std::string& department) const {
  if (departments_.count(department) > 0) return department;
  if (!department.empty() && department != "other") {
    absl::MutexLock lock(&unlisted_mu_);
    if (unlisted_logged_.size() < kMaxUnlistedLogged && unlisted_logged_.insert(department).second) {
      LogInfo("department_not_configured", {{"department", department},
                                            {"counted_as", "other"},
                                            {"hint", "add it to the config's departments if it is a real one"}});
    }
  }
  return "other";
}

prometheus::Counter& ServiceMetrics::SlaCounter(const std::string& sla, const char* outcome) {
  return sla_total_.Add({{"service", service_}, {"sla", sla}, {"outcome", outcome}});
}

void ServiceMetrics::CountSla(const std::string& sla, bool met) { SlaCounter(sla, met ? "met" : "breached").Increment(); }

void ServiceMetrics::CountLateFact(const std::string& sla) {
  sla_late_facts_.Add({{"service", service_}, {"sla", sla}}).Increment();
}

void ServiceMetrics::CountBreach(const std::string& rule, const std::string& department) {
  breaches_total_.Add({{"service", service_}, {"rule", rule}, {"department", DepartmentLabel(department)}}).Increment();
}

void ServiceMetrics::SetSlaGauges(const std::string& sla, double open, double due_soon) {
  sla_open_.Add({{"service", service_}, {"sla", sla}}).Set(open);
  sla_due_soon_.Add({{"service", service_}, {"sla", sla}}).Set(due_soon);
}

void ServiceMetrics::SetOutboxPending(const std::string& topic, double pending) {
  outbox_pending_.Add({{"service", service_}, {"topic", topic}}).Set(pending);
}

void ServiceMetrics::CountOutboxDeliveries(const std::string& topic, double delivered, double failed_attempts,
                                           double rejected) {
  // Add() creates the series at zero; Increment ignores a negative amount.
  outbox_delivered_.Add({{"service", service_}, {"topic", topic}}).Increment(delivered);
  outbox_failed_.Add({{"service", service_}, {"topic", topic}}).Increment(failed_attempts);
  outbox_rejected_.Add({{"service", service_}, {"topic", topic}}).Increment(rejected);
}

prometheus::Histogram::BucketBoundaries ThresholdBuckets(std::vector<double> thresholds, std::vector<double> extra) {
  std::vector<double> all = std::move(thresholds);
  all.insert(all.end(), extra.begin(), extra.end());
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return all;
}

}  // namespace gridserve
