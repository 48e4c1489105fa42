#include "services/risk/app/risk_ledger.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "services/common/catalogue.h"
#include "services/common/log.h"
#include "services/common/rpc_util.h"
#include "services/common/status_util.h"
#include "services/risk/domain/ledger_rules.h"
#include "services/risk/storage/ledger_store.h"

namespace gridserve::risk {
namespace {

const char* LevelName(v1::RiskLevel level) {
  switch (level) {
    case v1::RISK_LEVEL_RED: return "red";
    case v1::RISK_LEVEL_YELLOW: return "yellow";
    default: return "green";
  }
}

absl::Status NoReport(const std::string& report_id) {
  return absl::NotFoundError(absl::StrCat("red-line report ", report_id, " not found"));
}

}  // namespace

RiskLedger::RiskLedger(const v1::SuiteConfig& config, const BusinessCalendar& calendar, const Clock& clock,
                       SlaClock& sla, RiskMetrics& metrics)
    : config_(config), calendar_(calendar), clock_(clock), sla_(sla), metrics_(metrics) {}

absl::Status RiskLedger::Append(Transaction& txn, v1::LedgerEntry& entry) {
  if (auto s = AppendEntry(txn, entry); !s.ok()) return s;
  txn.AfterCommit([this, service = entry.service(), rule = entry.rule()] {
    metrics_.CountLedgerEntry(service, rule);
    ledger_changes_.Notify();
  });
  return absl::OkStatus();
}

absl::StatusOr<RiskLedger::Ingested> RiskLedger::IngestBreach(Transaction& txn, const v1::Breach& breach) {
  auto existing = FindBreachEntry(txn, breach.breach_id());
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) return Ingested{**existing, /*duplicate=*/true};

  const absl::Time now = clock_.Now();
  v1::LedgerEntry entry;
  entry.set_entry_id(NewId("LE"));
  entry.set_kind(v1::LEDGER_ENTRY_KIND_BREACH);
  *entry.mutable_recorded_at() = ToProto(now);
  Denormalise(entry, breach);
  *entry.mutable_breach() = breach;
  if (auto s = Append(txn, entry); !s.ok()) return s;

  ViewRecord view;
  view.entry_id = entry.entry_id();
  view.sequence = entry.sequence();
  view.kind = v1::LEDGER_ENTRY_KIND_BREACH;
  view.breach = breach;
  // The red-line report of the same incident may have arrived first. It is
  // the same incident only if the breach really is of the report's clause:
  // a report naming any breach under its own rule does not make it vanish.
  auto claimant = BreachClaimant(txn, breach.breach_id());
  if (!claimant.ok()) return claimant.status();
  if (claimant->has_value()) {
    auto report = GetView(txn, **claimant);
    if (!report.ok()) return report.status();
    if (report->has_value() && (*report)->report.rule() == breach.rule()) view.counted_in = **claimant;
  }
  if (auto s = PutView(txn, view); !s.ok()) return s;
  if (auto s = RescoreFor(txn, breach.department(), breach.staff_id(), entry.entry_id(), now); !s.ok()) return s;
  return Ingested{std::move(entry), /*duplicate=*/false};
}

