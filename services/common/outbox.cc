#include "services/common/outbox.h"

#include <algorithm>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/log.h"

namespace gridserve {

absl::Status EnqueueOutbox(Transaction& txn, absl::Time now, const std::string& message_id,
                           const std::string& topic, const std::string& payload) {
  auto inserted = txn.Execute(
      "INSERT INTO outbox (message_id, topic, payload, created_at, next_attempt_at, attempts)"
      " VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT (message_id) DO NOTHING",
      {message_id, topic, Blob{payload}, ToMicros(now), ToMicros(now)});
  return inserted.status();
}

absl::StatusOr<bool> OutboxDelivered(Transaction& txn, const std::string& message_id) {
  auto rows = txn.Query("SELECT delivered_at FROM outbox WHERE message_id = ?", {message_id});
  if (!rows.ok()) return rows.status();
  // No row: delivered and since deleted by the retention sweep (only
  // delivered messages are deleted, and callers ask about messages they
  // enqueued).
  return rows->empty() || !(*rows)[0].IsNull(0);
}

bool IsRejection(const absl::Status& delivery) {
  return absl::IsInvalidArgument(delivery) || absl::IsUnimplemented(delivery);
}

OutboxRelay::OutboxRelay(Database& db, const Clock& clock, OutboxOptions options)
    : db_(db), clock_(clock), options_(options) {}

void OutboxRelay::RegisterHandler(const std::string& topic, Handler handler) {
  handlers_[topic] = std::move(handler);
}

absl::Duration OutboxRelay::BackoffAfter(int attempts) const {
  absl::Duration delay = options_.initial_backoff;
  for (int i = 1; i < attempts && delay < options_.max_backoff; ++i) delay *= 2;
  return std::min(delay, options_.max_backoff);
}

absl::StatusOr<int> OutboxRelay::DeliverDue() {
  const absl::Time now = clock_.Now();
  std::vector<OutboxMessage> claimed;
  const int64_t lease_until = ToMicros(now + options_.claim_lease);
  absl::Status status = db_.InTransaction([&](Transaction& txn) -> absl::Status {
    // A backend may run the body again after a conflict (PostgreSQL retries
    // serialization failures): only the attempt that commits holds claims.
    claimed.clear();
    auto rows = txn.Query(
        "SELECT message_id, topic, payload, attempts, created_at, next_attempt_at FROM outbox"
        " WHERE delivered_at IS NULL AND next_attempt_at <= ? ORDER BY next_attempt_at, created_at LIMIT ?",
        {ToMicros(now), static_cast<int64_t>(options_.batch_size)});
    if (!rows.ok()) return rows.status();
    for (const Row& row : *rows) {
      // The conditional update is the claim: with several relays on one
      // database exactly one of them sees a changed row.
      auto claimed_rows = txn.Execute(
          "UPDATE outbox SET next_attempt_at = ?, attempts = attempts + 1"
          " WHERE message_id = ? AND delivered_at IS NULL AND next_attempt_at = ?",
          {lease_until, row.Text(0), row.Int(5)});
      if (!claimed_rows.ok()) return claimed_rows.status();
      if (*claimed_rows != 1) continue;
      claimed.push_back({row.Text(0), row.Text(1), row.Text(2), static_cast<int>(row.Int(3)) + 1,
                         FromMicros(row.Int(4))});
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;

  int delivered = 0;
  // A peer that does not answer (UNAVAILABLE, DEADLINE_EXCEEDED) is not
  // called again in this pass: its topic's other messages wait as long as the
  // one that failed, their claim undone and no attempt counted. Why: with a
  // peer stopped, each pass cost one failing call, one write and one log line
  // per pending message — up to batch_size × the peer deadline per pass.
  std::map<std::string, absl::Time> unreachable_until;  // topic -> when its failed message is retried
  std::vector<const OutboxMessage*> held_back;
  for (const OutboxMessage& message : claimed) {
    if (unreachable_until.count(message.topic) > 0) {
      held_back.push_back(&message);
      continue;
    }
    auto handler = handlers_.find(message.topic);
    absl::Status result = handler == handlers_.end()
                              ? absl::FailedPreconditionError(absl::StrCat("no handler for topic ", message.topic))
                              : handler->second(message);
    const absl::Time done = clock_.Now();
    const bool rejected = IsRejection(result);
    // A pass that outlived its lease may find the message claimed by another
    // relay. The receiver having it is a fact whoever holds the lease, so a
    // delivery is recorded unless one already was; a failure's retry time only
    // while the lease is still ours, never over the new owner's lease or
    // schedule (which a third relay would then see as due).
    absl::Status recorded = db_.InTransaction([&](Transaction& txn) -> absl::Status {
      if (result.ok()) {
        return txn.Execute("UPDATE outbox SET delivered_at = ?, last_error = NULL"
                           " WHERE message_id = ? AND delivered_at IS NULL",
                           {ToMicros(done), message.message_id})
            .status();
      }
      return txn.Execute("UPDATE outbox SET next_attempt_at = ?, last_error = ?"
                         " WHERE message_id = ? AND delivered_at IS NULL AND next_attempt_at = ?",
                         {ToMicros(done + (rejected ? options_.rejected_retry : BackoffAfter(message.attempts))),
                          std::string(result.message()),
                          message.message_id, lease_until})
          .status();
    });
    if (!recorded.ok()) return recorded;
    if (absl::IsUnavailable(result) || absl::IsDeadlineExceeded(result)) {
      unreachable_until[message.topic] = done + BackoffAfter(message.attempts);
    }
    absl::MutexLock lock(&mu_);
    if (result.ok()) {
      ++delivered;
      ++counts_[message.topic].delivered;
    } else if (rejected) {
      ++counts_[message.topic].failed_attempts;
      ++counts_[message.topic].rejected;
      // The receiver's message says what it refused (its errors are masked).
      LogError("outbox_message_rejected", {{"topic", message.topic},
                                           {"message_id", message.message_id},
                                           {"attempts", absl::StrCat(message.attempts)},
                                           {"code", absl::StatusCodeToString(result.code())},
                                           {"error", std::string(result.message())},
                                           {"next_attempt_in", absl::FormatDuration(options_.rejected_retry)}});
    } else {
      ++counts_[message.topic].failed_attempts;
      LogWarning("outbox_delivery_failed", {{"topic", message.topic},
                                            {"message_id", message.message_id},
                                            {"attempts", absl::StrCat(message.attempts)},
                                            {"code", absl::StatusCodeToString(result.code())}});
    }
  }
  if (held_back.empty()) return delivered;
  absl::Status released = db_.InTransaction([&](Transaction& txn) -> absl::Status {
    for (const OutboxMessage* message : held_back) {
      auto s = txn.Execute(
          "UPDATE outbox SET next_attempt_at = ?, attempts = attempts - 1"
          " WHERE message_id = ? AND delivered_at IS NULL AND next_attempt_at = ?",
          {ToMicros(unreachable_until[message->topic]), message->message_id, lease_until});
      if (!s.ok()) return s.status();
    }
    return absl::OkStatus();
  });
  if (!released.ok()) return released;
  return delivered;
}

absl::StatusOr<std::map<std::string, int64_t>> OutboxRelay::PendingByTopic() {
  std::map<std::string, int64_t> pending;
  absl::Status status = db_.InReadTransaction([&](Transaction& txn) -> absl::Status {
    auto counts = ReadKeptCount(txn, db_.dialect(), PendingCount());
    if (!counts.ok()) return counts.status();
    for (const auto& [topic, n] : *counts) {
      if (n > 0) pending[topic] = n;  // a topic whose messages have all gone may read 0
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return pending;
}

const KeptCount& OutboxRelay::PendingCount() {
  static const auto* kCount =
      new KeptCount{"outbox_pending", "outbox", "CASE WHEN NEW.delivered_at IS NULL THEN NEW.topic END"};
  return *kCount;
}

std::map<std::string, OutboxRelay::Counts> OutboxRelay::counts() const {
  absl::MutexLock lock(&mu_);
  return counts_;
}

}  // namespace gridserve
