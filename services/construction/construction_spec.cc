#include "services/construction/construction_spec.h"

#include "services/construction/grpc/construction_service.h"
#include "services/construction/storage/construction_schema.h"

namespace gridserve::construction {

ServiceSpec ConstructionSpec() {
  return {"construction", "gridserve.v1.Construction", /*default_grpc_port=*/50053,
          /*default_metrics_port=*/9463, ConstructionMigrations(), BuildConstruction};
}

}  // namespace gridserve::construction
