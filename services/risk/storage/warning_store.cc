#include "services/risk/storage/warning_store.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/clock.h"
#include "services/common/rpc_util.h"
#include "services/risk/storage/ledger_store.h"

namespace gridserve::risk {
namespace {

absl::StatusOr<std::vector<v1::Warning>> ParseWarnings(absl::StatusOr<std::vector<Row>> rows) {
  if (!rows.ok()) return rows.status();
  std::vector<v1::Warning> out;
  for (const Row& row : *rows) {
    v1::Warning w;
    if (!w.ParseFromString(row.Text(0))) return absl::DataLossError("a warning cannot be parsed");
    out.push_back(std::move(w));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::optional<StoredLevel>> GetLevel(Transaction& txn, const RiskSubject& s) {
  auto rows = txn.Query("SELECT level, level_since FROM risk_levels WHERE scope = ? AND department = ? AND staff_id = ?",
                        {static_cast<int64_t>(s.scope), s.department, s.staff_id});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<StoredLevel>();
  return std::optional<StoredLevel>(
      StoredLevel{static_cast<v1::RiskLevel>(rows->front().Int(0)), FromMicros(rows->front().Int(1))});
}

absl::Status PutLevel(Transaction& txn, const RiskSubject& s, const StoredLevel& level) {
  return txn
      .Execute(
          "INSERT INTO risk_levels (scope, department, staff_id, level, level_since) VALUES (?, ?, ?, ?, ?)"
          " ON CONFLICT (scope, department, staff_id) DO UPDATE SET level = excluded.level,"
          " level_since = excluded.level_since",
          {static_cast<int64_t>(s.scope), s.department, s.staff_id, static_cast<int64_t>(level.level),
           ToMicros(level.since)})
      .status();
}

absl::StatusOr<std::vector<RiskSubject>> RaisedSubjects(Transaction& txn) {
  auto rows = txn.Query("SELECT scope, department, staff_id FROM risk_levels WHERE level > ?",
                        {static_cast<int64_t>(v1::RISK_LEVEL_GREEN)});
  if (!rows.ok()) return rows.status();
  std::vector<RiskSubject> out;
  for (const Row& row : *rows) out.push_back({static_cast<v1::RiskScope>(row.Int(0)), row.Text(1), row.Text(2)});
  return out;
}

absl::StatusOr<std::vector<std::pair<std::string, v1::RiskLevel>>> DepartmentLevels(Transaction& txn) {
  auto rows = txn.Query("SELECT department, level FROM risk_levels WHERE scope = ?",
                        {static_cast<int64_t>(v1::RISK_SCOPE_DEPARTMENT)});
  if (!rows.ok()) return rows.status();
  std::vector<std::pair<std::string, v1::RiskLevel>> out;
  for (const Row& row : *rows) out.emplace_back(row.Text(0), static_cast<v1::RiskLevel>(row.Int(1)));
  return out;
}

absl::Status AppendWarning(Transaction& txn, v1::Warning& warning) {
  if (auto s = RequireLedgerLock(txn); !s.ok()) return s;  // warnings take MAX + 1 as the ledger does
  auto next = txn.Query("SELECT COALESCE(MAX(sequence), 0) + 1 FROM warnings");
  if (!next.ok()) return next.status();
  warning.set_sequence((*next)[0].Int(0));
  auto inserted = txn.Execute(
      "INSERT INTO warnings (warning_id, sequence, scope, department, staff_id, level, direction, raised_at, warning)"
      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {warning.warning_id(), warning.sequence(), static_cast<int64_t>(warning.scope()), warning.department(),
       warning.staff_id(), static_cast<int64_t>(warning.level()), static_cast<int64_t>(warning.direction()),
       ToMicros(FromProto(warning.raised_at())), Blob{warning.SerializeAsString()}});
  if (absl::IsAlreadyExists(inserted.status())) return absl::AbortedError("a concurrent warning write; retry");
  return inserted.status();
}

absl::StatusOr<std::vector<v1::Warning>> WarningsAfter(Transaction& txn, int64_t after, const std::string& department,
                                                       v1::RiskScope scope, int limit) {
  return ParseWarnings(txn.Query(
      "SELECT warning FROM warnings WHERE sequence > ? AND (? = '' OR department = ?) AND (? = 0 OR scope = ?)"
      " ORDER BY sequence LIMIT ?",
      {after, department, department, static_cast<int64_t>(scope), static_cast<int64_t>(scope),
       static_cast<int64_t>(limit)}));
}

absl::StatusOr<std::vector<v1::Warning>> ListWarnings(Transaction& txn, const WarningQuery& q, int64_t offset,
                                                      int limit) {
  std::vector<std::string> terms;
  std::vector<SqlValue> params;
  auto add = [&](const char* term, SqlValue value) {
    terms.emplace_back(term);
    params.push_back(std::move(value));
  };
  if (!q.department.empty()) add("department = ?", q.department);
  if (q.scope != v1::RISK_SCOPE_UNSPECIFIED) add("scope = ?", static_cast<int64_t>(q.scope));
  if (q.level != v1::RISK_LEVEL_UNSPECIFIED) add("level = ?", static_cast<int64_t>(q.level));
  if (q.direction != v1::WARNING_DIRECTION_UNSPECIFIED) add("direction = ?", static_cast<int64_t>(q.direction));
  if (q.start) add("raised_at >= ?", ToMicros(*q.start));
  if (q.end) add("raised_at < ?", ToMicros(*q.end));
  params.push_back(static_cast<int64_t>(limit));
  params.push_back(offset);
  return ParseWarnings(txn.Query(
      absl::StrCat("SELECT warning FROM warnings", terms.empty() ? "" : " WHERE ", absl::StrJoin(terms, " AND "),
                   " ORDER BY sequence DESC LIMIT ? OFFSET ?"),
      params));
}

}  // namespace gridserve::risk
