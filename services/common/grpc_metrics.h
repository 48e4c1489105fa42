#ifndef GRIDSERVE_SERVICES_COMMON_GRPC_METRICS_H_
#define GRIDSERVE_SERVICES_COMMON_GRPC_METRICS_H_

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/support/server_interceptor.h>

#include "prometheus/registry.h"

namespace gridserve {

// The go-grpc-prometheus server metrics Grafana users already know:
//   grpc_server_started_total{grpc_type,grpc_service,grpc_method}
//   grpc_server_handled_total{grpc_type,grpc_service,grpc_method,grpc_code}
//   grpc_server_handling_seconds{grpc_type,grpc_service,grpc_method} (histogram)
// Every method of the named services has every series from start-up (all 17
// codes at zero). Calls to methods not in those services are not counted,
// which keeps label values bounded whatever a client sends.
class GrpcServerMetrics;

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeGrpcMetricsInterceptorFactory(
    std::shared_ptr<prometheus::Registry> registry, const std::vector<std::string>& full_service_names);

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_GRPC_METRICS_H_
