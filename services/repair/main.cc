// gridserve-repair: wiring only; the rules live in domain/.
#include "services/common/server.h"
#include "services/repair/grpc/repair_service.h"
#include "services/repair/storage/repair_schema.h"

int main(int argc, char** argv) {
  gridserve::ServiceSpec spec;
  spec.name = "repair";
  spec.grpc_service = "gridserve.v1.Repair";
  spec.default_grpc_port = 50054;
  spec.default_metrics_port = 9464;
  spec.migrations = gridserve::repair::RepairMigrations();
  spec.build = gridserve::repair::BuildRepair;
  return gridserve::RunService(argc, argv, spec);
}
