#include "services/construction/grpc/project_tx.h"

#include <string>
#include <vector>

#include "services/common/catalogue.h"
#include "services/common/outbox.h"
#include "services/common/rpc_util.h"
#include "services/construction/domain/feedback_rules.h"
#include "services/construction/storage/project_store.h"

namespace gridserve::construction {
namespace {

absl::Status AddSla(Transaction& txn, ServiceContext& context, const std::string& sla, const std::string& subject,
                    v1::Project& project) {
  auto status = context.sla.Get(txn, sla, subject);
  if (!status.ok()) return status.status();
  if (!status->has_value()) return absl::OkStatus();
  const SlaStatus& s = **status;
  v1::SlaState* out = project.add_slas();
  out->set_sla(sla);
  if (const v1::SlaDefinition* def = FindSla(sla); def != nullptr) out->set_clause(def->clause());
  *out->mutable_started_at() = ToProto(s.timer.started_at);
  *out->mutable_due_at() = ToProto(s.timer.due_at);
  if (s.closed_at.has_value()) *out->mutable_closed_at() = ToProto(*s.closed_at);
  switch (s.state) {
    case SlaState::kMet: out->set_state(v1::SLA_STATUS_MET); break;
    case SlaState::kBreached:
      out->set_state(v1::SLA_STATUS_BREACHED);
      *out->mutable_breached_at() = ToProto(s.timer.due_at);
      break;
    case SlaState::kOpen:
      // A clock closed without being met or breached was cancelled (CancelSlaClock).
      out->set_state(s.closed_at.has_value() ? v1::SLA_STATUS_CANCELLED : v1::SLA_STATUS_OPEN);
      break;
  }
  return absl::OkStatus();
}

absl::Status AddBreaches(Transaction& txn, ServiceContext& context, const std::string& subject, v1::Project& project) {
  auto breaches = context.breaches.ListForSubject(txn, subject);
  if (!breaches.ok()) return breaches.status();
  for (auto& b : *breaches) *project.add_breaches() = std::move(b);
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplyEffects(Transaction& txn, ServiceContext& context, ConstructionMetrics& metrics,
                          const v1::Project& project, const Effects& effects) {
  for (const SlaTimer& timer : effects.start_clocks) {
    if (auto s = context.sla.Start(txn, timer); !s.ok()) return s;
  }
  for (const SlaEnd& end : effects.stop_clocks) {
    auto outcome = context.sla.Stop(txn, end.sla, end.subject, end.at);
    if (!outcome.ok()) return outcome.status();
  }
  for (const SlaEnd& end : effects.cancel_clocks) {
    if (auto s = CancelSlaClock(txn, end.sla, end.subject, end.at); !s.ok()) return s;
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
