#include "services/risk/storage/ledger_store.h"

#include <map>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/call_audit.h"
#include "services/common/clock.h"
#include "services/common/rpc_util.h"
#include "services/risk/domain/ledger_rules.h"

namespace gridserve::risk {
namespace {

// A WHERE clause assembled from optional filters.
struct Where {
  std::vector<std::string> terms;
  std::vector<SqlValue> params;
  void Add(std::string term, std::vector<SqlValue> values) {
    terms.push_back(std::move(term));
    params.insert(params.end(), values.begin(), values.end());
  }
  std::string Sql() const { return terms.empty() ? "" : absl::StrCat(" WHERE ", absl::StrJoin(terms, " AND ")); }
};

absl::StatusOr<std::vector<v1::LedgerEntry>> ParseEntries(absl::StatusOr<std::vector<Row>> rows, int column = 0) {
  if (!rows.ok()) return rows.status();
  std::vector<v1::LedgerEntry> out;
  out.reserve(rows->size());
  for (const Row& row : *rows) {
    v1::LedgerEntry entry;
    if (!entry.ParseFromString(row.Text(column))) return absl::DataLossError("a ledger entry cannot be parsed");
    out.push_back(std::move(entry));
  }
  return out;
}

absl::StatusOr<std::optional<v1::LedgerEntry>> FirstEntry(absl::StatusOr<std::vector<Row>> rows) {
  auto entries = ParseEntries(std::move(rows));
  if (!entries.ok()) return entries.status();
  if (entries->empty()) return std::optional<v1::LedgerEntry>();
  return std::optional<v1::LedgerEntry>(std::move(entries->front()));
}

constexpr char kViewColumns[] = "entry_id, sequence, kind, voided, due_at, content, counted_in";

absl::StatusOr<ViewRecord> ViewFromRow(const Row& row) {
  ViewRecord v;
  v.entry_id = row.Text(0);
  v.sequence = row.Int(1);
  v.kind = static_cast<v1::LedgerEntryKind>(row.Int(2));
  v.voided = row.Int(3) != 0;
  if (!row.IsNull(4)) v.due_at = FromMicros(row.Int(4));
  const bool parsed = v.kind == v1::LEDGER_ENTRY_KIND_BREACH ? v.breach.ParseFromString(row.Text(5))
                                                             : v.report.ParseFromString(row.Text(5));
  if (!parsed) return absl::DataLossError("a ledger view record cannot be parsed");
  if (!row.IsNull(6)) v.counted_in = row.Text(6);
  return v;
}

}  // namespace

// The transaction that took the ledger lock on this thread (a body runs on
// one thread from start to end, whichever thread the backend chose).
thread_local const Transaction* ledger_locked_txn = nullptr;

absl::Status LockLedgerForAppend(Transaction& txn, absl::string_view dialect) {
  if (dialect == "postgresql") {
    // SHARE ROW EXCLUSIVE conflicts with itself and with writes, not with reads.
    if (auto s = txn.ExecuteScript("LOCK TABLE ledger_entries IN SHARE ROW EXCLUSIVE MODE"); !s.ok()) return s;
  }
  ledger_locked_txn = &txn;
  return absl::OkStatus();
}

absl::Status RequireLedgerLock(const Transaction& txn) {
  if (ledger_locked_txn == &txn) return absl::OkStatus();
  return absl::InternalError("a ledger append outside a transaction that took the ledger lock first (LedgerDatabase)");
}

absl::Status LedgerDatabase::RunTransaction(absl::FunctionRef<absl::Status(Transaction&)> body) {
  CallAudit* audit = CallAudit::For(inner_);  // on the caller's thread, where the call's audit is set
  return inner_.InTransaction([&](Transaction& txn) -> absl::Status {
    const Transaction* previous = ledger_locked_txn;
    absl::Status status = LockLedgerForAppend(txn, inner_.dialect());
    if (status.ok()) status = body(txn);
    if (status.ok() && audit != nullptr) status = audit->RecordInTransaction(txn);
    ledger_locked_txn = previous;
    return status;
  });
}

absl::Status AppendEntry(Transaction& txn, v1::LedgerEntry& entry) {
  if (auto s = RequireLedgerLock(txn); !s.ok()) return s;
  auto next = txn.Query("SELECT COALESCE(MAX(sequence), 0) + 1 FROM ledger_entries");
  if (!next.ok()) return next.status();
  entry.set_sequence((*next)[0].Int(0));
  SqlValue breach_id = nullptr;
  if (entry.kind() == v1::LEDGER_ENTRY_KIND_BREACH) breach_id = entry.breach().breach_id();
  auto inserted = txn.Execute(
      "INSERT INTO ledger_entries (entry_id, sequence, kind, refers_to, breach_id, service, rule, department,"
      " staff_id, occurred_at, recorded_at, entry) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {entry.entry_id(), entry.sequence(), static_cast<int64_t>(entry.kind()), entry.refers_to(), breach_id,
       entry.service(), entry.rule(), entry.department(), entry.staff_id(), ToMicros(FromProto(entry.occurred_at())),
       ToMicros(FromProto(entry.recorded_at())), Blob{entry.SerializeAsString()}});
  if (absl::IsAlreadyExists(inserted.status())) {
    // Either the breach is already recorded (the caller looked first, so a
    // concurrent writer won) or the sequence was taken: both are a race.
    return absl::AbortedError("a concurrent ledger write won the race; retry");
  }
  return inserted.status();
}

