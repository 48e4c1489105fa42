#ifndef GRIDSERVE_SERVICES_COMMON_MIGRATIONS_H_
#define GRIDSERVE_SERVICES_COMMON_MIGRATIONS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "services/common/clock.h"
#include "services/common/database.h"

namespace gridserve {

// One schema step of a component ("platform" or a service). Versions start at
// 1 and only ever grow; a released migration is never edited.
struct Migration {
  int version;
  std::string name;
  std::string sql;
  // When set, `sql` runs only on this dialect; elsewhere the step is recorded
  // as applied and does nothing (e.g. kept_counts.h's triggers, SQLite only).
  std::string only_dialect = "";
};

// Applies, in order and each in its own transaction, the migrations of
// `component` not yet recorded in schema_migrations.
absl::Status ApplyMigrations(Database& db, const Clock& clock, const std::string& component,
                             const std::vector<Migration>& migrations);

// The platform's own tables: outbox, idempotency keys, SLA timers, breaches.
const std::vector<Migration>& PlatformMigrations();

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_MIGRATIONS_H_
