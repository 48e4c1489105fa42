#ifndef GRIDSERVE_SERVICES_COMMON_BREACH_WATCH_H_
#define GRIDSERVE_SERVICES_COMMON_BREACH_WATCH_H_

#include <string>

#include <grpcpp/support/server_callback.h>

#include "gridserve/v1/common.pb.h"
#include "services/common/breach_recorder.h"
#include "services/common/database.h"

namespace gridserve {

// WatchBreaches, the same in every service: the breaches recorded after
// `after_sequence` (all rules, or only `rule`), oldest first, then new ones as
// they commit. A negative cursor is INVALID_ARGUMENT on after_sequence.
grpc::ServerWriteReactor<v1::BreachEvent>* WatchBreachEvents(Database& db, BreachRecorder& breaches,
                                                             int64_t after_sequence, const std::string& rule);

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_BREACH_WATCH_H_
