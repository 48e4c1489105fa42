#ifndef GRIDSERVE_SERVICES_COMMON_SQLITE_DATABASE_H_
#define GRIDSERVE_SERVICES_COMMON_SQLITE_DATABASE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "services/common/database.h"

namespace gridserve {

// The embedded default: one SQLite file per service, WAL journal, one
// connection serialised by a mutex (SQLite has a single writer anyway).
absl::StatusOr<std::unique_ptr<Database>> OpenSqliteDatabase(const std::string& path);

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_SQLITE_DATABASE_H_
