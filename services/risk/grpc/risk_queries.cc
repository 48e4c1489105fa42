// The read side of RiskMonitor: reports, ledger entries, statistics, scores
// and warnings. Reads only; nothing here changes the ledger.
#include <algorithm>
#include <set>

#include "services/common/catalogue.h"
#include "services/common/config.h"
#include "services/common/rpc_util.h"
#include "services/risk/domain/statistics.h"
#include "services/risk/grpc/adapter_util.h"
#include "services/risk/grpc/risk_service.h"
#include "services/risk/storage/ledger_store.h"
#include "services/risk/storage/warning_store.h"

namespace gridserve::risk {

grpc::ServerUnaryReactor* RiskService::GetRedLineReport(grpc::CallbackServerContext* context,
                                                        const v1::GetRedLineReportRequest* request,
                                                        v1::GetRedLineReportResponse* response) {
  if (request->report_id().empty()) {
    return Reply(context, response,
                 absl::StatusOr<v1::GetRedLineReportResponse>(InvalidField("report_id", "is required")));
  }
  v1::GetRedLineReportResponse out;
  absl::Status s = context_.db.InReadTransaction([&](Transaction& txn) -> absl::Status {
    auto report = ledger_->LoadReport(txn, request->report_id());
    if (!report.ok()) return report.status();
    *out.mutable_report() = *std::move(report);
    return absl::OkStatus();
  });
  return Reply(context, response, s.ok() ? absl::StatusOr<v1::GetRedLineReportResponse>(std::move(out)) : s);
}

absl::StatusOr<v1::ListRedLineReportsResponse> RiskService::DoListRedLineReports(
    const v1::ListRedLineReportsRequest& request) {
  Validator v;
  const int limit = CheckPageSize(v, request.page_size());
  const int64_t offset = DecodePageToken(v, request.page_token());
  ReportQuery q;
  q.rule = request.rule();
  q.department = request.department();
  q.staff_id = request.staff_id();
  q.source = request.source();
  q.state = request.state();
  v.Check(v1::RedLineSource_IsValid(request.source()), "source", "unknown source");
  v.Check(v1::RedLineState_IsValid(request.state()), "state", "unknown state");
  const TimeBounds range = CheckTimeRange(v, request.time_range());
  q.start = range.start;
  q.end = range.end;
  q.due_before = CheckFilterBound(v, "due_before", request.due_before(), request.has_due_before());
  if (!v.empty()) return v.status();
  v1::ListRedLineReportsResponse out;
  absl::Status s = context_.db.InReadTransaction([&](Transaction& txn) -> absl::Status {
    out.Clear();
    auto views = ListReports(txn, q, offset, limit + 1);
    if (!views.ok()) return views.status();
    TrimPage(*views, limit, offset, out.mutable_next_page_token());
    for (ViewRecord& view : *views) {
      auto report = ledger_->WithClocks(txn, std::move(view.report));
      if (!report.ok()) return report.status();
      *out.add_reports() = *std::move(report);
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

grpc::ServerUnaryReactor* RiskService::ListRedLineReports(grpc::CallbackServerContext* context,
                                                          const v1::ListRedLineReportsRequest* request,
                                                          v1::ListRedLineReportsResponse* response) {
  return Reply(context, response, DoListRedLineReports(*request));
}

absl::StatusOr<v1::GetLedgerEntryResponse> RiskService::DoGetLedgerEntry(const v1::GetLedgerEntryRequest& request) {
  if (request.entry_id().empty() && request.sequence() <= 0) {
    return InvalidFields({{"entry_id", "either entry_id or a positive sequence is required"},
                          {"sequence", "either entry_id or a positive sequence is required"}});
  }
  v1::GetLedgerEntryResponse out;
  absl::Status s = context_.db.InReadTransaction([&](Transaction& txn) -> absl::Status {
    out.Clear();
    auto entry = request.entry_id().empty() ? FindEntryBySequence(txn, request.sequence())
                                            : FindEntry(txn, request.entry_id());
    if (!entry.ok()) return entry.status();
    if (!entry->has_value()) {
      return absl::NotFoundError(request.entry_id().empty()
                                     ? absl::StrCat("ledger entry at sequence ", request.sequence(), " not found")
                                     : absl::StrCat("ledger entry ", request.entry_id(), " not found"));
    }
    *out.mutable_entry() = **entry;
    auto history = EntriesReferringTo(txn, (*entry)->entry_id());
    if (!history.ok()) return history.status();
    for (auto& h : *history) *out.add_history() = std::move(h);
    auto view = GetView(txn, (*entry)->entry_id());
    if (!view.ok()) return view.status();
    if (!view->has_value()) return absl::OkStatus();  // status changes and corrections have no effective view
    out.set_voided((*view)->voided);
    if ((*view)->kind == v1::LEDGER_ENTRY_KIND_BREACH) {
      *out.mutable_effective_breach() = (*view)->breach;
    } else {
      auto report = ledger_->WithClocks(txn, (*view)->report);
      if (!report.ok()) return report.status();
      *out.mutable_effective_report() = *std::move(report);
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

grpc::ServerUnaryReactor* RiskService::GetLedgerEntry(grpc::CallbackServerContext* context,
                                                      const v1::GetLedgerEntryRequest* request,
                                                      v1::GetLedgerEntryResponse* response) {
  return Reply(context, response, DoGetLedgerEntry(*request));
}

absl::StatusOr<v1::ListLedgerEntriesResponse> RiskService::DoListLedgerEntries(
    const v1::ListLedgerEntriesRequest& request) {
  Validator v;
  const int limit = CheckPageSize(v, request.page_size());
  const int64_t offset = DecodePageToken(v, request.page_token());
  LedgerQuery q;
  q.rule = request.rule();
  q.department = request.department();
  q.staff_id = request.staff_id();
  q.service = request.service();
  q.kind = request.kind();
  v.Check(v1::LedgerEntryKind_IsValid(request.kind()), "kind", "unknown kind");
  v.Check(v1::RedLineState_IsValid(request.red_line_state()), "red_line_state", "unknown state");
  const TimeBounds range = CheckTimeRange(v, request.time_range());
  q.start = range.start;
  q.end = range.end;
  q.red_line_state = request.red_line_state();
  q.include_voided = request.include_voided();
  if (!v.empty()) return v.status();
  v1::ListLedgerEntriesResponse out;
  absl::Status s = context_.db.InReadTransaction([&](Transaction& txn) -> absl::Status {
    out.Clear();
    auto entries = ListEntries(txn, q, offset, limit + 1);
    if (!entries.ok()) return entries.status();
    TrimPage(*entries, limit, offset, out.mutable_next_page_token());
    for (auto& e : *entries) *out.add_entries() = std::move(e);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

grpc::ServerUnaryReactor* RiskService::ListLedgerEntries(grpc::CallbackServerContext* context,
                                                         const v1::ListLedgerEntriesRequest* request,
                                                         v1::ListLedgerEntriesResponse* response) {
  return Reply(context, response, DoListLedgerEntries(*request));
}

absl::StatusOr<v1::GetStatisticsResponse> RiskService::DoGetStatistics(const v1::GetStatisticsRequest& request) {
  Validator v;
  if (!request.has_period()) {
    v.Add("period", "is required (start and end)");
    return v.status();
  }
  const TimeBounds period = CheckTimeRange(v, request.period(), "period", /*required=*/true);
  if (!v.empty()) return v.status();
  std::vector<StatisticsRow> rows;
  absl::Status s = context_.db.InReadTransaction([&](Transaction& txn) -> absl::Status {
    auto r = StatisticsRows(txn, *period.start, *period.end);
    if (!r.ok()) return r.status();
    rows = *std::move(r);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  v1::GetStatisticsResponse out;
  *out.mutable_period() = request.period();
  const std::vector<std::string> departments(context_.config.departments().begin(),
                                             context_.config.departments().end());
  for (auto& stat : BuildStatistics(rows, Catalogue(), departments,
                                    StatisticsFilter{request.department(), request.rule(), request.service()})) {
    *out.add_statistics() = std::move(stat);
  }
  return out;
}

grpc::ServerUnaryReactor* RiskService::GetStatistics(grpc::CallbackServerContext* context,
                                                     const v1::GetStatisticsRequest* request,
                                                     v1::GetStatisticsResponse* response) {
  return Reply(context, response, DoGetStatistics(*request));
}

absl::StatusOr<v1::GetRiskScoresResponse> RiskService::DoGetRiskScores(const v1::GetRiskScoresRequest& request) {
  Validator v;
  const int limit = CheckPageSize(v, request.page_size());
  const int64_t offset = DecodePageToken(v, request.page_token());
  v.Check(v1::RiskLevel_IsValid(request.min_level()), "min_level", "unknown level");
  if (!v.empty()) return v.status();
  const bool include_staff = request.include_staff() || !request.staff_id().empty();
  const absl::Time now = context_.clock.Now();
  std::vector<v1::RiskScore> scores;
  absl::Status s = context_.db.InReadTransaction([&](Transaction& txn) -> absl::Status {
    scores.clear();
    // Every configured department, every department or staff member with
    // entries in the window, and every one still above green.
    std::set<std::pair<std::string, std::string>> departments, staff;
    for (const auto& d : context_.config.departments()) departments.insert({d, ""});
    auto seen = SubjectsSince(txn, WindowStart(now, context_.config.risk()), false);
    if (!seen.ok()) return seen.status();
    departments.insert(seen->begin(), seen->end());
    if (include_staff) {
      auto seen_staff = SubjectsSince(txn, WindowStart(now, context_.config.risk()), true);
      if (!seen_staff.ok()) return seen_staff.status();
      staff.insert(seen_staff->begin(), seen_staff->end());
    }
    auto raised = RaisedSubjects(txn);
    if (!raised.ok()) return raised.status();
    for (const RiskSubject& r : *raised) {
      if (r.scope == v1::RISK_SCOPE_DEPARTMENT) departments.insert({r.department, ""});
      if (r.scope == v1::RISK_SCOPE_STAFF && include_staff) staff.insert({r.department, r.staff_id});
    }
    std::vector<RiskSubject> subjects;
    if (request.staff_id().empty()) {
      for (const auto& [d, unused] : departments) subjects.push_back({v1::RISK_SCOPE_DEPARTMENT, d, ""});
    }
    for (const auto& [d, id] : staff) {
      if (request.staff_id().empty() || request.staff_id() == id) subjects.push_back({v1::RISK_SCOPE_STAFF, d, id});
    }
    for (const RiskSubject& subject : subjects) {
      if (!request.department().empty() && subject.department != request.department()) continue;
      auto result = ledger_->ComputeScore(txn, subject, now);
      if (!result.ok()) return result.status();
      if (request.min_level() != v1::RISK_LEVEL_UNSPECIFIED && result->level < request.min_level()) continue;
      v1::RiskScore score;
      score.set_scope(subject.scope);
      score.set_department(subject.department);
      score.set_staff_id(subject.staff_id);
      score.set_score(result->score);
      score.set_level(result->level);
      score.set_breach_count(result->breach_count);
      score.set_red_line_report_count(result->red_line_report_count);
      score.set_confirmed_red_line_count(result->confirmed_red_line_count);
      *score.mutable_window() = context_.config.risk().score_window();
      *score.mutable_computed_at() = ToProto(now);
      auto stored = GetLevel(txn, subject);
      if (!stored.ok()) return stored.status();
      if (stored->has_value() && (*stored)->level == result->level) {
        *score.mutable_level_since() = ToProto((*stored)->since);
      } else if (result->level != v1::RISK_LEVEL_GREEN || stored->has_value()) {
        // The ageing pass has not recorded this change yet.
        *score.mutable_level_since() = ToProto(now);
      }
      scores.push_back(std::move(score));
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  v1::GetRiskScoresResponse out;
  for (int64_t i = offset; i < static_cast<int64_t>(scores.size()) && i < offset + limit; ++i) {
    *out.add_scores() = std::move(scores[i]);
  }
  if (offset + limit < static_cast<int64_t>(scores.size())) out.set_next_page_token(EncodePageToken(offset + limit));
  return out;
}

grpc::ServerUnaryReactor* RiskService::GetRiskScores(grpc::CallbackServerContext* context,
                                                     const v1::GetRiskScoresRequest* request,
                                                     v1::GetRiskScoresResponse* response) {
  return Reply(context, response, DoGetRiskScores(*request));
}

absl::StatusOr<v1::ListWarningsResponse> RiskService::DoListWarnings(const v1::ListWarningsRequest& request) {
  Validator v;
  const int limit = CheckPageSize(v, request.page_size());
  const int64_t offset = DecodePageToken(v, request.page_token());
  WarningQuery q;
  q.department = request.department();
  q.scope = request.scope();
  q.level = request.level();
  q.direction = request.direction();
  v.Check(v1::RiskScope_IsValid(request.scope()), "scope", "unknown scope");
  v.Check(v1::RiskLevel_IsValid(request.level()), "level", "unknown level");
  v.Check(v1::WarningDirection_IsValid(request.direction()), "direction", "unknown direction");
  const TimeBounds range = CheckTimeRange(v, request.time_range());
  q.start = range.start;
  q.end = range.end;
  if (!v.empty()) return v.status();
  v1::ListWarningsResponse out;
  absl::Status s = context_.db.InReadTransaction([&](Transaction& txn) -> absl::Status {
    out.Clear();
    auto warnings = risk::ListWarnings(txn, q, offset, limit + 1);
    if (!warnings.ok()) return warnings.status();
    TrimPage(*warnings, limit, offset, out.mutable_next_page_token());
    for (auto& w : *warnings) *out.add_warnings() = std::move(w);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

grpc::ServerUnaryReactor* RiskService::ListWarnings(grpc::CallbackServerContext* context,
                                                    const v1::ListWarningsRequest* request,
                                                    v1::ListWarningsResponse* response) {
  return Reply(context, response, DoListWarnings(*request));
}

}  // namespace gridserve::risk
