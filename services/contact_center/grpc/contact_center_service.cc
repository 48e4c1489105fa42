#include "services/contact_center/grpc/contact_center_service.h"

namespace gridserve::contact_center {

absl::StatusOr<ServiceParts> BuildContactCenter(ServiceContext& context) {
  ServiceParts parts;
  parts.service = std::make_unique<ContactCenterService>(context);
  return parts;
}

}  // namespace gridserve::contact_center
