#include "services/common/kept_counts.h"

#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/substitute.h"

namespace gridserve {
namespace {

// The two parts of a PairKey, or nullopt.
std::optional<std::pair<int64_t, int64_t>> ParsePairKey(absl::string_view key) {
  std::pair<absl::string_view, absl::string_view> parts = absl::StrSplit(key, absl::MaxSplits('/', 1));
  std::pair<int64_t, int64_t> values;
  if (!absl::SimpleAtoi(parts.first, &values.first) || !absl::SimpleAtoi(parts.second, &values.second)) {
    return std::nullopt;
  }
  return values;
}

// The key of the row called `row` (NEW, OLD, or an alias in a query), as text.
std::string KeyOf(const KeptCount& count, absl::string_view row) {
  return absl::StrCat("CAST((", absl::StrReplaceAll(count.key, {{"NEW.", absl::StrCat(row, ".")}}), ") AS TEXT)");
}

}  // namespace

std::string PairKey(absl::string_view column_a, absl::string_view column_b) {
  return absl::StrCat("NEW.", column_a, " || '/' || NEW.", column_b);
}

Migration KeptCountMigration(int version, const KeptCount& count) {
  // $0 name, $1 table, $2 key of NEW, $3 key of OLD, $4 key of a stored row r.
  const std::string sql = absl::Substitute(
      "CREATE TABLE IF NOT EXISTS kept_counts ("
      " count_name TEXT NOT NULL, count_key TEXT NOT NULL, value INTEGER NOT NULL,"
      " PRIMARY KEY (count_name, count_key));"
      "CREATE TRIGGER kept_$0_insert AFTER INSERT ON $1 WHEN $2 IS NOT NULL BEGIN"
      " INSERT INTO kept_counts (count_name, count_key, value) VALUES ('$0', $2, 1)"
      " ON CONFLICT (count_name, count_key) DO UPDATE SET value = value + 1;"
      " END;"
      "CREATE TRIGGER kept_$0_update AFTER UPDATE ON $1 WHEN $3 IS NOT $2 BEGIN"
      " UPDATE kept_counts SET value = value - 1 WHERE count_name = '$0' AND count_key = $3;"
      " INSERT INTO kept_counts (count_name, count_key, value) SELECT '$0', $2, 1 WHERE $2 IS NOT NULL"
      " ON CONFLICT (count_name, count_key) DO UPDATE SET value = value + 1;"
      " END;"
      "CREATE TRIGGER kept_$0_delete AFTER DELETE ON $1 WHEN $3 IS NOT NULL BEGIN"
      " UPDATE kept_counts SET value = value - 1 WHERE count_name = '$0' AND count_key = $3;"
      " END;"
      "INSERT INTO kept_counts (count_name, count_key, value)"
      " SELECT '$0', k, COUNT(*) FROM (SELECT $4 AS k FROM $1 AS r) AS keys WHERE k IS NOT NULL GROUP BY k;",
      count.name, count.table, KeyOf(count, "NEW"), KeyOf(count, "OLD"), KeyOf(count, "r"));
  return Migration{version, absl::StrCat("kept count ", count.name), sql, /*only_dialect=*/"sqlite"};
}

Migration DropKeptCountMigration(int version, absl::string_view name) {
  const std::string sql = absl::Substitute(
      "DROP TRIGGER IF EXISTS kept_$0_insert;"
      "DROP TRIGGER IF EXISTS kept_$0_update;"
      "DROP TRIGGER IF EXISTS kept_$0_delete;"
      "DELETE FROM kept_counts WHERE count_name = '$0';",
      name);
  return Migration{version, absl::StrCat("drop kept count ", name), sql, /*only_dialect=*/"sqlite"};
}

absl::StatusOr<std::map<std::string, int64_t>> ReadKeptCount(Transaction& txn, absl::string_view dialect,
                                                             const KeptCount& count) {
  auto rows = dialect == "sqlite"
                  ? txn.Query("SELECT count_key, value FROM kept_counts WHERE count_name = ?", {count.name})
                  : txn.Query(absl::Substitute("SELECT k, COUNT(*) FROM (SELECT $0 AS k FROM $1 AS r) AS keys"
                                               " WHERE k IS NOT NULL GROUP BY k",
                                               KeyOf(count, "r"), count.table));
  if (!rows.ok()) return rows.status();
  std::map<std::string, int64_t> counts;
  for (const Row& row : *rows) counts[row.Text(0)] = row.Int(1);
  return counts;
}

absl::StatusOr<std::map<std::pair<int64_t, int64_t>, int64_t>> ReadKeptPairCount(Transaction& txn,
                                                                                 absl::string_view dialect,
                                                                                 const KeptCount& count) {
  auto counts = ReadKeptCount(txn, dialect, count);
  if (!counts.ok()) return counts.status();
  std::map<std::pair<int64_t, int64_t>, int64_t> by_pair;
  for (const auto& [key, n] : *counts) {
    auto pair = ParsePairKey(key);
    if (!pair) return absl::DataLossError(absl::StrCat("kept count ", count.name, " has the key '", key, "'"));
    by_pair[*pair] = n;
  }
  return by_pair;
}

}  // namespace gridserve
