#include "services/common/breach_watch.h"

#include <vector>

#include "services/common/status_util.h"
#include "services/common/watch_stream.h"

namespace gridserve {

grpc::ServerWriteReactor<v1::BreachEvent>* WatchBreachEvents(Database& db, BreachRecorder& breaches,
                                                             int64_t after_sequence, const std::string& rule) {
  if (after_sequence < 0) {
    return new RefusedStream<v1::BreachEvent>(InvalidField("after_sequence", "must not be negative"));
  }
  auto fetch = [&db, &breaches, rule](int64_t after, int limit) {
    return InReadTransactionResult<std::vector<v1::BreachEvent>>(
        db, [&](Transaction& txn) { return breaches.ListEvents(txn, after, rule, limit); });
  };
  return new WatchStream<v1::BreachEvent>(
      after_sequence, fetch, [](const v1::BreachEvent& e) { return e.sequence(); }, breaches.notifier());
}

}  // namespace gridserve
