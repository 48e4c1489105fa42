#ifndef GRIDSERVE_SERVICES_COUNTER_COUNTER_SPEC_H_
#define GRIDSERVE_SERVICES_COUNTER_COUNTER_SPEC_H_

#include "services/common/service_context.h"

namespace gridserve::counter {

// What the platform needs to serve this service: name, ports, migrations and
// how to build it. main.cc serves it; tests and fuzzers build it in-process.
ServiceSpec CounterSpec();

}  // namespace gridserve::counter

#endif  // GRIDSERVE_SERVICES_COUNTER_COUNTER_SPEC_H_
