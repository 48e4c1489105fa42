#include "services/common/auth_interceptor.h"

#include <grpc/grpc_security_constants.h>
#include <grpcpp/impl/rpc_service_method.h>

#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/descriptor.h"
#include "services/common/audit_mask.h"
#include "services/common/log.h"
#include "services/common/rpc_util.h"
#include "services/common/service_wrapper.h"
#include "services/common/status_util.h"

namespace gridserve {
namespace {

// What the interceptor found out about a call, keyed by its server context.
struct CallState {
  std::string identity;
  std::string authenticated_by = "none";
  std::string staff_id;
  std::string peer;
  grpc::Status decision;
  std::shared_ptr<PendingCallAudit> audit;  // state-changing calls, when the trail is on
};

class CallRegistry {
 public:
  static CallRegistry& Get() {
    static CallRegistry* registry = new CallRegistry();
    return *registry;
  }
  void Put(const void* context, CallState state) {
    absl::MutexLock lock(&mu_);
    calls_[context] = std::move(state);
  }
  std::optional<CallState> Find(const void* context) {
    absl::MutexLock lock(&mu_);
    auto it = calls_.find(context);
    if (it == calls_.end()) return std::nullopt;
    return it->second;
  }
  void Erase(const void* context) {
    absl::MutexLock lock(&mu_);
    calls_.erase(context);
  }

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<const void*, CallState> calls_ ABSL_GUARDED_BY(mu_);
};

std::string CertificateIdentity(const grpc::ServerContextBase& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return "";
  for (const char* property : {GRPC_PEER_SPIFFE_ID_PROPERTY_NAME, GRPC_PEER_URI_PROPERTY_NAME,
                               GRPC_PEER_DNS_PROPERTY_NAME, GRPC_PEER_EMAIL_PROPERTY_NAME}) {
    auto values = auth->FindPropertyValues(property);
    if (!values.empty()) return std::string(values.front().data(), values.front().size());
  }
  auto identity = auth->GetPeerIdentity();
  if (!identity.empty()) return std::string(identity.front().data(), identity.front().size());
  return "";
}

// The token of an "authorization: Bearer <token>" header, or "".
std::string BearerToken(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata, bool* present) {
  *present = false;
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return "";
  *present = true;
  absl::string_view value(it->second.data(), it->second.size());
  if (value.size() < 7 || !absl::EqualsIgnoreCase(value.substr(0, 7), "bearer ")) return "";
  return std::string(absl::StripAsciiWhitespace(value.substr(7)));
}

class SecurityInterceptor final : public grpc::experimental::Interceptor {
 public:
  SecurityInterceptor(const SecurityCore* core, grpc::experimental::ServerRpcInfo* info)
      : core_(core), info_(info), method_(info->method()) {}
  ~SecurityInterceptor() override { CallRegistry::Get().Erase(info_->server_context()); }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      Identify(*methods->GetRecvInitialMetadata());
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      auto state = CallRegistry::Get().Find(info_->server_context());
      grpc::Status outcome = methods->GetSendStatus();
      if (state.has_value() && !state->decision.ok()) {
        outcome = state->decision;
        methods->ModifySendStatus(outcome);
        LogWarning("call_refused", {{"method", method_},
                                    {"caller", state->identity},
                                    {"code", GrpcCodeName(outcome.error_code())},
                                    {"peer", state->peer}});
      }
      if (state.has_value() && state->audit != nullptr) {
        if (auto s = state->audit->Finish(outcome); !s.ok()) {
          LogError("audit_write_failed", {{"method", method_}, {"error", std::string(s.message())}});
        }
      }
    }
    methods->Proceed();
  }

