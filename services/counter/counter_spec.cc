#include "services/counter/counter_spec.h"

#include "services/counter/grpc/counter_service.h"
#include "services/counter/storage/counter_schema.h"

namespace gridserve::counter {

ServiceSpec CounterSpec() {
  return {"counter", "gridserve.v1.Counter", /*default_grpc_port=*/50052,
          /*default_metrics_port=*/9462, CounterMigrations(), BuildCounter};
}

}  // namespace gridserve::counter
