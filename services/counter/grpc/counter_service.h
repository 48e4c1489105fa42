#ifndef GRIDSERVE_SERVICES_COUNTER_GRPC_COUNTER_SERVICE_H_
#define GRIDSERVE_SERVICES_COUNTER_GRPC_COUNTER_SERVICE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "gridserve/v1/counter.grpc.pb.h"
#include "services/common/service_context.h"

namespace gridserve::counter {

// The gridserve.v1.Counter callback service: converts protos to domain calls.
// Methods not overridden here answer UNIMPLEMENTED (their logic comes later).
class CounterService final : public v1::Counter::CallbackService {
 public:
  explicit CounterService(ServiceContext& context) : context_(context) {}

 private:
  [[maybe_unused]] ServiceContext& context_;
};

absl::StatusOr<ServiceParts> BuildCounter(ServiceContext& context);

}  // namespace gridserve::counter

#endif  // GRIDSERVE_SERVICES_COUNTER_GRPC_COUNTER_SERVICE_H_
