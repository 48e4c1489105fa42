#ifndef GRIDSERVE_SERVICES_COMMON_TLS_TRANSPORT_H_
#define GRIDSERVE_SERVICES_COMMON_TLS_TRANSPORT_H_

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gridserve {

// Transport security of a binary, from the flags (every binary accepts them):
//   --tls_cert=FILE --tls_key=FILE   serve TLS (plaintext when both unset)
//   --tls_client_ca=FILE             and require client certificates from this CA (mutual TLS)
//   --tls_ca=FILE                    peers' CA: calls to peers use TLS and verify them
//   --tls_client_cert/--tls_client_key=FILE  the certificate presented to peers
//   --tls_server_name=NAME           expected peer certificate name (default: the target host)
//   --tls_refresh_seconds=N          how often the files are re-read (rotation without restart)
//   --health_listen=HOST:PORT        plaintext grpc.health.v1-only server for probes
struct TlsOptions {
  std::string cert;
  std::string key;
  std::string client_ca;
  std::string ca;
  std::string client_cert;
  std::string client_key;
  std::string server_name;
  int refresh_seconds = 60;
  std::string health_listen;

  bool serves_tls() const { return !cert.empty(); }
  bool calls_with_tls() const { return !ca.empty() || !client_cert.empty(); }
};

TlsOptions TlsOptionsFromFlags();

// Checks the combination and that every named file is readable.
absl::Status ValidateTlsOptions(const TlsOptions& options);

// Server credentials: insecure when no certificate is set, TLS otherwise
// (mutual TLS with client_ca). Certificates come from a
// FileWatcherCertificateProvider, re-read every refresh_seconds.
std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(const TlsOptions& options);

// Credentials for calls to peers (outbox deliveries, lookups).
std::shared_ptr<grpc::ChannelCredentials> MakeChannelCredentials(const TlsOptions& options);

// A channel to a peer with those credentials (and the server-name override).
std::shared_ptr<grpc::Channel> MakePeerChannel(const TlsOptions& options,
                                               const std::shared_ptr<grpc::ChannelCredentials>& credentials,
                                               const std::string& target);

// The probe port: a plaintext server with grpc.health.v1 only (no reflection,
// no business service), whose statuses mirror the main server's.
class HealthProbeServer {
 public:
  // Starts listening on `address` (port 0 picks one).
  static absl::StatusOr<std::unique_ptr<HealthProbeServer>> Start(const std::string& address);
  ~HealthProbeServer();

  int port() const { return port_; }
  void SetServing(const std::string& service, bool serving);
  void Shutdown();

 private:
  HealthProbeServer() = default;
  std::unique_ptr<grpc::Service> health_;  // grpc.health.v1.Health/Check
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_TLS_TRANSPORT_H_