absl::StatusOr<std::optional<v1::LedgerEntry>> FindEntry(Transaction& txn, const std::string& entry_id) {
  return FirstEntry(txn.Query("SELECT entry FROM ledger_entries WHERE entry_id = ?", {entry_id}));
}

absl::StatusOr<std::optional<v1::LedgerEntry>> FindEntryBySequence(Transaction& txn, int64_t sequence) {
  return FirstEntry(txn.Query("SELECT entry FROM ledger_entries WHERE sequence = ?", {sequence}));
}

absl::StatusOr<std::optional<v1::LedgerEntry>> FindBreachEntry(Transaction& txn, const std::string& breach_id) {
  return FirstEntry(txn.Query("SELECT entry FROM ledger_entries WHERE breach_id = ?", {breach_id}));
}

absl::StatusOr<std::vector<v1::LedgerEntry>> EntriesReferringTo(Transaction& txn, const std::string& entry_id) {
  return ParseEntries(
      txn.Query("SELECT entry FROM ledger_entries WHERE refers_to = ? ORDER BY sequence", {entry_id}));
}

absl::StatusOr<std::vector<v1::LedgerEntry>> ListEntries(Transaction& txn, const LedgerQuery& q, int64_t offset,
                                                         int limit) {
  Where w;
  if (!q.rule.empty()) w.Add("e.rule = ?", {q.rule});
  if (!q.department.empty()) w.Add("e.department = ?", {q.department});
  if (!q.staff_id.empty()) w.Add("e.staff_id = ?", {q.staff_id});
  if (!q.service.empty()) w.Add("e.service = ?", {q.service});
  if (q.kind != v1::LEDGER_ENTRY_KIND_UNSPECIFIED) w.Add("e.kind = ?", {static_cast<int64_t>(q.kind)});
  if (q.start) w.Add("e.occurred_at >= ?", {ToMicros(*q.start)});
  if (q.end) w.Add("e.occurred_at < ?", {ToMicros(*q.end)});
  if (q.red_line_state != v1::RED_LINE_STATE_UNSPECIFIED) {
    w.Add("e.kind = ? AND v.state = ?",
          {static_cast<int64_t>(v1::LEDGER_ENTRY_KIND_RED_LINE_REPORT), static_cast<int64_t>(q.red_line_state)});
  }
  if (!q.include_voided) w.Add("(v.voided IS NULL OR v.voided = 0)", {});
  w.params.push_back(static_cast<int64_t>(limit));
  w.params.push_back(offset);
  return ParseEntries(txn.Query(absl::StrCat("SELECT e.entry FROM ledger_entries e"
                                             " LEFT JOIN ledger_view v ON v.entry_id = e.entry_id",
                                             w.Sql(), " ORDER BY e.sequence LIMIT ? OFFSET ?"),
                                w.params));
}

absl::StatusOr<std::vector<v1::LedgerEntry>> EntriesAfter(Transaction& txn, int64_t after, const std::string& service,
                                                          const std::string& rule, v1::LedgerEntryKind kind,
                                                          int limit) {
  Where w;
  w.Add("sequence > ?", {after});
  if (!service.empty()) w.Add("service = ?", {service});
  if (!rule.empty()) w.Add("rule = ?", {rule});
  if (kind != v1::LEDGER_ENTRY_KIND_UNSPECIFIED) w.Add("kind = ?", {static_cast<int64_t>(kind)});
  w.params.push_back(static_cast<int64_t>(limit));
  return ParseEntries(
      txn.Query(absl::StrCat("SELECT entry FROM ledger_entries", w.Sql(), " ORDER BY sequence LIMIT ?"), w.params));
}

