#include "services/contact_center/storage/contact_center_store.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/clock.h"
#include "services/contact_center/storage/contact_center_schema.h"

namespace gridserve::contact_center {
namespace {

int64_t Micros(const google::protobuf::Timestamp& t) { return t.seconds() * 1000000 + t.nanos() / 1000; }

// AND-ed filter clauses with their parameters, in order.
class Where {
 public:
  void Add(std::string clause, std::vector<SqlValue> params = {}) {
    clauses_.push_back(std::move(clause));
    for (auto& p : params) params_.push_back(std::move(p));
  }
  void AddTimeRange(const std::string& column, const v1::TimeRange& range) {
    if (range.has_start()) Add(column + " >= ?", {Micros(range.start())});
    if (range.has_end()) Add(column + " < ?", {Micros(range.end())});
  }
  std::string Sql() const { return clauses_.empty() ? "" : absl::StrCat(" WHERE ", absl::StrJoin(clauses_, " AND ")); }
  std::vector<SqlValue> Params(int64_t limit, int64_t offset) const {
    std::vector<SqlValue> all = params_;
    all.push_back(limit);
    all.push_back(offset);
    return all;
  }

 private:
  std::vector<std::string> clauses_;
  std::vector<SqlValue> params_;
};

template <typename T>
absl::StatusOr<std::optional<T>> FindOne(Transaction& txn, const std::string& sql, const std::string& id) {
  auto rows = txn.Query(sql, {id});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<T>();
  T record;
  if (!record.ParseFromString((*rows)[0].Text(0))) return absl::DataLossError("a stored record cannot be parsed");
  return std::optional<T>(std::move(record));
}

// Runs a list query (one blob column) fetching one row more than the page to
// learn whether another page follows.
template <typename T>
absl::StatusOr<Page<T>> ListPage(Transaction& txn, const std::string& select, const Where& where,
                                 const std::string& order_by, int64_t offset, int limit) {
  auto rows = txn.Query(absl::StrCat(select, where.Sql(), " ORDER BY ", order_by, " LIMIT ? OFFSET ?"),
                        where.Params(limit + 1, offset));
  if (!rows.ok()) return rows.status();
  Page<T> page;
  for (const Row& row : *rows) {
    if (static_cast<int>(page.items.size()) == limit) {
      page.more = true;
      break;
    }
    T record;
    if (!record.ParseFromString(row.Text(0))) return absl::DataLossError("a stored record cannot be parsed");
    page.items.push_back(std::move(record));
  }
  return page;
}

absl::Status ExpectOneRow(absl::StatusOr<int64_t> changed, const std::string& what) {
  if (!changed.ok()) return changed.status();
  if (*changed != 1) return absl::NotFoundError(absl::StrCat(what, " not found"));
  return absl::OkStatus();
}

SqlValue OptionalText(const std::string& s) { return s.empty() ? SqlValue(nullptr) : SqlValue(s); }

}  // namespace

// ---------------------------------------------------------------------------
// Calls

absl::Status InsertCall(Transaction& txn, const v1::Call& call) {
  auto inserted = txn.Execute(
      "INSERT INTO cc_calls (call_id, external_call_id, department, agent_staff_id, outcome, disposition,"
      " alerting_started_at, call) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {call.call_id(), OptionalText(call.external_call_id()), call.department(), call.agent().staff_id(),
       static_cast<int64_t>(call.outcome()), static_cast<int64_t>(call.disposition()),
       Micros(call.alerting_started_at()), Blob{call.SerializeAsString()}});
  if (absl::IsAlreadyExists(inserted.status())) {
    return absl::AlreadyExistsError(
        absl::StrCat("external_call_id ", call.external_call_id(), " was already recorded by another request"));
  }
  return inserted.status();
}

absl::Status UpdateCall(Transaction& txn, const v1::Call& call) {
  return ExpectOneRow(txn.Execute("UPDATE cc_calls SET call = ? WHERE call_id = ?",
                                  {Blob{call.SerializeAsString()}, call.call_id()}),
                      "call " + call.call_id());
}

absl::StatusOr<std::optional<v1::Call>> FindCall(Transaction& txn, const std::string& call_id) {
  return FindOne<v1::Call>(txn, "SELECT call FROM cc_calls WHERE call_id = ?", call_id);
}

