#ifndef GRIDSERVE_SERVICES_COMMON_SERVER_H_
#define GRIDSERVE_SERVICES_COMMON_SERVER_H_

#include "services/common/service_context.h"

namespace gridserve {

// The whole life of a service binary: flags, config, database and
// migrations, metrics exposer, gRPC server with health (NOT_SERVING while
// starting and draining), reflection and metrics interceptor, background
// loops (SLA sweep, outbox relay, gauges), and a graceful drain on
// SIGTERM/SIGINT. Returns the process exit code.
int RunService(int argc, char** argv, const ServiceSpec& spec);

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_SERVER_H_
