#ifndef GRIDSERVE_SERVICES_COMMON_SQLITE_DATABASE_H_
#define GRIDSERVE_SERVICES_COMMON_SQLITE_DATABASE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "services/common/database.h"

namespace gridserve {

// The embedded default: one SQLite file per service, WAL journal, one
// connection serialised by a mutex (SQLite has a single writer anyway).
//
// By default the connection holds the file exclusively for as long as it is
// open (PRAGMA locking_mode=EXCLUSIVE): no file lock is taken and released per
// transaction (those fcntl calls were ~5% of a read's CPU), and a second
// process on the same file is refused at open instead of silently sharing
// it. `exclusive = false` (URL parameter ?locking_mode=normal) lets several
// connections share the file: tools, and tests simulating two replicas.
struct SqliteOptions {
  bool exclusive = true;
  // How long a statement waits for a lock another connection holds.
  int busy_timeout_ms = 5000;
};
absl::StatusOr<std::unique_ptr<Database>> OpenSqliteDatabase(const std::string& path,
                                                             SqliteOptions options = {});

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_SQLITE_DATABASE_H_
