#ifndef GRIDSERVE_SERVICES_CONTACT_CENTER_CONTACT_CENTER_SPEC_H_
#define GRIDSERVE_SERVICES_CONTACT_CENTER_CONTACT_CENTER_SPEC_H_

#include "services/common/service_context.h"

namespace gridserve::contact_center {

// What the platform needs to serve this service: name, ports, migrations and
// how to build it. main.cc serves it; tests and fuzzers build it in-process.
ServiceSpec ContactCenterSpec();

}  // namespace gridserve::contact_center

#endif  // GRIDSERVE_SERVICES_CONTACT_CENTER_CONTACT_CENTER_SPEC_H_
