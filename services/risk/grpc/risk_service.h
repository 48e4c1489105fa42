#ifndef GRIDSERVE_SERVICES_RISK_GRPC_RISK_SERVICE_H_
#define GRIDSERVE_SERVICES_RISK_GRPC_RISK_SERVICE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "gridserve/v1/risk.grpc.pb.h"
#include "services/common/service_context.h"

namespace gridserve::risk {

// The gridserve.v1.RiskMonitor callback service: converts protos to domain calls.
// Methods not overridden here answer UNIMPLEMENTED (their logic comes later).
class RiskService final : public v1::RiskMonitor::CallbackService {
 public:
  explicit RiskService(ServiceContext& context) : context_(context) {}

 private:
  [[maybe_unused]] ServiceContext& context_;
};

absl::StatusOr<ServiceParts> BuildRisk(ServiceContext& context);

}  // namespace gridserve::risk

#endif  // GRIDSERVE_SERVICES_RISK_GRPC_RISK_SERVICE_H_