absl::StatusOr<Page<v1::Call>> ListCalls(Transaction& txn, const v1::ListCallsRequest& request, int64_t offset,
                                         int limit) {
  Where where;
  if (!request.department().empty()) where.Add("department = ?", {request.department()});
  if (!request.agent_staff_id().empty()) where.Add("agent_staff_id = ?", {request.agent_staff_id()});
  if (request.outcome() != 0) where.Add("outcome = ?", {static_cast<int64_t>(request.outcome())});
  if (request.disposition() != 0) where.Add("disposition = ?", {static_cast<int64_t>(request.disposition())});
  where.AddTimeRange("alerting_started_at", request.time_range());
  if (!request.breached_rule().empty()) {
    where.Add("EXISTS (SELECT 1 FROM breaches b WHERE b.subject = 'call/' || cc_calls.call_id AND b.rule = ?)",
              {request.breached_rule()});
  }
  return ListPage<v1::Call>(txn, "SELECT call FROM cc_calls", where, "alerting_started_at DESC, call_id", offset,
                            limit);
}

// ---------------------------------------------------------------------------
// Consultations

absl::Status InsertConsultation(Transaction& txn, const v1::Consultation& c, std::optional<absl::Time> due_at) {
  return txn
      .Execute(
          "INSERT INTO cc_consultations (consultation_id, department, state, due_at, opened_at, consultation)"
          " VALUES (?, ?, ?, ?, ?, ?)",
          {c.consultation_id(), c.department(), static_cast<int64_t>(c.state()),
           due_at.has_value() ? SqlValue(ToMicros(*due_at)) : SqlValue(nullptr), Micros(c.opened_at()),
           Blob{c.SerializeAsString()}})
      .status();
}

absl::Status UpdateConsultation(Transaction& txn, const v1::Consultation& c) {
  return ExpectOneRow(txn.Execute("UPDATE cc_consultations SET state = ?, consultation = ? WHERE consultation_id = ?",
                                  {static_cast<int64_t>(c.state()), Blob{c.SerializeAsString()}, c.consultation_id()}),
                      "consultation " + c.consultation_id());
}

absl::StatusOr<std::optional<v1::Consultation>> FindConsultation(Transaction& txn, const std::string& id) {
  return FindOne<v1::Consultation>(txn, "SELECT consultation FROM cc_consultations WHERE consultation_id = ?", id);
}

absl::StatusOr<Page<v1::Consultation>> ListConsultations(Transaction& txn, const v1::ListConsultationsRequest& request,
                                                         std::optional<absl::Time> due_before, int64_t offset,
                                                         int limit) {
  Where where;
  if (!request.department().empty()) where.Add("department = ?", {request.department()});
  if (request.state() != 0) where.Add("state = ?", {static_cast<int64_t>(request.state())});
  // Due: the callback is still owed (a replied one was due once, and is done).
  if (due_before.has_value()) {
    where.Add("state = ? AND due_at < ?",
              {static_cast<int64_t>(v1::CONSULTATION_STATE_AWAITING_CALLBACK), ToMicros(*due_before)});
  }
  where.AddTimeRange("opened_at", request.time_range());
  const std::string order = absl::StrCat("CASE WHEN state = ", v1::CONSULTATION_STATE_AWAITING_CALLBACK,
                                         " THEN 0 ELSE 1 END, CASE WHEN due_at IS NULL THEN 1 ELSE 0 END, due_at,"
                                         " opened_at DESC, consultation_id");
  return ListPage<v1::Consultation>(txn, "SELECT consultation FROM cc_consultations", where, order, offset, limit);
}

// ---------------------------------------------------------------------------
// Fault reports

absl::Status InsertFaultReport(Transaction& txn, const v1::FaultReport& r) {
  return txn
      .Execute(
          "INSERT INTO cc_fault_reports (fault_report_id, department, classification, dispatch_status,"
          " reported_at, fault_report) VALUES (?, ?, ?, ?, ?, ?)",
          {r.fault_report_id(), r.department(), static_cast<int64_t>(r.classification()),
           static_cast<int64_t>(r.dispatch().status()), Micros(r.reported_at()), Blob{r.SerializeAsString()}})
      .status();
}

absl::Status UpdateFaultReport(Transaction& txn, const v1::FaultReport& r) {
  return ExpectOneRow(
      txn.Execute("UPDATE cc_fault_reports SET dispatch_status = ?, fault_report = ? WHERE fault_report_id = ?",
                  {static_cast<int64_t>(r.dispatch().status()), Blob{r.SerializeAsString()}, r.fault_report_id()}),
      "fault report " + r.fault_report_id());
}

