#ifndef GRIDSERVE_SERVICES_COMMON_IDEMPOTENCY_H_
#define GRIDSERVE_SERVICES_COMMON_IDEMPOTENCY_H_

#include <optional>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "services/common/call_audit.h"
#include "services/common/clock.h"
#include "services/common/database.h"
#include "services/common/request_limits.h"
#include "services/common/status_util.h"

namespace gridserve {

// The stored answer to (scope, request_id), if that request was already
// handled. The same id with a different request is ALREADY_EXISTS.
absl::StatusOr<std::optional<std::string>> FindStoredResponse(Transaction& txn, absl::string_view scope,
                                                              absl::string_view request_id,
                                                              const std::string& request_bytes);

absl::Status StoreResponse(Transaction& txn, absl::Time now, absl::string_view scope, absl::string_view request_id,
                           const std::string& request_bytes, const std::string& response_bytes);

// Deterministic bytes of a request, to compare a retry with the original.
std::string RequestFingerprint(const google::protobuf::Message& request);

// Runs `body` once per request id: the change and its answer are committed
// together; a retry (same scope, id and request) gets the stored answer and
// changes nothing. A failed body stores nothing, so a corrected retry runs.
// The call's audit record, when it can, is part of the same transaction
// (CallAudit): answered calls and their records are committed together.
template <typename Response>
absl::StatusOr<Response> RunOnce(Database& db, const Clock& clock, absl::string_view scope,
                                 absl::string_view request_id, const google::protobuf::Message& request,
                                 absl::FunctionRef<absl::StatusOr<Response>(Transaction&)> body) {
  if (request_id.empty()) return InvalidField("request_id", "is required (a client-generated idempotency key)");
  if (Validator v; !CheckMaxSize(v, "request_id", request_id, kMaxIdSize)) return v.status();
  const std::string fingerprint = RequestFingerprint(request);
  CallAudit* audit = CallAudit::For(db);  // looked up here: the body may run on another thread
  Response response;
  absl::Status status = db.InTransaction([&](Transaction& txn) -> absl::Status {
    auto stored = FindStoredResponse(txn, scope, request_id, fingerprint);
    if (!stored.ok()) return stored.status();
    if (stored->has_value()) {
      response.Clear();
      if (!response.ParseFromString(**stored)) return absl::DataLossError("stored response cannot be parsed");
      return audit != nullptr ? audit->RecordInTransaction(txn) : absl::OkStatus();
    }
    auto result = body(txn);
    if (!result.ok()) return result.status();
    response = *std::move(result);
    absl::Status stored_now =
        StoreResponse(txn, clock.Now(), scope, request_id, fingerprint, response.SerializeAsString());
    // Another replica answered the same request id concurrently: abort so the
    // backend retries on a fresh snapshot, where the stored answer is found.
    if (absl::IsAlreadyExists(stored_now)) return absl::AbortedError("concurrent request with the same request_id");
    if (!stored_now.ok() || audit == nullptr) return stored_now;
    return audit->RecordInTransaction(txn);
  });
  if (!status.ok()) return status;
  return response;
}

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_IDEMPOTENCY_H_