absl::StatusOr<std::pair<v1::RedLineReport, v1::LedgerEntry>> RiskLedger::RecordRedLine(
    Transaction& txn, const v1::ReportRedLineRequest& request, const Filer& filed_by) {
  const absl::Time now = clock_.Now();
  const std::string report_id = NewId("RL");
  v1::RedLineReport report = NewRedLineReport(request, report_id, now);
  report.set_reported_by(filed_by.identity);
  report.set_reported_by_staff_id(filed_by.staff_id);

  v1::LedgerEntry entry;
  entry.set_entry_id(report_id);  // report_id = the entry_id of its RED_LINE_REPORT entry
  entry.set_kind(v1::LEDGER_ENTRY_KIND_RED_LINE_REPORT);
  *entry.mutable_recorded_at() = ToProto(now);
  Denormalise(entry, report);
  *entry.mutable_red_line_report() = report;
  if (auto s = Append(txn, entry); !s.ok()) return s;

  // Every open report is timed by the catalogue SLA "investigation".
  const absl::Time due = InvestigationDue(now, calendar_, config_.risk());
  if (auto s = sla_.Start(txn, SlaTimer{kInvestigationSla, ReportSubject(report_id), report.department(),
                                        report.staff().staff_id(), now, due});
      !s.ok()) {
    return s;
  }
  ViewRecord view;
  view.entry_id = report_id;
  view.sequence = entry.sequence();
  view.kind = v1::LEDGER_ENTRY_KIND_RED_LINE_REPORT;
  view.report = report;
  view.due_at = due;
  if (auto s = PutView(txn, view); !s.ok()) return s;
  txn.AfterCommit([this, rule = report.rule(), department = report.department()] {
    metrics_.CountReport(rule, department, v1::RED_LINE_STATE_REPORTED);
    LogInfo("red_line_reported", {{"rule", rule}, {"department", department}});
  });
  // The breach of the same incident (an automatic finding) now counts
  // through this report; scored once both are in.
  ScoredSubjects touched;
  if (auto s = SyncClaims(txn, view, touched); !s.ok()) return s.status();
  touched.insert({report.department(), report.staff().staff_id()});
  if (auto s = RescoreAll(txn, touched, report_id, now); !s.ok()) return s;
  auto with_clocks = WithClocks(txn, report);
  if (!with_clocks.ok()) return with_clocks.status();
  return std::make_pair(*std::move(with_clocks), std::move(entry));
}

absl::StatusOr<std::pair<v1::RedLineReport, v1::LedgerEntry>> RiskLedger::ApplyStep(Transaction& txn,
                                                                                    const std::string& report_id,
                                                                                    Step step) {
  auto view = GetView(txn, report_id);
  if (!view.ok()) return view.status();
  if (!view->has_value() || (*view)->kind != v1::LEDGER_ENTRY_KIND_RED_LINE_REPORT) return NoReport(report_id);
  if ((*view)->voided) {
    // A voided report was recorded in error: it has no workflow left.
    return PreconditionFailed((*view)->report.rule(), ReportSubject(report_id),
                              "the report was voided by a correction; it takes no further step");
  }
  auto transition = step((*view)->report);
  if (!transition.ok()) return transition.status();

  const absl::Time now = clock_.Now();
  v1::LedgerEntry entry;
  entry.set_entry_id(NewId("LE"));
  entry.set_kind(v1::LEDGER_ENTRY_KIND_STATUS_CHANGE);
  entry.set_refers_to(report_id);
  *entry.mutable_recorded_at() = ToProto(now);
  Denormalise(entry, transition->report);
  *entry.mutable_status_change() = transition->change;
  if (auto s = Append(txn, entry); !s.ok()) return s;

  v1::RedLineReport report = transition->report;
  if (!IsOpen(report.state())) {
    // The decision stops the investigation clock. A late decision that the
    // sweep has not seen yet records the overdue breach now (through the
    // sink, which adds it to the report), so read the report's breaches back.
    auto outcome = sla_.Stop(txn, kInvestigationSla, ReportSubject(report_id), FromProto(report.decided_at()));
    if (!outcome.ok()) return outcome.status();
    auto reread = GetView(txn, report_id);
    if (!reread.ok()) return reread.status();
    if (reread->has_value()) *report.mutable_breaches() = (*reread)->report.breaches();
  }
  (*view)->report = report;
  if (auto s = PutView(txn, **view); !s.ok()) return s;
  txn.AfterCommit([this, rule = report.rule(), department = report.department(), state = report.state()] {
    metrics_.CountReport(rule, department, state);
  });
  if (auto s = RescoreFor(txn, report.department(), report.staff().staff_id(), entry.entry_id(), now); !s.ok()) {
    return s;
  }
  auto with_clocks = WithClocks(txn, report);
  if (!with_clocks.ok()) return with_clocks.status();
  return std::make_pair(*std::move(with_clocks), std::move(entry));
}