namespace {

// score_counts (migration 5): one hour of occurred_at per bucket.
constexpr int64_t kMicrosPerHour = int64_t{3600} * 1000 * 1000;

// What a view row contributes to the scores: nothing when voided.
struct ScoreKey {
  std::string department, staff_id, rule;
  int64_t kind = 0, state = 0, occurred_at = 0;
};

absl::Status AddToScoreCounts(Transaction& txn, const ScoreKey& key, int64_t delta) {
  std::vector<std::string> scopes = {""};  // the department
  if (!key.staff_id.empty()) scopes.push_back(key.staff_id);
  for (const std::string& staff : scopes) {
    auto s = txn.Execute(
        "INSERT INTO score_counts (department, staff_id, hour, kind, rule, state, n) VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (department, staff_id, hour, kind, rule, state) DO UPDATE SET n = score_counts.n + excluded.n",
        {key.department, staff, key.occurred_at / kMicrosPerHour, key.kind, key.rule, key.state, delta});
    if (!s.ok()) return s.status();
  }
  return absl::OkStatus();
}

// The view row's current contribution (none if absent, voided or counted in a report).
absl::StatusOr<std::optional<ScoreKey>> StoredScoreKey(Transaction& txn, const std::string& entry_id) {
  auto rows = txn.Query(
      "SELECT department, staff_id, rule, kind, state, occurred_at FROM ledger_view WHERE entry_id = ? AND voided = 0"
      " AND counted_in IS NULL",
      {entry_id});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<ScoreKey>();
  const Row& r = rows->front();
  return std::optional<ScoreKey>(ScoreKey{r.Text(0), r.Text(1), r.Text(2), r.Int(3), r.Int(4), r.Int(5)});
}

}  // namespace

absl::Status PutView(Transaction& txn, const ViewRecord& view) {
  const bool is_breach = view.kind == v1::LEDGER_ENTRY_KIND_BREACH;
  v1::LedgerEntry cols;  // the denormalised columns, computed the same way as for entries
  if (is_breach) {
    Denormalise(cols, view.breach);
  } else {
    Denormalise(cols, view.report);
  }
  std::vector<SqlValue> params = {
      view.entry_id, view.sequence, static_cast<int64_t>(view.kind), cols.service(), cols.rule(),
      cols.department(), cols.staff_id(), ToMicros(FromProto(cols.occurred_at())),
      static_cast<int64_t>(is_breach && view.breach.forced() ? 1 : 0), static_cast<int64_t>(view.voided ? 1 : 0),
      static_cast<int64_t>(is_breach ? 0 : view.report.state()),
      static_cast<int64_t>(is_breach ? 0 : view.report.source()), nullptr,
      Blob{is_breach ? view.breach.SerializeAsString() : view.report.SerializeAsString()}, nullptr};
  if (view.due_at) params[12] = ToMicros(*view.due_at);
  const bool counted_in_report = is_breach && !view.counted_in.empty();
  if (counted_in_report) params[14] = view.counted_in;
  // Keep score_counts in step: take out what the row counted, add what it counts now.
  auto before = StoredScoreKey(txn, view.entry_id);
  if (!before.ok()) return before.status();
  if (before->has_value()) {
    if (auto s = AddToScoreCounts(txn, **before, -1); !s.ok()) return s;
  }
  if (!view.voided && !counted_in_report) {
    const ScoreKey after{cols.department(), cols.staff_id(), cols.rule(), static_cast<int64_t>(view.kind),
                         std::get<int64_t>(params[10]), std::get<int64_t>(params[7])};
    if (auto s = AddToScoreCounts(txn, after, +1); !s.ok()) return s;
  }
  return txn
      .Execute(
          "INSERT INTO ledger_view (entry_id, sequence, kind, service, rule, department, staff_id, occurred_at,"
          " forced, voided, state, source, due_at, content, counted_in)"
          " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
          " ON CONFLICT (entry_id) DO UPDATE SET service = excluded.service, rule = excluded.rule,"
          " department = excluded.department, staff_id = excluded.staff_id, occurred_at = excluded.occurred_at,"
          " forced = excluded.forced, voided = excluded.voided, state = excluded.state, source = excluded.source,"
          " due_at = excluded.due_at, content = excluded.content, counted_in = excluded.counted_in",
          params)
      .status();
}

absl::StatusOr<std::optional<ViewRecord>> GetView(Transaction& txn, const std::string& entry_id) {
  auto rows = txn.Query(absl::StrCat("SELECT ", kViewColumns, " FROM ledger_view WHERE entry_id = ?"), {entry_id});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<ViewRecord>();
  auto view = ViewFromRow(rows->front());
  if (!view.ok()) return view.status();
  return std::optional<ViewRecord>(*std::move(view));
}

