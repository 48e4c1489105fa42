#include "absl/strings/string_view.h"
#include "services/common/status_util.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "services/common/audit_mask.h"

namespace gridserve {
namespace {

constexpr char kTypePrefix[] = "type.googleapis.com/";

std::string TypeUrl(const google::protobuf::Message& m) {
  return absl::StrCat(kTypePrefix, m.GetDescriptor()->full_name());
}

absl::Status WithPayload(absl::StatusCode code, absl::string_view message,
                         const google::protobuf::Message& detail) {
  absl::Status status(code, message);
  status.SetPayload(TypeUrl(detail), absl::Cord(detail.SerializeAsString()));
  return status;
}

}  // namespace

absl::Status InvalidField(absl::string_view field, absl::string_view description) {
  return InvalidFields({{std::string(field), std::string(description)}});
}

absl::Status InvalidFields(const std::vector<FieldViolation>& violations) {
  google::rpc::BadRequest bad_request;
  std::vector<std::string> parts;
  for (const auto& v : violations) {
    auto* fv = bad_request.add_field_violations();
    fv->set_field(v.field);
    fv->set_description(v.description);
    parts.push_back(absl::StrCat(v.field, ": ", v.description));
  }
  return WithPayload(absl::StatusCode::kInvalidArgument, absl::StrJoin(parts, "; "), bad_request);
}

absl::Status PreconditionFailed(absl::string_view type, absl::string_view subject,
                                absl::string_view description) {
  google::rpc::PreconditionFailure failure;
  auto* v = failure.add_violations();
  v->set_type(std::string(type));
  v->set_subject(std::string(subject));
  v->set_description(std::string(description));
  return WithPayload(absl::StatusCode::kFailedPrecondition,
                     absl::StrCat(type, ": ", description), failure);
}

std::vector<FieldViolation> FieldViolationsOf(const absl::Status& status) {
  std::vector<FieldViolation> out;
  auto payload = status.GetPayload(TypeUrl(google::rpc::BadRequest()));
  google::rpc::BadRequest bad_request;
  if (payload && bad_request.ParseFromString(std::string(*payload))) {
    for (const auto& fv : bad_request.field_violations()) out.push_back({fv.field(), fv.description()});
  }
  return out;
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // Error messages go to callers and logs: personal data is masked.
  const std::string message = MaskPersonalData(status.message());
  google::rpc::Status rpc_status;
  rpc_status.set_code(static_cast<int>(status.code()));
  rpc_status.set_message(message);
  status.ForEachPayload([&](absl::string_view type_url, const absl::Cord& payload) {
    auto* any = rpc_status.add_details();
    any->set_type_url(std::string(type_url));
    any->set_value(std::string(payload));
  });
  // absl and gRPC share the canonical code numbering.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), message, rpc_status.SerializeAsString());
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status out(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  google::rpc::Status rpc_status;
  if (!status.error_details().empty() && rpc_status.ParseFromString(status.error_details())) {
    for (const auto& any : rpc_status.details()) out.SetPayload(any.type_url(), absl::Cord(any.value()));
  }
  return out;
}

bool Validator::Check(bool ok, absl::string_view field, absl::string_view description) {
  if (!ok) violations_.push_back({std::string(field), std::string(description)});
  return ok;
}

absl::Status Validator::status() const {
  return violations_.empty() ? absl::OkStatus() : InvalidFields(violations_);
}

std::string GrpcCodeName(grpc::StatusCode code) {
  // gRPC's codes are absl's, number for number.
  const std::string name = absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  return name.empty() ? "UNKNOWN" : name;
}

}  // namespace gridserve
