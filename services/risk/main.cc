// gridserve-risk: wiring only; the rules live in domain/.
#include "services/common/server.h"
#include "services/risk/grpc/risk_service.h"
#include "services/risk/storage/risk_schema.h"

int main(int argc, char** argv) {
  gridserve::ServiceSpec spec;
  spec.name = "risk";
  spec.grpc_service = "gridserve.v1.RiskMonitor";
  spec.default_grpc_port = 50055;
  spec.default_metrics_port = 9465;
  spec.migrations = gridserve::risk::RiskMigrations();
  spec.build = gridserve::risk::BuildRisk;
  return gridserve::RunService(argc, argv, spec);
}
