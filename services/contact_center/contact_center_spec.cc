#include "services/contact_center/contact_center_spec.h"

#include "services/contact_center/grpc/contact_center_service.h"
#include "services/contact_center/storage/contact_center_schema.h"

namespace gridserve::contact_center {

ServiceSpec ContactCenterSpec() {
  return {"contact-center", "gridserve.v1.ContactCenter", /*default_grpc_port=*/50051,
          /*default_metrics_port=*/9461, ContactCenterMigrations(), BuildContactCenter};
}

}  // namespace gridserve::contact_center
