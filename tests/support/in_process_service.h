#ifndef GRIDSERVE_TESTS_SUPPORT_IN_PROCESS_SERVICE_H_
#define GRIDSERVE_TESTS_SUPPORT_IN_PROCESS_SERVICE_H_

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gridserve/v1/config.pb.h"
#include "services/common/breach_recorder.h"
#include "services/common/call_executor.h"
#include "services/common/business_calendar.h"
#include "services/common/clock.h"
#include "services/common/database.h"
#include "services/common/outbox.h"
#include "services/common/service_context.h"
#include "services/common/service_metrics.h"
#include "services/common/sla_clock.h"

namespace gridserve::testing {

// One service assembled in-process the way RunService assembles it (platform
// and service migrations, metrics, breach recorder, SLA clock, outbox, and the
// call executor in front: admission by request limits, worker threads, store
// reads inline) on a FakeClock, served over an in-process channel. No peers:
// what a service would send them stays in its outbox.
class InProcessService {
 public:
  struct Options {
    std::string database_url = "sqlite::memory:";
    v1::SuiteConfig config;  // empty: DefaultConfig()
    absl::Time start = absl::FromUnixSeconds(1795770000);  // 2026-11-27 09:00 UTC
  };

  static absl::StatusOr<std::unique_ptr<InProcessService>> Start(const ServiceSpec& spec, Options options);
  // Start, for fixtures built in a constructor: a failure is reported and the
  // test binary stops (the tests cannot run without the service).
  static std::unique_ptr<InProcessService> StartOrDie(const ServiceSpec& spec, Options options);
  ~InProcessService();
  InProcessService(const InProcessService&) = delete;
  InProcessService& operator=(const InProcessService&) = delete;

  std::shared_ptr<grpc::Channel> channel() { return channel_; }
  const v1::SuiteConfig& config() const { return config_; }
  const BusinessCalendar& calendar() const { return *calendar_; }
  // The service as built (for tests that reach past gRPC, e.g. risk's ledger).
  grpc::Service* service() { return parts_.service.get(); }
  FakeClock& clock() { return clock_; }
  Database& db() { return *db_; }
  ServiceMetrics& metrics() { return *metrics_; }
  SlaClock& sla() { return *sla_; }
  OutboxRelay& outbox() { return *outbox_; }
  // What RunService's service_pass loop does (the service's own gauges and
  // passes); the first error, if any.
  absl::Status RefreshDomainGauges() {
    absl::Status outcome;
    for (const auto& pass : parts_.background_pass) outcome.Update(pass());
    return outcome;
  }

 private:
  explicit InProcessService(Options options);

  v1::SuiteConfig config_;
  FakeClock clock_;
  std::unique_ptr<BusinessCalendar> calendar_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<ServiceMetrics> metrics_;
  std::unique_ptr<BreachRecorder> breaches_;
  std::unique_ptr<SlaClock> sla_;
  std::unique_ptr<OutboxRelay> outbox_;
  std::unique_ptr<ServiceContext> context_;
  ServiceParts parts_;
  std::unique_ptr<CallExecutor> executor_;  // outlives the server, whose Shutdown waits for queued calls
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace gridserve::testing

#endif  // GRIDSERVE_TESTS_SUPPORT_IN_PROCESS_SERVICE_H_
