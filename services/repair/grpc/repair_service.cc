#include "services/repair/grpc/repair_service.h"

namespace gridserve::repair {

absl::StatusOr<ServiceParts> BuildRepair(ServiceContext& context) {
  ServiceParts parts;
  parts.service = std::make_unique<RepairService>(context);
  return parts;
}

}  // namespace gridserve::repair