 private:
  void Identify(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
    const grpc::ServerContextBase* context = info_->server_context();
    CallState state;
    state.peer = context->peer();
    bool token_present = false;
    const std::string token = BearerToken(metadata, &token_present);
    if (std::string cert = CertificateIdentity(*context); !cert.empty()) {
      state.identity = std::move(cert);
      state.authenticated_by = "certificate";
    } else if (!token.empty() && core_->tokens != nullptr) {
      if (auto identity = core_->tokens->Lookup(token); identity.has_value()) {
        state.identity = *identity;
        state.authenticated_by = "token";
      }
    }
    state.staff_id = core_->policy.StaffIdOf(state.identity);
    if (core_->audit && core_->audit_log != nullptr && IsStateChanging(method_)) {
      v1::AuditRecord record;
      record.set_caller(state.identity);
      record.set_authenticated_by(state.authenticated_by);
      record.set_peer(state.peer);
      record.set_method(method_);
      state.audit = std::make_shared<PendingCallAudit>(*core_->audit_log, std::move(record));
    }
    if (core_->require_auth) {
      if (state.identity.empty()) {
        state.decision = grpc::Status(
            grpc::StatusCode::UNAUTHENTICATED,
            token_present ? "the bearer token is not valid"
                          : "no caller identity: present a client certificate or an authorization: Bearer token");
      } else if (!core_->policy.Allows(state.identity, method_)) {
        const auto roles = core_->policy.RolesOf(state.identity);
        state.decision = grpc::Status(
            grpc::StatusCode::PERMISSION_DENIED,
            absl::StrCat("caller \"", state.identity, "\" (roles: ", roles.empty() ? "none" : absl::StrJoin(roles, ", "),
                         ") may not call ", method_));
      }
    }
    CallRegistry::Get().Put(context, std::move(state));
  }

  const SecurityCore* core_;
  grpc::experimental::ServerRpcInfo* info_;
  const std::string method_;
};

class SecurityInterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit SecurityInterceptorFactory(const SecurityCore* core) : core_(core) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override {
    if (info->method() == nullptr) return nullptr;
    absl::string_view method = info->method();
    absl::ConsumePrefix(&method, "/");
    const auto slash = method.find('/');
    if (slash == absl::string_view::npos) return nullptr;
    if (core_->services.count(std::string(method.substr(0, slash))) == 0) return nullptr;  // health, reflection
    return new SecurityInterceptor(core_, info);
  }

 private:
  const SecurityCore* core_;
};

// Runs the wrapped handler when the interceptor allowed the call, with the
// call's audit current on the thread (CallAudit: RunOnce writes it in the
// call's transaction); otherwise hands it a failed request status, so the
// call ends without running the service method (the interceptor then sends
// the decision's code). Handlers answer before RunHandler returns (on the
// executor's workers, or a store read on gRPC's thread), so the scope covers
// their transactions.
class GuardHandler final : public ForwardingHandler {
 public:
  GuardHandler(grpc::internal::MethodHandler* inner, bool require_auth)
      : ForwardingHandler(inner), require_auth_(require_auth) {}

  void RunHandler(const HandlerParameter& param) override {
    auto state = CallRegistry::Get().Find(param.server_context);
    grpc::Status decision;
    if (state.has_value()) {
      decision = state->decision;
    } else if (require_auth_) {
      decision = grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "no caller identity");
    }
    if (decision.ok()) {
      CallAudit::Scope audit(state.has_value() ? state->audit.get() : nullptr);
      inner()->RunHandler(param);
      return;
    }
    inner()->RunHandler(HandlerParameter(param.call, param.server_context, param.request, decision,
                                         param.internal_data, param.call_requester));
  }

 private:
  const bool require_auth_;
};

}  // namespace

std::string CallerIdentity(const grpc::ServerContextBase* context) {
  if (context == nullptr) return "";
  if (auto state = CallRegistry::Get().Find(context); state.has_value()) return state->identity;
  return CertificateIdentity(*context);
}

std::string CallerStaffId(const grpc::ServerContextBase* context) {
  if (context == nullptr) return "";
  if (auto state = CallRegistry::Get().Find(context); state.has_value()) return state->staff_id;
  return "";
}

absl::Status CheckRedLineDecision(const grpc::ServerContextBase* context, absl::string_view decided_by_staff_id,
                                  absl::string_view report_subject_staff_id,
                                  std::initializer_list<absl::string_view> filed_by) {
  for (const std::string& who : {CallerIdentity(context), CallerStaffId(context), std::string(decided_by_staff_id)}) {
    if (auto s = CheckSeparationOfDuties(who, report_subject_staff_id, ""); !s.ok()) return s;
    for (absl::string_view reporter : filed_by) {
      if (auto s = CheckSeparationOfDuties(who, "", reporter); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeSecurityInterceptorFactory(
    const SecurityCore* core) {
  return std::make_unique<SecurityInterceptorFactory>(core);
}

absl::StatusOr<std::unique_ptr<grpc::Service>> GuardService(grpc::Service* inner, const std::string& full_service_name,
                                                            bool require_auth) {
  return WrapService(inner, full_service_name,
                     [require_auth](grpc::internal::MethodHandler* handler, const google::protobuf::MethodDescriptor&) {
                       return new GuardHandler(handler, require_auth);
                     });
}

}  // namespace gridserve