absl::StatusOr<std::optional<v1::FaultReport>> FindFaultReport(Transaction& txn, const std::string& id) {
  return FindOne<v1::FaultReport>(txn, "SELECT fault_report FROM cc_fault_reports WHERE fault_report_id = ?", id);
}

absl::StatusOr<Page<v1::FaultReport>> ListFaultReports(Transaction& txn, const v1::ListFaultReportsRequest& request,
                                                       int64_t offset, int limit) {
  Where where;
  if (!request.department().empty()) where.Add("department = ?", {request.department()});
  if (request.classification() != 0) where.Add("classification = ?", {static_cast<int64_t>(request.classification())});
  if (request.dispatch_status() != 0) {
    where.Add("dispatch_status = ?", {static_cast<int64_t>(request.dispatch_status())});
  }
  where.AddTimeRange("reported_at", request.time_range());
  return ListPage<v1::FaultReport>(txn, "SELECT fault_report FROM cc_fault_reports", where,
                                   "reported_at DESC, fault_report_id", offset, limit);
}

// ---------------------------------------------------------------------------
// Cases

absl::Status InsertCase(Transaction& txn, const v1::CustomerCase& c, absl::Time due_at) {
  return txn
      .Execute(
          "INSERT INTO cc_cases (case_id, kind, department, state, red_line, due_at, received_at, customer_case)"
          " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          {c.case_id(), static_cast<int64_t>(c.kind()), c.department(), static_cast<int64_t>(c.state()),
           static_cast<int64_t>(c.red_line_rule().empty() ? 0 : 1), ToMicros(due_at), Micros(c.received_at()),
           Blob{c.SerializeAsString()}})
      .status();
}

absl::Status UpdateCase(Transaction& txn, const v1::CustomerCase& c) {
  return ExpectOneRow(txn.Execute("UPDATE cc_cases SET state = ?, customer_case = ? WHERE case_id = ?",
                                  {static_cast<int64_t>(c.state()), Blob{c.SerializeAsString()}, c.case_id()}),
                      "case " + c.case_id());
}

absl::StatusOr<std::optional<v1::CustomerCase>> FindCase(Transaction& txn, const std::string& id) {
  return FindOne<v1::CustomerCase>(txn, "SELECT customer_case FROM cc_cases WHERE case_id = ?", id);
}

absl::StatusOr<Page<v1::CustomerCase>> ListCases(Transaction& txn, const v1::ListCasesRequest& request,
                                                 std::optional<absl::Time> due_before, int64_t offset, int limit) {
  Where where;
  if (request.kind() != 0) where.Add("kind = ?", {static_cast<int64_t>(request.kind())});
  if (!request.department().empty()) where.Add("department = ?", {request.department()});
  if (request.state() != 0) where.Add("state = ?", {static_cast<int64_t>(request.state())});
  // Due: the reply is still owed (a replied case was due once, and is done).
  if (due_before.has_value()) {
    where.Add("state = ? AND due_at < ?", {static_cast<int64_t>(v1::CASE_STATE_OPEN), ToMicros(*due_before)});
  }
  where.AddTimeRange("received_at", request.time_range());
  if (request.red_line_only()) where.Add("red_line = 1");
  return ListPage<v1::CustomerCase>(txn, "SELECT customer_case FROM cc_cases", where, "due_at, case_id", offset, limit);
}

absl::StatusOr<std::vector<CaseCount>> CountCases(Transaction& txn, absl::string_view dialect) {
  auto counts = ReadKeptPairCount(txn, dialect, CasesByKindAndState());
  if (!counts.ok()) return counts.status();
  std::vector<CaseCount> out;
  for (const auto& [kind_state, n] : *counts) {
    out.push_back({static_cast<v1::CaseKind>(kind_state.first), static_cast<v1::CaseState>(kind_state.second), n});
  }
  return out;
}

absl::StatusOr<std::vector<std::pair<v1::CaseKind, int64_t>>> CountOverdueCases(Transaction& txn, absl::Time now) {
  auto rows = txn.Query("SELECT kind, COUNT(*) FROM cc_cases WHERE state = ? AND due_at < ? GROUP BY kind",
                        {static_cast<int64_t>(v1::CASE_STATE_OPEN), ToMicros(now)});
  if (!rows.ok()) return rows.status();
  std::vector<std::pair<v1::CaseKind, int64_t>> out;
  for (const Row& row : *rows) out.emplace_back(static_cast<v1::CaseKind>(row.Int(0)), row.Int(1));
  return out;
}


}  // namespace gridserve::contact_center
