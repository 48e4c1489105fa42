#include "tests/support/in_process_service.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "services/common/config.h"
#include "services/common/migrations.h"

namespace gridserve::testing {

InProcessService::InProcessService(Options options)
    : config_(options.config.ByteSizeLong() == 0 ? DefaultConfig() : std::move(options.config)),
      clock_(options.start) {}

absl::StatusOr<std::unique_ptr<InProcessService>> InProcessService::Start(const ServiceSpec& spec,
                                                                            Options options) {
  const std::string url = options.database_url;
  std::unique_ptr<InProcessService> s(new InProcessService(std::move(options)));
  auto calendar = BusinessCalendar::FromConfig(s->config_.calendar());
  if (!calendar.ok()) return calendar.status();
  s->calendar_ = std::make_unique<BusinessCalendar>(*std::move(calendar));
  auto db = OpenDatabase(url);
  if (!db.ok()) return db.status();
  s->db_ = *std::move(db);
  if (auto st = ApplyMigrations(*s->db_, s->clock_, "platform", PlatformMigrations()); !st.ok()) return st;
  if (auto st = ApplyMigrations(*s->db_, s->clock_, spec.name, spec.migrations); !st.ok()) return st;
  s->metrics_ = std::make_unique<ServiceMetrics>(spec.name, "test", s->config_);
  s->breaches_ = std::make_unique<BreachRecorder>(spec.name, s->clock_, s->metrics_.get(),
                                                  BreachRecorder::OutboxToRisk(s->clock_));
  s->sla_ = std::make_unique<SlaClock>(s->clock_, *s->breaches_, s->metrics_.get());
  s->sla_->SetExpiryGrace(ToAbsl(s->config_.platform().sla_expiry_grace()));
  s->outbox_ = std::make_unique<OutboxRelay>(*s->db_, s->clock_, OutboxOptions{});
  s->context_ = std::make_unique<ServiceContext>(ServiceContext{
      s->config_, *s->calendar_, s->clock_, *s->db_, *s->metrics_, *s->breaches_, *s->sla_, *s->outbox_,
      PeerTargets{}, [](const std::string& target) {
        return grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
      }});
  auto parts = spec.build(*s->context_);
  if (!parts.ok()) return parts.status();
  s->parts_ = *std::move(parts);
  if (auto serves = CheckServes(s->parts_, spec); !serves.ok()) return serves;
  s->executor_ = std::make_unique<CallExecutor>(CallExecutorOptionsFrom(s->config_.platform()));
  grpc::ServerBuilder builder;
  auto offloaded = s->executor_->Offload(s->parts_.service.get(), s->parts_.grpc_service, s->db_->ReadsNeverWait());
  if (!offloaded.ok()) return offloaded.status();
  builder.RegisterService(*offloaded);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(s->executor_->MakeInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr) return absl::InternalError("the in-process server did not start");
  s->channel_ = s->server_->InProcessChannel(grpc::ChannelArguments());
  return s;
}

std::unique_ptr<InProcessService> InProcessService::StartOrDie(const ServiceSpec& spec, Options options) {
  auto service = Start(spec, std::move(options));
  if (!service.ok()) {
    std::fprintf(stderr, "cannot start %s in-process: %s\n", spec.name.c_str(), service.status().ToString().c_str());
    std::abort();
  }
  return *std::move(service);
}

InProcessService::~InProcessService() {
  if (server_ != nullptr) server_->Shutdown();
}

}  // namespace gridserve::testing