absl::StatusOr<v1::LedgerEntry> RiskLedger::AddCorrection(Transaction& txn,
                                                         const v1::AddLedgerCorrectionRequest& request) {
  auto original = FindEntry(txn, request.entry_id());
  if (!original.ok()) return original.status();
  if (!original->has_value()) return absl::NotFoundError(absl::StrCat("ledger entry ", request.entry_id(), " not found"));
  auto view = GetView(txn, request.entry_id());
  if (!view.ok()) return view.status();
  const bool voided = view->has_value() && (*view)->voided;
  if (auto s = CheckCorrection(**original, voided, request); !s.ok()) return s;
  ViewRecord& current = **view;  // BREACH and RED_LINE_REPORT entries always have a view

  const absl::Time now = clock_.Now();
  v1::LedgerEntry entry;
  entry.set_entry_id(NewId("LE"));
  entry.set_kind(v1::LEDGER_ENTRY_KIND_CORRECTION);
  entry.set_refers_to(request.entry_id());
  *entry.mutable_recorded_at() = ToProto(now);
  // A correction carries the original's values, so filters find it beside it.
  entry.set_service((*original)->service());
  entry.set_rule((*original)->rule());
  entry.set_department((*original)->department());
  entry.set_staff_id((*original)->staff_id());
  *entry.mutable_occurred_at() = (*original)->occurred_at();
  v1::LedgerCorrection* c = entry.mutable_correction();
  c->set_kind(request.kind());
  c->set_reason(request.reason());
  *c->mutable_corrected_by() = request.corrected_by();
  *c->mutable_corrected_at() = request.has_corrected_at() ? request.corrected_at() : ToProto(now);
  if (request.has_breach()) *c->mutable_breach() = request.breach();
  if (request.has_red_line_report()) *c->mutable_red_line_report() = request.red_line_report();
  if (auto s = Append(txn, entry); !s.ok()) return s;

  // The subjects scored before and after (an amendment may move the entry).
  v1::LedgerEntry before, after;
  const bool is_breach = current.kind == v1::LEDGER_ENTRY_KIND_BREACH;
  if (is_breach) Denormalise(before, current.breach); else Denormalise(before, current.report);
  switch (request.kind()) {
    case v1::CORRECTION_KIND_VOID:
      current.voided = true;
      if (!is_breach) {
        // A report recorded in error is not investigated: its clock is
        // withdrawn (neither met nor breached), so no overdue breach follows.
        auto cancelled = sla_.Cancel(txn, kInvestigationSla, ReportSubject(current.entry_id), now);
        if (!cancelled.ok()) return cancelled.status();
        if (*cancelled) current.due_at.reset();
      }
      break;
    case v1::CORRECTION_KIND_AMEND:
      if (is_breach) {
        current.breach = request.breach();
      } else {
        current.report = AmendReport(current.report, request.red_line_report());
      }
      break;
    default:
      break;  // ANNOTATE: the content stands
  }
  if (is_breach) Denormalise(after, current.breach); else Denormalise(after, current.report);
  if (auto s = PutView(txn, current); !s.ok()) return s;
  ScoredSubjects touched = {{before.department(), before.staff_id()}, {after.department(), after.staff_id()}};
  // A report voided or amended: the breaches it counts follow (a voided
  // report's breaches count on their own again).
  if (!is_breach) {
    if (auto s = SyncClaims(txn, current, touched); !s.ok()) return s.status();
  }
  if (auto s = RescoreAll(txn, touched, entry.entry_id(), now); !s.ok()) return s;
  return entry;
}

