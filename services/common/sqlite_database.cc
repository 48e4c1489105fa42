#include "absl/strings/string_view.h"
#include "services/common/sqlite_database.h"

#include <sqlite3.h>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace gridserve {
namespace {

absl::Status SqliteError(sqlite3* db, int rc, absl::string_view what) {
  const std::string message = absl::StrCat(what, ": ", sqlite3_errmsg(db));
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
        return absl::AlreadyExistsError(message);
      }
      return absl::FailedPreconditionError(message);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(message);
    default:
      return absl::InternalError(message);
  }
}

class SqliteTransaction;

// A caller's transaction waiting in the group-commit queue.
struct PendingTransaction {
  absl::FunctionRef<absl::Status(Transaction&)> body;
  absl::Status status;
  std::vector<std::function<void()>> after_commit;
  bool done = false;  // guarded by the database's queue_mu_
};

class SqliteDatabase final : public Database {
 public:
  explicit SqliteDatabase(sqlite3* db) : db_(db) {}
  ~SqliteDatabase() override {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close(db_);
  }

  absl::Status InTransaction(absl::FunctionRef<absl::Status(Transaction&)> body) override;
  absl::Status InReadTransaction(absl::FunctionRef<absl::Status(Transaction&)> body) override;
  absl::string_view dialect() const override { return "sqlite"; }

  // A prepared statement from the cache (statements are reused: parsing
  // costs more than most of our queries).
  absl::StatusOr<sqlite3_stmt*> Prepare(absl::string_view sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = statements_.find(sql);
    if (it != statements_.end()) {
      sqlite3_reset(it->second);
      sqlite3_clear_bindings(it->second);
      return it->second;
    }
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                                nullptr);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, absl::StrCat("prepare \"", sql, "\""));
    statements_.emplace(std::string(sql), stmt);
    return stmt;
  }

  sqlite3* handle() { return db_; }
  // Held by whoever runs a batch: the connection is used by one thread at a time.
  absl::Mutex mu_;

 private:
  void RunQueued() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MarkDone(const std::vector<PendingTransaction*>& batch);

  absl::Mutex queue_mu_ ABSL_ACQUIRED_AFTER(mu_);
  std::vector<PendingTransaction*> queue_ ABSL_GUARDED_BY(queue_mu_);
  bool leading_ ABSL_GUARDED_BY(queue_mu_) = false;  // a caller is running a batch
  sqlite3* db_;
  absl::flat_hash_map<std::string, sqlite3_stmt*> statements_ ABSL_GUARDED_BY(mu_);
};

class SqliteTransaction final : public Transaction {
 public:
  enum class Mode { kReadWrite, kReadOnly };
  explicit SqliteTransaction(SqliteDatabase& db, Mode mode = Mode::kReadWrite) : db_(db), mode_(mode) {}

  absl::StatusOr<int64_t> Execute(absl::string_view sql, const std::vector<SqlValue>& params) override {
    auto stmt = Run(sql, params, nullptr);
    if (!stmt.ok()) return stmt.status();
    return sqlite3_changes64(db_.handle());
  }

  absl::StatusOr<std::vector<Row>> Query(absl::string_view sql, const std::vector<SqlValue>& params) override {
    std::vector<Row> rows;
    auto stmt = Run(sql, params, &rows);
    if (!stmt.ok()) return stmt.status();
    return rows;
  }

  // A transaction-control statement (BEGIN, SAVEPOINT, COMMIT ...), from the
  // statement cache: each write pays several, parsing them every time showed.
  absl::Status Control(absl::string_view sql) {
    auto stmt = Run(sql, {}, nullptr);
    return stmt.ok() ? absl::OkStatus() : stmt.status();
  }

  absl::Status ExecuteScript(absl::string_view sql) override {
    if (mode_ == Mode::kReadOnly) return absl::FailedPreconditionError("a script cannot run in a read transaction");
    char* error = nullptr;
    int rc = sqlite3_exec(db_.handle(), std::string(sql).c_str(), nullptr, nullptr, &error);
    if (rc != SQLITE_OK) {
      std::string message = error ? error : "unknown error";
      sqlite3_free(error);
      return absl::InternalError(absl::StrCat("script failed: ", message));
    }
    return absl::OkStatus();
  }

