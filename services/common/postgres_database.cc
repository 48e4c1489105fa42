#include "services/common/postgres_database.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

namespace gridserve {
namespace {

// PostgreSQL type OIDs of the columns we read back.
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

// `?` placeholders → `$1, $2, …` (outside string literals).
std::string NumberPlaceholders(absl::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  bool quoted = false;
  for (char c : sql) {
    if (c == '\'') quoted = !quoted;
    if (c == '?' && !quoted) {
      absl::StrAppend(&out, "$", ++n);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// DDL in the shared subset → PostgreSQL storage types.
std::string MapDdlTypes(absl::string_view sql) {
  static const std::regex kInteger("\\bINTEGER\\b");
  static const std::regex kReal("\\bREAL\\b");
  static const std::regex kBlob("\\bBLOB\\b");
  std::string out = std::regex_replace(std::string(sql), kInteger, "BIGINT");
  out = std::regex_replace(out, kReal, "DOUBLE PRECISION");
  return std::regex_replace(out, kBlob, "BYTEA");
}

absl::Status PgError(PGresult* result, PGconn* conn, absl::string_view what) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string message = absl::StrCat(what, ": ", result ? PQresultErrorMessage(result) : PQerrorMessage(conn));
  const std::string code = state ? state : "";
  if (code == "23505") return absl::AlreadyExistsError(message);                  // unique_violation
  if (code == "40001" || code == "40P01") return absl::AbortedError(message);     // serialization / deadlock
  if (absl::StartsWith(code, "23")) return absl::FailedPreconditionError(message);
  if (code == "25006") return absl::FailedPreconditionError(message);              // read_only_sql_transaction
  if (absl::StartsWith(code, "08") || PQstatus(conn) != CONNECTION_OK) return absl::UnavailableError(message);
  return absl::InternalError(message);
}

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

class PostgresTransaction final : public Transaction {
 public:
  explicit PostgresTransaction(PGconn* conn) : conn_(conn) {}

  absl::StatusOr<int64_t> Execute(absl::string_view sql, const std::vector<SqlValue>& params) override {
    auto result = Run(sql, params);
    if (!result.ok()) return result.status();
    const char* tuples = PQcmdTuples(result->get());
    return tuples && *tuples ? std::atoll(tuples) : 0;
  }

  absl::StatusOr<std::vector<Row>> Query(absl::string_view sql, const std::vector<SqlValue>& params) override {
    auto result = Run(sql, params);
    if (!result.ok()) return result.status();
    PGresult* r = result->get();
    std::vector<Row> rows;
    const int n_rows = PQntuples(r);
    const int n_cols = PQnfields(r);
    rows.reserve(n_rows);
    for (int i = 0; i < n_rows; ++i) {
      std::vector<SqlValue> values;
      values.reserve(n_cols);
      for (int c = 0; c < n_cols; ++c) {
        if (PQgetisnull(r, i, c)) {
          values.emplace_back(nullptr);
          continue;
        }
        const char* text = PQgetvalue(r, i, c);
        switch (PQftype(r, c)) {
          case kInt8Oid:
          case kInt4Oid:
          case kInt2Oid:
            values.emplace_back(static_cast<int64_t>(std::strtoll(text, nullptr, 10)));
            break;
          case kNumericOid:  // SUM() over BIGINT
          case kFloat4Oid:
          case kFloat8Oid: {
            const double d = std::strtod(text, nullptr);
            if (PQftype(r, c) == kNumericOid && d == static_cast<double>(static_cast<int64_t>(d))) {
              values.emplace_back(static_cast<int64_t>(d));
            } else {
              values.emplace_back(d);
            }
            break;
          }
          case kBoolOid:
            values.emplace_back(static_cast<int64_t>(text[0] == 't' ? 1 : 0));
            break;
          case kByteaOid: {
            size_t size = 0;
            unsigned char* bytes = PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &size);
            values.emplace_back(Blob{std::string(reinterpret_cast<char*>(bytes), size)});
            PQfreemem(bytes);
            break;
          }
          default:
            values.emplace_back(std::string(text, PQgetlength(r, i, c)));
        }
      }
      rows.emplace_back(std::move(values));
    }
    return rows;
  }

  absl::Status ExecuteScript(absl::string_view sql) override {
    Result result(PQexec(conn_, MapDdlTypes(sql).c_str()));
    const auto status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return PgError(result.get(), conn_, "script");
    return absl::OkStatus();
  }

 private:
  // An INSERT runs under a savepoint: a unique violation the caller expects
  // (and handles as ALREADY_EXISTS) must not abort the whole transaction, as
  // PostgreSQL otherwise does.
  absl::StatusOr<Result> Run(absl::string_view sql, const std::vector<SqlValue>& params) {
    const bool guarded = absl::StartsWithIgnoreCase(absl::StripLeadingAsciiWhitespace(sql), "INSERT");
    if (guarded) Result(PQexec(conn_, "SAVEPOINT gridserve_statement"));
    auto result = RunStatement(sql, params);
    if (guarded) {
      Result(PQexec(conn_, result.ok() ? "RELEASE SAVEPOINT gridserve_statement"
                                       : "ROLLBACK TO SAVEPOINT gridserve_statement"));
    }
    return result;
  }

  absl::StatusOr<Result> RunStatement(absl::string_view sql, const std::vector<SqlValue>& params) {
    const std::string statement = NumberPlaceholders(sql);
    std::vector<std::string> text(params.size());
    std::vector<const char*> values(params.size());
    std::vector<int> lengths(params.size());
    std::vector<int> formats(params.size());
    std::vector<Oid> types(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
      const SqlValue& p = params[i];
      if (std::holds_alternative<std::nullptr_t>(p)) {
        values[i] = nullptr;
        continue;
      }
      if (auto* n = std::get_if<int64_t>(&p)) {
        text[i] = absl::StrCat(*n);
        types[i] = kInt8Oid;
      } else if (auto* d = std::get_if<double>(&p)) {
        text[i] = absl::StrFormat("%.17g", *d);  // StrCat keeps 6 digits; 17 round-trip a double
        types[i] = kFloat8Oid;
      } else if (auto* s = std::get_if<std::string>(&p)) {
        // Sent as text, a value ends at its first NUL: "W-1\0x" would be
        // stored, and matched, as "W-1". Refused rather than cut.
        if (s->find('\0') != std::string::npos) {
          return absl::InvalidArgumentError(
              absl::StrCat("parameter ", i + 1, " of \"", sql.substr(0, 60), "\" holds a NUL character, which PostgreSQL text cannot store"));
        }
        text[i] = *s;
        types[i] = 0;  // let the server infer (text)
      } else {
        text[i] = std::get<Blob>(p).bytes;
        formats[i] = 1;  // binary: bytes as they are
        types[i] = kByteaOid;
      }
      values[i] = text[i].data();
      lengths[i] = static_cast<int>(text[i].size());
    }
    Result result(PQexecParams(conn_, statement.c_str(), static_cast<int>(params.size()), types.data(),
                               values.data(), lengths.data(), formats.data(), /*resultFormat=*/0));
    const auto status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      return PgError(result.get(), conn_, absl::StrCat("\"", sql.substr(0, 60), "\""));
    }
    return result;
  }

  PGconn* conn_;
};

class PostgresDatabase final : public Database {
 public:
  explicit PostgresDatabase(std::vector<PGconn*> pool) : idle_(std::move(pool)) {}
  ~PostgresDatabase() override {
    for (PGconn* conn : idle_) PQfinish(conn);
  }

