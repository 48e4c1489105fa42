#ifndef GRIDSERVE_SERVICES_COMMON_KEPT_COUNTS_H_
#define GRIDSERVE_SERVICES_COMMON_KEPT_COUNTS_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/common/database.h"
#include "services/common/migrations.h"

namespace gridserve {

// A count of a table's rows by key, for a gauge, that a refresh reads without
// counting the table.
//
// Why: a refresh that counts a table (open SLA clocks, cases by state) costs
// time in proportion to what is stored, and on SQLite it holds the service's
// one connection meanwhile, so every call waits behind it — measured: 62 ms
// every 5 s with 64 thousand open clocks, the p99 of every call at half load.
//
// On SQLite the database keeps the count itself: triggers on the table add
// and subtract as rows are inserted, change key or are deleted, in the
// transaction of the change, so no code path that writes the table can leave
// the count behind. On PostgreSQL the count stays a query: it reads its own
// snapshot on a pooled connection and holds up no writer, whereas a shared
// count row would make every two concurrent writers conflict.
struct KeptCount {
  std::string name;   // unique in the database, e.g. "sla_open"
  std::string table;  // the counted table
  // SQL expression over one row, its columns written NEW.<column>: the row is
  // counted under this value (as text), or not at all where it is NULL.
  std::string key;
};

// A key of two integer columns of the row, "<a>/<b>" (e.g. kind and state).
std::string PairKey(absl::string_view column_a, absl::string_view column_b);

// The migration that starts keeping `count`: on SQLite its triggers, and the
// counts of the rows already stored; nothing elsewhere.
Migration KeptCountMigration(int version, const KeptCount& count);

// The migration that stops keeping the count named `name` (its triggers and
// its counts), when a count is redefined: a new definition takes a new name
// and its own KeptCountMigration after this one.
Migration DropKeptCountMigration(int version, absl::string_view name);

// The count of each key with at least one row counted once; a key whose rows
// have all gone may read 0 or be missing.
absl::StatusOr<std::map<std::string, int64_t>> ReadKeptCount(Transaction& txn, absl::string_view dialect,
                                                             const KeptCount& count);

// ReadKeptCount of a count keyed by PairKey, by the key's two parts. DATA_LOSS
// for a stored key that is not such a pair.
absl::StatusOr<std::map<std::pair<int64_t, int64_t>, int64_t>> ReadKeptPairCount(Transaction& txn,
                                                                                 absl::string_view dialect,
                                                                                 const KeptCount& count);

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_KEPT_COUNTS_H_