 private:
  absl::StatusOr<bool> Run(absl::string_view sql, const std::vector<SqlValue>& params, std::vector<Row>* rows)
      ABSL_NO_THREAD_SAFETY_ANALYSIS /* the caller holds db_.mu_ for the whole transaction */ {
    auto prepared = db_.Prepare(sql);
    if (!prepared.ok()) return prepared.status();
    sqlite3_stmt* stmt = *prepared;
    if (mode_ == Mode::kReadOnly && !sqlite3_stmt_readonly(stmt)) {
      return absl::FailedPreconditionError(
          absl::StrCat("a read transaction cannot write: \"", sql.substr(0, 60), "\""));
    }
    for (size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i + 1);
      int rc = SQLITE_OK;
      const SqlValue& p = params[i];
      if (std::holds_alternative<std::nullptr_t>(p)) {
        rc = sqlite3_bind_null(stmt, index);
      } else if (auto* n = std::get_if<int64_t>(&p)) {
        rc = sqlite3_bind_int64(stmt, index, *n);
      } else if (auto* d = std::get_if<double>(&p)) {
        rc = sqlite3_bind_double(stmt, index, *d);
      } else if (auto* s = std::get_if<std::string>(&p)) {
        rc = sqlite3_bind_text64(stmt, index, s->data(), s->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
      } else {
        const Blob& b = std::get<Blob>(p);
        rc = sqlite3_bind_blob64(stmt, index, b.bytes.data(), b.bytes.size(), SQLITE_TRANSIENT);
      }
      if (rc != SQLITE_OK) return SqliteError(db_.handle(), rc, "bind");
    }
    while (true) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        absl::Status error = SqliteError(db_.handle(), sqlite3_extended_errcode(db_.handle()),
                                         absl::StrCat("step \"", sql.substr(0, 60), "\""));
        sqlite3_reset(stmt);
        return error;
      }
      if (rows == nullptr) continue;
      const int columns = sqlite3_column_count(stmt);
      std::vector<SqlValue> values;
      values.reserve(columns);
      for (int c = 0; c < columns; ++c) {
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_NULL: values.emplace_back(nullptr); break;
          case SQLITE_INTEGER: values.emplace_back(static_cast<int64_t>(sqlite3_column_int64(stmt, c))); break;
          case SQLITE_FLOAT: values.emplace_back(sqlite3_column_double(stmt, c)); break;
          case SQLITE_BLOB: {
            const void* data = sqlite3_column_blob(stmt, c);
            const int size = sqlite3_column_bytes(stmt, c);
            values.emplace_back(Blob{std::string(static_cast<const char*>(data), size)});
            break;
          }
          default: {
            const unsigned char* text = sqlite3_column_text(stmt, c);
            const int size = sqlite3_column_bytes(stmt, c);
            values.emplace_back(std::string(reinterpret_cast<const char*>(text), size));
          }
        }
      }
      rows->emplace_back(std::move(values));
    }
    sqlite3_reset(stmt);
    return true;
  }

  SqliteDatabase& db_;
  const Mode mode_;
};

// Group commit. Every caller queues its body and waits until either its body
// has been committed by someone else or nobody is leading; then it leads: it
// runs every body queued so far in one transaction (each under its own
// savepoint, so one failing body rolls back alone), commits once, and marks
// them done. Each acknowledged write is on disk (synchronous=FULL), but
// concurrent writers share one fsync instead of paying one each. Waiters are
// woken only when their own body is done (absl::Condition), not one after the
// other to find out: that hand-off chain used to cost more than the commit.
absl::Status SqliteDatabase::InTransaction(absl::FunctionRef<absl::Status(Transaction&)> body) {
  PendingTransaction me{body, absl::OkStatus(), {}, false};
  bool lead = false;
  {
    absl::MutexLock lock(&queue_mu_);
    queue_.push_back(&me);
    const auto done_or_unled = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return me.done || !leading_; };
    queue_mu_.Await(absl::Condition(&done_or_unled));
    lead = !me.done;
    if (lead) leading_ = true;
  }
  if (lead) {
    {
      absl::MutexLock lock(&mu_);
      RunQueued();
    }
    absl::MutexLock lock(&queue_mu_);
    leading_ = false;
  }
  if (!me.status.ok()) return me.status;
  for (auto& fn : me.after_commit) fn();
  return absl::OkStatus();
}

