#include "services/common/retention.h"

#include <array>
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

// The oldest first. The sub-select is the portable way to bound a DELETE.
// PostgreSQL: through the created_at index of platform migration 9.
constexpr char kDeleteIdempotencyKeys[] =
    "DELETE FROM idempotency_keys WHERE (scope, request_id) IN"
    " (SELECT scope, request_id FROM idempotency_keys WHERE created_at < ? ORDER BY created_at LIMIT ?)";
// SQLite: the first rows in rowid order are the first inserted, each stored
// at its call's time, so they are the oldest; of those, the expired ones go.
// No index on created_at to maintain on every write; a batch reads at most
// `limit` rows. (A key stored while the clock stood behind waits for the rows
// inserted before it; one stored while it stood ahead stays among the first
// rows until it expires, and the batches go on past it.)
constexpr char kDeleteIdempotencyKeysSqlite[] =
    "DELETE FROM idempotency_keys WHERE created_at < ? AND rowid IN"
    " (SELECT rowid FROM idempotency_keys ORDER BY rowid LIMIT ?)";
constexpr char kDeleteDeliveredOutbox[] =
    "DELETE FROM outbox WHERE message_id IN"
    " (SELECT message_id FROM outbox WHERE delivered_at < ? ORDER BY delivered_at LIMIT ?)";

}  // namespace

absl::StatusOr<RetentionResult> PruneExpired(Database& db, const Clock& clock, const RetentionOptions& options,
                                             absl::Duration max_pass) {
  const absl::Time now = clock.Now();
  const absl::Time pass_started = absl::Now();  // pacing and the pass's length: real time, not the injected clock
  RetentionResult result;
  struct Kind {
    const char* sql;
    absl::Time before;
    int64_t* deleted;
    // Ordered by expiry, a short batch means nothing expired is left. SQLite's
    // keys go in insertion order instead: a key stored while the clock stood
    // ahead keeps its place among the first, so only an empty batch says so.
    bool in_expiry_order;
    bool done = false;
  };
  const bool sqlite = db.dialect() == "sqlite";
  std::array<Kind, 2> kinds = {
      Kind{sqlite ? kDeleteIdempotencyKeysSqlite : kDeleteIdempotencyKeys, now - options.idempotency_retention,
           &result.idempotency_keys, /*in_expiry_order=*/!sqlite},
      Kind{kDeleteDeliveredOutbox, now - options.delivered_outbox_retention, &result.outbox_messages,
           /*in_expiry_order=*/true}};
  // One batch of each kind in turn, so a backlog of one does not starve the other.
  while (true) {
    bool any_left = false;
    const absl::Time batch_started = absl::Now();
    for (Kind& kind : kinds) {
      if (kind.done) continue;
      auto deleted = DeleteBatch(db, kind.sql, kind.before, options.batch_size);
      if (!deleted.ok()) return deleted.status();
      *kind.deleted += *deleted;
      kind.done = kind.in_expiry_order ? *deleted < options.batch_size : *deleted == 0;
      any_left |= !kind.done;
    }
    if (!any_left) return result;
    if (absl::Now() - pass_started >= max_pass) {
      result.more = true;  // the caller runs the next pass soon
      return result;
    }
    // A backlog: leave the writer to calls for as long as these batches held
    // it, so pruning takes at most half of it (as the SLA sweep does).
    absl::SleepFor(absl::Now() - batch_started);
  }
}

}  // namespace gridserve
