// gridserve-construction: wiring only; the rules live in domain/.
#include "services/common/server.h"
#include "services/construction/grpc/construction_service.h"
#include "services/construction/storage/construction_schema.h"

int main(int argc, char** argv) {
  gridserve::ServiceSpec spec;
  spec.name = "construction";
  spec.grpc_service = "gridserve.v1.Construction";
  spec.default_grpc_port = 50053;
  spec.default_metrics_port = 9463;
  spec.migrations = gridserve::construction::ConstructionMigrations();
  spec.build = gridserve::construction::BuildConstruction;
  return gridserve::RunService(argc, argv, spec);
}
