#include "absl/strings/string_view.h"
#include "services/common/database.h"

#include <exception>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/postgres_database.h"
#include "services/common/sqlite_database.h"

namespace gridserve {

int64_t Row::Int(int i) const {
  const SqlValue& v = values_.at(i);
  if (auto* n = std::get_if<int64_t>(&v)) return *n;
  if (auto* d = std::get_if<double>(&v)) return static_cast<int64_t>(*d);
  return 0;
}

double Row::Double(int i) const {
  const SqlValue& v = values_.at(i);
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto* n = std::get_if<int64_t>(&v)) return static_cast<double>(*n);
  return 0;
}

const std::string& Row::Text(int i) const {
  static const std::string kEmpty;
  const SqlValue& v = values_.at(i);
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  if (auto* b = std::get_if<Blob>(&v)) return b->bytes;
  return kEmpty;
}

absl::Status RunBody(absl::FunctionRef<absl::Status(Transaction&)> body, Transaction& txn) {
  try {
    return body(txn);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("the transaction's body threw (", e.what(), "); it was rolled back"));
  } catch (...) {
    return absl::InternalError("the transaction's body threw; it was rolled back");
  }
}

namespace {
thread_local bool in_store_read = false;
}  // namespace

StoreReadScope::StoreReadScope() : previous_(in_store_read) { in_store_read = true; }
StoreReadScope::~StoreReadScope() { in_store_read = previous_; }
bool StoreReadScope::Active() { return in_store_read; }

absl::Status Database::InTransaction(absl::FunctionRef<absl::Status(Transaction&)> body) {
  if (StoreReadScope::Active()) {
    return absl::FailedPreconditionError(
        "a method declared a store read (gridserve.v1.store_read) cannot start a write transaction");
  }
  return RunTransaction(body);
}

absl::StatusOr<std::unique_ptr<Database>> OpenDatabase(const std::string& url, const std::string& schema) {
  if (url == "sqlite::memory:") return OpenSqliteDatabase(":memory:");
  constexpr absl::string_view kSqlite = "sqlite://";
  if (absl::StartsWith(url, kSqlite)) {
    std::string path = url.substr(kSqlite.size());
    SqliteOptions options;
    if (const auto query = path.find('?'); query != std::string::npos) {
      const std::string parameter = path.substr(query + 1);
      path.resize(query);
      if (parameter == "locking_mode=normal") {
        options.exclusive = false;
      } else if (parameter != "locking_mode=exclusive") {
        return absl::InvalidArgumentError(absl::StrCat("--database: unknown sqlite:// URL parameter \"", parameter,
                                                       "\"; expected locking_mode=exclusive or locking_mode=normal"));
      }
    }
    if (path.empty()) return absl::InvalidArgumentError("--database: sqlite:// URL without a path");
    return OpenSqliteDatabase(path, options);
  }
  if (absl::StartsWith(url, "postgresql://") || absl::StartsWith(url, "postgres://")) {
    return OpenPostgresDatabase(url, schema.empty() ? "default" : schema);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--database: unsupported URL scheme in \"", url.substr(0, url.find(':')),
                   "\"; expected sqlite:///path/file.db or postgresql://"));
}

}  // namespace gridserve
