#include "services/risk/risk_spec.h"

#include "services/risk/grpc/risk_service.h"
#include "services/risk/storage/risk_schema.h"

namespace gridserve::risk {

ServiceSpec RiskSpec() {
  return {"risk", "gridserve.v1.RiskMonitor", /*default_grpc_port=*/50055,
          /*default_metrics_port=*/9465, RiskMigrations(), BuildRisk};
}

}  // namespace gridserve::risk
