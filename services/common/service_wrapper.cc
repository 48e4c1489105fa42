#include "services/common/service_wrapper.h"

#include <deque>

#include "absl/strings/str_cat.h"

namespace gridserve {
namespace {

class WrappedService final : public grpc::Service {
 public:
  WrappedService(grpc::Service* inner, const google::protobuf::ServiceDescriptor& descriptor,
                 const HandlerWrap& wrap) {
    // GetHandler is protected in grpc::Service; naming it through this class
    // gives a member pointer usable on any grpc::Service. Generated services
    // (and wrappers) hold their methods in descriptor order.
    auto get_handler = &WrappedService::GetHandler;
    for (int i = 0; i < descriptor.method_count(); ++i) {
      const auto* m = descriptor.method(i);
      names_.push_back(absl::StrCat("/", descriptor.full_name(), "/", m->name()));
      const auto type = m->client_streaming()
                            ? (m->server_streaming() ? grpc::internal::RpcMethod::BIDI_STREAMING
                                                     : grpc::internal::RpcMethod::CLIENT_STREAMING)
                            : (m->server_streaming() ? grpc::internal::RpcMethod::SERVER_STREAMING
                                                     : grpc::internal::RpcMethod::NORMAL_RPC);
      auto* method =
          new grpc::internal::RpcServiceMethod(names_.back().c_str(), type, wrap((inner->*get_handler)(i), *m));
      method->SetServerApiType(grpc::internal::RpcServiceMethod::ApiType::CALL_BACK);
      AddMethod(method);
    }
  }

 private:
  std::deque<std::string> names_;  // RpcMethod keeps the char pointers
};

}  // namespace

absl::StatusOr<std::unique_ptr<grpc::Service>> WrapService(grpc::Service* inner, const std::string& full_service_name,
                                                           const HandlerWrap& wrap) {
  const auto* descriptor = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(full_service_name);
  if (descriptor == nullptr) {
    return absl::NotFoundError(absl::StrCat("no generated gRPC service is named \"", full_service_name, "\""));
  }
  if (inner == nullptr) return absl::InvalidArgumentError(absl::StrCat("no service to wrap as ", full_service_name));
  return std::unique_ptr<grpc::Service>(std::make_unique<WrappedService>(inner, *descriptor, wrap));
}

}  // namespace gridserve
