#ifndef GRIDSERVE_SERVICES_COMMON_SERVICE_WRAPPER_H_
#define GRIDSERVE_SERVICES_COMMON_SERVICE_WRAPPER_H_

#include <functional>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/rpc_service_method.h>
#include <grpcpp/impl/service_type.h>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"

namespace gridserve {

// A handler in front of another: deserializes as the inner one does and, unless
// a subclass says otherwise, runs it. The base of every wrap below.
class ForwardingHandler : public grpc::internal::MethodHandler {
 public:
  explicit ForwardingHandler(grpc::internal::MethodHandler* inner) : inner_(inner) {}
  void RunHandler(const HandlerParameter& param) override { inner_->RunHandler(param); }
  void* Deserialize(grpc_call* call, grpc_byte_buffer* req, grpc::Status* status, void** handler_data) final {
    return inner_->Deserialize(call, req, status, handler_data);
  }

 protected:
  grpc::internal::MethodHandler* inner() const { return inner_; }

 private:
  grpc::internal::MethodHandler* inner_;  // owned by the inner service
};

// Builds the handler that replaces `inner` (owned by the inner service) for
// one method; the wrapper service owns what it returns.
using HandlerWrap = std::function<grpc::internal::MethodHandler*(grpc::internal::MethodHandler* inner,
                                                                 const google::protobuf::MethodDescriptor& method)>;

// A callback service with the methods of `inner` (a generated callback
// service, or another wrapper) under the same names and types, each handler
// replaced by `wrap(inner handler, method)`. How the platform adds behaviour
// around every call (authorization, the worker pool) without touching the
// services. `inner` must outlive the wrapper. NOT_FOUND for a name that is
// not a generated service: a service left unwrapped would run without what
// the wrap adds (authorization, admission), so there is no quiet fallback.
absl::StatusOr<std::unique_ptr<grpc::Service>> WrapService(grpc::Service* inner, const std::string& full_service_name,
                                                           const HandlerWrap& wrap);

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_SERVICE_WRAPPER_H_
