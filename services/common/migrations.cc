#include "services/common/migrations.h"

#include "absl/strings/str_cat.h"
#include "services/common/kept_counts.h"
#include "services/common/log.h"
#include "services/common/outbox.h"
#include "services/common/sla_clock.h"

namespace gridserve {

namespace {

absl::Status CreateMigrationsTable(Database& db) {
  return db.InTransaction([](Transaction& txn) {
    return txn.ExecuteScript(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " component TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL,"
        " applied_at INTEGER NOT NULL, PRIMARY KEY (component, version))");
  });
}

// Whether `version` is recorded as applied, read in a transaction of its own
// (a fresh snapshot).
bool Applied(Database& db, const std::string& component, int version) {
  auto rows = InReadTransactionResult<std::vector<Row>>(db, [&](Transaction& txn) {
    return txn.Query("SELECT 1 FROM schema_migrations WHERE component = ? AND version = ?",
                     {component, static_cast<int64_t>(version)});
  });
  return rows.ok() && !rows->empty();
}

}  // namespace

// Several replicas may start at once on one PostgreSQL schema (a rollout, an
// autoscaler): each migration and its schema_migrations row commit together,
// so whichever replica loses the race fails on the DDL ("already exists",
// once the winner commits) or on the row's primary key, rolls back, and finds
// the version applied — that is success, not a failed start-up.
absl::Status ApplyMigrations(Database& db, const Clock& clock, const std::string& component,
                             const std::vector<Migration>& migrations) {
  absl::Status created = CreateMigrationsTable(db);
  // Two CREATE TABLE IF NOT EXISTS at once can still collide on PostgreSQL's
  // catalog; the second try finds the table.
  if (!created.ok()) created = CreateMigrationsTable(db);
  if (!created.ok()) return created;
  for (const Migration& m : migrations) {
    bool applied_now = false;
    absl::Status status = db.InTransaction([&](Transaction& txn) -> absl::Status {
      auto rows = txn.Query("SELECT 1 FROM schema_migrations WHERE component = ? AND version = ?",
                            {component, static_cast<int64_t>(m.version)});
      if (!rows.ok()) return rows.status();
      if (!rows->empty()) return absl::OkStatus();
      if (m.only_dialect.empty() || m.only_dialect == db.dialect()) {
        if (auto s = txn.ExecuteScript(m.sql); !s.ok()) return s;
      }
      auto inserted = txn.Execute("INSERT INTO schema_migrations (component, version, name, applied_at) VALUES (?, ?, ?, ?)",
                                  {component, static_cast<int64_t>(m.version), m.name, ToMicros(clock.Now())});
      applied_now = inserted.ok();
      return inserted.status();
    });
    if (!status.ok() && Applied(db, component, m.version)) {
      LogInfo("migration_applied_by_another_replica",
              {{"component", component}, {"version", absl::StrCat(m.version)}, {"name", m.name}});
      continue;
    }
    if (!status.ok()) {
      return absl::Status(status.code(), absl::StrCat("migration ", component, "/", m.version, " (", m.name,
                                                      ") failed: ", status.message()));
    }
    if (applied_now) LogInfo("migration_applied", {{"component", component}, {"version", absl::StrCat(m.version)}, {"name", m.name}});
  }
  return absl::OkStatus();
}

const std::vector<Migration>& PlatformMigrations() {
  static const auto* kMigrations = new std::vector<Migration>{
      {1, "outbox",
       // Messages to peers, written in the same transaction as the change that
       // causes them. message_id is the receiver's idempotency key.
       "CREATE TABLE outbox ("
       " message_id TEXT PRIMARY KEY, topic TEXT NOT NULL, payload BLOB NOT NULL,"
       " created_at INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL,"
       " attempts INTEGER NOT NULL, delivered_at INTEGER, last_error TEXT);"
       "CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE delivered_at IS NULL;"},
      {2, "idempotency_keys",
       // Requests already answered, by (scope, request id): a retry gets the
       // stored answer instead of a second change.
       "CREATE TABLE idempotency_keys ("
       " scope TEXT NOT NULL, request_id TEXT NOT NULL, request BLOB NOT NULL,"
       " response BLOB NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (scope, request_id));"},
      {3, "sla_timers",
       // One row per SLA instance; the partial index keeps the expiry sweep
       // proportional to what is due, not to what is stored.
       "CREATE TABLE sla_timers ("
       " sla TEXT NOT NULL, subject TEXT NOT NULL, department TEXT NOT NULL, staff_id TEXT NOT NULL,"
       " started_at INTEGER NOT NULL, due_at INTEGER NOT NULL, state TEXT NOT NULL,"
       " closed_at INTEGER, PRIMARY KEY (sla, subject));"
       "CREATE INDEX sla_timers_open_due ON sla_timers (due_at) WHERE state = 'open';"},
      {4, "breaches",
       // The service's own record of every breach it found (risk holds the ledger).
       // sequence numbers the WatchBreaches stream (resumable cursor).
       "CREATE TABLE breaches ("
       " breach_id TEXT PRIMARY KEY, sequence INTEGER NOT NULL UNIQUE, rule TEXT NOT NULL,"
       " department TEXT NOT NULL, subject TEXT NOT NULL, occurred_at INTEGER NOT NULL,"
       " recorded_at INTEGER NOT NULL, breach BLOB NOT NULL);"
       "CREATE INDEX breaches_subject ON breaches (subject);"
       "CREATE INDEX breaches_occurred ON breaches (occurred_at);"},
      {5, "audit_records",
       // The append-only audit trail (services/common/audit_log.h): who called
       // which state-changing method, when, from where, with what outcome.
       // Rows are only inserted, never updated or deleted.
       "CREATE TABLE audit_records ("
       " sequence INTEGER PRIMARY KEY, service TEXT NOT NULL, caller TEXT NOT NULL,"
       " authenticated_by TEXT NOT NULL, method TEXT NOT NULL, occurred_at INTEGER NOT NULL,"
       " peer TEXT NOT NULL, code TEXT NOT NULL, message TEXT NOT NULL);"
       "CREATE INDEX audit_records_caller ON audit_records (caller, sequence);"
       "CREATE INDEX audit_records_occurred ON audit_records (occurred_at);"},
      // The gridserve_sla_open gauge reads this instead of counting the clocks.
      KeptCountMigration(6, SlaClock::OpenClocks()),
      {7, "sla_timers open index by SLA",
       // Open clocks by (SLA, due time): the sweep and the due-soon gauge read
       // one SLA's clocks due before a time — cost follows what is due, even
       // where another SLA of the service has many clocks due later.
       "DROP INDEX sla_timers_open_due;"
       "CREATE INDEX sla_timers_open_due ON sla_timers (sla, due_at) WHERE state = 'open';"},
      // The gridserve_outbox_pending gauge reads this instead of counting a
      // backlog (a peer down for a day: every breach of the day waits).
      KeptCountMigration(8, OutboxRelay::PendingCount()),
      // The retention sweep (retention.h) deletes the oldest idempotency keys
      // and delivered outbox messages through these: its cost follows what
      // has expired, not what is stored. IF NOT EXISTS: on a large PostgreSQL
      // database they may have been built beforehand with CREATE INDEX
      // CONCURRENTLY (README, Retention).
      {9, "retention index of idempotency keys",
       // PostgreSQL only: SQLite finds the oldest keys in rowid order, which
       // is insertion order, without a second index to maintain on every
       // write (measured: 10-20 us, 5-10 % of a write's server CPU).
       "CREATE INDEX IF NOT EXISTS idempotency_keys_created ON idempotency_keys (created_at);",
       /*only_dialect=*/"postgresql"},
      {10, "retention index of delivered outbox messages",
       // Partial: a message enters it once, when delivered (by the relay,
       // not in the call that wrote it).
       "CREATE INDEX IF NOT EXISTS outbox_delivered ON outbox (delivered_at) WHERE delivered_at IS NOT NULL;"},
  };
  return *kMigrations;
}

}  // namespace gridserve
