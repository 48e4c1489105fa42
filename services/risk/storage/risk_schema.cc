#include "services/risk/storage/risk_schema.h"

namespace gridserve::risk {

const std::vector<Migration>& RiskMigrations() {
  static const auto* kMigrations = new std::vector<Migration>{
      {1, "ledger_entries",
       // The append-only ledger: rows are inserted, never updated or deleted.
       // sequence is MAX+1 in the writing transaction (gap-free, UNIQUE);
       // breach_id (BREACH entries only, NULL otherwise) makes a redelivered
       // breach a no-op. The serialized LedgerEntry is the record as written.
       "CREATE TABLE ledger_entries ("
       " entry_id TEXT PRIMARY KEY, sequence INTEGER NOT NULL UNIQUE, kind INTEGER NOT NULL,"
       " refers_to TEXT NOT NULL, breach_id TEXT UNIQUE, service TEXT NOT NULL, rule TEXT NOT NULL,"
       " department TEXT NOT NULL, staff_id TEXT NOT NULL, occurred_at INTEGER NOT NULL,"
       " recorded_at INTEGER NOT NULL, entry BLOB NOT NULL);"
       "CREATE INDEX ledger_entries_refers_to ON ledger_entries (refers_to);"
       "CREATE INDEX ledger_entries_rule ON ledger_entries (rule, sequence);"
       "CREATE INDEX ledger_entries_department ON ledger_entries (department, sequence);"
       "CREATE INDEX ledger_entries_staff ON ledger_entries (staff_id, sequence);"
       "CREATE INDEX ledger_entries_occurred ON ledger_entries (occurred_at);"},
      {2, "ledger_view",
       // A read model, not the ledger: the effective view of every BREACH and
       // RED_LINE_REPORT entry after its corrections and status changes
       // (voided flag, amended content, current report state). Rebuildable
       // from ledger_entries; kept so scores, statistics and report lists
       // do not replay history on every query.
       "CREATE TABLE ledger_view ("
       " entry_id TEXT PRIMARY KEY, sequence INTEGER NOT NULL UNIQUE, kind INTEGER NOT NULL,"
       " service TEXT NOT NULL, rule TEXT NOT NULL, department TEXT NOT NULL, staff_id TEXT NOT NULL,"
       " occurred_at INTEGER NOT NULL, forced INTEGER NOT NULL, voided INTEGER NOT NULL,"
       " state INTEGER NOT NULL, source INTEGER NOT NULL, due_at INTEGER, content BLOB NOT NULL);"
       "CREATE INDEX ledger_view_department ON ledger_view (department, occurred_at);"
       "CREATE INDEX ledger_view_staff ON ledger_view (staff_id, occurred_at);"
       "CREATE INDEX ledger_view_occurred ON ledger_view (occurred_at);"
       "CREATE INDEX ledger_view_reports ON ledger_view (kind, state, due_at);"},
      {3, "risk_levels",
       // The current early-warning level of each department (staff_id '') and
       // staff member; a change appends a warning.
       "CREATE TABLE risk_levels ("
       " scope INTEGER NOT NULL, department TEXT NOT NULL, staff_id TEXT NOT NULL,"
       " level INTEGER NOT NULL, level_since INTEGER NOT NULL, PRIMARY KEY (scope, department, staff_id));"
       "CREATE INDEX risk_levels_level ON risk_levels (level);"},
      {4, "warnings",
       // Level changes, append-only; sequence is the WatchWarnings cursor.
       "CREATE TABLE warnings ("
       " warning_id TEXT PRIMARY KEY, sequence INTEGER NOT NULL UNIQUE, scope INTEGER NOT NULL,"
       " department TEXT NOT NULL, staff_id TEXT NOT NULL, level INTEGER NOT NULL, direction INTEGER NOT NULL,"
       " raised_at INTEGER NOT NULL, warning BLOB NOT NULL);"
       "CREATE INDEX warnings_department ON warnings (department, sequence);"
       "CREATE INDEX warnings_raised ON warnings (raised_at);"},
      {5, "score_counts",
       // The scoring inputs pre-counted per hour of occurred_at, kept by
       // PutView with every change of the view: a score reads the window's
       // hours instead of every entry in it (the cost of a write no longer
       // grows with the ledger). Rows with staff_id '' count the department.
       "CREATE TABLE score_counts ("
       " department TEXT NOT NULL, staff_id TEXT NOT NULL, hour INTEGER NOT NULL, kind INTEGER NOT NULL,"
       " rule TEXT NOT NULL, state INTEGER NOT NULL, n INTEGER NOT NULL,"
       " PRIMARY KEY (department, staff_id, hour, kind, rule, state));"
       "INSERT INTO score_counts (department, staff_id, hour, kind, rule, state, n)"
       " SELECT department, '', occurred_at / 3600000000, kind, rule, state, COUNT(*) FROM ledger_view"
       " WHERE voided = 0 GROUP BY department, occurred_at / 3600000000, kind, rule, state;"
       "INSERT INTO score_counts (department, staff_id, hour, kind, rule, state, n)"
       " SELECT department, staff_id, occurred_at / 3600000000, kind, rule, state, COUNT(*) FROM ledger_view"
       " WHERE voided = 0 AND staff_id <> '' GROUP BY department, staff_id, occurred_at / 3600000000, kind, rule,"
       " state;"},
      {6, "red-line claims",
       // RK: an automatic red-line finding reaches the ledger twice, as the
       // breach its service recorded (ReportBreach) and as the red-line report
       // naming it in related_breaches (ReportRedLine); either may arrive
       // first. One incident counts once, as the report: the breach entry
       // stays in the ledger as recorded, and its view row names the report it
       // counts through (counted_in), which keeps it out of scores and
       // statistics. ledger_breach_claims remembers each report's claim until
       // its breach arrives. risk_backfills marks work done once in C++ at
       // start-up (reports recorded before this migration claim their breaches
       // then: related_breaches is inside the stored report, not a column).
       "ALTER TABLE ledger_view ADD COLUMN counted_in TEXT;"
       "CREATE TABLE ledger_breach_claims (breach_id TEXT PRIMARY KEY, report_id TEXT NOT NULL);"
       "CREATE INDEX ledger_breach_claims_report ON ledger_breach_claims (report_id);"
       "CREATE TABLE risk_backfills (name TEXT PRIMARY KEY);"
       "INSERT INTO risk_backfills (name) VALUES ('red_line_claims');"},
  };
  return *kMigrations;
}

}  // namespace gridserve::risk
