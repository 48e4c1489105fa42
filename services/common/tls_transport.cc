#include "services/common/tls_transport.h"

#include <fstream>

#include <grpcpp/ext/health_check_service_server_builder_option.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "absl/strings/str_cat.h"
#include "services/common/status_util.h"

ABSL_FLAG(std::string, tls_cert, "", "Server certificate chain (PEM); with --tls_key serves TLS instead of plaintext");
ABSL_FLAG(std::string, tls_key, "", "Server private key (PEM)");
ABSL_FLAG(std::string, tls_client_ca, "",
          "CA bundle (PEM) client certificates must chain to: requires mutual TLS on the gRPC port");
ABSL_FLAG(std::string, tls_ca, "", "CA bundle (PEM) that verifies peers: calls to peers use TLS");
ABSL_FLAG(std::string, tls_client_cert, "", "Client certificate (PEM) presented to peers");
ABSL_FLAG(std::string, tls_client_key, "", "Client private key (PEM) for --tls_client_cert");
ABSL_FLAG(std::string, tls_server_name, "", "Name expected in peers' certificates (default: the target host)");
ABSL_FLAG(int, tls_refresh_seconds, 60, "How often certificate files are re-read (rotation without restart)");
ABSL_FLAG(std::string, health_listen, "",
          "Plaintext HOST:PORT serving only grpc.health.v1 (for kubelet probes); empty: none");

namespace gridserve {

TlsOptions TlsOptionsFromFlags() {
  TlsOptions o;
  o.cert = absl::GetFlag(FLAGS_tls_cert);
  o.key = absl::GetFlag(FLAGS_tls_key);
  o.client_ca = absl::GetFlag(FLAGS_tls_client_ca);
  o.ca = absl::GetFlag(FLAGS_tls_ca);
  o.client_cert = absl::GetFlag(FLAGS_tls_client_cert);
  o.client_key = absl::GetFlag(FLAGS_tls_client_key);
  o.server_name = absl::GetFlag(FLAGS_tls_server_name);
  o.refresh_seconds = absl::GetFlag(FLAGS_tls_refresh_seconds);
  o.health_listen = absl::GetFlag(FLAGS_health_listen);
  return o;
}

absl::Status ValidateTlsOptions(const TlsOptions& o) {
  Validator v;
  v.Check(o.cert.empty() == o.key.empty(), "tls_cert", "--tls_cert and --tls_key go together");
  v.Check(o.client_ca.empty() || !o.cert.empty(), "tls_client_ca", "mutual TLS needs --tls_cert and --tls_key");
  v.Check(o.client_cert.empty() == o.client_key.empty(), "tls_client_cert",
          "--tls_client_cert and --tls_client_key go together");
  v.Check(o.refresh_seconds > 0, "tls_refresh_seconds", "must be positive");
  for (const auto& [flag, path] : {std::pair<const char*, std::string>{"tls_cert", o.cert},
                                   {"tls_key", o.key},
                                   {"tls_client_ca", o.client_ca},
                                   {"tls_ca", o.ca},
                                   {"tls_client_cert", o.client_cert},
                                   {"tls_client_key", o.client_key}}) {
    if (!path.empty()) v.Check(std::ifstream(path).good(), flag, absl::StrCat("cannot read ", path));
  }
  return v.status();
}

std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(const TlsOptions& o) {
  if (!o.serves_tls()) return grpc::InsecureServerCredentials();
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      o.key, o.cert, o.client_ca, static_cast<unsigned int>(o.refresh_seconds));
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (!o.client_ca.empty()) {
    options.watch_root_certs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

std::shared_ptr<grpc::ChannelCredentials> MakeChannelCredentials(const TlsOptions& o) {
  if (!o.calls_with_tls()) return grpc::InsecureChannelCredentials();
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      o.client_key, o.client_cert, o.ca, static_cast<unsigned int>(o.refresh_seconds));
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(provider);
  if (!o.ca.empty()) options.watch_root_certs();
  if (!o.client_cert.empty()) options.watch_identity_key_cert_pairs();
  options.set_verify_server_certs(true);
  return grpc::experimental::TlsCredentials(options);
}

std::shared_ptr<grpc::Channel> MakePeerChannel(const TlsOptions& o,
                                               const std::shared_ptr<grpc::ChannelCredentials>& credentials,
                                               const std::string& target) {
  grpc::ChannelArguments args;
  if (o.calls_with_tls() && !o.server_name.empty()) args.SetSslTargetNameOverride(o.server_name);
  return grpc::CreateCustomChannel(target, credentials, args);
}

// --- Health probe server -------------------------------------------------------

namespace {

// Drops every builder plugin (server reflection registers itself into every
// ServerBuilder): the probe port serves health and nothing else.
class NoPluginsOption final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->clear();
  }
};

// grpc.health.v1.Health/Check over a status table (the default health
// service needs a sync server; this one is a callback service).
class ProbeHealthService final : public grpc::health::v1::Health::CallbackService {
 public:
  void Set(const std::string& service, bool serving) {
    absl::MutexLock lock(&mu_);
    serving_[service] = serving;
  }
  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  grpc::health::v1::HealthCheckResponse* response) override {
    auto* reactor = context->DefaultReactor();
    absl::MutexLock lock(&mu_);
    auto it = serving_.find(request->service());
    if (it == serving_.end()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service"));
      return reactor;
    }
    response->set_status(it->second ? grpc::health::v1::HealthCheckResponse::SERVING
                                    : grpc::health::v1::HealthCheckResponse::NOT_SERVING);
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, bool> serving_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<HealthProbeServer>> HealthProbeServer::Start(const std::string& address) {
  std::unique_ptr<HealthProbeServer> probe(new HealthProbeServer());
  auto health = std::make_unique<ProbeHealthService>();
  health->Set("", false);
  grpc::ServerBuilder builder;
  builder.SetOption(std::make_unique<NoPluginsOption>());
  // No default health service: ours answers instead.
  builder.SetOption(std::make_unique<grpc::HealthCheckServiceServerBuilderOption>(std::unique_ptr<grpc::HealthCheckServiceInterface>()));
  builder.RegisterService(health.get());
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &probe->port_);
  probe->health_ = std::move(health);
  probe->server_ = builder.BuildAndStart();
  if (probe->server_ == nullptr || probe->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen for health probes on ", address));
  }
  return probe;
}

HealthProbeServer::~HealthProbeServer() { Shutdown(); }

void HealthProbeServer::SetServing(const std::string& service, bool serving) {
  if (health_ == nullptr) return;
  auto* health = static_cast<ProbeHealthService*>(health_.get());
  health->Set("", serving);
  health->Set(service, serving);
}

void HealthProbeServer::Shutdown() {
  if (server_ == nullptr) return;
  if (health_ != nullptr) static_cast<ProbeHealthService*>(health_.get())->Set("", false);
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  server_.reset();
}

}  // namespace gridserve
