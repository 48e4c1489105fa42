#include "services/common/audit_log.h"

#include <iterator>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/audit_mask.h"
#include "services/common/log.h"
#include "services/common/rpc_util.h"
#include "services/common/status_util.h"

namespace gridserve {

AuditLog::AuditLog(Database& db, const Clock& clock, std::string service)
    : db_(db), clock_(clock), service_(std::move(service)), writer_([this] { WriteLoop(); }) {}

AuditLog::~AuditLog() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  writer_.join();
  (void)Flush();  // anything queued after the writer's last look
}

void AuditLog::RecordSoon(v1::AuditRecord record) {
  if (!record.has_occurred_at()) *record.mutable_occurred_at() = ToProto(clock_.Now());
  {
    absl::MutexLock lock(&mu_);
    if (waiting_.size() < kMaxWaiting) {
      waiting_.push_back(std::move(record));
      return;
    }
  }
  if (auto s = Record(std::move(record)); !s.ok()) {
    LogError("audit_write_failed", {{"records", "1"}, {"error", std::string(s.message())}});
  }
}

absl::Status AuditLog::Flush() const {
  absl::MutexLock write_lock(&write_mu_);
  std::vector<v1::AuditRecord> batch;
  {
    absl::MutexLock lock(&mu_);
    batch.assign(std::make_move_iterator(waiting_.begin()), std::make_move_iterator(waiting_.end()));
    waiting_.clear();
  }
  if (batch.empty()) return absl::OkStatus();
  const absl::Status status = Append(batch);
  if (!status.ok()) {
    // Kept, in order, for the next attempt: an audit row is not dropped
    // because the store failed once.
    LogError("audit_write_failed", {{"records", absl::StrCat(batch.size())},
                                    {"error", std::string(status.message())},
                                    {"action", "kept; retried"}});
    absl::MutexLock lock(&mu_);
    waiting_.insert(waiting_.begin(), std::make_move_iterator(batch.begin()), std::make_move_iterator(batch.end()));
  }
  return status;
}

void AuditLog::WriteLoop() {
  bool failed = false;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto work = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_ || !waiting_.empty(); };
      auto stopping = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_; };
      // After a failed write, a second before the next try: the store is
      // down or full, and a hot loop would not bring it back.
      if (failed) mu_.AwaitWithTimeout(absl::Condition(&stopping), absl::Seconds(1));
      mu_.Await(absl::Condition(&work));
      if (stopping_) return;
    }
    failed = !Flush().ok();
  }
}

absl::Status AuditLog::Record(v1::AuditRecord record) {
  if (!record.has_occurred_at()) *record.mutable_occurred_at() = ToProto(clock_.Now());
  return Append({std::move(record)});
}

absl::Status AuditLog::Append(const std::vector<v1::AuditRecord>& records) const {
  absl::Status status;
  // A concurrent insert of the same sequence (another replica) fails on the
  // primary key: retried on a fresh snapshot.
  for (int attempt = 0; attempt < 5; ++attempt) {
    status = db_.InTransaction([&](Transaction& txn) -> absl::Status {
      for (const v1::AuditRecord& record : records) {
        if (auto s = RecordIn(txn, record); !s.ok()) return s;
      }
      return absl::OkStatus();
    });
    if (status.code() != absl::StatusCode::kAlreadyExists) break;
  }
  return status;
}

absl::Status AuditLog::RecordIn(Transaction& txn, v1::AuditRecord record) const {
  if (!record.has_occurred_at()) *record.mutable_occurred_at() = ToProto(clock_.Now());
  // The sequence is MAX+1 in the inserting transaction: gap-free and in
  // commit order.
  auto rows = txn.Query("SELECT COALESCE(MAX(sequence), 0) FROM audit_records");
  if (!rows.ok()) return rows.status();
  const int64_t sequence = rows->empty() ? 1 : (*rows)[0].Int(0) + 1;
  return txn
      .Execute(
          "INSERT INTO audit_records (sequence, service, caller, authenticated_by, method, occurred_at, peer,"
          " code, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {sequence, service_, record.caller(), record.authenticated_by(), record.method(),
           ToMicros(FromProto(record.occurred_at())), record.peer(), record.code(),
           MaskPersonalData(record.message())})
      .status();
}

