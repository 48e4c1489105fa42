#ifndef GRIDSERVE_SERVICES_COMMON_SERVICE_CONTEXT_H_
#define GRIDSERVE_SERVICES_COMMON_SERVICE_CONTEXT_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/service_type.h>

#include "absl/status/statusor.h"
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
  std::unique_ptr<grpc::Service> service;
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

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_SERVICE_CONTEXT_H_