  absl::Status RunTransaction(absl::FunctionRef<absl::Status(Transaction&)> body) override {
    return Run("BEGIN ISOLATION LEVEL REPEATABLE READ", body);
  }
  // PostgreSQL refuses a write in it (SQLSTATE 25006, FAILED_PRECONDITION).
  absl::Status InReadTransaction(absl::FunctionRef<absl::Status(Transaction&)> body) override {
    return Run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body);
  }

  absl::string_view dialect() const override { return "postgresql"; }

  static constexpr int kMaxAttempts = 8;
  // Uniform in [0, 2^attempt) milliseconds: at most ~0.25 s over all attempts.
  static absl::Duration RetryPause(int attempt) {
    thread_local absl::BitGen gen;
    return absl::Microseconds(absl::Uniform<int64_t>(gen, 0, int64_t{1000} << attempt));
  }

 private:
  absl::Status Run(const char* begin, absl::FunctionRef<absl::Status(Transaction&)> body) {
    PGconn* conn = Acquire();
    absl::Status status;
    std::vector<std::function<void()>> after_commit;
    // Serialization failures and deadlocks between replicas (or between
    // concurrent calls on a hot row, e.g. risk's per-hour score counts) are
    // retried: the body is re-run from the start on a fresh snapshot, after a
    // short random pause that grows with each attempt so the contenders spread out.
    for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
      if (attempt > 0) absl::SleepFor(RetryPause(attempt));
      PostgresTransaction txn(conn);
      status = txn.ExecuteScript(begin);
      if (status.ok()) status = RunBody(body, txn);
      // A body that went on after a failed statement (PostgreSQL then refuses
      // everything until ROLLBACK) would be answered "COMMIT" by a silent
      // rollback: nothing written, reported as written.
      if (status.ok() && PQtransactionStatus(conn) == PQTRANS_INERROR) {
        status = absl::InternalError("a statement of the transaction failed and its body went on; it was rolled back");
      }
      if (status.ok()) status = txn.ExecuteScript("COMMIT");
      if (status.ok()) {
        after_commit = txn.TakeAfterCommit();
        break;
      }
      (void)txn.ExecuteScript("ROLLBACK");
      if (!absl::IsAborted(status)) break;
    }
    if (PQstatus(conn) != CONNECTION_OK) PQreset(conn);
    Release(conn);
    if (!status.ok()) return status;
    for (auto& fn : after_commit) fn();
    return absl::OkStatus();
  }

