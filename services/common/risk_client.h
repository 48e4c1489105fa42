#ifndef GRIDSERVE_SERVICES_COMMON_RISK_CLIENT_H_
#define GRIDSERVE_SERVICES_COMMON_RISK_CLIENT_H_

#include <memory>

#include <grpcpp/grpcpp.h>

#include "absl/time/time.h"
#include "services/common/outbox.h"

namespace gridserve {

// Outbox handlers that deliver to the risk service. The outbox message_id is
// the request_id, so a redelivery is recognised by risk and changes nothing.
OutboxRelay::Handler MakeRiskBreachHandler(std::shared_ptr<grpc::Channel> channel, absl::Duration deadline);
OutboxRelay::Handler MakeRiskRedLineHandler(std::shared_ptr<grpc::Channel> channel, absl::Duration deadline);

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_RISK_CLIENT_H_
