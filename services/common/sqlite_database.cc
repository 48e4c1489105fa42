#include "absl/strings/string_view.h"
#include "services/common/sqlite_database.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <initializer_list>

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

absl::Status InUse(const std::string& path, absl::string_view detail) {
  return absl::UnavailableError(absl::StrCat(
      "SQLite database ", path, " is in use by another process (", detail,
      "); one process owns a SQLite file: stop the other one, or use PostgreSQL for several replicas"));
}

// Who may open the file: the owner holds an exclusive flock for as long as it
// is open, so a second service on the same file is refused at start-up, not
// on its first write; connections sharing the file (locking_mode=normal)
// hold a shared one. flock, not SQLite's own locks: those are per
// transaction, since the readers beside the writer need the file unlocked.
// On <path>.lock, never the database itself: closing any descriptor of the
// database would drop the process's POSIX locks on it, SQLite's included.
absl::StatusOr<int> LockFile(const std::string& path, bool exclusive) {
  const std::string lock_path = path + ".lock";
  const int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("cannot open ", lock_path, ": ", strerror(errno)));
  if (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
    const int error = errno;
    close(fd);
    if (error == EWOULDBLOCK) return InUse(path, exclusive ? "it is locked" : "another process owns it");
    return absl::UnavailableError(absl::StrCat("cannot lock SQLite database ", path, ": ", strerror(error)));
  }
  return fd;
}


