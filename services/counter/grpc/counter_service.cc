#include "services/counter/grpc/counter_service.h"

namespace gridserve::counter {

absl::StatusOr<ServiceParts> BuildCounter(ServiceContext& context) {
  ServiceParts parts;
  parts.service = std::make_unique<CounterService>(context);
  return parts;
}

}  // namespace gridserve::counter