absl::StatusOr<std::vector<ViewRecord>> ListReports(Transaction& txn, const ReportQuery& q, int64_t offset, int limit) {
  Where w;
  w.Add("kind = ?", {static_cast<int64_t>(v1::LEDGER_ENTRY_KIND_RED_LINE_REPORT)});
  if (!q.rule.empty()) w.Add("rule = ?", {q.rule});
  if (!q.department.empty()) w.Add("department = ?", {q.department});
  if (!q.staff_id.empty()) w.Add("staff_id = ?", {q.staff_id});
  if (q.source != v1::RED_LINE_SOURCE_UNSPECIFIED) w.Add("source = ?", {static_cast<int64_t>(q.source)});
  if (q.state != v1::RED_LINE_STATE_UNSPECIFIED) w.Add("state = ?", {static_cast<int64_t>(q.state)});
  if (q.due_before) {
    w.Add("voided = 0 AND state IN (?, ?) AND due_at < ?", {static_cast<int64_t>(v1::RED_LINE_STATE_REPORTED),
                                             static_cast<int64_t>(v1::RED_LINE_STATE_INVESTIGATING),
                                             ToMicros(*q.due_before)});
  }
  if (q.start) w.Add("occurred_at >= ?", {ToMicros(*q.start)});
  if (q.end) w.Add("occurred_at < ?", {ToMicros(*q.end)});
  w.params.push_back(static_cast<int64_t>(limit));
  w.params.push_back(offset);
  auto rows = txn.Query(
      absl::StrCat("SELECT ", kViewColumns, " FROM ledger_view", w.Sql(), " ORDER BY sequence LIMIT ? OFFSET ?"),
      w.params);
  if (!rows.ok()) return rows.status();
  std::vector<ViewRecord> out;
  for (const Row& row : *rows) {
    auto view = ViewFromRow(row);
    if (!view.ok()) return view.status();
    out.push_back(*std::move(view));
  }
  return out;
}

absl::StatusOr<std::vector<ScoreInput>> ScoreInputsFor(Transaction& txn, const std::string& department,
                                                       const std::string& staff_id, absl::Time since) {
  // Whole hours from score_counts; the part of the window before the first
  // whole hour (under an hour of entries) from the view itself.
  const int64_t since_micros = ToMicros(since);
  const int64_t first_hour = (since_micros + kMicrosPerHour - 1) / kMicrosPerHour;
  std::map<std::tuple<int64_t, std::string, int64_t>, int64_t> counts;  // (kind, rule, state) → n
  auto hours = txn.Query(
      "SELECT kind, rule, state, SUM(n) FROM score_counts WHERE department = ? AND staff_id = ? AND hour >= ?"
      " GROUP BY kind, rule, state",
      {department, staff_id, first_hour});
  if (!hours.ok()) return hours.status();
  for (const Row& row : *hours) counts[{row.Int(0), row.Text(1), row.Int(2)}] += row.Int(3);
  auto edge = txn.Query(
      "SELECT kind, rule, state, COUNT(*) FROM ledger_view WHERE voided = 0 AND counted_in IS NULL AND department = ?"
      " AND (? = '' OR staff_id = ?) AND occurred_at >= ? AND occurred_at < ? GROUP BY kind, rule, state",
      {department, staff_id, staff_id, since_micros, first_hour * kMicrosPerHour});
  if (!edge.ok()) return edge.status();
  for (const Row& row : *edge) counts[{row.Int(0), row.Text(1), row.Int(2)}] += row.Int(3);
  std::vector<ScoreInput> out;
  for (const auto& [key, n] : counts) {
    if (n == 0) continue;
    const auto& [kind, rule, state] = key;
    out.push_back(ScoreInput{static_cast<v1::LedgerEntryKind>(kind), rule, static_cast<v1::RedLineState>(state), n});
  }
  return out;
}

