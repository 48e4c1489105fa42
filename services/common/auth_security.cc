#include "services/common/auth_security.h"

#include "absl/strings/str_cat.h"
#include "services/common/log.h"

namespace gridserve {

absl::StatusOr<std::unique_ptr<SecurityLayer>> SecurityLayer::Create(const std::string& service,
                                                                     const v1::SecurityConfig& config,
                                                                     const TlsOptions& tls, Database& db,
                                                                     const Clock& clock) {
  if (auto s = ValidateTlsOptions(tls); !s.ok()) return s;
  auto policy = AccessPolicy::FromConfig(config);
  if (!policy.ok()) return policy.status();
  std::unique_ptr<SecurityLayer> layer(new SecurityLayer());
  layer->tls_ = tls;
  layer->core_.service = service;
  layer->core_.require_auth = config.require_auth();
  layer->core_.audit = !config.has_audit() || config.audit();
  layer->core_.policy = *std::move(policy);
  if (!config.tokens_file().empty()) {
    layer->core_.tokens = std::make_unique<TokenStore>(config.tokens_file());
    if (auto s = layer->core_.tokens->Reload(); !s.ok()) return s;
  }
  layer->audit_log_ = std::make_unique<AuditLog>(db, clock, service);
  layer->core_.audit_log = layer->audit_log_.get();
  layer->audit_impl_ = MakeAuditService(*layer->audit_log_);
  auto audit_service = layer->Protect(layer->audit_impl_.get(), v1::Audit::service_full_name());
  if (!audit_service.ok()) return audit_service.status();
  layer->audit_service_ = *audit_service;
  layer->channel_credentials_ = MakeChannelCredentials(tls);
  LogInfo("security", {{"tls", tls.serves_tls() ? (tls.client_ca.empty() ? "tls" : "mutual_tls") : "plaintext"},
                       {"peer_tls", tls.calls_with_tls() ? "true" : "false"},
                       {"require_auth", layer->core_.require_auth ? "true" : "false"},
                       {"audit", layer->core_.audit ? "true" : "false"},
                       {"roles", absl::StrCat(config.roles_size())},
                       {"bindings", absl::StrCat(config.bindings_size())}});
  return layer;
}

SecurityLayer::~SecurityLayer() { Shutdown(); }

std::shared_ptr<grpc::ServerCredentials> SecurityLayer::server_credentials() const {
  return MakeServerCredentials(tls_);
}

absl::StatusOr<grpc::Service*> SecurityLayer::Protect(grpc::Service* service, const std::string& full_service_name) {
  // Guarded when calls may be refused, or audited (the guard makes the
  // call's audit current for its transaction). The guard is built either
  // way: it checks the name, so a wrong one fails at start-up in every setup.
  auto guarded = GuardService(service, full_service_name, core_.require_auth);
  if (!guarded.ok()) return guarded.status();
  core_.services.insert(full_service_name);
  if (!core_.require_auth && !core_.audit) return service;
  guarded_.push_back(*std::move(guarded));
  return guarded_.back().get();
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> SecurityLayer::MakeInterceptorFactory() const {
  return MakeSecurityInterceptorFactory(&core_);
}

std::shared_ptr<grpc::Channel> SecurityLayer::MakeChannel(const std::string& target) const {
  return MakePeerChannel(tls_, channel_credentials_, target);
}

absl::Status SecurityLayer::StartHealthProbe() {
  if (tls_.health_listen.empty()) return absl::OkStatus();
  auto probe = HealthProbeServer::Start(tls_.health_listen);
  if (!probe.ok()) return probe.status();
  probe_ = *std::move(probe);
  LogInfo("health_probe_serving", {{"health_port", absl::StrCat(probe_->port())}});
  return absl::OkStatus();
}

void SecurityLayer::SetServing(const std::string& service, bool serving) {
  if (probe_ != nullptr) probe_->SetServing(service, serving);
}

void SecurityLayer::Shutdown() {
  if (probe_ != nullptr) probe_->Shutdown();
}

}  // namespace gridserve
