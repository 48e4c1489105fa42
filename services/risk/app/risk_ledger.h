#ifndef GRIDSERVE_SERVICES_RISK_APP_RISK_LEDGER_H_
#define GRIDSERVE_SERVICES_RISK_APP_RISK_LEDGER_H_

// The risk service's use cases inside a transaction: append to the ledger,
// keep its read model and the early-warning levels in step, and wake the
// watchers and count the metrics once the transaction commits. The rules
// themselves live in domain/; the tables in storage/.

#include <set>
#include <string>
#include <utility>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gridserve/v1/risk.pb.h"
#include "services/common/breach_recorder.h"
#include "services/common/business_calendar.h"
#include "services/common/change_notifier.h"
#include "services/common/clock.h"
#include "services/common/database.h"
#include "services/common/sla_clock.h"
#include "services/risk/app/risk_metrics.h"
#include "services/risk/domain/redline.h"
#include "services/risk/domain/risk_score.h"
#include "services/risk/storage/ledger_store.h"
#include "services/risk/storage/warning_store.h"

namespace gridserve::risk {

class RiskLedger {
 public:
  RiskLedger(const v1::SuiteConfig& config, const BusinessCalendar& calendar, const Clock& clock, SlaClock& sla,
             RiskMetrics& metrics);

  struct Ingested {
    v1::LedgerEntry entry;
    bool duplicate = false;
  };
  // Stores a (validated) breach once per breach_id; a known breach_id returns
  // the entry recorded first.
  absl::StatusOr<Ingested> IngestBreach(Transaction& txn, const v1::Breach& breach);

  // Who filed a report (RedLineReport.reported_by / reported_by_staff_id).
  struct Filer {
    std::string identity;
    std::string staff_id;
  };
  // Records a (validated) red-line report: REPORTED, investigation clock started.
  absl::StatusOr<std::pair<v1::RedLineReport, v1::LedgerEntry>> RecordRedLine(Transaction& txn,
                                                                              const v1::ReportRedLineRequest& request,
                                                                              const Filer& filed_by = {});

  // One workflow step on a report: `step` decides (domain), the ledger
  // records the status change; a decision stops the investigation clock.
  // A voided report takes no step (FAILED_PRECONDITION with its clause).
  using Step = absl::FunctionRef<absl::StatusOr<Transition>(const v1::RedLineReport&)>;
  absl::StatusOr<std::pair<v1::RedLineReport, v1::LedgerEntry>> ApplyStep(Transaction& txn,
                                                                          const std::string& report_id, Step step);

  // Appends a (validated) correction and applies it to the read model;
  // voiding an open report withdraws its investigation clock.
  absl::StatusOr<v1::LedgerEntry> AddCorrection(Transaction& txn, const v1::AddLedgerCorrectionRequest& request);

  // A report in its current state with its investigation clock; NOT_FOUND.
  absl::StatusOr<v1::RedLineReport> LoadReport(Transaction& txn, const std::string& report_id);
  absl::StatusOr<v1::RedLineReport> WithClocks(Transaction& txn, v1::RedLineReport report);

  // The score of a subject now (live, from the read model).
  absl::StatusOr<ScoreResult> ComputeScore(Transaction& txn, const RiskSubject& subject, absl::Time now);

  // The background pass: subjects above green whose entries aged out of the
  // window fall, with a warning. Returns how many levels changed.
  absl::StatusOr<int> ReevaluateAged(Database& db, absl::Time now);

  // Reports recorded before migration 6 claim the breaches of their own
  // incident (SameIncidentBreaches), once, at start-up: a no-op unless the
  // migration left the backfill pending. Returns how many breaches it marked.
  absl::StatusOr<int> BackfillRedLineClaims(Database& db);

  // Ageing pass, then the warning-level and open-investigation gauges.
  absl::Status RefreshGauges(Database& db);

  // Where risk's own breaches (an expired investigation clock) go: into this
  // ledger, in the transaction that records them.
  BreachRecorder::Sink OwnBreachSink();
  // Gives an expired investigation clock's breach the reported clause and
  // charges it to the investigation (OverdueInvestigationOwner), not the
  // reported staff (for SlaClock::SetExpiryRefiner), before the breach row
  // and metric are written.
  SlaClock::ExpiryRefiner InvestigationClauseResolver();

  ChangeNotifier& ledger_changes() { return ledger_changes_; }
  ChangeNotifier& warning_changes() { return warning_changes_; }
  const v1::SuiteConfig& config() const { return config_; }

 private:
  // Appends and schedules the after-commit work (metric, watchers).
  absl::Status Append(Transaction& txn, v1::LedgerEntry& entry);
  // Re-scores the department and (if any) the staff member an entry is about.
  absl::Status RescoreFor(Transaction& txn, const std::string& department, const std::string& staff_id,
                          const std::string& trigger_entry_id, absl::Time now);
  // Re-scores one subject; a level change stores the level and appends a warning.
  absl::StatusOr<bool> Rescore(Transaction& txn, const RiskSubject& subject, const std::string& trigger_entry_id,
                               absl::Time now, bool ageing);
  // (department, staff_id) pairs whose scores a change touched.
  using ScoredSubjects = std::set<std::pair<std::string, std::string>>;
  // Brings a report's claims on the breaches of its own incident in line
  // with its current content (SameIncidentBreaches): claims what it names,
  // releases what it no longer names, and marks each breach already in the
  // ledger (ViewRecord::counted_in). Adds the subjects of changed breaches;
  // returns how many breaches changed.
  absl::StatusOr<int> SyncClaims(Transaction& txn, const ViewRecord& report, ScoredSubjects& touched);
  absl::Status RescoreAll(Transaction& txn, const ScoredSubjects& subjects, const std::string& trigger_entry_id,
                          absl::Time now);
  absl::Status RecordOwnBreach(Transaction& txn, const v1::Breach& breach);
  absl::Status ResolveInvestigationBreach(Transaction& txn, v1::Breach& breach);

  const v1::SuiteConfig& config_;
  const BusinessCalendar& calendar_;
  const Clock& clock_;
  SlaClock& sla_;
  RiskMetrics& metrics_;
  ChangeNotifier ledger_changes_;
  ChangeNotifier warning_changes_;
};

}  // namespace gridserve::risk

#endif  // GRIDSERVE_SERVICES_RISK_APP_RISK_LEDGER_H_
