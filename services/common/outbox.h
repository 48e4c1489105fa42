#ifndef GRIDSERVE_SERVICES_COMMON_OUTBOX_H_
#define GRIDSERVE_SERVICES_COMMON_OUTBOX_H_

#include <functional>
#include <map>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/common/database.h"
#include "services/common/kept_counts.h"

namespace gridserve {

// Topics of the suite's cross-service messages.
inline constexpr char kTopicRiskBreach[] = "risk.breach";          // payload: v1::Breach
inline constexpr char kTopicRiskRedLine[] = "risk.redline";        // payload: v1::ReportRedLineRequest
inline constexpr char kTopicRepairDispatch[] = "repair.dispatch";  // payload: v1::AcceptDispatchRequest

struct OutboxMessage {
  std::string message_id;
  std::string topic;
  std::string payload;
  int attempts = 0;
  absl::Time created_at;
};

// Writes a message in the caller's transaction, so it exists exactly when the
// business change does. Enqueueing the same message_id again is a no-op.
absl::Status EnqueueOutbox(Transaction& txn, absl::Time now, const std::string& message_id,
                           const std::string& topic, const std::string& payload);

// Whether the receiver has accepted a message this service enqueued (read
// models show "forwarded"). A message no longer stored was delivered: the
// retention sweep deletes delivered messages only.
absl::StatusOr<bool> OutboxDelivered(Transaction& txn, const std::string& message_id);

struct OutboxOptions {
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Seconds(60);
  // How long a claimed message is reserved for one relay (several replicas
  // may share a database); after that another may retry it.
  absl::Duration claim_lease = absl::Seconds(30);
  int batch_size = 100;
  // A message its receiver rejects (IsRejection: the receiver refuses the
  // message itself, not the moment) is retried this much later instead of
  // by the backoff: it will not be accepted until one of the two services is
  // changed, and a retry a minute would be a failing call and an error line
  // a minute meanwhile. Never dropped: accepted once the receiver takes it.
  absl::Duration rejected_retry = absl::Hours(1);
};

// INVALID_ARGUMENT or UNIMPLEMENTED from a receiver: it refuses the message
// as such (in the suite, two services disagreeing on the contract), so the
// same bytes fail again until a service is upgraded or fixed.
bool IsRejection(const absl::Status& delivery);

// Delivers pending messages to their topic's handler: at least once, retried
// with exponential backoff, surviving restarts (the table is the queue).
// Receivers are idempotent on message_id, which makes it exactly once.
class OutboxRelay {
 public:
  // Returns OK when the receiver has the message (also when it already had it).
  using Handler = std::function<absl::Status(const OutboxMessage&)>;

  OutboxRelay(Database& db, const Clock& clock, OutboxOptions options);

  void RegisterHandler(const std::string& topic, Handler handler);

  // One pass: claims every message due now, delivers each, records the
  // result. Returns how many were delivered. Once a topic's peer does not
  // answer (UNAVAILABLE, DEADLINE_EXCEEDED), the topic's other messages are
  // not tried in this pass: they wait as long as the failed one.
  absl::StatusOr<int> DeliverDue();

  // Messages not yet delivered, by topic (read from PendingCount: a peer
  // down for long leaves a backlog that the gauge refresh must not count).
  absl::StatusOr<std::map<std::string, int64_t>> PendingByTopic();
  // Undelivered messages by topic, kept by the database (platform migration 8).
  static const KeptCount& PendingCount();

  // Totals since start, by topic: delivered and failed attempts.
  struct Counts {
    int64_t delivered = 0;
    int64_t failed_attempts = 0;  // every failed attempt, rejections included
    int64_t rejected = 0;         // attempts the receiver rejected (IsRejection)
  };
  std::map<std::string, Counts> counts() const;

 private:
  absl::Duration BackoffAfter(int attempts) const;

  Database& db_;
  const Clock& clock_;
  const OutboxOptions options_;
  absl::flat_hash_map<std::string, Handler> handlers_;
  mutable absl::Mutex mu_;
  std::map<std::string, Counts> counts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_OUTBOX_H_
