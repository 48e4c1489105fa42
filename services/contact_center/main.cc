// gridserve-contact-center: wiring only; the rules live in domain/.
#include "services/common/server.h"
#include "services/contact_center/grpc/contact_center_service.h"
#include "services/contact_center/storage/contact_center_schema.h"

int main(int argc, char** argv) {
  gridserve::ServiceSpec spec;
  spec.name = "contact-center";
  spec.grpc_service = "gridserve.v1.ContactCenter";
  spec.default_grpc_port = 50051;
  spec.default_metrics_port = 9461;
  spec.migrations = gridserve::contact_center::ContactCenterMigrations();
  spec.build = gridserve::contact_center::BuildContactCenter;
  return gridserve::RunService(argc, argv, spec);
}