absl::StatusOr<int> RiskLedger::SyncClaims(Transaction& txn, const ViewRecord& report, ScoredSubjects& touched) {
  int changed = 0;
  const std::vector<std::string> wanted = SameIncidentBreaches(report.report, report.voided);
  auto held = ClaimsOf(txn, report.entry_id);
  if (!held.ok()) return held.status();
  // Sets (or clears) the breach's counted_in, if the breach is in the ledger yet.
  auto mark = [&](const std::string& breach_id, const std::string& counted_in) -> absl::Status {
    auto entry = FindBreachEntry(txn, breach_id);
    if (!entry.ok()) return entry.status();
    if (!entry->has_value()) return absl::OkStatus();  // it will find the claim when it arrives
    auto view = GetView(txn, (*entry)->entry_id());
    if (!view.ok()) return view.status();
    if (!view->has_value() || (*view)->counted_in == counted_in) return absl::OkStatus();
    // Only a breach of the report's own clause is the same incident (the
    // BreachRef's rule is the client's word; the ledger's entry is the fact).
    if (!counted_in.empty() && (*view)->breach.rule() != report.report.rule()) return absl::OkStatus();
    (*view)->counted_in = counted_in;
    if (auto s = PutView(txn, **view); !s.ok()) return s;
    touched.insert({(*view)->breach.department(), (*view)->breach.staff_id()});
    ++changed;
    return absl::OkStatus();
  };
  for (const std::string& breach_id : *held) {
    if (std::find(wanted.begin(), wanted.end(), breach_id) != wanted.end()) continue;
    if (auto s = ReleaseClaim(txn, breach_id); !s.ok()) return s;
    if (auto s = mark(breach_id, ""); !s.ok()) return s;
  }
  for (const std::string& breach_id : wanted) {
    auto holder = ClaimBreach(txn, breach_id, report.entry_id);
    if (!holder.ok()) return holder.status();
    if (*holder != report.entry_id) continue;  // another report named it first and counts it
    if (auto s = mark(breach_id, report.entry_id); !s.ok()) return s;
  }
  return changed;
}