absl::StatusOr<std::string> LatestEntryBefore(Transaction& txn, const std::string& department,
                                              const std::string& staff_id, absl::Time before) {
  auto rows = txn.Query(
      "SELECT entry_id FROM ledger_view WHERE voided = 0 AND counted_in IS NULL AND department = ?"
      " AND (? = '' OR staff_id = ?)"
      " AND occurred_at < ? ORDER BY occurred_at DESC, sequence DESC LIMIT 1",
      {department, staff_id, staff_id, ToMicros(before)});
  if (!rows.ok()) return rows.status();
  return rows->empty() ? std::string() : rows->front().Text(0);
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> SubjectsSince(Transaction& txn, absl::Time since,
                                                                              bool staff) {
  auto rows = txn.Query(staff ? "SELECT DISTINCT department, staff_id FROM ledger_view"
                                " WHERE voided = 0 AND counted_in IS NULL AND staff_id <> '' AND occurred_at >= ?"
                                " ORDER BY department, staff_id"
                              : "SELECT DISTINCT department, '' FROM ledger_view"
                                " WHERE voided = 0 AND counted_in IS NULL AND department <> '' AND occurred_at >= ?"
                                " ORDER BY department",
                        {ToMicros(since)});
  if (!rows.ok()) return rows.status();
  std::vector<std::pair<std::string, std::string>> out;
  for (const Row& row : *rows) out.emplace_back(row.Text(0), row.Text(1));
  return out;
}

absl::StatusOr<std::vector<StatisticsRow>> StatisticsRows(Transaction& txn, absl::Time start, absl::Time end) {
  auto rows = txn.Query(
      "SELECT rule, department, service, kind, state, forced, COUNT(*) FROM ledger_view"
      " WHERE voided = 0 AND counted_in IS NULL AND occurred_at >= ? AND occurred_at < ?"
      " GROUP BY rule, department, service, kind, state, forced",
      {ToMicros(start), ToMicros(end)});
  if (!rows.ok()) return rows.status();
  std::vector<StatisticsRow> out;
  for (const Row& row : *rows) {
    out.push_back(StatisticsRow{row.Text(0), row.Text(1), row.Text(2), static_cast<v1::LedgerEntryKind>(row.Int(3)),
                                static_cast<v1::RedLineState>(row.Int(4)), row.Int(5) != 0, row.Int(6)});
  }
  return out;
}

absl::StatusOr<std::string> ClaimBreach(Transaction& txn, const std::string& breach_id, const std::string& report_id) {
  auto inserted = txn.Execute(
      "INSERT INTO ledger_breach_claims (breach_id, report_id) VALUES (?, ?) ON CONFLICT (breach_id) DO NOTHING",
      {breach_id, report_id});
  if (!inserted.ok()) return inserted.status();
  if (*inserted == 1) return report_id;
  auto holder = BreachClaimant(txn, breach_id);
  if (!holder.ok()) return holder.status();
  if (!holder->has_value()) return absl::AbortedError("a concurrent ledger write won the race; retry");
  return **holder;
}

absl::StatusOr<std::optional<std::string>> BreachClaimant(Transaction& txn, const std::string& breach_id) {
  auto rows = txn.Query("SELECT report_id FROM ledger_breach_claims WHERE breach_id = ?", {breach_id});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows->front().Text(0));
}

absl::StatusOr<std::vector<std::string>> ClaimsOf(Transaction& txn, const std::string& report_id) {
  auto rows =
      txn.Query("SELECT breach_id FROM ledger_breach_claims WHERE report_id = ? ORDER BY breach_id", {report_id});
  if (!rows.ok()) return rows.status();
  std::vector<std::string> out;
  for (const Row& row : *rows) out.push_back(row.Text(0));
  return out;
}

absl::Status ReleaseClaim(Transaction& txn, const std::string& breach_id) {
  return txn.Execute("DELETE FROM ledger_breach_claims WHERE breach_id = ?", {breach_id}).status();
}

absl::StatusOr<bool> TakeBackfill(Transaction& txn, const std::string& name) {
  auto deleted = txn.Execute("DELETE FROM risk_backfills WHERE name = ?", {name});
  if (!deleted.ok()) return deleted.status();
  return *deleted == 1;
}

absl::StatusOr<std::map<std::string, int64_t>> OpenReportsByRule(Transaction& txn) {
  auto rows = txn.Query("SELECT rule, COUNT(*) FROM ledger_view WHERE kind = ? AND voided = 0 AND state IN (?, ?)"
                        " GROUP BY rule",
                        {static_cast<int64_t>(v1::LEDGER_ENTRY_KIND_RED_LINE_REPORT),
                         static_cast<int64_t>(v1::RED_LINE_STATE_REPORTED),
                         static_cast<int64_t>(v1::RED_LINE_STATE_INVESTIGATING)});
  if (!rows.ok()) return rows.status();
  std::map<std::string, int64_t> out;
  for (const Row& row : *rows) out[row.Text(0)] = row.Int(1);
  return out;
}

}  // namespace gridserve::risk
