#include "services/common/retention.h"

#include <string>

namespace gridserve {
namespace {

// Deletes up to `limit` rows of one kind whose time is before `before`, in
// one transaction; returns how many. `sql` takes (before, limit).
absl::StatusOr<int64_t> DeleteBatch(Database& db, const char* sql, absl::Time before, int limit) {
  int64_t deleted = 0;
  absl::Status status = db.InTransaction([&](Transaction& txn) -> absl::Status {
    auto changed = txn.Execute(sql, {ToMicros(before), static_cast<int64_t>(limit)});
    if (!changed.ok()) return changed.status();
    deleted = *changed;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return deleted;
}

// The oldest first, through the indexes of platform migration 9. The
// sub-select is the portable way to bound a DELETE (SQLite and PostgreSQL).
constexpr char kDeleteIdempotencyKeys[] =
    "DELETE FROM idempotency_keys WHERE (scope, request_id) IN"
    " (SELECT scope, request_id FROM idempotency_keys WHERE created_at < ? ORDER BY created_at LIMIT ?)";
constexpr char kDeleteDeliveredOutbox[] =
    "DELETE FROM outbox WHERE message_id IN"
    " (SELECT message_id FROM outbox WHERE delivered_at < ? ORDER BY delivered_at LIMIT ?)";

}  // namespace

absl::StatusOr<RetentionResult> PruneExpired(Database& db, const Clock& clock, const RetentionOptions& options,
                                             absl::Duration max_pass) {
  const absl::Time now = clock.Now();
  const absl::Time started = absl::Now();  // the pass's own length is wall time, not the injected clock
  RetentionResult result;
  struct Kind {
    const char* sql;
    absl::Time before;
    int64_t* deleted;
  };
  for (const Kind& kind : {Kind{kDeleteIdempotencyKeys, now - options.idempotency_retention, &result.idempotency_keys},
                           Kind{kDeleteDeliveredOutbox, now - options.delivered_outbox_retention,
                                &result.outbox_messages}}) {
    while (absl::Now() - started < max_pass) {
      auto deleted = DeleteBatch(db, kind.sql, kind.before, options.batch_size);
      if (!deleted.ok()) return deleted.status();
      *kind.deleted += *deleted;
      if (*deleted < options.batch_size) break;
    }
  }
  return result;
}

}  // namespace gridserve