absl::StatusOr<v1::ListAuditRecordsResponse> AuditLog::List(const v1::ListAuditRecordsRequest& request) const {
  (void)Flush();  // every call that has ended is listed (a failure is logged; the listing goes on)
  Validator v;
  const int page_size = CheckPageSize(v, request.page_size());
  // The token carries the sequence the next page starts below (stable while
  // new records arrive).
  const int64_t before = request.page_token().empty() ? 0 : DecodePageToken(v, request.page_token());
  if (request.has_since() && request.has_until()) {
    v.Check(FromProto(request.since()) <= FromProto(request.until()), "until", "must not be before since");
  }
  if (!v.empty()) return v.status();

  std::string sql =
      "SELECT sequence, service, caller, authenticated_by, method, occurred_at, peer, code, message"
      " FROM audit_records WHERE 1 = 1";
  std::vector<SqlValue> params;
  if (before > 0) {
    sql += " AND sequence < ?";
    params.push_back(before);
  }
  if (!request.caller().empty()) {
    sql += " AND caller = ?";
    params.push_back(request.caller());
  }
  if (!request.method().empty()) {
    if (request.method().back() == '/') {
      std::string like;
      for (char c : request.method()) {
        if (c == '%' || c == '_' || c == '!') like += '!';
        like += c;
      }
      sql += " AND method LIKE ? ESCAPE '!'";
      params.push_back(like + "%");
    } else {
      sql += " AND method = ?";
      params.push_back(request.method());
    }
  }
  if (!request.code().empty()) {
    sql += " AND code = ?";
    params.push_back(request.code());
  }
  if (request.has_since()) {
    sql += " AND occurred_at >= ?";
    params.push_back(ToMicros(FromProto(request.since())));
  }
  if (request.has_until()) {
    sql += " AND occurred_at < ?";
    params.push_back(ToMicros(FromProto(request.until())));
  }
  // A parameter, not part of the text: each connection keeps every distinct
  // statement text it prepared, so a page size in it would let callers add
  // one per size.
  sql += " ORDER BY sequence DESC LIMIT ?";
  params.push_back(int64_t{page_size} + 1);

  v1::ListAuditRecordsResponse response;
  absl::Status status = db_.InReadTransaction([&](Transaction& txn) -> absl::Status {
    auto rows = txn.Query(sql, params);
    if (!rows.ok()) return rows.status();
    for (size_t i = 0; i < rows->size() && static_cast<int>(i) < page_size; ++i) {
      const Row& row = (*rows)[i];
      auto* r = response.add_records();
      r->set_sequence(row.Int(0));
      r->set_service(row.Text(1));
      r->set_caller(row.Text(2));
      r->set_authenticated_by(row.Text(3));
      r->set_method(row.Text(4));
      *r->mutable_occurred_at() = ToProto(FromMicros(row.Int(5)));
      r->set_peer(row.Text(6));
      r->set_code(row.Text(7));
      r->set_message(row.Text(8));
    }
    if (static_cast<int>(rows->size()) > page_size) {
      response.set_next_page_token(EncodePageToken(response.records(page_size - 1).sequence()));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return response;
}

namespace {
thread_local CallAudit* current_call_audit = nullptr;
}  // namespace

CallAudit* CallAudit::For(const Database& db) {
  CallAudit* audit = current_call_audit;
  return audit != nullptr && audit->WritesTo(db) ? audit : nullptr;
}

CallAudit::Scope::Scope(CallAudit* audit) : previous_(current_call_audit) { current_call_audit = audit; }
CallAudit::Scope::~Scope() { current_call_audit = previous_; }

PendingCallAudit::PendingCallAudit(AuditLog& log, v1::AuditRecord record) : log_(log), record_(std::move(record)) {}

bool PendingCallAudit::WritesTo(const Database& db) const {
  return &log_.database() == &db && log_.RecordsInCallTransactions();
}

absl::Status PendingCallAudit::RecordInTransaction(Transaction& txn) {
  if (committed_) return absl::OkStatus();  // a second transaction of the same call: one record per call
  v1::AuditRecord record = record_;
  record.set_code("OK");
  absl::Status status = log_.RecordIn(txn, std::move(record));
  // Another connection took the sequence: the whole call is retried.
  if (absl::IsAlreadyExists(status)) return absl::AbortedError("audit record conflict; retry the call");
  if (status.ok()) txn.AfterCommit([this] { committed_ = true; });
  return status;
}

absl::Status PendingCallAudit::Finish(const grpc::Status& outcome) {
  if (committed_ && outcome.ok()) return absl::OkStatus();
  v1::AuditRecord record = record_;
  record.set_code(GrpcCodeName(outcome.error_code()));
  record.set_message(outcome.error_message());
  log_.RecordSoon(std::move(record));
  return absl::OkStatus();
}

namespace {

class AuditService final : public v1::Audit::CallbackService {
 public:
  explicit AuditService(const AuditLog& log) : log_(log) {}

  grpc::ServerUnaryReactor* ListAuditRecords(grpc::CallbackServerContext* context,
                                             const v1::ListAuditRecordsRequest* request,
                                             v1::ListAuditRecordsResponse* response) override {
    return Reply(context, response, log_.List(*request));
  }

 private:
  const AuditLog& log_;
};

}  // namespace

std::unique_ptr<grpc::Service> MakeAuditService(const AuditLog& log) {
  return std::make_unique<AuditService>(log);
}

}  // namespace gridserve
