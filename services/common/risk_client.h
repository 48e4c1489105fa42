#ifndef GRIDSERVE_SERVICES_COMMON_RISK_CLIENT_H_
#define GRIDSERVE_SERVICES_COMMON_RISK_CLIENT_H_

#include <cstddef>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/time/time.h"
#include "services/common/outbox.h"

namespace gridserve {

// The longest red-line description risk accepts (bytes of UTF-8).
inline constexpr size_t kRedLineDescriptionMaxBytes = 4000;

// `description` cut to what risk accepts, on a UTF-8 character boundary, with
// a note naming where the full text stays (`source_service` `source_reference`).
// Why: a sender's own text (a complaint's summary, a supplier's name) may be
// longer, and a report risk refuses would be retried for ever and never
// start its investigation.
std::string FitRedLineDescription(const std::string& description, const std::string& source_service,
                                  const std::string& source_reference);

// Outbox handlers that deliver to the risk service. The outbox message_id is
// the request_id, so a redelivery is recognised by risk and changes nothing.
// A red-line report's description is fitted (FitRedLineDescription) on the way.
OutboxRelay::Handler MakeRiskBreachHandler(std::shared_ptr<grpc::Channel> channel, absl::Duration deadline);
OutboxRelay::Handler MakeRiskRedLineHandler(std::shared_ptr<grpc::Channel> channel, absl::Duration deadline);

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_RISK_CLIENT_H_
