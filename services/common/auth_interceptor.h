#ifndef GRIDSERVE_SERVICES_COMMON_AUTH_INTERCEPTOR_H_
#define GRIDSERVE_SERVICES_COMMON_AUTH_INTERCEPTOR_H_

#include <initializer_list>
#include <memory>
#include <set>
#include <string>

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_interceptor.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gridserve/v1/config.pb.h"
#include "services/common/audit_log.h"
#include "services/common/auth_policy.h"

namespace gridserve {

// Who is calling, for handlers: the client certificate's identity (first
// SPIFFE/URI/DNS SAN, else the certificate's peer identity) or the identity
// of a valid bearer token; "" when neither. Valid during the call on any
// server set up by RunService (or SecurityLayer in tests).
std::string CallerIdentity(const grpc::ServerContextBase* context);
// The staff id bound to the caller (RoleBinding.staff_id), or "".
std::string CallerStaffId(const grpc::ServerContextBase* context);

// Separation of duties at the red-line decision (ConfirmRedLine /
// DismissRedLine): CheckSeparationOfDuties for each of the authenticated
// caller, its bound staff id and the request's decided_by staff id, against
// the staff member the report is about and each id of whoever filed it.
absl::Status CheckRedLineDecision(const grpc::ServerContextBase* context, absl::string_view decided_by_staff_id,
                                  absl::string_view report_subject_staff_id,
                                  std::initializer_list<absl::string_view> filed_by);

// The state shared by the interceptor and the guarded services of a server.
struct SecurityCore {
  std::string service;  // "repair": audit records' service
  bool require_auth = false;
  bool audit = true;
  AccessPolicy policy;
  std::unique_ptr<TokenStore> tokens;  // null: no tokens file
  AuditLog* audit_log = nullptr;       // null: no audit trail
  // Full service names ("gridserve.v1.Repair") whose calls are intercepted.
  std::set<std::string> services;
};

// The one server interceptor of authentication, authorization and audit:
//  - on the initial metadata it identifies the caller (certificate, token)
//    and decides: UNAUTHENTICATED without identity, PERMISSION_DENIED when no
//    role of the caller lists the method (only when core.require_auth);
//  - on the status it replaces the answer of a refused call with that
//    decision, logs the refusal, and appends the audit record of every
//    state-changing call (any method not starting with Get/List/Lookup/Watch).
// gRPC C++ server interceptors cannot stop a call themselves (no Hijack on
// the server, grpc/grpc#24017), so the handler of a refused call is skipped
// by GuardService below, which reads the interceptor's decision.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeSecurityInterceptorFactory(
    const SecurityCore* core);

// A service whose methods run only when the interceptor allowed the call
// (a call the interceptor did not see runs only if !require_auth), with the
// call's audit current (CallAudit); `inner` (a CallbackService of
// `full_service_name`, e.g. "gridserve.v1.Repair") must outlive it and is not
// registered itself. NOT_FOUND for a name that is not a generated service.
absl::StatusOr<std::unique_ptr<grpc::Service>> GuardService(grpc::Service* inner, const std::string& full_service_name,
                                                            bool require_auth);

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_AUTH_INTERCEPTOR_H_
