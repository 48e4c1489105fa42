#ifndef GRIDSERVE_SERVICES_COMMON_SERVICE_CONTEXT_H_
#define GRIDSERVE_SERVICES_COMMON_SERVICE_CONTEXT_H_

#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/service_type.h>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gridserve/v1/config.pb.h"
#include "services/common/breach_recorder.h"
#include "services/common/business_calendar.h"
#include "services/common/clock.h"
#include "services/common/database.h"
#include "services/common/migrations.h"
#include "services/common/outbox.h"
#include "services/common/service_metrics.h"
#include "services/common/sla_clock.h"

namespace gridserve {

// Where the peers of a service listen (--repair_target, --risk_target).
struct PeerTargets {
  std::string repair;
  std::string risk;
};

// Everything the platform builds for a service before the service itself.
struct ServiceContext {
  const v1::SuiteConfig& config;
  const BusinessCalendar& calendar;
  const Clock& clock;
  Database& db;
  ServiceMetrics& metrics;
  BreachRecorder& breaches;
  SlaClock& sla;
  OutboxRelay& outbox;
  PeerTargets peers;
  // Channel to a peer, with the suite's credentials and settings.
  std::function<std::shared_ptr<grpc::Channel>(const std::string& target)> make_channel;
};

// What a service hands back to be served.
struct ServiceParts {
  // Sets the service to serve, e.g. Serve<v1::Counter>(std::make_unique<CounterService>(...)):
  // its full gRPC name comes from the generated type it implements, which the
  // compiler checks. The platform wraps each method through the descriptor of
  // that name; a name paired by hand with another service's implementation
  // would wrap handlers that are not there.
  template <typename Generated, typename Impl>
  void Serve(std::unique_ptr<Impl> impl) {
    static_assert(std::is_base_of_v<typename Generated::CallbackService, Impl>,
                  "the implementation must derive from the generated service's CallbackService");
    grpc_service = Generated::service_full_name();
    service = std::move(impl);
  }

  std::unique_ptr<grpc::Service> service;
  std::string grpc_service;  // "gridserve.v1.Repair": the service's full name, set by Serve
  // The service's own background work, run every gauge refresh interval as
  // the "service_pass" task (domain gauges from the database; the counter's
  // CT-4 back office and CT-7 clocks). An error is logged and counted.
  std::vector<std::function<absl::Status()>> background_pass;
};

struct ServiceSpec {
  std::string name;          // "repair": binary suffix, metric label, log field
  std::string grpc_service;  // "gridserve.v1.Repair"
  int default_grpc_port = 0;
  int default_metrics_port = 0;
  std::vector<Migration> migrations;
  std::function<absl::StatusOr<ServiceParts>(ServiceContext&)> build;
};

// OK when what `spec.build` handed back serves the service the spec names
// (its health status, metrics and refusals are under that name); FAILED_PRECONDITION otherwise.
inline absl::Status CheckServes(const ServiceParts& parts, const ServiceSpec& spec) {
  if (parts.service == nullptr || parts.grpc_service != spec.grpc_service) {
    return absl::FailedPreconditionError(absl::StrCat("the ", spec.name, " service's build returned ",
                                                      parts.service == nullptr ? "no service" : parts.grpc_service,
                                                      ", not ", spec.grpc_service));
  }
  return absl::OkStatus();
}

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_SERVICE_CONTEXT_H_
