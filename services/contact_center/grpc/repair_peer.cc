#include "services/contact_center/grpc/repair_peer.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "services/common/log.h"
#include "services/common/request_limits.h"
#include "services/common/rpc_util.h"
#include "services/common/status_util.h"
#include "services/contact_center/domain/fault_rules.h"
#include "services/contact_center/storage/contact_center_store.h"

namespace gridserve::contact_center {
namespace {

void SetDeadline(grpc::ClientContext& context, absl::Duration deadline) {
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::microseconds(absl::ToInt64Microseconds(deadline)));
}

}  // namespace

RepairOutageDirectory::RepairOutageDirectory(std::shared_ptr<grpc::Channel> channel, absl::Duration deadline)
    : stub_(v1::Repair::NewStub(std::move(channel))), deadline_(deadline) {}

OutageAnswer RepairOutageDirectory::Lookup(const v1::Location& location, absl::Time at) {
  v1::RepairLookupOutageRequest request;
  *request.mutable_location() = location;
  *request.mutable_at() = ToProto(at);
  v1::RepairLookupOutageResponse response;
  grpc::ClientContext context;
  SetDeadline(context, deadline_);
  const grpc::Status status = stub_->LookupOutage(&context, request, &response);
  OutageAnswer answer;
  if (!status.ok()) {
    // Degrade, never fail the agent's call (CC-4 is then not checked).
    LogWarning("outage_lookup_unavailable", {{"code", absl::StrCat(status.error_code())}});
    return answer;
  }
  if (response.status() == v1::OUTAGE_LOOKUP_STATUS_COVERED) {
    answer.status = v1::OUTAGE_LOOKUP_STATUS_COVERED;
    answer.outage = response.outage();
  } else if (response.status() == v1::OUTAGE_LOOKUP_STATUS_NOT_COVERED) {
    answer.status = v1::OUTAGE_LOOKUP_STATUS_NOT_COVERED;
  }
  return answer;
}

OutboxRelay::Handler MakeDispatchHandler(ServiceContext& context, std::shared_ptr<grpc::Channel> channel,
                                         absl::Duration deadline) {
  auto stub = std::shared_ptr<v1::Repair::Stub>(v1::Repair::NewStub(std::move(channel)));
  return [&context, stub, deadline](const OutboxMessage& message) -> absl::Status {
    v1::AcceptDispatchRequest request;
    if (!request.ParseFromString(message.payload)) return absl::DataLossError("outbox payload is not a dispatch");
    request.set_request_id(message.message_id);
    // A report stored before requests were bounded may carry a longer text
    // than repair takes: fitted, it is delivered instead of refused for ever.
    FitTextToLimits(request, FullTextNote("contact-center", absl::StrCat("fault_report/", request.fault_report_id())));
    v1::AcceptDispatchResponse response;
    grpc::ClientContext call;
    SetDeadline(call, deadline);
    const absl::Status delivered = FromGrpcStatus(stub->AcceptDispatch(&call, request, &response));
    const absl::Time now = context.clock.Now();
    const std::string subject = absl::StrCat("fault_report/", request.fault_report_id());
    absl::Status recorded = context.db.InTransaction([&](Transaction& txn) -> absl::Status {
      auto found = FindFaultReport(txn, request.fault_report_id());
      if (!found.ok()) return found.status();
      if (!found->has_value()) return absl::OkStatus();  // nothing local to annotate
      v1::FaultReport& report = **found;
      v1::Dispatch* dispatch = report.mutable_dispatch();
      dispatch->set_attempts(message.attempts);
      if (!delivered.ok()) {
        dispatch->set_last_error(absl::StrCat(absl::StatusCodeToString(delivered.code()), ": ", delivered.message()));
        return UpdateFaultReport(txn, report);
      }
      if (dispatch->status() != v1::DISPATCH_STATUS_DELIVERED) {
        dispatch->set_status(v1::DISPATCH_STATUS_DELIVERED);
        dispatch->set_work_order_id(response.work_order().work_order_id());
        *dispatch->mutable_delivered_at() = ToProto(now);
        dispatch->clear_last_error();
      }
      // CC-3: accepted by repair now; later than dispatch_due is a breach.
      auto stopped = context.sla.Stop(txn, kDispatchSla, subject, now);
      if (!stopped.ok() && !absl::IsNotFound(stopped.status())) return stopped.status();
      return UpdateFaultReport(txn, report);
    });
    if (!delivered.ok()) return delivered;
    if (recorded.ok()) {
      LogInfo("dispatch_delivered",
              {{"fault_report_id", request.fault_report_id()}, {"work_order_id", response.work_order().work_order_id()}});
    }
    // A failed local update is retried; repair recognises the fault report.
    return recorded;
  };
}

}  // namespace gridserve::contact_center
