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
  // write waits behind it), so a backlog is deleted in short steps.
  int batch_size = 500;
};

struct RetentionResult {
  int64_t idempotency_keys = 0;
  int64_t outbox_messages = 0;
};

// Deletes what is past its retention at the clock's now: idempotency keys
// stored before now - idempotency_retention, outbox messages delivered before
// now - delivered_outbox_retention. Why: both tables gain a row with every
// state-changing call, and without this a service's database grows for ever.
// Each step finds its rows through an index on the time, so its cost follows
// what is expired, not what is stored. Stops after `max_pass` (the next pass
// continues), so a stopping service waits for no backlog.
absl::StatusOr<RetentionResult> PruneExpired(Database& db, const Clock& clock, const RetentionOptions& options,
                                             absl::Duration max_pass = absl::InfiniteDuration());

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_RETENTION_H_
