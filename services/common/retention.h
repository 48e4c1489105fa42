#ifndef GRIDSERVE_SERVICES_COMMON_RETENTION_H_
#define GRIDSERVE_SERVICES_COMMON_RETENTION_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/common/database.h"

namespace gridserve {

// What the platform's own tables keep, and for how long (config: platform.*).
struct RetentionOptions {
  // A retry with the same request_id gets the stored answer for this long.
  absl::Duration idempotency_retention = absl::Hours(24 * 30);
  // A delivered outbox message stays for inspection this long; undelivered
  // messages are never deleted (a peer down for a month still gets them).
  absl::Duration delivered_outbox_retention = absl::Hours(24 * 7);
  // Rows deleted per transaction: each holds the writer (on SQLite, every
  // write waits behind it), so a backlog is deleted in short steps, each
  // followed by as long a pause.
  int batch_size = 200;
};

struct RetentionResult {
  int64_t idempotency_keys = 0;
  int64_t outbox_messages = 0;
  // The pass ended on its time limit with rows still to delete.
  bool more = false;
};

// Deletes what is past its retention at the clock's now: idempotency keys
// stored before now - idempotency_retention, outbox messages delivered before
// now - delivered_outbox_retention. Why: both tables gain a row with every
// state-changing call, and without this a service's database grows for ever.
// Each step finds its rows from the oldest end (SQLite keys: rowid order;
// otherwise an index on the time), so its cost follows what is expired, not
// what is stored. The two tables take turns, a batch
// each; with a backlog, each round is followed by a pause as long as it took
// (the writer stays free half the time), and the pass stops after `max_pass`
// with `more` set: the caller runs the next one soon, so a stopping service
// waits for no backlog and pruning keeps up with a busy service.
absl::StatusOr<RetentionResult> PruneExpired(Database& db, const Clock& clock, const RetentionOptions& options,
                                             absl::Duration max_pass = absl::InfiniteDuration());

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_RETENTION_H_
