#ifndef GRIDSERVE_SERVICES_CONSTRUCTION_GRPC_CONSTRUCTION_SERVICE_H_
#define GRIDSERVE_SERVICES_CONSTRUCTION_GRPC_CONSTRUCTION_SERVICE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "gridserve/v1/construction.grpc.pb.h"
#include "services/common/service_context.h"

namespace gridserve::construction {

// The gridserve.v1.Construction callback service: converts protos to domain calls.
// Methods not overridden here answer UNIMPLEMENTED (their logic comes later).
class ConstructionService final : public v1::Construction::CallbackService {
 public:
  explicit ConstructionService(ServiceContext& context) : context_(context) {}

 private:
  [[maybe_unused]] ServiceContext& context_;
};

absl::StatusOr<ServiceParts> BuildConstruction(ServiceContext& context);

}  // namespace gridserve::construction

#endif  // GRIDSERVE_SERVICES_CONSTRUCTION_GRPC_CONSTRUCTION_SERVICE_H_
