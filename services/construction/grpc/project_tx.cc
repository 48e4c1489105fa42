#include "services/construction/grpc/project_tx.h"

#include <string>
#include <vector>

#include "services/common/catalogue.h"
#include "services/common/log.h"
#include "services/common/outbox.h"
#include "services/common/rpc_util.h"
#include "services/construction/domain/feedback_rules.h"
#include "services/construction/storage/project_store.h"

namespace gridserve::construction {
namespace {

absl::Status AddSla(Transaction& txn, ServiceContext& context, const std::string& sla, const std::string& subject,
                    v1::Project& project) {
  return context.sla.AppendState(txn, sla, subject, project.mutable_slas());
}

absl::Status AddBreaches(Transaction& txn, ServiceContext& context, const std::string& subject, v1::Project& project) {
  auto breaches = context.breaches.ListForSubject(txn, subject);
  if (!breaches.ok()) return breaches.status();
  for (auto& b : *breaches) *project.add_breaches() = std::move(b);
  return absl::OkStatus();
}

// Stops a clock at an event time. A stop earlier than the one that already
// closed a breached clock (facts synced out of order: a late CN-1 contact
// recorded before an on-time one) is judged as SlaClock::Stop judges a goal
// reached in time but reported after the expiry: the breach stands (the
// ledger is append-only), the late fact is counted and logged for an auditor.
// SlaClock::Stop itself answers kAlreadyClosed for a closed clock.
absl::Status StopClock(Transaction& txn, ServiceContext& context, const SlaEnd& end) {
  auto outcome = context.sla.Stop(txn, end.sla, end.subject, end.at);
  if (!outcome.ok()) return outcome.status();
  if (*outcome != SlaOutcome::kAlreadyClosed) return absl::OkStatus();
  auto clock = context.sla.Get(txn, end.sla, end.subject);
  if (!clock.ok()) return clock.status();
  if (!clock->has_value()) return absl::OkStatus();
  const SlaStatus& status = **clock;
  if (status.state != SlaState::kBreached || end.at > status.timer.due_at || !status.closed_at.has_value() ||
      *status.closed_at <= end.at) {
    return absl::OkStatus();
  }
  const v1::Breach breach = SlaClock::ExpiryBreach(status.timer);  // dated at the due time
  txn.AfterCommit([&metrics = context.metrics, end, breach, due_at = status.timer.due_at] {
    metrics.CountLateFact(end.sla);
    const auto time = [](absl::Time t) { return absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone()); };
    LogWarning("sla_fact_after_expiry", {{"sla", end.sla},
                                         {"subject", end.subject},
                                         {"breach_id", breach.breach_id()},
                                         {"rule", breach.rule()},
                                         {"occurred_at", time(due_at)},
                                         {"fact_at", time(end.at)}});
  });
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplyEffects(Transaction& txn, ServiceContext& context, ConstructionMetrics& metrics,
                          const v1::Project& project, const Effects& effects) {
  for (const SlaTimer& timer : effects.start_clocks) {
    if (auto s = context.sla.Start(txn, timer); !s.ok()) return s;
  }
  for (const SlaEnd& end : effects.stop_clocks) {
    if (auto s = StopClock(txn, context, end); !s.ok()) return s;
  }
  // Withdrawn, not cancelled outright: a clock already past its due time
  // when the project is called off keeps its breach (the sweep may not have
  // run yet, or platform.sla_expiry_grace holds it back).
  for (const SlaEnd& end : effects.cancel_clocks) {
    if (auto s = context.sla.Withdraw(txn, end.sla, end.subject, end.at); !s.ok()) return s;
  }
  for (const v1::Breach& breach : effects.breaches) {
    auto recorded = context.breaches.Record(txn, breach);
    if (!recorded.ok()) return recorded.status();
  }
  for (const v1::ReportRedLineRequest& report : effects.red_line_reports) {
    if (auto s = EnqueueOutbox(txn, context.clock.Now(), report.request_id(), kTopicRiskRedLine,
                               report.SerializeAsString());
        !s.ok()) {
      return s;
    }
  }
  if (effects.completed_in_working_days.has_value()) {
    txn.AfterCommit([&metrics, type = project.project_type(), days = *effects.completed_in_working_days] {
      metrics.ObserveDuration(type, days);
    });
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Project> ProjectView(Transaction& txn, ServiceContext& context, v1::Project project) {
  project.clear_slas();
  project.clear_breaches();
  const std::string subject = ProjectSubject(project.project_id());
  for (const char* sla : {kSlaFirstGuidance, kSlaProjectTimeLimit}) {
    if (auto s = AddSla(txn, context, sla, subject, project); !s.ok()) return s;
  }
  if (auto s = AddBreaches(txn, context, subject, project); !s.ok()) return s;
  std::vector<std::string> failed;
  for (const auto& inspection : project.inspections()) {
    if (inspection.result() == v1::INSPECTION_RESULT_FAILED) failed.push_back(inspection.inspection_id());
  }
  for (const std::string& id : failed) {
    const std::string reinspection = ReinspectionSubject(project.project_id(), id);
    if (auto s = AddSla(txn, context, kSlaReinspection, reinspection, project); !s.ok()) return s;
    if (auto s = AddBreaches(txn, context, reinspection, project); !s.ok()) return s;
  }
  for (auto& report : *project.mutable_supplier_pressure_reports()) {
    auto delivered = OutboxDelivered(txn, RedLineMessageId(report.report_id()));
    if (!delivered.ok()) return delivered.status();
    report.set_forwarded_to_risk(*delivered);
  }
  return project;
}

}  // namespace gridserve::construction
