#ifndef GRIDSERVE_SERVICES_CONTACT_CENTER_GRPC_REPAIR_PEER_H_
#define GRIDSERVE_SERVICES_CONTACT_CENTER_GRPC_REPAIR_PEER_H_

#include <memory>

#include <grpcpp/grpcpp.h>

#include "absl/time/time.h"
#include "gridserve/v1/repair.grpc.pb.h"
#include "services/common/outbox.h"
#include "services/common/service_context.h"
#include "services/contact_center/domain/outage_directory.h"

namespace gridserve::contact_center {

// CC-4: outages looked up in repair (Repair.LookupOutage) within a deadline;
// an error or a late answer is UNKNOWN (the caller then skips the CC-4 check).
class RepairOutageDirectory final : public OutageDirectory {
 public:
  RepairOutageDirectory(std::shared_ptr<grpc::Channel> channel, absl::Duration deadline);
  OutageAnswer Lookup(const v1::Location& location, absl::Time at) override;

 private:
  std::unique_ptr<v1::Repair::Stub> stub_;
  const absl::Duration deadline_;
};

// CC-3: delivers the outbox topic repair.dispatch to Repair.AcceptDispatch
// (idempotent there by fault_report_id). On acceptance, in its own
// transaction: stops the fault_dispatch clock at the delivery time (late =
// breach, recorded by the SLA clock at the due time) and records the work
// order id on the fault report. Failed attempts are noted on the report and
// retried by the outbox.
OutboxRelay::Handler MakeDispatchHandler(ServiceContext& context, std::shared_ptr<grpc::Channel> channel,
                                         absl::Duration deadline);

}  // namespace gridserve::contact_center

#endif  // GRIDSERVE_SERVICES_CONTACT_CENTER_GRPC_REPAIR_PEER_H_
