#ifndef GRIDSERVE_SERVICES_COMMON_AUTH_SECURITY_H_
#define GRIDSERVE_SERVICES_COMMON_AUTH_SECURITY_H_

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_interceptor.h>

#include "absl/status/statusor.h"
#include "gridserve/v1/config.pb.h"
#include "services/common/audit_log.h"
#include "services/common/auth_interceptor.h"
#include "services/common/clock.h"
#include "services/common/database.h"
#include "services/common/tls_transport.h"

namespace gridserve {

// Everything security adds to a server, in one place for RunService (and the
// in-process tests): transport credentials, the interceptor, the guarded
// service, the Audit service, peer channels and the health probe port.
//
//   auto security = SecurityLayer::Create("repair", config.security(), TlsOptionsFromFlags(), db, clock);
//   builder.AddListeningPort(listen, (*security)->server_credentials(), &port);
//   builder.RegisterService(*(*security)->Protect(service, "gridserve.v1.Repair"));
//   builder.RegisterService((*security)->audit_service());
//   interceptors.push_back((*security)->MakeInterceptorFactory());  // first
class SecurityLayer {
 public:
  // INVALID_ARGUMENT for a bad SecurityConfig, bad TLS flags or an
  // unreadable file.
  static absl::StatusOr<std::unique_ptr<SecurityLayer>> Create(const std::string& service,
                                                               const v1::SecurityConfig& config,
                                                               const TlsOptions& tls, Database& db,
                                                               const Clock& clock);
  ~SecurityLayer();

  std::shared_ptr<grpc::ServerCredentials> server_credentials() const;
  // The service to register instead of `service` (which must outlive this):
  // guarded when authentication is required or calls are audited, `service`
  // itself otherwise. NOT_FOUND for a name that is not a generated service.
  absl::StatusOr<grpc::Service*> Protect(grpc::Service* service, const std::string& full_service_name);
  // gridserve.v1.Audit, already protected.
  grpc::Service* audit_service() { return audit_service_; }
  // The interceptor; put it before the others so they see its answer.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeInterceptorFactory() const;

  // A channel to a peer with the suite's client credentials.
  std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target) const;

  // Starts the plaintext health-only server when --health_listen is set.
  absl::Status StartHealthProbe();
  int health_port() const { return probe_ == nullptr ? 0 : probe_->port(); }
  // Mirrors the main server's health status on the probe port.
  void SetServing(const std::string& service, bool serving);
  void Shutdown();

  const SecurityCore& core() const { return core_; }
  AuditLog& audit_log() { return *audit_log_; }

 private:
  SecurityLayer() = default;

  SecurityCore core_;
  TlsOptions tls_;
  std::unique_ptr<AuditLog> audit_log_;
  std::unique_ptr<grpc::Service> audit_impl_;
  grpc::Service* audit_service_ = nullptr;
  std::vector<std::unique_ptr<grpc::Service>> guarded_;
  std::shared_ptr<grpc::ChannelCredentials> channel_credentials_;
  std::unique_ptr<HealthProbeServer> probe_;
};

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_AUTH_SECURITY_H_
