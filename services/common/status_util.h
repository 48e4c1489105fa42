#ifndef GRIDSERVE_SERVICES_COMMON_STATUS_UTIL_H_
#define GRIDSERVE_SERVICES_COMMON_STATUS_UTIL_H_

#include <string>
#include "absl/strings/string_view.h"
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include <grpcpp/support/status.h>

namespace gridserve {

// A field that failed validation: a proto field path and what is wrong.
struct FieldViolation {
  std::string field;
  std::string description;
};

// INVALID_ARGUMENT carrying google.rpc.BadRequest field violations.
absl::Status InvalidField(absl::string_view field, absl::string_view description);
absl::Status InvalidFields(const std::vector<FieldViolation>& violations);

// FAILED_PRECONDITION carrying a google.rpc.PreconditionFailure: `type` is the
// clause or rule that refuses the step (e.g. "RP-3"), `subject` what it is about.
absl::Status PreconditionFailed(absl::string_view type, absl::string_view subject,
                                absl::string_view description);

// The field violations an absl::Status carries (empty if none).
std::vector<FieldViolation> FieldViolationsOf(const absl::Status& status);

// The one conversion from the domain's absl::Status to what goes on the wire:
// same code and message, details as a serialized google.rpc.Status.
grpc::Status ToGrpcStatus(const absl::Status& status);

// The reverse, for peers' answers (outbox deliveries, lookups).
absl::Status FromGrpcStatus(const grpc::Status& status);

// The canonical name of a code ("OK", "INVALID_ARGUMENT", ...), as the audit
// trail and the logs spell it.
std::string GrpcCodeName(grpc::StatusCode code);

// Collects validation failures so a request gets all of them at once.
class Validator {
 public:
  // Adds a violation when `ok` is false. Returns `ok`.
  bool Check(bool ok, absl::string_view field, absl::string_view description);
  void Add(absl::string_view field, absl::string_view description) { Check(false, field, description); }
  bool empty() const { return violations_.empty(); }
  absl::Status status() const;

 private:
  std::vector<FieldViolation> violations_;
};

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_STATUS_UTIL_H_
