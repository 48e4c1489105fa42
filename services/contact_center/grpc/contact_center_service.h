#ifndef GRIDSERVE_SERVICES_CONTACT_CENTER_GRPC_CONTACT_CENTER_SERVICE_H_
#define GRIDSERVE_SERVICES_CONTACT_CENTER_GRPC_CONTACT_CENTER_SERVICE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "gridserve/v1/contact_center.grpc.pb.h"
#include "services/common/service_context.h"

namespace gridserve::contact_center {

// The gridserve.v1.ContactCenter callback service: converts protos to domain calls.
// Methods not overridden here answer UNIMPLEMENTED (their logic comes later).
class ContactCenterService final : public v1::ContactCenter::CallbackService {
 public:
  explicit ContactCenterService(ServiceContext& context) : context_(context) {}

 private:
  [[maybe_unused]] ServiceContext& context_;
};

absl::StatusOr<ServiceParts> BuildContactCenter(ServiceContext& context);

}  // namespace gridserve::contact_center

#endif  // GRIDSERVE_SERVICES_CONTACT_CENTER_GRPC_CONTACT_CENTER_SERVICE_H_
