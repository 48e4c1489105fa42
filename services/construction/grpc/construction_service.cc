#include "services/construction/grpc/construction_service.h"

namespace gridserve::construction {

absl::StatusOr<ServiceParts> BuildConstruction(ServiceContext& context) {
  ServiceParts parts;
  parts.service = std::make_unique<ConstructionService>(context);
  return parts;
}

}  // namespace gridserve::construction
