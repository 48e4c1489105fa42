// gridserve-counter: wiring only; the rules live in domain/.
#include "services/common/server.h"
#include "services/counter/grpc/counter_service.h"
#include "services/counter/storage/counter_schema.h"

int main(int argc, char** argv) {
  gridserve::ServiceSpec spec;
  spec.name = "counter";
  spec.grpc_service = "gridserve.v1.Counter";
  spec.default_grpc_port = 50052;
  spec.default_metrics_port = 9462;
  spec.migrations = gridserve::counter::CounterMigrations();
  spec.build = gridserve::counter::BuildCounter;
  return gridserve::RunService(argc, argv, spec);
}
