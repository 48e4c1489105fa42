#ifndef GRIDSERVE_SERVICES_COMMON_POSTGRES_DATABASE_H_
#define GRIDSERVE_SERVICES_COMMON_POSTGRES_DATABASE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "services/common/database.h"

namespace gridserve {

// The cluster backend: PostgreSQL (and engines speaking its protocol) through
// libpq. Each service keeps its tables in its own schema (`schema`, created if
// missing). The password comes from the environment (PGPASSWORD) or a file
// (PGPASSFILE / GRIDSERVE_DB_PASSWORD_FILE), never from the URL in logs.
//
// The migrations are written once, in the subset both engines accept; this
// backend maps the storage types SQLite names differently: INTEGER → BIGINT
// (times are 64-bit microseconds), REAL → DOUBLE PRECISION, BLOB → BYTEA.
absl::StatusOr<std::unique_ptr<Database>> OpenPostgresDatabase(const std::string& url, const std::string& schema,
                                                               int pool_size = 4);

// The URL with any password replaced by "***", for messages.
std::string RedactDatabaseUrl(const std::string& url);

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_POSTGRES_DATABASE_H_