// Runs a fresh connection's set-up statements; the first failure names its
// statement (and a busy file says who holds it).
absl::Status RunSetup(sqlite3* handle, const std::string& path, std::initializer_list<const char*> statements) {
  for (const char* sql : statements) {
    char* error = nullptr;
    if (sqlite3_exec(handle, sql, nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error ? error : sqlite3_errmsg(handle);
      sqlite3_free(error);
      if ((sqlite3_extended_errcode(handle) & 0xff) == SQLITE_BUSY) return InUse(path, message);
      return absl::UnavailableError(absl::StrCat(sql, " failed on ", path, ": ", message));
    }
  }
  return absl::OkStatus();
}

// One SQLite connection and its prepared statements, used by one thread at a
// time (whoever holds the writer's mutex, or has leased the reader).
class SqliteConnection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  ~SqliteConnection() {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close(db_);
  }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  // A prepared statement from the cache (statements are reused: parsing
  // costs more than most of our queries).
  absl::StatusOr<sqlite3_stmt*> Prepare(absl::string_view sql) {
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

  sqlite3* handle() const { return db_; }

 private:
  sqlite3* db_;
  absl::flat_hash_map<std::string, sqlite3_stmt*> statements_;
};

// A caller's transaction waiting in the group-commit queue.
struct PendingTransaction {
  absl::FunctionRef<absl::Status(Transaction&)> body;
  absl::Status status;
  std::vector<std::function<void()>> after_commit;
  bool done = false;  // guarded by the database's queue_mu_
};

class SqliteTransaction final : public Transaction {
 public:
  enum class Mode { kReadWrite, kReadOnly };
  explicit SqliteTransaction(SqliteConnection& conn, Mode mode = Mode::kReadWrite) : db_(conn), mode_(mode) {}

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
  absl::StatusOr<bool> Run(absl::string_view sql, const std::vector<SqlValue>& params, std::vector<Row>* rows) {
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

  SqliteConnection& db_;
  const Mode mode_;
};

// The file's owner: one writer connection behind a group-commit queue, and
// reader connections beside it. In WAL mode a reader sees the last commit
// without waiting for the writer, so a read never queues behind a batch's
// fsync (what lets store reads run on gRPC's own threads, see CallExecutor).
// An in-memory database has no readers (a second connection would be another,
// empty database): its reads take the writer between batches.
class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(std::unique_ptr<SqliteConnection> writer, std::string path, SqliteOptions options, int lock_fd)
      : path_(std::move(path)), options_(options), lock_fd_(lock_fd), writer_(std::move(writer)) {}
  ~SqliteDatabase() override {
    idle_readers_.clear();
    writer_.reset();
    if (lock_fd_ >= 0) close(lock_fd_);  // last: the file stays owned until its connections are closed
  }

  absl::Status InReadTransaction(absl::FunctionRef<absl::Status(Transaction&)> body) override;
  absl::Status CopyTo(const std::string& target);
  absl::string_view dialect() const override { return "sqlite"; }
  // In memory, a read takes the writer between batches: it waits for one.
  bool ReadsNeverWait() const override { return has_readers(); }

 private:
  absl::Status RunTransaction(absl::FunctionRef<absl::Status(Transaction&)> body) override;
  bool has_readers() const { return !path_.empty(); }
  absl::StatusOr<std::unique_ptr<SqliteConnection>> LeaseReader();
  void ReturnReader(std::unique_ptr<SqliteConnection> reader);
  void RunQueued() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MarkDone(const std::vector<PendingTransaction*>& batch);

  const std::string path_;  // empty: in memory, no reader connections
  const SqliteOptions options_;
  const int lock_fd_;  // holds the flock on <path>.lock, -1 in memory

  // Held by whoever runs a batch: the writer is used by one thread at a time.
  absl::Mutex mu_;
  std::unique_ptr<SqliteConnection> writer_ ABSL_PT_GUARDED_BY(mu_);

  absl::Mutex queue_mu_ ABSL_ACQUIRED_AFTER(mu_);
  std::vector<PendingTransaction*> queue_ ABSL_GUARDED_BY(queue_mu_);
  bool leading_ ABSL_GUARDED_BY(queue_mu_) = false;  // a caller is running a batch

  absl::Mutex readers_mu_;
  std::vector<std::unique_ptr<SqliteConnection>> idle_readers_ ABSL_GUARDED_BY(readers_mu_);
};

// BEGIN, `body`, COMMIT on `conn`, refusing any statement that would write.
absl::Status RunRead(SqliteConnection& conn, absl::FunctionRef<absl::Status(Transaction&)> body,
                     std::vector<std::function<void()>>& after_commit) {
  SqliteTransaction txn(conn, SqliteTransaction::Mode::kReadOnly);
  if (absl::Status begun = txn.Control("BEGIN"); !begun.ok()) return absl::UnavailableError(begun.message());
  absl::Status status = RunBody(body, txn);
  if (status.ok()) {
    status = txn.Control("COMMIT");
    after_commit = txn.TakeAfterCommit();
  }
  if (!status.ok()) (void)txn.Control("ROLLBACK");
  return status;
}

// Group commit. Every caller queues its body and waits until either its body
// has been committed by someone else or nobody is leading; then it leads: it
// runs every body queued so far in one transaction (each under its own
// savepoint, so one failing body rolls back alone), commits once, and marks
// them done. Each acknowledged write is on disk (synchronous=FULL), but
// concurrent writers share one fsync instead of paying one each. Waiters are
// woken only when their own body is done (absl::Condition), not one after the
// other to find out: that hand-off chain used to cost more than the commit.
absl::Status SqliteDatabase::RunTransaction(absl::FunctionRef<absl::Status(Transaction&)> body) {
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

// A read joins no batch and has nothing to commit: no savepoint, no fsync.
// It reads between BEGIN and COMMIT so its statements see one state.
absl::Status SqliteDatabase::InReadTransaction(absl::FunctionRef<absl::Status(Transaction&)> body) {
  absl::Status status;
  std::vector<std::function<void()>> after_commit;
  if (has_readers()) {
    auto reader = LeaseReader();
    if (!reader.ok()) return reader.status();
    status = RunRead(**reader, body, after_commit);
    ReturnReader(*std::move(reader));
  } else {
    absl::MutexLock lock(&mu_);
    status = RunRead(*writer_, body, after_commit);
  }
  if (!status.ok()) return status;
  for (auto& fn : after_commit) fn();
  return absl::OkStatus();
}

// An idle reader, or a new one: as many as there are concurrent reads.
absl::StatusOr<std::unique_ptr<SqliteConnection>> SqliteDatabase::LeaseReader() {
  {
    absl::MutexLock lock(&readers_mu_);
    if (!idle_readers_.empty()) {
      std::unique_ptr<SqliteConnection> reader = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return reader;
    }
  }
  sqlite3* handle = nullptr;
  const int rc = sqlite3_open_v2(path_.c_str(), &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  auto reader = std::make_unique<SqliteConnection>(handle);  // closes the handle on every path
  if (rc != SQLITE_OK) {
    return absl::UnavailableError(SqliteError(handle, rc, absl::StrCat("cannot open a reader of ", path_)).message());
  }
  sqlite3_busy_timeout(handle, options_.busy_timeout_ms);
  // query_only: a second guard besides the read transaction's own check.
  if (absl::Status set_up = RunSetup(handle, path_, {"PRAGMA query_only=1", "PRAGMA temp_store=MEMORY"});
      !set_up.ok()) {
    return set_up;
  }
  return reader;
}

// Keeps a few idle readers (each has its own page and statement caches) and
// closes the rest: a burst of concurrent reads does not stay resident. A
// reader still inside a transaction (its COMMIT and ROLLBACK both failed) is
// closed too: kept, it would read an old snapshot and hold back checkpoints.
void SqliteDatabase::ReturnReader(std::unique_ptr<SqliteConnection> reader) {
  constexpr size_t kMaxIdleReaders = 4;
  if (!sqlite3_get_autocommit(reader->handle())) return;
  absl::MutexLock lock(&readers_mu_);
  if (idle_readers_.size() < kMaxIdleReaders) idle_readers_.push_back(std::move(reader));
}

void SqliteDatabase::RunQueued() {
  std::vector<PendingTransaction*> batch;
  {
    absl::MutexLock lock(&queue_mu_);
    batch.swap(queue_);
  }
  SqliteTransaction control(*writer_);
  absl::Status begun = control.Control("BEGIN IMMEDIATE");
  if (!begun.ok()) {
    for (PendingTransaction* p : batch) p->status = absl::UnavailableError(begun.message());
    MarkDone(batch);
    return;
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    PendingTransaction* p = batch[i];
    SqliteTransaction txn(*writer_);
    p->status = txn.Control("SAVEPOINT gridserve_body");
    if (p->status.ok()) p->status = RunBody(p->body, txn);
    if (p->status.ok()) {
      p->status = txn.Control("RELEASE SAVEPOINT gridserve_body");
      p->after_commit = txn.TakeAfterCommit();
    } else {
      (void)txn.Control("ROLLBACK TO SAVEPOINT gridserve_body");
      (void)txn.Control("RELEASE SAVEPOINT gridserve_body");
    }
    // Some errors (SQLITE_FULL, IOERR, NOMEM, RAISE(ROLLBACK)) make SQLite
    // roll back the whole transaction itself: the batch's earlier bodies are
    // gone with it, and the later ones would run in autocommit, each
    // committing on its own. None of them is reported as committed, and the
    // later ones do not run.
    if (sqlite3_get_autocommit(writer_->handle())) {
      const absl::Status lost = absl::UnavailableError(absl::StrCat(
          "SQLite rolled back the whole group-commit transaction (",
          p->status.ok() ? "after a body" : p->status.message(), "); nothing of this transaction was written"));
      for (size_t j = 0; j < batch.size(); ++j) {
        if (j == i && !p->status.ok()) continue;  // keeps its own error
        batch[j]->status = lost;
        batch[j]->after_commit.clear();
      }
      MarkDone(batch);
      return;
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

absl::Status VacuumInto(sqlite3* handle, const std::string& target) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(handle, "VACUUM INTO ?1", -1, &stmt, nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_bind_text(stmt, 1, target.c_str(), -1, SQLITE_TRANSIENT);
  if (rc == SQLITE_OK) rc = sqlite3_step(stmt);
  absl::Status status =
      rc == SQLITE_DONE ? absl::OkStatus() : SqliteError(handle, rc, absl::StrCat("VACUUM INTO ", target));
  sqlite3_finalize(stmt);
  return status;
}

absl::Status SqliteDatabase::CopyTo(const std::string& target) {
  struct stat existing;
  if (stat(target.c_str(), &existing) == 0 && existing.st_size > 0) {  // VACUUM INTO fills an empty file
    return absl::AlreadyExistsError(absl::StrCat(target, " already exists"));
  }
  if (!has_readers()) {
    absl::MutexLock lock(&mu_);
    return VacuumInto(writer_->handle(), target);
  }
  // Not a pooled reader: the copy is rare and long, and needs no query_only.
  sqlite3* handle = nullptr;
  const int rc = sqlite3_open_v2(path_.c_str(), &handle, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  SqliteConnection connection(handle);  // closes the handle on every path
  if (rc != SQLITE_OK) return SqliteError(handle, rc, absl::StrCat("cannot open ", path_, " to copy it"));
  sqlite3_busy_timeout(handle, options_.busy_timeout_ms);
  return VacuumInto(handle, target);
}

}  // namespace

absl::Status CopySqliteDatabase(Database& db, const std::string& target) {
  auto* sqlite = dynamic_cast<SqliteDatabase*>(&db);
  if (sqlite == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("only an SQLite database can be copied, not ", db.dialect()));
  }
  return sqlite->CopyTo(target);
}

absl::StatusOr<std::unique_ptr<Database>> OpenSqliteDatabase(const std::string& path, SqliteOptions options) {
  // Once per process, before SQLite initialises: no global memory statistics
  // (a global mutex and counters on every allocation; we never read them).
  static const bool configured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
  (void)configured;
  const bool in_memory = path == ":memory:";
  int lock_fd = -1;
  if (!in_memory) {
    auto locked = LockFile(path, options.exclusive);
    if (!locked.ok()) return locked.status();
    lock_fd = *locked;
  }
  sqlite3* handle = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &handle,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  // From here the database owns the handle and the lock (released on return
  // of an error).
  auto db = std::make_unique<SqliteDatabase>(std::make_unique<SqliteConnection>(handle), in_memory ? "" : path,
                                             options, lock_fd);
  if (rc != SQLITE_OK) {
    return absl::UnavailableError(absl::StrCat("cannot open SQLite database ", path, ": ",
                                               handle ? sqlite3_errmsg(handle) : "out of memory"));
  }
  sqlite3_busy_timeout(handle, options.busy_timeout_ms);
  // WAL: readers never block the writer, nor the writer them; synchronous=FULL
  // keeps every acknowledged commit on disk across a power cut.
  // temp_store=MEMORY keeps the savepoint journal of a group commit in memory:
  // it grows with the batch, and spilled to a temporary file it was most of
  // the write calls (pwrite) of a batch.
  if (absl::Status set_up = RunSetup(handle, path, {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL",
                                                    "PRAGMA foreign_keys=ON", "PRAGMA temp_store=MEMORY"});
      !set_up.ok()) {
    return set_up;
  }
  return db;
}

}  // namespace gridserve
