#ifndef GRIDSERVE_SERVICES_REPAIR_GRPC_REPAIR_SERVICE_H_
#define GRIDSERVE_SERVICES_REPAIR_GRPC_REPAIR_SERVICE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "gridserve/v1/repair.grpc.pb.h"
#include "services/common/service_context.h"

namespace gridserve::repair {

// The gridserve.v1.Repair callback service: converts protos to domain calls.
// Methods not overridden here answer UNIMPLEMENTED (their logic comes later).
class RepairService final : public v1::Repair::CallbackService {
 public:
  explicit RepairService(ServiceContext& context) : context_(context) {}

 private:
  [[maybe_unused]] ServiceContext& context_;
};

absl::StatusOr<ServiceParts> BuildRepair(ServiceContext& context);

}  // namespace gridserve::repair

#endif  // GRIDSERVE_SERVICES_REPAIR_GRPC_REPAIR_SERVICE_H_
