#include "services/repair/repair_spec.h"

#include "services/repair/grpc/repair_service.h"
#include "services/repair/storage/repair_schema.h"

namespace gridserve::repair {

ServiceSpec RepairSpec() {
  return {"repair", "gridserve.v1.Repair", /*default_grpc_port=*/50054,
          /*default_metrics_port=*/9464, RepairMigrations(), BuildRepair};
}

}  // namespace gridserve::repair
