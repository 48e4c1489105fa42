#include "services/common/grpc_metrics.h"

#include <array>
#include <chrono>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"

namespace gridserve {
namespace {

constexpr int kCodeCount = 17;  // OK .. UNAUTHENTICATED

const char* CodeName(int code) {
  static const char* kNames[kCodeCount] = {
      "OK",       "Canceled",          "Unknown",          "InvalidArgument", "DeadlineExceeded", "NotFound",
      "AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted",
      "OutOfRange", "Unimplemented",   "Internal",         "Unavailable",     "DataLoss",        "Unauthenticated"};
  return code >= 0 && code < kCodeCount ? kNames[code] : "Unknown";
}

const char* TypeName(bool client_streaming, bool server_streaming) {
  if (client_streaming && server_streaming) return "bidi_stream";
  if (client_streaming) return "client_stream";
  if (server_streaming) return "server_stream";
  return "unary";
}

// The series of one method, resolved once at start-up.
struct MethodSeries {
  prometheus::Counter* started = nullptr;
  std::array<prometheus::Counter*, kCodeCount> handled{};
  prometheus::Histogram* seconds = nullptr;
};

class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit MetricsInterceptor(const MethodSeries* series)
      : series_(series), start_(std::chrono::steady_clock::now()) {
    series_->started->Increment();
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      const int code = static_cast<int>(methods->GetSendStatus().error_code());
      series_->handled[code >= 0 && code < kCodeCount ? code : 2]->Increment();
      series_->seconds->Observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
    }
    methods->Proceed();
  }

 private:
  const MethodSeries* series_;
  const std::chrono::steady_clock::time_point start_;
};

class MetricsInterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  MetricsInterceptorFactory(std::shared_ptr<prometheus::Registry> registry,
                            const std::vector<std::string>& service_names)
      : registry_(std::move(registry)) {
    auto& started = prometheus::BuildCounter()
                        .Name("grpc_server_started_total")
                        .Help("Total number of RPCs started on the server.")
                        .Register(*registry_);
    auto& handled = prometheus::BuildCounter()
                        .Name("grpc_server_handled_total")
                        .Help("Total number of RPCs completed on the server, regardless of success or failure.")
                        .Register(*registry_);
    auto& seconds = prometheus::BuildHistogram()
                        .Name("grpc_server_handling_seconds")
                        .Help("Histogram of response latency (seconds) of gRPC that had been application-level "
                              "handled by the server.")
                        .Register(*registry_);
    const prometheus::Histogram::BucketBoundaries buckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                             0.1,    0.25,  0.5,    1,     2.5,  5,     10};
    for (const std::string& name : service_names) {
      const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
      if (service == nullptr) continue;
      for (int i = 0; i < service->method_count(); ++i) {
        const auto* method = service->method(i);
        const std::map<std::string, std::string> labels = {
            {"grpc_type", TypeName(method->client_streaming(), method->server_streaming())},
            {"grpc_service", name},
            {"grpc_method", method->name()}};
        MethodSeries& s = series_[absl::StrCat("/", name, "/", method->name())];
        s.started = &started.Add(labels);
        for (int code = 0; code < kCodeCount; ++code) {
          auto with_code = labels;
          with_code["grpc_code"] = CodeName(code);
          s.handled[code] = &handled.Add(with_code);
        }
        s.seconds = &seconds.Add(labels, buckets);
      }
    }
  }

  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override {
    if (info->method() == nullptr) return nullptr;
    auto it = series_.find(info->method());
    if (it == series_.end()) return nullptr;
    return new MetricsInterceptor(&it->second);
  }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  absl::flat_hash_map<std::string, MethodSeries> series_;  // read-only after construction
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeGrpcMetricsInterceptorFactory(
    std::shared_ptr<prometheus::Registry> registry, const std::vector<std::string>& full_service_names) {
  return std::make_unique<MetricsInterceptorFactory>(std::move(registry), full_service_names);
}

}  // namespace gridserve
