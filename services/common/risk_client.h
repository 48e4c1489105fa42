#ifndef GRIDSERVE_SERVICES_COMMON_RISK_CLIENT_H_
#define GRIDSERVE_SERVICES_COMMON_RISK_CLIENT_H_

#include <cstddef>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/time/time.h"
#include "services/common/outbox.h"

namespace gridserve {

// Outbox handlers that deliver to the risk service. The outbox message_id is
// the request_id, so a redelivery is recognised by risk and changes nothing.
// The text of each (a breach's detail, a red-line report's description) is
// fitted to risk's bounds on the way (FitTextToLimits), naming where the full
// text stays: a sender's own text (a complaint's summary, a supplier's name)
// may be longer, and a report risk refuses would be retried for ever.
OutboxRelay::Handler MakeRiskBreachHandler(std::shared_ptr<grpc::Channel> channel, absl::Duration deadline);
OutboxRelay::Handler MakeRiskRedLineHandler(std::shared_ptr<grpc::Channel> channel, absl::Duration deadline);

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_RISK_CLIENT_H_