absl::Status RiskLedger::RescoreAll(Transaction& txn, const ScoredSubjects& subjects,
                                    const std::string& trigger_entry_id, absl::Time now) {
  // A department once, however many of its staff are named.
  std::set<std::string> departments;
  for (const auto& [department, staff_id] : subjects) {
    if (!departments.insert(department).second && staff_id.empty()) continue;
    if (auto s = RescoreFor(txn, department, staff_id, trigger_entry_id, now); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<int> RiskLedger::BackfillRedLineClaims(Database& db) {
  int claimed = 0;
  absl::Status status = db.InTransaction([&](Transaction& txn) -> absl::Status {
    claimed = 0;
    auto pending = TakeBackfill(txn, "red_line_claims");
    if (!pending.ok()) return pending.status();
    if (!*pending) return absl::OkStatus();
    const absl::Time now = clock_.Now();
    ScoredSubjects touched;
    constexpr int kPage = 500;
    for (int64_t offset = 0;; offset += kPage) {
      auto reports = ListReports(txn, ReportQuery{}, offset, kPage);
      if (!reports.ok()) return reports.status();
      for (const ViewRecord& report : *reports) {
        auto changed = SyncClaims(txn, report, touched);
        if (!changed.ok()) return changed.status();
        claimed += *changed;
      }
      if (static_cast<int>(reports->size()) < kPage) break;
    }
    return RescoreAll(txn, touched, "", now);
  });
  if (!status.ok()) return status;
  if (claimed > 0) LogInfo("red_line_claims_backfilled", {{"breaches", absl::StrCat(claimed)}});
  return claimed;
}

absl::StatusOr<v1::RedLineReport> RiskLedger::LoadReport(Transaction& txn, const std::string& report_id) {
  auto view = GetView(txn, report_id);
  if (!view.ok()) return view.status();
  if (!view->has_value() || (*view)->kind != v1::LEDGER_ENTRY_KIND_RED_LINE_REPORT) return NoReport(report_id);
  return WithClocks(txn, (*view)->report);
}

absl::StatusOr<v1::RedLineReport> RiskLedger::WithClocks(Transaction& txn, v1::RedLineReport report) {
  auto status = sla_.Get(txn, kInvestigationSla, ReportSubject(report.report_id()));
  if (!status.ok()) return status.status();
  report.clear_slas();
  if (status->has_value()) {
    v1::SlaState* out = report.add_slas();
    *out = ToProtoSlaState(**status);
    out->set_clause(report.rule());  // the reported clause (catalogue: "the breach records carry the reported clause")
  }
  return report;
}

absl::StatusOr<ScoreResult> RiskLedger::ComputeScore(Transaction& txn, const RiskSubject& subject, absl::Time now) {
  auto inputs = ScoreInputsFor(txn, subject.department,
                               subject.scope == v1::RISK_SCOPE_STAFF ? subject.staff_id : std::string(),
                               WindowStart(now, config_.risk()));
  if (!inputs.ok()) return inputs.status();
  return Score(*inputs, config_.risk());
}

absl::Status RiskLedger::RescoreFor(Transaction& txn, const std::string& department, const std::string& staff_id,
                                    const std::string& trigger_entry_id, absl::Time now) {
  if (department.empty()) return absl::OkStatus();  // nobody to warn
  auto changed = Rescore(txn, RiskSubject{v1::RISK_SCOPE_DEPARTMENT, department, ""}, trigger_entry_id, now, false);
  if (!changed.ok()) return changed.status();
  if (staff_id.empty()) return absl::OkStatus();
  return Rescore(txn, RiskSubject{v1::RISK_SCOPE_STAFF, department, staff_id}, trigger_entry_id, now, false).status();
}

absl::StatusOr<bool> RiskLedger::Rescore(Transaction& txn, const RiskSubject& subject,
                                         const std::string& trigger_entry_id, absl::Time now, bool ageing) {
  auto score = ComputeScore(txn, subject, now);
  if (!score.ok()) return score.status();
  auto stored = GetLevel(txn, subject);
  if (!stored.ok()) return stored.status();
  const v1::RiskLevel previous = stored->has_value() ? (*stored)->level : v1::RISK_LEVEL_GREEN;
  const auto direction = DirectionOf(previous, score->level);
  if (!direction) return false;
  if (auto s = PutLevel(txn, subject, StoredLevel{score->level, now}); !s.ok()) return s;

  v1::Warning warning;
  warning.set_warning_id(NewId("W"));
  warning.set_scope(subject.scope);
  warning.set_department(subject.department);
  warning.set_staff_id(subject.staff_id);
  warning.set_previous_level(previous);
  warning.set_level(score->level);
  warning.set_direction(*direction);
  warning.set_score(score->score);
  *warning.mutable_raised_at() = ToProto(now);
  if (ageing) {
    auto aged = LatestEntryBefore(txn, subject.department,
                                  subject.scope == v1::RISK_SCOPE_STAFF ? subject.staff_id : std::string(),
                                  WindowStart(now, config_.risk()));
    if (!aged.ok()) return aged.status();
    warning.set_trigger_entry_id(*aged);
  } else {
    warning.set_trigger_entry_id(trigger_entry_id);
  }
  if (auto s = AppendWarning(txn, warning); !s.ok()) return s;
  txn.AfterCommit([this, scope = subject.scope, department = subject.department, from = previous,
                   to = score->level] {
    warning_changes_.Notify();
    // Department and levels only: a staff member's warning is logged without the staff id.
    LogInfo("risk_level_changed", {{"scope", scope == v1::RISK_SCOPE_STAFF ? "staff" : "department"},
                                   {"department", department},
                                   {"from", LevelName(from)},
                                   {"to", LevelName(to)}});
  });
  return true;
}

absl::StatusOr<int> RiskLedger::ReevaluateAged(Database& db, absl::Time now) {
  int changed = 0;
  absl::Status status = db.InTransaction([&](Transaction& txn) -> absl::Status {
    changed = 0;
    auto subjects = RaisedSubjects(txn);
    if (!subjects.ok()) return subjects.status();
    for (const RiskSubject& subject : *subjects) {
      auto c = Rescore(txn, subject, "", now, /*ageing=*/true);
      if (!c.ok()) return c.status();
      changed += *c ? 1 : 0;
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return changed;
}

absl::Status RiskLedger::RefreshGauges(Database& db) {
  if (auto aged = ReevaluateAged(db, clock_.Now()); !aged.ok()) return aged.status();
  std::vector<std::pair<std::string, v1::RiskLevel>> levels;
  std::map<std::string, int64_t> open;
  absl::Status status = db.InReadTransaction([&](Transaction& txn) -> absl::Status {
    auto l = DepartmentLevels(txn);
    if (!l.ok()) return l.status();
    levels = *std::move(l);
    auto o = OpenReportsByRule(txn);
    if (!o.ok()) return o.status();
    open = *std::move(o);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  metrics_.SetWarningLevels(levels);
  metrics_.SetOpenInvestigations(open);
  return absl::OkStatus();
}

absl::Status RiskLedger::ResolveInvestigationBreach(Transaction& txn, v1::Breach& breach) {
  // The catalogue's "investigation" SLA names RK-1 only because it holds one
  // clause; the breach is of the clause that was reported. Resolved before
  // the breach is recorded, so the local row and the breach metric carry it.
  auto view = GetView(txn, ReportIdOfSubject(breach.subject()));
  if (!view.ok()) return view.status();
  if (!view->has_value() || (*view)->kind != v1::LEDGER_ENTRY_KIND_RED_LINE_REPORT) return absl::OkStatus();
  const v1::RedLineReport& report = (*view)->report;
  breach.set_rule(report.rule());
  // The clock copied the reported department and staff when it started, but
  // the late decision is the investigation's (RK clauses' "investigation"
  // SLA): charge the investigator, or the department handling investigations,
  // so it weighs neither in the reported staff member's score nor as this
  // clause's breach against their department.
  const Responsible owner = OverdueInvestigationOwner(report, FromProto(breach.occurred_at()),
                                                        InvestigatingDepartment(config_.risk()));
  breach.set_department(owner.department);
  breach.set_staff_id(owner.staff_id);
  breach.set_detail(absl::StrCat("red-line investigation (", breach.rule(),
                                 ") not decided by its due time; the investigation's breach, not the reported "
                                 "conduct; ",
                                 breach.detail()));
  return absl::OkStatus();
}

absl::Status RiskLedger::RecordOwnBreach(Transaction& txn, const v1::Breach& breach) {
  if (breach.sla() == kInvestigationSla) {
    auto view = GetView(txn, ReportIdOfSubject(breach.subject()));
    if (!view.ok()) return view.status();
    if (view->has_value() && (*view)->kind == v1::LEDGER_ENTRY_KIND_RED_LINE_REPORT) {
      *(*view)->report.add_breaches() = breach;
      if (auto s = PutView(txn, **view); !s.ok()) return s;
    }
  }
  return IngestBreach(txn, breach).status();
}

BreachRecorder::Sink RiskLedger::OwnBreachSink() {
  return [this](Transaction& txn, const v1::Breach& breach) { return RecordOwnBreach(txn, breach); };
}

SlaClock::ExpiryRefiner RiskLedger::InvestigationClauseResolver() {
  return [this](Transaction& txn, v1::Breach& breach) { return ResolveInvestigationBreach(txn, breach); };
}

}  // namespace gridserve::risk
