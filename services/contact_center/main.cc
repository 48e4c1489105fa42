// gridserve-contact-center: wiring only; the rules live in domain/.
#include "services/common/server.h"
#include "services/contact_center/contact_center_spec.h"

int main(int argc, char** argv) { return gridserve::RunService(argc, argv, gridserve::contact_center::ContactCenterSpec()); }
