#include "services/repair/metrics/repair_metrics.h"

#include <vector>

#include "services/common/config.h"
#include "services/common/service_metrics.h"
#include "services/repair/storage/outage_store.h"
#include "services/repair/storage/work_order_store.h"

namespace gridserve::repair {
namespace {

constexpr v1::OutageKind kKinds[] = {v1::OUTAGE_KIND_PLANNED, v1::OUTAGE_KIND_FAULT,
                                     v1::OUTAGE_KIND_TEMPORARY_MAINTENANCE};

prometheus::Histogram::BucketBoundaries Buckets(const v1::SuiteConfig& config, bool arrival) {
  std::vector<double> thresholds;
  for (const auto& area : config.area_classes()) {
    thresholds.push_back(absl::ToDoubleSeconds(ToAbsl(arrival ? area.arrival_limit() : area.restoration_limit())));
  }
  // A spread around the promises so the distribution shape is visible too.
  std::vector<double> extra = arrival ? std::vector<double>{600, 1200, 1800, 3600, 10800, 14400}
                                      : std::vector<double>{1800, 3600, 7200, 21600, 28800, 43200, 86400};
  return ThresholdBuckets(std::move(thresholds), std::move(extra));
}

}  // namespace

RepairMetrics::RepairMetrics(prometheus::Registry& registry, const v1::SuiteConfig& config)
    : config_(config),
      arrival_(prometheus::BuildHistogram()
                   .Name("gridserve_repair_arrival_seconds")
                   .Help("RP-1: time from dispatch to the crew's arrival on site, by area class; a bucket sits "
                         "exactly at each area class's arrival promise.")
                   .Register(registry)),
      restoration_(prometheus::BuildHistogram()
                       .Name("gridserve_repair_restoration_seconds")
                       .Help("RP-1: time from the crew's arrival to supply restored, by area class; a bucket sits "
                             "exactly at each area class's restoration promise.")
                       .Register(registry)),
      open_orders_(prometheus::BuildGauge()
                       .Name("gridserve_repair_open_work_orders")
                       .Help("Repair work orders neither completed nor cancelled, by area class.")
                       .Register(registry)),
      active_outages_(prometheus::BuildGauge()
                          .Name("gridserve_repair_active_outages")
                          .Help("Outages whose supply is cut and not yet restored, by kind.")
                          .Register(registry)),
      cancelled_orders_(prometheus::BuildCounter()
                            .Name("gridserve_repair_work_orders_cancelled_total")
                            .Help("Repair work orders called off before the crew arrived, by area class.")
                            .Register(registry)),
      arrival_buckets_(Buckets(config, true)),
      restoration_buckets_(Buckets(config, false)) {
  for (const auto& area : config_.area_classes()) {
    arrival_.Add({{"area_class", area.name()}}, arrival_buckets_);
    restoration_.Add({{"area_class", area.name()}}, restoration_buckets_);
    open_orders_.Add({{"area_class", area.name()}}).Set(0);
    cancelled_orders_.Add({{"area_class", area.name()}});
  }
  for (v1::OutageKind kind : kKinds) active_outages_.Add({{"kind", KindLabel(kind)}}).Set(0);
}

std::string RepairMetrics::KindLabel(v1::OutageKind kind) {
  switch (kind) {
    case v1::OUTAGE_KIND_PLANNED: return "planned";
    case v1::OUTAGE_KIND_FAULT: return "fault";
    case v1::OUTAGE_KIND_TEMPORARY_MAINTENANCE: return "temporary_maintenance";
    default: return "other";
  }
}

void RepairMetrics::ObserveArrival(const std::string& area_class, absl::Duration arrival) {
  arrival_.Add({{"area_class", area_class}}, arrival_buckets_).Observe(absl::ToDoubleSeconds(arrival));
}

void RepairMetrics::ObserveRestoration(const std::string& area_class, absl::Duration restoration) {
  restoration_.Add({{"area_class", area_class}}, restoration_buckets_).Observe(absl::ToDoubleSeconds(restoration));
}

void RepairMetrics::CountCancellation(const std::string& area_class) {
  cancelled_orders_.Add({{"area_class", area_class}}).Increment();
}

absl::Status RepairMetrics::RefreshGauges(Database& db) {
  std::map<std::string, int64_t> open;
  std::map<v1::OutageKind, int64_t> active;
  absl::Status status = db.InReadTransaction([&](Transaction& txn) -> absl::Status {
    auto orders = WorkOrderStore::OpenByAreaClass(txn, db.dialect());
    if (!orders.ok()) return orders.status();
    for (const auto& [area, n] : *orders) open[area] = n;
    auto outages = OutageStore::ActiveByKind(txn);
    if (!outages.ok()) return outages.status();
    for (const auto& [kind, n] : *outages) active[kind] = n;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  // Area classes are validated on every order, so only configured ones occur.
  for (const auto& area : config_.area_classes()) {
    open_orders_.Add({{"area_class", area.name()}}).Set(static_cast<double>(open[area.name()]));
  }
  for (v1::OutageKind kind : kKinds) {
    active_outages_.Add({{"kind", KindLabel(kind)}}).Set(static_cast<double>(active[kind]));
  }
  return absl::OkStatus();
}

}  // namespace gridserve::repair
