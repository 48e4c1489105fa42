#ifndef GRIDSERVE_SERVICES_COMMON_SQLITE_DATABASE_H_
#define GRIDSERVE_SERVICES_COMMON_SQLITE_DATABASE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "services/common/database.h"

namespace gridserve {

// The embedded default: one SQLite file per service, WAL journal. Writes go
// through one connection, serialised by a mutex and shared by concurrent
// writers (group commit); reads run on reader connections beside it and never
// wait for a commit (an in-memory database reads on the writer between
// batches).
//
// By default the process holds the file exclusively (an flock on
// <file>.lock for as long as it is open): a second service on the same file
// is refused at open instead of silently sharing it. `exclusive = false`
// (URL parameter ?locking_mode=normal) lets several processes share the
// file: tools, and tests simulating two replicas.
struct SqliteOptions {
  bool exclusive = true;
  // How long a statement waits for a lock another connection holds.
  int busy_timeout_ms = 5000;
};
absl::StatusOr<std::unique_ptr<Database>> OpenSqliteDatabase(const std::string& path,
                                                             SqliteOptions options = {});

// Writes a consistent copy of `db` (opened by OpenSqliteDatabase), as of its
// last commit, to the new file `target`, while calls go on: VACUUM INTO on a
// read-only connection of its own (WAL: a reader holds nothing the writer
// waits for; in memory, on the writer between batches). The copy is compact
// but not yet fsynced (see backup.h). `target` may exist empty (created with
// the permissions it is to have); ALREADY_EXISTS if it holds anything,
// FAILED_PRECONDITION if `db` is not SQLite.
absl::Status CopySqliteDatabase(Database& db, const std::string& target);

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_SQLITE_DATABASE_H_
