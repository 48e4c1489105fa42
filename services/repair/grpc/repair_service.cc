#include "services/repair/grpc/repair_service.h"

#include "absl/strings/str_cat.h"
#include "services/common/catalogue.h"
#include "services/common/config.h"
#include "services/common/log.h"
#include "services/common/outbox.h"
#include "services/common/rpc_util.h"
#include "services/repair/storage/outage_store.h"
#include "services/repair/storage/work_order_store.h"

namespace gridserve::repair {
namespace {

}  // namespace

RepairService::RepairService(ServiceContext& context, std::shared_ptr<RepairMetrics> metrics)
    : context_(context), metrics_(std::move(metrics)), work_orders_(context.config), outages_(context.config) {}

absl::Duration RepairService::MaxSkew() const { return ToAbsl(context_.config.platform().max_event_skew()); }

absl::Status RepairService::Apply(Transaction& txn, const std::string& subject, const StepEffects& effects) {
  // Stops first: arrival closes the arrival clock before the restoration one starts.
  for (const ClockStop& stop : effects.stop) {
    auto outcome = context_.sla.Stop(txn, stop.sla, subject, stop.at);
    if (!outcome.ok()) return outcome.status();
  }
  for (const ClockStop& withdrawn : effects.withdraw) {
    if (auto s = context_.sla.Withdraw(txn, withdrawn.sla, subject, withdrawn.at); !s.ok()) return s;
  }
  for (const SlaTimer& timer : effects.start) {
    if (auto s = context_.sla.Start(txn, timer); !s.ok()) return s;
  }
  for (const v1::Breach& breach : effects.breaches) {
    auto recorded = context_.breaches.Record(txn, breach);
    if (!recorded.ok()) return recorded.status();
  }
  // RK-3 / RK-4: red-line reports for risk, delivered by the outbox (the
  // message id is risk's idempotency key, stable per rule and outage).
  for (const v1::ReportRedLineRequest& report : effects.red_lines) {
    if (auto s = EnqueueOutbox(txn, Now(), report.request_id(), kTopicRiskRedLine, report.SerializeAsString());
        !s.ok()) {
      return s;
    }
    txn.AfterCommit([rule = report.rule(), ref = report.source_reference()] {
      LogInfo("red_line_reported", {{"rule", rule}, {"subject", ref}});
    });
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::WorkOrder> RepairService::ReadModel(Transaction& txn, v1::WorkOrder order) {
  const std::string subject = WorkOrderSubject(order.work_order_id());
  order.clear_slas();
  order.clear_breaches();
  for (const char* sla : {kArrivalSla, kRestorationSla}) {
    auto status = context_.sla.Get(txn, sla, subject);
    if (!status.ok()) return status.status();
    if (status->has_value()) *order.add_slas() = ToProtoSlaState(**status);
  }
  auto breaches = context_.breaches.ListForSubject(txn, subject);
  if (!breaches.ok()) return breaches.status();
  for (auto& b : *breaches) *order.add_breaches() = std::move(b);
  return order;
}

absl::StatusOr<v1::Outage> RepairService::ReadModel(Transaction& txn, v1::Outage outage) {
  outage.clear_breaches();
  auto breaches = context_.breaches.ListForSubject(txn, OutageSubject(outage.outage_id()));
  if (!breaches.ok()) return breaches.status();
  for (auto& b : *breaches) *outage.add_breaches() = std::move(b);
  return outage;
}

absl::StatusOr<v1::WorkOrder> RepairService::MutateOrder(Transaction& txn, const std::string& work_order_id,
                                                         OrderStep step) {
  auto found = WorkOrderStore::Find(txn, work_order_id);
  if (!found.ok()) return found.status();
  if (!found->has_value()) return absl::NotFoundError(absl::StrCat("work order ", work_order_id, " not found"));
  v1::WorkOrder order = **found;
  auto effects = step(order);
  if (!effects.ok()) return effects.status();
  if (auto s = Apply(txn, WorkOrderSubject(order.work_order_id()), *effects); !s.ok()) return s;
  if (auto s = WorkOrderStore::Update(txn, order); !s.ok()) return s;
  return ReadModel(txn, std::move(order));
}

absl::StatusOr<v1::Outage> RepairService::MutateOutage(Transaction& txn, const std::string& outage_id,
                                                       OutageStep step) {
  auto found = OutageStore::Find(txn, outage_id);
  if (!found.ok()) return found.status();
  if (!found->has_value()) return absl::NotFoundError(absl::StrCat("outage ", outage_id, " not found"));
  v1::Outage outage = **found;
  auto effects = step(outage);
  if (!effects.ok()) return effects.status();
  if (auto s = Apply(txn, OutageSubject(outage.outage_id()), *effects); !s.ok()) return s;
  if (auto s = OutageStore::Update(txn, outage); !s.ok()) return s;
  return ReadModel(txn, std::move(outage));
}

absl::StatusOr<v1::WorkOrder> RepairService::InsertNewOrder(Transaction& txn, v1::WorkOrder order) {
  order.set_work_order_id(NewId("WO"));
  if (order.department().empty()) order.set_department("repair");
  auto effects = work_orders_.Open(order);
  if (!effects.ok()) return effects.status();
  if (auto s = WorkOrderStore::Insert(txn, order); !s.ok()) return s;
  if (auto s = Apply(txn, WorkOrderSubject(order.work_order_id()), *effects); !s.ok()) return s;
  txn.AfterCommit([id = order.work_order_id(), area = order.location().area_class()] {
    LogInfo("work_order_created", {{"work_order_id", id}, {"area_class", area}});
  });
  return ReadModel(txn, std::move(order));
}

absl::StatusOr<ServiceParts> BuildRepair(ServiceContext& context) {
  auto metrics = std::make_shared<RepairMetrics>(*context.metrics.registry(), context.config);
  ServiceParts parts;
  parts.Serve<v1::Repair>(std::make_unique<RepairService>(context, metrics));
  Database* db = &context.db;
  parts.background_pass.push_back([metrics, db] { return metrics->RefreshGauges(*db); });
  return parts;
}

}  // namespace gridserve::repair