// A read joins no batch: it takes the connection once the batch holding it
// (if any) is done, and reads between BEGIN and COMMIT so its statements see
// one state (another process may write in locking_mode=normal). It has
// nothing to commit: no savepoint, no fsync.
absl::Status SqliteDatabase::InReadTransaction(absl::FunctionRef<absl::Status(Transaction&)> body) {
  absl::Status status;
  std::vector<std::function<void()>> after_commit;
  {
    absl::MutexLock lock(&mu_);
    SqliteTransaction txn(*this, SqliteTransaction::Mode::kReadOnly);
    if (absl::Status begun = txn.Control("BEGIN"); !begun.ok()) return absl::UnavailableError(begun.message());
    status = body(txn);
    if (status.ok()) {
      status = txn.Control("COMMIT");
      after_commit = txn.TakeAfterCommit();
    }
    if (!status.ok()) (void)txn.Control("ROLLBACK");
  }
  if (!status.ok()) return status;
  for (auto& fn : after_commit) fn();
  return absl::OkStatus();
}

void SqliteDatabase::RunQueued() {
  std::vector<PendingTransaction*> batch;
  {
    absl::MutexLock lock(&queue_mu_);
    batch.swap(queue_);
  }
  SqliteTransaction control(*this);
  absl::Status begun = control.Control("BEGIN IMMEDIATE");
  if (!begun.ok()) {
    for (PendingTransaction* p : batch) p->status = absl::UnavailableError(begun.message());
    MarkDone(batch);
    return;
  }
  for (PendingTransaction* p : batch) {
    SqliteTransaction txn(*this);
    p->status = txn.Control("SAVEPOINT gridserve_body");
    if (p->status.ok()) p->status = p->body(txn);
    if (p->status.ok()) {
      p->status = txn.Control("RELEASE SAVEPOINT gridserve_body");
      p->after_commit = txn.TakeAfterCommit();
    } else {
      (void)txn.Control("ROLLBACK TO SAVEPOINT gridserve_body");
      (void)txn.Control("RELEASE SAVEPOINT gridserve_body");
    }
  }
  absl::Status committed = control.Control("COMMIT");
  if (!committed.ok()) (void)control.Control("ROLLBACK");
  for (PendingTransaction* p : batch) {
    if (!committed.ok() && p->status.ok()) {
      p->status = absl::UnavailableError(committed.message());
      p->after_commit.clear();
    }
  }
  MarkDone(batch);
}

void SqliteDatabase::MarkDone(const std::vector<PendingTransaction*>& batch) {
  absl::MutexLock lock(&queue_mu_);
  for (PendingTransaction* p : batch) p->done = true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Database>> OpenSqliteDatabase(const std::string& path, SqliteOptions options) {
  // Once per process, before SQLite initialises: no global memory statistics
  // (a global mutex and counters on every allocation; we never read them).
  static const bool configured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
  (void)configured;
  sqlite3* handle = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &handle,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = handle ? sqlite3_errmsg(handle) : "out of memory";
    sqlite3_close(handle);
    return absl::UnavailableError(absl::StrCat("cannot open SQLite database ", path, ": ", message));
  }
  auto db = std::make_unique<SqliteDatabase>(handle);
  sqlite3_busy_timeout(handle, options.busy_timeout_ms);
  // WAL: readers never block the writer; synchronous=FULL keeps every
  // acknowledged commit on disk across a power cut. The locking mode must be
  // set before WAL is entered (the WAL index then lives in this process's
  // memory, not in a shared -shm file). temp_store=MEMORY keeps the savepoint
  // journal of a group commit in memory: it grows with the batch, and spilled
  // to a temporary file it was most of the write calls (pwrite) of a batch.
  const char* locking = options.exclusive ? "PRAGMA locking_mode=EXCLUSIVE" : "PRAGMA locking_mode=NORMAL";
  // In exclusive mode, BEGIN IMMEDIATE takes the file now: one that another
  // connection holds is an error at start-up (after the busy timeout), not on
  // the first request.
  const char* take_lock = options.exclusive ? "BEGIN IMMEDIATE; COMMIT" : "SELECT 1";
  for (const char* sql : {locking, "PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON", "PRAGMA temp_store=MEMORY", take_lock}) {
    char* error = nullptr;
    if (sqlite3_exec(handle, sql, nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error ? error : "unknown";
      sqlite3_free(error);
      if ((sqlite3_extended_errcode(handle) & 0xff) == SQLITE_BUSY) {
        return absl::UnavailableError(absl::StrCat(
            "SQLite database ", path, " is in use by another process (", message,
            "); one process owns a SQLite file: stop the other one, or use PostgreSQL for several replicas"));
      }
      return absl::UnavailableError(absl::StrCat(sql, " failed on ", path, ": ", message));
    }
  }
  return db;
}

}  // namespace gridserve
