#include "services/common/risk_client.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "gridserve/v1/risk.grpc.pb.h"
#include "services/common/request_limits.h"
#include "services/common/status_util.h"

namespace gridserve {
namespace {

void SetDeadline(grpc::ClientContext& context, absl::Duration deadline) {
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(absl::ToInt64Milliseconds(deadline)));
}

}  // namespace

OutboxRelay::Handler MakeRiskBreachHandler(std::shared_ptr<grpc::Channel> channel, absl::Duration deadline) {
  auto stub = std::shared_ptr<v1::RiskMonitor::Stub>(v1::RiskMonitor::NewStub(channel));
  return [stub, deadline](const OutboxMessage& message) -> absl::Status {
    v1::ReportBreachRequest request;
    request.set_request_id(message.message_id);
    if (!request.mutable_breach()->ParseFromString(message.payload)) {
      return absl::DataLossError("outbox payload is not a Breach");
    }
    FitTextToLimits(*request.mutable_breach(), FullTextNote(request.breach().service(), request.breach().subject()));
    v1::ReportBreachResponse response;
    grpc::ClientContext context;
    SetDeadline(context, deadline);
    return FromGrpcStatus(stub->ReportBreach(&context, request, &response));
  };
}

OutboxRelay::Handler MakeRiskRedLineHandler(std::shared_ptr<grpc::Channel> channel, absl::Duration deadline) {
  auto stub = std::shared_ptr<v1::RiskMonitor::Stub>(v1::RiskMonitor::NewStub(channel));
  return [stub, deadline](const OutboxMessage& message) -> absl::Status {
    v1::ReportRedLineRequest request;
    if (!request.ParseFromString(message.payload)) return absl::DataLossError("outbox payload is not a red-line report");
    request.set_request_id(message.message_id);
    FitTextToLimits(request, FullTextNote(request.source_service(), request.source_reference()));
    v1::ReportRedLineResponse response;
    grpc::ClientContext context;
    SetDeadline(context, deadline);
    return FromGrpcStatus(stub->ReportRedLine(&context, request, &response));
  };
}

}  // namespace gridserve
