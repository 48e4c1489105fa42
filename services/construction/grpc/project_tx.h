#ifndef GRIDSERVE_SERVICES_CONSTRUCTION_GRPC_PROJECT_TX_H_
#define GRIDSERVE_SERVICES_CONSTRUCTION_GRPC_PROJECT_TX_H_

#include "absl/status/statusor.h"
#include "gridserve/v1/construction.pb.h"
#include "services/common/service_context.h"
#include "services/construction/domain/effects.h"
#include "services/construction/metrics/construction_metrics.h"

namespace gridserve::construction {

// Applies what a rule decided, inside the caller's transaction: SLA clocks
// started / stopped / cancelled, breaches recorded (table, metric, outbox to
// risk), RK-5 red-line reports enqueued, the duration histogram after commit.
absl::Status ApplyEffects(Transaction& txn, ServiceContext& context, ConstructionMetrics& metrics,
                          const v1::Project& project, const Effects& effects);

// The project as callers see it: the stored record plus its SLA states
// (first_guidance, project_time_limit, reinspection per failed inspection),
// its breaches and whether each RK-5 report reached risk.
absl::StatusOr<v1::Project> ProjectView(Transaction& txn, ServiceContext& context, v1::Project project);

}  // namespace gridserve::construction

#endif  // GRIDSERVE_SERVICES_CONSTRUCTION_GRPC_PROJECT_TX_H_
