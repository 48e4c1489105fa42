#include "services/risk/grpc/risk_service.h"

namespace gridserve::risk {

absl::StatusOr<ServiceParts> BuildRisk(ServiceContext& context) {
  ServiceParts parts;
  parts.service = std::make_unique<RiskService>(context);
  return parts;
}

}  // namespace gridserve::risk
