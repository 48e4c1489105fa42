#ifndef GRIDSERVE_SERVICES_COMMON_DATABASE_H_
#define GRIDSERVE_SERVICES_COMMON_DATABASE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include "absl/strings/string_view.h"
#include <variant>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gridserve {

// Bytes stored as a BLOB (SQLite) / BYTEA (PostgreSQL).
struct Blob {
  std::string bytes;
};

// A bound parameter or a column value. SQL uses `?` placeholders; a backend
// that needs another syntax rewrites them.
using SqlValue = std::variant<std::nullptr_t, int64_t, double, std::string, Blob>;

class Row {
 public:
  explicit Row(std::vector<SqlValue> values) : values_(std::move(values)) {}
  bool IsNull(int i) const { return std::holds_alternative<std::nullptr_t>(values_.at(i)); }
  int64_t Int(int i) const;
  double Double(int i) const;
  // Text or blob bytes.
  const std::string& Text(int i) const;
  size_t size() const { return values_.size(); }

 private:
  std::vector<SqlValue> values_;
};

// One database transaction. Statements use portable SQL (the subset SQLite
// and PostgreSQL share) with `?` placeholders.
class Transaction {
 public:
  virtual ~Transaction() = default;
  // Runs a statement; returns the number of rows it changed. A unique or
  // primary key conflict is ALREADY_EXISTS.
  virtual absl::StatusOr<int64_t> Execute(absl::string_view sql, const std::vector<SqlValue>& params = {}) = 0;
  virtual absl::StatusOr<std::vector<Row>> Query(absl::string_view sql,
                                                 const std::vector<SqlValue>& params = {}) = 0;
  // Runs several statements without parameters (migrations).
  virtual absl::Status ExecuteScript(absl::string_view sql) = 0;

  // Work to do only once the transaction has committed (metrics, wake-ups):
  // dropped if it rolls back.
  void AfterCommit(std::function<void()> fn) { after_commit_.push_back(std::move(fn)); }
  std::vector<std::function<void()>> TakeAfterCommit() { return std::move(after_commit_); }

 private:
  std::vector<std::function<void()>> after_commit_;
};

class Database {
 public:
  virtual ~Database() = default;
  // Runs `body` in a transaction: commits when it returns OK, rolls back
  // otherwise (and returns its status). Conflicts with concurrent writers are
  // retried by the backend. Inside a StoreReadScope (below) it is refused with
  // FAILED_PRECONDITION and `body` does not run, whatever the backend.
  absl::Status InTransaction(absl::FunctionRef<absl::Status(Transaction&)> body);
  // Runs `body` as a read: one consistent view of the data, and no writes (a
  // statement that would write fails with FAILED_PRECONDITION). Why a path of
  // its own: a read has nothing to commit, so it skips what a write pays for
  // (SQLite: the group-commit queue and a savepoint; PostgreSQL: conflicts).
  virtual absl::Status InReadTransaction(absl::FunctionRef<absl::Status(Transaction&)> body) = 0;
  // "sqlite" or "postgresql".
  virtual absl::string_view dialect() const = 0;
  // Whether a read transaction runs without waiting on the network or on a
  // commit's fsync (SQLite: readers beside the writer), so that a store read
  // may run on one of gRPC's own threads (see CallExecutor).
  virtual bool ReadsNeverWait() const { return false; }

 protected:
  // The backend's transaction, behind InTransaction's checks.
  virtual absl::Status RunTransaction(absl::FunctionRef<absl::Status(Transaction&)> body) = 0;
};

// Runs `body` on `txn`, as every backend does: an exception it throws (a bug,
// such as a row read past its columns, or bad_alloc) becomes INTERNAL, and the
// backend rolls the body back like any failed body. Let through, it would
// leave the connection inside a transaction nobody finishes: with SQLite's
// group commit every later write would wait for ever, with PostgreSQL the
// pooled connection would keep its locks.
absl::Status RunBody(absl::FunctionRef<absl::Status(Transaction&)> body, Transaction& txn);

// Marks the thread as running a call declared a store read (the method
// option gridserve.v1.store_read) on one of gRPC's threads: while the scope
// lives, InTransaction refuses with FAILED_PRECONDITION instead of running —
// a write there would hold gRPC's thread while its commit waits for the disk.
class StoreReadScope {
 public:
  StoreReadScope();
  ~StoreReadScope();
  StoreReadScope(const StoreReadScope&) = delete;
  StoreReadScope& operator=(const StoreReadScope&) = delete;

  static bool Active();

 private:
  bool previous_;
};

namespace database_internal {
template <typename T>
absl::StatusOr<T> Produce(Database& db, bool read_only, absl::FunctionRef<absl::StatusOr<T>(Transaction&)> body) {
  T result;
  const auto run = [&](Transaction& txn) -> absl::Status {
    auto produced = body(txn);
    if (!produced.ok()) return produced.status();
    result = *std::move(produced);
    return absl::OkStatus();
  };
  absl::Status status = read_only ? db.InReadTransaction(run) : db.InTransaction(run);
  if (!status.ok()) return status;
  return result;
}
}  // namespace database_internal

// Runs `body` in a transaction and returns what it produced: an error from
// `body` rolls back and is returned.
template <typename T>
absl::StatusOr<T> InTransactionResult(Database& db, absl::FunctionRef<absl::StatusOr<T>(Transaction&)> body) {
  return database_internal::Produce<T>(db, /*read_only=*/false, body);
}

// The same for a read (Database::InReadTransaction): `body` must not write.
template <typename T>
absl::StatusOr<T> InReadTransactionResult(Database& db, absl::FunctionRef<absl::StatusOr<T>(Transaction&)> body) {
  return database_internal::Produce<T>(db, /*read_only=*/true, body);
}

// Opens a database from a URL: sqlite:///abs/path.db, sqlite://relative.db,
// sqlite::memory: (tests), or postgresql://user@host:port/db (tables in the
// schema gridserve_<schema>; the password from PGPASSWORD or a file). A SQLite
// file is held exclusively by its connection unless the URL ends in
// ?locking_mode=normal (see SqliteOptions).
absl::StatusOr<std::unique_ptr<Database>> OpenDatabase(const std::string& url, const std::string& schema = "");

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_DATABASE_H_