  PGconn* Acquire() {
    absl::MutexLock lock(&mu_);
    auto available = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !idle_.empty(); };
    mu_.Await(absl::Condition(&available));
    PGconn* conn = idle_.back();
    idle_.pop_back();
    return conn;
  }
  void Release(PGconn* conn) {
    absl::MutexLock lock(&mu_);
    idle_.push_back(conn);
  }

  absl::Mutex mu_;
  std::vector<PGconn*> idle_ ABSL_GUARDED_BY(mu_);
};

std::string PasswordFromFile() {
  const char* path = std::getenv("GRIDSERVE_DB_PASSWORD_FILE");
  if (path == nullptr) return "";
  std::ifstream in(path);
  std::string password;
  std::getline(in, password);
  return std::string(absl::StripAsciiWhitespace(password));
}

}  // namespace

std::string RedactDatabaseUrl(const std::string& url) {
  static const std::regex kPassword("(://[^:/@]+:)[^@]*@");
  return std::regex_replace(url, kPassword, "$1***@");
}

absl::StatusOr<std::unique_ptr<Database>> OpenPostgresDatabase(const std::string& url, const std::string& schema,
                                                               int pool_size) {
  const std::string password = PasswordFromFile();
  std::vector<PGconn*> pool;
  const std::string schema_name = absl::StrCat("gridserve_", absl::AsciiStrToLower(schema));
  std::string quoted = schema_name;
  for (char& c : quoted) {
    if (!absl::ascii_isalnum(c)) c = '_';
  }
  for (int i = 0; i < pool_size; ++i) {
    // The schema is a connection option, not only a session SET: PQreset
    // (after the server restarts or drops the connection) reconnects with the
    // options and would otherwise come back in `public`.
    const std::string options = absl::StrCat("-c search_path=", quoted);
    const char* keys[] = {"dbname", "options", password.empty() ? nullptr : "password", nullptr};
    const char* values[] = {url.c_str(), options.c_str(), password.empty() ? nullptr : password.c_str(), nullptr};
    PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
    if (PQstatus(conn) != CONNECTION_OK) {
      const std::string message = PQerrorMessage(conn);
      PQfinish(conn);
      for (PGconn* c : pool) PQfinish(c);
      return absl::UnavailableError(absl::StrCat("cannot connect to ", RedactDatabaseUrl(url), ": ", message));
    }
    // Server notices ("schema already exists, skipping") are not errors; stderr is for JSON logs.
    PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
    // Every connection works in the service's own schema.
    for (const std::string& sql : {absl::StrCat("CREATE SCHEMA IF NOT EXISTS ", quoted),
                                   absl::StrCat("SET search_path TO ", quoted)}) {
      Result result(PQexec(conn, sql.c_str()));
      if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
        // Two replicas creating the schema at once: one loses the race, harmlessly.
        const char* state = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
        if (state == nullptr || (std::string(state) != "23505" && std::string(state) != "42P06")) {
          absl::Status error = PgError(result.get(), conn, sql);
          PQfinish(conn);
          for (PGconn* c : pool) PQfinish(c);
          return error;
        }
        Result retry(PQexec(conn, absl::StrCat("SET search_path TO ", quoted).c_str()));
      }
    }
    pool.push_back(conn);
  }
  return std::unique_ptr<Database>(new PostgresDatabase(std::move(pool)));
}

}  // namespace gridserve
