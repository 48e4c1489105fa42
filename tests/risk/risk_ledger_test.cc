// The ledger on a fake clock over an in-memory database: idempotent
// ingestion, gap-free sequence, scoring and warnings at the window edges,
// the investigation clock breaching into risk's own ledger, corrections.
#include "services/risk/app/risk_ledger.h"

#include <map>
#include <tuple>

#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "services/common/status_util.h"
#include "services/risk/domain/statistics.h"
#include "services/risk/storage/ledger_store.h"
#include "services/risk/storage/warning_store.h"
#include "tests/risk/risk_fixture.h"

namespace gridserve::risk {
namespace {

using testing::CountRows;
using testing::kStart;

class RiskLedgerTest : public testing::RiskFixture {
 protected:
  RiskLedger::Ingested Ingest(const v1::Breach& breach) {
    RiskLedger::Ingested out;
    EXPECT_TRUE(ledger_db().InTransaction([&](Transaction& txn) -> absl::Status {
                     auto r = ledger().IngestBreach(txn, breach);
                     if (!r.ok()) return r.status();
                     out = *r;
                     return absl::OkStatus();
                   }).ok());
    return out;
  }

  v1::RedLineReport Report(const v1::ReportRedLineRequest& request) {
    v1::RedLineReport out;
    EXPECT_TRUE(ledger_db().InTransaction([&](Transaction& txn) -> absl::Status {
                     auto r = ledger().RecordRedLine(txn, request);
                     if (!r.ok()) return r.status();
                     out = r->first;
                     return absl::OkStatus();
                   }).ok());
    return out;
  }

  absl::StatusOr<v1::RedLineReport> Step(const std::string& id, RiskLedger::Step step) {
    v1::RedLineReport out;
    absl::Status s = ledger_db().InTransaction([&](Transaction& txn) -> absl::Status {
      auto r = ledger().ApplyStep(txn, id, step);
      if (!r.ok()) return r.status();
      out = r->first;
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    return out;
  }

  absl::StatusOr<v1::LedgerEntry> Correct(const v1::AddLedgerCorrectionRequest& request) {
    v1::LedgerEntry out;
    absl::Status s = ledger_db().InTransaction([&](Transaction& txn) -> absl::Status {
      auto r = ledger().AddCorrection(txn, request);
      if (!r.ok()) return r.status();
      out = *r;
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    return out;
  }

  std::vector<v1::Warning> Warnings() {
    std::vector<v1::Warning> out;
    EXPECT_TRUE(db_->InTransaction([&](Transaction& txn) -> absl::Status {
                     auto w = WarningsAfter(txn, 0, "", v1::RISK_SCOPE_UNSPECIFIED, 1000);
                     if (!w.ok()) return w.status();
                     out = *w;
                     return absl::OkStatus();
                   }).ok());
    return out;
  }

  ScoreResult ScoreOf(const std::string& department, const std::string& staff = "") {
    ScoreResult out;
    EXPECT_TRUE(db_->InTransaction([&](Transaction& txn) -> absl::Status {
                     auto r = ledger().ComputeScore(
                         txn, {staff.empty() ? v1::RISK_SCOPE_DEPARTMENT : v1::RISK_SCOPE_STAFF, department, staff},
                         clock_.Now());
                     if (!r.ok()) return r.status();
                     out = *r;
                     return absl::OkStatus();
                   }).ok());
    return out;
  }

  // An automatic RK-4 (repair: restored after the ETR with no cause) as repair
  // sends it: the breach it recorded, and the red-line report naming it.
  static v1::Breach AutomaticRk4Breach(const std::string& outage) {
    v1::Breach b = MakeBreach("repair/RK-4/outage/" + outage, "operations", kStart, "RK-4");
    b.set_subject("outage/" + outage);
    b.set_mechanism(v1::MECHANISM_CHECK);
    return b;
  }

  static v1::ReportRedLineRequest AutomaticRk4Report(const std::string& outage) {
    v1::ReportRedLineRequest r = MakeRedLine("repair/redline/RK-4/outage/" + outage, "RK-4", "operations", kStart);
    r.set_source(v1::RED_LINE_SOURCE_AUTOMATIC);
    r.set_source_service("repair");
    r.set_source_reference("outage/" + outage);
    r.clear_staff();
    auto* ref = r.add_related_breaches();
    ref->set_breach_id("repair/RK-4/outage/" + outage);
    ref->set_service("repair");
    ref->set_rule("RK-4");
    return r;
  }

  int64_t LedgerRows() { return CountRows(*db_, "SELECT COUNT(*) FROM ledger_entries"); }
};

TEST_F(RiskLedgerTest, ABreachIsStoredOnceWhateverTheRedeliveries) {
  const auto first = Ingest(MakeBreach("repair/RP-1/work_order/WO-1", "repair", kStart));
  EXPECT_FALSE(first.duplicate);
  EXPECT_EQ(first.entry.sequence(), 1);
  v1::Breach changed = MakeBreach("repair/RP-1/work_order/WO-1", "operations", kStart);  // same id, other content
  const auto again = Ingest(changed);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.entry.entry_id(), first.entry.entry_id());
  EXPECT_EQ(again.entry.sequence(), 1);
  EXPECT_EQ(again.entry.department(), "repair");  // the first record stands
  EXPECT_EQ(LedgerRows(), 1);
}

TEST_F(RiskLedgerTest, SequenceIsGapFreeAcrossKinds) {
  Ingest(MakeBreach("b1", "repair", kStart));
  const auto report = Report(MakeRedLine("r1", "RK-8", "repair", kStart));
  Ingest(MakeBreach("b1", "repair", kStart));  // duplicate: no sequence used
  Ingest(MakeBreach("b2", "repair", kStart));
  ASSERT_TRUE(db_->InTransaction([&](Transaction& txn) -> absl::Status {
                   auto entries = EntriesAfter(txn, 0, "", "", v1::LEDGER_ENTRY_KIND_UNSPECIFIED, 100);
                   if (!entries.ok()) return entries.status();
                   EXPECT_EQ(entries->size(), 3u);
                   for (size_t i = 0; i < entries->size(); ++i) EXPECT_EQ((*entries)[i].sequence(), int64_t(i + 1));
                   EXPECT_EQ((*entries)[1].entry_id(), report.report_id());
                   return absl::OkStatus();
                 }).ok());
}

// Five breaches (weight 1) reach yellow (5), fifteen reach red (15): a
// warning each time the level changes, none while it stays.
TEST_F(RiskLedgerTest, BreachesRaiseTheDepartmentToYellowThenRed) {
  std::string fifth;
  for (int i = 1; i <= 15; ++i) {
    auto in = Ingest(MakeBreach("b" + std::to_string(i), "repair", kStart));
    if (i == 5) fifth = in.entry.entry_id();
    if (i == 4) {
      EXPECT_TRUE(Warnings().empty());
    }
  }
  const auto warnings = Warnings();
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_EQ(warnings[0].sequence(), 1);
  EXPECT_EQ(warnings[0].scope(), v1::RISK_SCOPE_DEPARTMENT);
  EXPECT_EQ(warnings[0].department(), "repair");
  EXPECT_EQ(warnings[0].previous_level(), v1::RISK_LEVEL_GREEN);
  EXPECT_EQ(warnings[0].level(), v1::RISK_LEVEL_YELLOW);
  EXPECT_EQ(warnings[0].direction(), v1::WARNING_DIRECTION_RISING);
  EXPECT_EQ(warnings[0].score(), 5);
  EXPECT_EQ(warnings[0].trigger_entry_id(), fifth);
  EXPECT_EQ(warnings[1].level(), v1::RISK_LEVEL_RED);
  EXPECT_EQ(warnings[1].previous_level(), v1::RISK_LEVEL_YELLOW);
  EXPECT_EQ(ScoreOf("repair").score, 15);
  EXPECT_EQ(ScoreOf("operations").score, 0);
}

TEST_F(RiskLedgerTest, StaffMembersAreScoredWithinTheirDepartment) {
  for (int i = 0; i < 5; ++i) Ingest(MakeBreach("s" + std::to_string(i), "repair", kStart, "RP-1", "S-7"));
  EXPECT_EQ(ScoreOf("repair", "S-7").level, v1::RISK_LEVEL_YELLOW);
  EXPECT_EQ(ScoreOf("repair", "S-8").score, 0);
  int staff_warnings = 0;
  for (const auto& w : Warnings()) {
    if (w.scope() == v1::RISK_SCOPE_STAFF) {
      ++staff_warnings;
      EXPECT_EQ(w.staff_id(), "S-7");
    }
  }
  EXPECT_EQ(staff_warnings, 1);
}

// Entries leave the window one microsecond after they are score_window old;
// exactly score_window old they still count. The background pass lowers the
// level and records a falling warning naming the entry that aged out.
TEST_F(RiskLedgerTest, LevelsFallAsEntriesLeaveTheWindowAtTheExactEdge) {
  const absl::Duration window = absl::Hours(24 * 30);
  for (int i = 0; i < 10; ++i) Ingest(MakeBreach("old" + std::to_string(i), "repair", kStart));
  clock_.Advance(absl::Hours(1));
  std::string newest;
  for (int i = 0; i < 5; ++i) newest = Ingest(MakeBreach("new" + std::to_string(i), "repair", kStart + absl::Hours(1))).entry.entry_id();
  ASSERT_EQ(Warnings().back().level(), v1::RISK_LEVEL_RED);

  clock_.Set(kStart + window);  // exactly at the edge: the old ten still count
  ASSERT_EQ(*ledger().ReevaluateAged(ledger_db(), clock_.Now()), 0);
  EXPECT_EQ(ScoreOf("repair").score, 15);

  clock_.Set(kStart + window + absl::Microseconds(1));
  ASSERT_EQ(*ledger().ReevaluateAged(ledger_db(), clock_.Now()), 1);
  auto w = Warnings();
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[2].direction(), v1::WARNING_DIRECTION_FALLING);
  EXPECT_EQ(w[2].previous_level(), v1::RISK_LEVEL_RED);
  EXPECT_EQ(w[2].level(), v1::RISK_LEVEL_YELLOW);
  EXPECT_EQ(w[2].score(), 5);
  EXPECT_THAT(w[2].trigger_entry_id(), ::testing::StartsWith("LE-"));
  EXPECT_NE(w[2].trigger_entry_id(), newest);

  clock_.Set(kStart + absl::Hours(1) + window + absl::Microseconds(1));
  ASSERT_EQ(*ledger().ReevaluateAged(ledger_db(), clock_.Now()), 1);
  w = Warnings();
  ASSERT_EQ(w.size(), 4u);
  EXPECT_EQ(w[3].level(), v1::RISK_LEVEL_GREEN);
  EXPECT_EQ(w[3].trigger_entry_id(), newest);
  // Nothing left above green: the pass has nothing to do.
  EXPECT_EQ(*ledger().ReevaluateAged(ledger_db(), clock_.Now()), 0);
}

TEST_F(RiskLedgerTest, AnEntryAlreadyOutsideTheWindowDoesNotWeigh) {
  clock_.Set(kStart + absl::Hours(24 * 31));
  for (int i = 0; i < 5; ++i) Ingest(MakeBreach("late" + std::to_string(i), "repair", kStart));
  EXPECT_EQ(ScoreOf("repair").score, 0);
  EXPECT_TRUE(Warnings().empty());
  EXPECT_EQ(LedgerRows(), 5);  // still recorded
}

TEST_F(RiskLedgerTest, ConfirmationWeighsMoreDismissalWeighsNothing) {
  const auto a = Report(MakeRedLine("a", "RK-8", "repair", kStart));
  const auto b = Report(MakeRedLine("b", "RK-7", "metering", kStart));
  EXPECT_EQ(ScoreOf("repair").score, 5);
  v1::StaffRef who;
  who.set_staff_id("I-1");
  for (const auto* r : {&a, &b}) {
    ASSERT_TRUE(Step(r->report_id(), [&](const v1::RedLineReport& x) { return StartInvestigation(x, who, kStart); }).ok());
  }
  ASSERT_TRUE(Step(a.report_id(), [&](const v1::RedLineReport& x) { return Confirm(x, who, kStart, "f", "a"); }).ok());
  ASSERT_TRUE(Step(b.report_id(), [&](const v1::RedLineReport& x) { return Dismiss(x, who, kStart, "f", ""); }).ok());
  EXPECT_EQ(ScoreOf("repair").score, 15);
  EXPECT_EQ(ScoreOf("repair").level, v1::RISK_LEVEL_RED);
  EXPECT_EQ(ScoreOf("metering").score, 0);
  // metering rose to yellow on the report and fell back on the dismissal.
  std::vector<v1::WarningDirection> metering;
  for (const auto& w : Warnings()) {
    if (w.department() == "metering") metering.push_back(w.direction());
  }
  EXPECT_THAT(metering, ::testing::ElementsAre(v1::WARNING_DIRECTION_RISING, v1::WARNING_DIRECTION_FALLING));
}

// RK-4 (norms.md part 五): one incident counts once, as the red-line report
// (weight 5), whichever of the breach and the report arrives first; both stay
// in the append-only ledger.
TEST_F(RiskLedgerTest, RkAutomaticBreachAndItsReportCountOnceInEitherOrder) {
  Ingest(AutomaticRk4Breach("OUT-1"));  // the breach first
  EXPECT_EQ(ScoreOf("operations").score, 1);  // alone it is a breach, until its report claims it
  Report(AutomaticRk4Report("OUT-1"));
  Report(AutomaticRk4Report("OUT-2"));  // the report first
  Ingest(AutomaticRk4Breach("OUT-2"));
  const ScoreResult score = ScoreOf("operations");
  EXPECT_EQ(score.score, 10);
  EXPECT_EQ(score.breach_count, 0);
  EXPECT_EQ(score.red_line_report_count, 2);
  EXPECT_EQ(LedgerRows(), 4);
  std::vector<StatisticsRow> rows;
  ASSERT_TRUE(db_->InTransaction([&](Transaction& txn) -> absl::Status {
                   auto r = StatisticsRows(txn, kStart - absl::Hours(1), kStart + absl::Hours(1));
                   if (!r.ok()) return r.status();
                   rows = *r;
                   return absl::OkStatus();
                 }).ok());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].kind, v1::LEDGER_ENTRY_KIND_RED_LINE_REPORT);
  EXPECT_EQ(rows[0].count, 2);
  // operations went yellow once (score 5 on the first report), never red.
  std::vector<v1::RiskLevel> levels;
  for (const auto& w : Warnings()) {
    if (w.department() == "operations") levels.push_back(w.level());
  }
  EXPECT_THAT(levels, ::testing::ElementsAre(v1::RISK_LEVEL_YELLOW));
}

// The incident follows its report: dismissed it weighs nothing; voided
// (recorded in error) its breach, still in the ledger unvoided, counts as a
// breach again; an amendment dropping the reference releases it too.
TEST_F(RiskLedgerTest, RkBreachCountedInItsReportFollowsTheReport) {
  Ingest(AutomaticRk4Breach("OUT-1"));
  const auto dismissed = Report(AutomaticRk4Report("OUT-1"));
  v1::StaffRef who;
  who.set_staff_id("I-1");
  ASSERT_TRUE(Step(dismissed.report_id(), [&](const v1::RedLineReport& x) { return StartInvestigation(x, who, kStart); })
                  .ok());
  ASSERT_TRUE(Step(dismissed.report_id(), [&](const v1::RedLineReport& x) {
                return Dismiss(x, who, kStart, "the delay had a cause", "");
              }).ok());
  EXPECT_EQ(ScoreOf("operations").score, 0);

  Ingest(AutomaticRk4Breach("OUT-2"));
  const auto voided = Report(AutomaticRk4Report("OUT-2"));
  EXPECT_EQ(ScoreOf("operations").score, 5);
  v1::AddLedgerCorrectionRequest v;
  v.set_entry_id(voided.report_id());
  v.set_kind(v1::CORRECTION_KIND_VOID);
  v.set_reason("recorded in error");
  v.mutable_corrected_by()->set_staff_id("A-1");
  ASSERT_TRUE(Correct(v).ok());
  EXPECT_EQ(ScoreOf("operations").score, 1);
  EXPECT_EQ(ScoreOf("operations").breach_count, 1);

  Ingest(AutomaticRk4Breach("OUT-3"));
  const auto amended = Report(AutomaticRk4Report("OUT-3"));
  EXPECT_EQ(ScoreOf("operations").score, 6);
  v1::AddLedgerCorrectionRequest a;
  a.set_entry_id(amended.report_id());
  a.set_kind(v1::CORRECTION_KIND_AMEND);
  a.set_reason("not this outage's breach");
  a.mutable_corrected_by()->set_staff_id("A-1");
  *a.mutable_red_line_report() = amended;
  a.mutable_red_line_report()->clear_related_breaches();
  ASSERT_TRUE(Correct(a).ok());
  EXPECT_EQ(ScoreOf("operations").score, 7);  // report 5 + the two breaches on their own
  EXPECT_EQ(ScoreOf("operations").breach_count, 2);
}

// A related breach of another clause is a breach of that clause: the CC-6
// behind an RK-1 report (abusive language) counts as a CC-6 breach.
TEST_F(RiskLedgerTest, ARelatedBreachOfAnotherClauseStillCounts) {
  v1::Breach cc6 = MakeBreach("contact-center/CC-6/call/CALL-1", "hotline", kStart, "CC-6");
  cc6.set_service("contact-center");
  Ingest(cc6);
  v1::ReportRedLineRequest r = MakeRedLine("rk1", "RK-1", "hotline", kStart);
  auto* ref = r.add_related_breaches();
  ref->set_breach_id(cc6.breach_id());
  ref->set_service("contact-center");
  ref->set_rule("CC-6");
  Report(r);
  EXPECT_EQ(ScoreOf("hotline").score, 6);
  EXPECT_EQ(ScoreOf("hotline").breach_count, 1);
}

// A report naming a breach of another clause under its own rule (the
// BreachRef's rule is the client's word) does not take that breach out of the
// counts, whichever arrives first: the ledger's entry says what the breach is.
TEST_F(RiskLedgerTest, ARelatedBreachMislabelledWithTheReportsClauseStillCounts) {
  v1::Breach ct4 = MakeBreach("counter/CT-4/counter/1/1", "hall", kStart, "CT-4");
  ct4.set_service("counter");
  Ingest(ct4);
  v1::ReportRedLineRequest after = MakeRedLine("rk1-after", "RK-1", "hall", kStart);
  auto* ref = after.add_related_breaches();
  ref->set_breach_id(ct4.breach_id());
  ref->set_service("counter");
  ref->set_rule("RK-1");
  Report(after);
  EXPECT_EQ(ScoreOf("hall").breach_count, 1);
  EXPECT_EQ(ScoreOf("hall").score, 6);

  v1::ReportRedLineRequest before = MakeRedLine("rk1-before", "RK-1", "desk", kStart);
  ref = before.add_related_breaches();
  ref->set_breach_id("counter/CT-4/counter/2/1");
  ref->set_service("counter");
  ref->set_rule("RK-1");
  Report(before);
  v1::Breach later = MakeBreach("counter/CT-4/counter/2/1", "desk", kStart, "CT-4");
  later.set_service("counter");
  Ingest(later);
  EXPECT_EQ(ScoreOf("desk").breach_count, 1);
  EXPECT_EQ(ScoreOf("desk").score, 6);
}

TEST_F(RiskLedgerTest, IllegalStepChangesNothing) {
  const auto r = Report(MakeRedLine("a", "RK-8", "repair", kStart));
  v1::StaffRef who;
  who.set_staff_id("D-1");
  auto s = Step(r.report_id(), [&](const v1::RedLineReport& x) { return Confirm(x, who, kStart, "f", "a"); });
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(LedgerRows(), 1);
  EXPECT_EQ(Step("RL-unknown", [&](const v1::RedLineReport& x) { return StartInvestigation(x, who, kStart); })
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

// The investigation clock: decided by the due time is MET; one microsecond
// after the due time the sweep records the breach in risk's own ledger (not
// in an outbox), with the reported clause. Nobody had taken the report on:
// the breach is the department handling investigations', not the reported
// staff member's (S-3 of repair).
TEST_F(RiskLedgerTest, InvestigationClockExpiresIntoTheOwnLedger) {
  const auto report = Report(MakeRedLine("a", "RK-10", "repair", kStart, "S-3"));
  ASSERT_EQ(report.slas_size(), 1);
  const absl::Time due = FromProto(report.slas(0).due_at());
  // 10 working days after Friday 2026-11-27 (+08:00): the end of Friday 11 December.
  EXPECT_EQ(due, absl::FromCivil(absl::CivilDay(2026, 12, 12), absl::FixedTimeZone(8 * 3600)));
  EXPECT_EQ(report.slas(0).state(), v1::SLA_STATUS_OPEN);

  clock_.Set(due);
  ASSERT_EQ(*sla_.Sweep(*db_), 0);  // exactly at the due time: on time
  clock_.Set(due + absl::Microseconds(1));
  ASSERT_EQ(*sla_.Sweep(*db_), 1);

  EXPECT_EQ(CountRows(*db_, "SELECT COUNT(*) FROM outbox"), 0);
  EXPECT_EQ(Metric("gridserve_sla_total", {{"sla", "investigation"}, {"outcome", "breached"}}), 1);
  ASSERT_TRUE(db_->InTransaction([&](Transaction& txn) -> absl::Status {
                   auto entries = EntriesAfter(txn, 1, "", "", v1::LEDGER_ENTRY_KIND_BREACH, 10);
                   EXPECT_EQ(entries->size(), 1u);
                   const v1::LedgerEntry& e = entries->front();
                   EXPECT_EQ(e.service(), "risk");
                   EXPECT_EQ(e.rule(), "RK-10");
                   EXPECT_EQ(e.breach().sla(), "investigation");
                   EXPECT_EQ(e.breach().subject(), "red_line/" + report.report_id());
                   EXPECT_EQ(e.department(), kInvestigatingDepartment);
                   EXPECT_EQ(e.staff_id(), "");
                   EXPECT_EQ(FromProto(e.occurred_at()), due);
                   auto loaded = ledger().LoadReport(txn, report.report_id());
                   EXPECT_EQ(loaded->breaches_size(), 1);
                   EXPECT_EQ(loaded->slas(0).state(), v1::SLA_STATUS_BREACHED);
                   return absl::OkStatus();
                 }).ok());
  // The local breach row and the breach metric carry the reported clause
  // too, not the catalogue's placeholder RK-1 of the "investigation" SLA.
  EXPECT_EQ(CountRows(*db_, "SELECT COUNT(*) FROM breaches WHERE rule = 'RK-10'"), 1);
  EXPECT_EQ(CountRows(*db_, "SELECT COUNT(*) FROM breaches WHERE rule = 'RK-1'"), 0);
  // "risk" is not a configured department: its label is "other".
  EXPECT_EQ(Metric("gridserve_norm_breaches_total",
                   {{"service", "risk"}, {"rule", "RK-10"}, {"department", "other"}}),
            1);
  EXPECT_LT(Metric("gridserve_norm_breaches_total",
                   {{"service", "risk"}, {"rule", "RK-10"}, {"department", "repair"}}),
            1);
  EXPECT_LT(Metric("gridserve_norm_breaches_total",
                   {{"service", "risk"}, {"rule", "RK-1"}, {"department", "other"}}),
            1);
  EXPECT_EQ(ScoreOf("repair").breach_count, 0);
  EXPECT_EQ(ScoreOf("repair", "S-3").breach_count, 0);
  EXPECT_EQ(ScoreOf(kInvestigatingDepartment).breach_count, 1);
  // The clock breached once: a second sweep records nothing more.
  clock_.Advance(absl::Hours(24));
  EXPECT_EQ(*sla_.Sweep(*db_), 0);
}

// RK-8 "investigation" SLA: an overdue investigation is charged to the
// investigator who held the report (I-1 of operations), not to the reported
// staff member (S-1 of repair), even after an AMEND moved the report to
// S-2: the ledger, the breach row, the metric and the scores all say so.
TEST_F(RiskLedgerTest, RkOverdueInvestigationIsChargedToTheInvestigatorNotTheReportedStaff) {
  const auto report = Report(MakeRedLine("a", "RK-8", "repair", kStart, "S-1"));
  v1::AddLedgerCorrectionRequest amend;
  amend.set_entry_id(report.report_id());
  amend.set_kind(v1::CORRECTION_KIND_AMEND);
  amend.set_reason("reported against the wrong staff member");
  amend.mutable_corrected_by()->set_staff_id("A-1");
  v1::RedLineReport moved = report;
  moved.mutable_staff()->set_staff_id("S-2");
  *amend.mutable_red_line_report() = moved;
  ASSERT_TRUE(Correct(amend).ok());
  v1::StaffRef investigator;
  investigator.set_staff_id("I-1");
  investigator.set_department("operations");
  ASSERT_TRUE(Step(report.report_id(), [&](const v1::RedLineReport& x) {
                return StartInvestigation(x, investigator, kStart);
              }).ok());
  const double reported_staff_score = ScoreOf("repair", "S-2").score;

  clock_.Set(FromProto(report.slas(0).due_at()) + absl::Microseconds(1));
  ASSERT_EQ(*sla_.Sweep(*db_), 1);
  ASSERT_TRUE(db_->InTransaction([&](Transaction& txn) -> absl::Status {
                   auto entries = EntriesAfter(txn, 1, "", "", v1::LEDGER_ENTRY_KIND_BREACH, 10);
                   EXPECT_EQ(entries->size(), 1u);
                   EXPECT_EQ(entries->front().rule(), "RK-8");
                   EXPECT_EQ(entries->front().department(), "operations");
                   EXPECT_EQ(entries->front().staff_id(), "I-1");
                   return absl::OkStatus();
                 }).ok());
  EXPECT_EQ(CountRows(*db_, "SELECT COUNT(*) FROM breaches WHERE department = 'operations'"), 1);
  EXPECT_EQ(CountRows(*db_, "SELECT COUNT(*) FROM breaches WHERE department = 'repair'"), 0);
  EXPECT_EQ(Metric("gridserve_norm_breaches_total",
                   {{"service", "risk"}, {"rule", "RK-8"}, {"department", "operations"}}),
            1);
  EXPECT_LT(Metric("gridserve_norm_breaches_total",
                   {{"service", "risk"}, {"rule", "RK-8"}, {"department", "repair"}}),
            1);
  EXPECT_EQ(ScoreOf("repair").breach_count, 0);
  EXPECT_EQ(ScoreOf("repair", "S-1").breach_count, 0);
  EXPECT_EQ(ScoreOf("repair", "S-2").breach_count, 0);
  EXPECT_EQ(ScoreOf("repair", "S-2").score, reported_staff_score);
  EXPECT_EQ(ScoreOf("operations", "I-1").breach_count, 1);
}

// A decision after the due time that the sweep has not seen records the
// overdue breach in the decision's transaction, with the reported clause,
// charged to the investigation: the investigator I-1 names no department, so
// the department handling investigations. The dismissed report leaves the
// reported staff member (S-6 of repair) and their department with nothing.
TEST_F(RiskLedgerTest, RkLateDecisionBreachesTheReportedClauseNotTheReportedStaff) {
  const auto report = Report(MakeRedLine("a", "RK-6", "repair", kStart, "S-6"));
  const absl::Time due = FromProto(report.slas(0).due_at());
  v1::StaffRef who;
  who.set_staff_id("I-1");
  ASSERT_TRUE(Step(report.report_id(), [&](const v1::RedLineReport& x) { return StartInvestigation(x, who, kStart); }).ok());
  clock_.Set(due + absl::Hours(1));
  auto done = Step(report.report_id(),
                   [&](const v1::RedLineReport& x) { return Dismiss(x, who, due + absl::Hours(1), "none", ""); });
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->slas(0).state(), v1::SLA_STATUS_BREACHED);
  ASSERT_EQ(done->breaches_size(), 1);
  EXPECT_EQ(done->breaches(0).rule(), "RK-6");
  EXPECT_EQ(done->breaches(0).department(), kInvestigatingDepartment);
  EXPECT_EQ(done->breaches(0).staff_id(), "I-1");
  EXPECT_EQ(CountRows(*db_, "SELECT COUNT(*) FROM breaches WHERE rule = 'RK-6'"), 1);
  EXPECT_EQ(Metric("gridserve_norm_breaches_total", {{"service", "risk"}, {"rule", "RK-6"}, {"department", "other"}}),
            1);
  EXPECT_LT(Metric("gridserve_norm_breaches_total", {{"service", "risk"}, {"rule", "RK-6"}, {"department", "repair"}}),
            1);
  EXPECT_EQ(ScoreOf("repair").score, 0);
  EXPECT_EQ(ScoreOf("repair", "S-6").score, 0);
  EXPECT_EQ(ScoreOf(kInvestigatingDepartment, "I-1").breach_count, 1);
}

// A report voided as recorded in error leaves the investigation: its clock
// is withdrawn (no overdue breach later), it takes no step, and it is no
// longer counted or listed as open. The other report stays open beside it.
TEST_F(RiskLedgerTest, VoidingAnOpenReportEndsItsInvestigation) {
  const auto kept = Report(MakeRedLine("a", "RK-5", "repair", kStart));
  const auto voided = Report(MakeRedLine("b", "RK-5", "repair", kStart));
  const absl::Time due = FromProto(voided.slas(0).due_at());
  v1::AddLedgerCorrectionRequest void_req;
  void_req.set_entry_id(voided.report_id());
  void_req.set_kind(v1::CORRECTION_KIND_VOID);
  void_req.set_reason("recorded in error");
  void_req.mutable_corrected_by()->set_staff_id("A-1");
  ASSERT_TRUE(Correct(void_req).ok());

  v1::StaffRef who;
  who.set_staff_id("I-1");
  auto step = Step(voided.report_id(), [&](const v1::RedLineReport& x) { return StartInvestigation(x, who, kStart); });
  EXPECT_EQ(step.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(step.status().message()), ::testing::HasSubstr("voided"));
  {  // the refusing clause is the report's own
    google::rpc::Status details;
    ASSERT_TRUE(details.ParseFromString(ToGrpcStatus(step.status()).error_details()));
    google::rpc::PreconditionFailure failure;
    ASSERT_TRUE(details.details(0).UnpackTo(&failure));
    EXPECT_EQ(failure.violations(0).type(), "RK-5");
  }

  RefreshGauges();
  EXPECT_EQ(Metric("gridserve_redline_open_investigations", {{"rule", "RK-5"}}), 1);
  ASSERT_TRUE(db_->InTransaction([&](Transaction& txn) -> absl::Status {
                   ReportQuery open;
                   open.due_before = due + absl::Hours(1);
                   auto listed = ListReports(txn, open, 0, 10);
                   if (!listed.ok()) return listed.status();
                   EXPECT_EQ(listed->size(), 1u);
                   if (!listed->empty()) {
                     EXPECT_EQ(listed->front().entry_id, kept.report_id());
                   }
                   auto loaded = ledger().LoadReport(txn, voided.report_id());
                   if (!loaded.ok()) return loaded.status();
                   EXPECT_EQ(loaded->slas(0).state(), v1::SLA_STATUS_CANCELLED);
                   return absl::OkStatus();
                 }).ok());

  clock_.Set(due + absl::Microseconds(1));
  EXPECT_EQ(*sla_.Sweep(*db_), 1);  // the kept report only
  EXPECT_EQ(CountRows(*db_, "SELECT COUNT(*) FROM breaches WHERE subject = 'red_line/" + voided.report_id() + "'"), 0);
  EXPECT_EQ(Metric("gridserve_sla_total", {{"sla", "investigation"}, {"outcome", "breached"}}), 1);
}

// Every append (ledger entry or warning) takes MAX + 1, so it must run in a
// transaction that took the ledger lock first: a path that forgot is refused
// on every backend, not only when replicas race on PostgreSQL.
TEST_F(RiskLedgerTest, AppendsOutsideTheLedgerLockAreRefused) {
  absl::Status s = db_->InTransaction(
      [&](Transaction& txn) { return ledger().IngestBreach(txn, MakeBreach("b", "repair", kStart)).status(); });
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  s = db_->InTransaction([&](Transaction& txn) {
    v1::Warning w;
    w.set_warning_id("W-1");
    return AppendWarning(txn, w);
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(LedgerRows(), 0);
  Ingest(MakeBreach("b", "repair", kStart));  // through the ledger database
  EXPECT_EQ(LedgerRows(), 1);
}

TEST_F(RiskLedgerTest, DecidingInTimeMeetsTheInvestigationClock) {
  const auto report = Report(MakeRedLine("a", "RK-2", "repair", kStart));
  const absl::Time due = FromProto(report.slas(0).due_at());
  v1::StaffRef who;
  who.set_staff_id("I-1");
  ASSERT_TRUE(Step(report.report_id(), [&](const v1::RedLineReport& x) { return StartInvestigation(x, who, kStart); }).ok());
  clock_.Set(due);
  auto done = Step(report.report_id(), [&](const v1::RedLineReport& x) { return Dismiss(x, who, due, "none", ""); });
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->slas(0).state(), v1::SLA_STATUS_MET);
  EXPECT_EQ(Metric("gridserve_sla_total", {{"sla", "investigation"}, {"outcome", "met"}}), 1);
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(*sla_.Sweep(*db_), 0);
}

TEST_F(RiskLedgerTest, CorrectionsAreNewEntriesAndChangeTheEffectiveView) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Ingest(MakeBreach("b" + std::to_string(i), "repair", kStart)).entry.entry_id());
  EXPECT_EQ(ScoreOf("repair").level, v1::RISK_LEVEL_YELLOW);

  v1::AddLedgerCorrectionRequest void_req;
  void_req.set_entry_id(ids[0]);
  void_req.set_kind(v1::CORRECTION_KIND_VOID);
  void_req.set_reason("recorded in error");
  void_req.mutable_corrected_by()->set_staff_id("A-1");
  auto voided = Correct(void_req);
  ASSERT_TRUE(voided.ok()) << voided.status();
  EXPECT_EQ(voided->kind(), v1::LEDGER_ENTRY_KIND_CORRECTION);
  EXPECT_EQ(voided->refers_to(), ids[0]);
  EXPECT_EQ(voided->department(), "repair");  // copies the original's values
  EXPECT_EQ(ScoreOf("repair").score, 4);
  EXPECT_EQ(Warnings().back().direction(), v1::WARNING_DIRECTION_FALLING);
  EXPECT_EQ(Warnings().back().trigger_entry_id(), voided->entry_id());
  EXPECT_EQ(Correct(void_req).status().code(), absl::StatusCode::kFailedPrecondition);  // already voided

  v1::AddLedgerCorrectionRequest amend;
  amend.set_entry_id(ids[1]);
  amend.set_kind(v1::CORRECTION_KIND_AMEND);
  amend.set_reason("wrong department");
  amend.mutable_corrected_by()->set_staff_id("A-1");
  *amend.mutable_breach() = MakeBreach("b1", "operations", kStart);
  ASSERT_TRUE(Correct(amend).ok());
  EXPECT_EQ(ScoreOf("repair").score, 3);
  EXPECT_EQ(ScoreOf("operations").score, 1);

  v1::AddLedgerCorrectionRequest on_correction = void_req;
  on_correction.set_entry_id(voided->entry_id());
  EXPECT_EQ(Correct(on_correction).status().code(), absl::StatusCode::kFailedPrecondition);
  on_correction.set_entry_id("LE-missing");
  EXPECT_EQ(Correct(on_correction).status().code(), absl::StatusCode::kNotFound);

  // Nothing was rewritten: the five breaches and two corrections are all there.
  EXPECT_EQ(LedgerRows(), 7);
}

// Scores read pre-counted hours (score_counts) plus the partial hour at the
// window's start. Whatever happens to the entries (staff, amendments, voids,
// report decisions, minutes apart across hours), the inputs equal a count of
// the effective view itself, for windows starting on and off the hour.
TEST_F(RiskLedgerTest, PreCountedScoringInputsEqualACountOfTheView) {
  std::vector<std::string> ids;
  for (int i = 0; i < 40; ++i) {
    const absl::Time at = kStart + absl::Minutes(17 * i);
    const std::string staff = i % 3 == 0 ? "" : "S-" + std::to_string(i % 4);
    ids.push_back(Ingest(MakeBreach("b" + std::to_string(i), i % 5 == 0 ? "operations" : "repair", at,
                                    i % 2 ? "RP-1" : "RP-2", staff))
                      .entry.entry_id());
  }
  const auto report = Report(MakeRedLine("r1", "RK-8", "repair", kStart + absl::Minutes(50), "S-1"));
  v1::StaffRef who;
  who.set_staff_id("I-1");
  ASSERT_TRUE(Step(report.report_id(), [&](const v1::RedLineReport& x) {
                return StartInvestigation(x, who, kStart + absl::Minutes(55));
              }).ok());
  ASSERT_TRUE(Step(report.report_id(), [&](const v1::RedLineReport& x) {
                return Confirm(x, who, kStart + absl::Hours(1), "f", "a");
              }).ok());
  for (int i : {1, 7, 22}) {
    v1::AddLedgerCorrectionRequest c;
    c.set_entry_id(ids[i]);
    c.set_kind(v1::CORRECTION_KIND_VOID);
    c.set_reason("recorded in error");
    c.mutable_corrected_by()->set_staff_id("A-1");
    ASSERT_TRUE(Correct(c).ok());
  }
  v1::AddLedgerCorrectionRequest amend;
  amend.set_entry_id(ids[4]);
  amend.set_kind(v1::CORRECTION_KIND_AMEND);
  amend.set_reason("other staff, later");
  amend.mutable_corrected_by()->set_staff_id("A-1");
  *amend.mutable_breach() = MakeBreach("b4", "repair", kStart + absl::Hours(5), "RP-1", "S-9");
  ASSERT_TRUE(Correct(amend).ok());

  auto brute_force = [&](Transaction& txn, const std::string& department, const std::string& staff, absl::Time since) {
    std::map<std::tuple<int, std::string, int>, int64_t> out;
    auto rows = txn.Query(
        "SELECT kind, rule, state, COUNT(*) FROM ledger_view WHERE voided = 0 AND department = ?"
        " AND (? = '' OR staff_id = ?) AND occurred_at >= ? GROUP BY kind, rule, state",
        {department, staff, staff, absl::ToUnixMicros(since)});
    EXPECT_TRUE(rows.ok());
    for (const Row& r : *rows) out[{static_cast<int>(r.Int(0)), r.Text(1), static_cast<int>(r.Int(2))}] = r.Int(3);
    return out;
  };
  int compared = 0;
  ASSERT_TRUE(db_->InTransaction([&](Transaction& txn) -> absl::Status {
                   for (const std::string department : {"repair", "operations"}) {
                     for (const std::string staff : {"", "S-1", "S-2", "S-9"}) {
                       for (absl::Duration offset : {absl::ZeroDuration(), absl::Minutes(1), absl::Minutes(59),
                                                     absl::Hours(3), absl::Minutes(200), absl::Hours(20)}) {
                         const absl::Time since = kStart + offset;
                         auto inputs = ScoreInputsFor(txn, department, staff, since);
                         if (!inputs.ok()) return inputs.status();
                         std::map<std::tuple<int, std::string, int>, int64_t> got;
                         for (const ScoreInput& in : *inputs) got[{in.kind, in.rule, in.state}] = in.count;
                         EXPECT_EQ(got, brute_force(txn, department, staff, since))
                             << department << "/" << staff << " since +" << offset;
                         ++compared;
                       }
                     }
                   }
                   return absl::OkStatus();
                 }).ok());
  EXPECT_EQ(compared, 48);
}

TEST_F(RiskLedgerTest, GaugesFollowLevelsAndOpenInvestigations) {
  EXPECT_EQ(Metric("gridserve_risk_warning_level", {{"department", "repair"}}), 0);
  EXPECT_EQ(Metric("gridserve_risk_warning_level", {{"department", "other"}}), 0);
  for (int i = 0; i < 15; ++i) Ingest(MakeBreach("b" + std::to_string(i), "repair", kStart));
  for (int i = 0; i < 5; ++i) Ingest(MakeBreach("x" + std::to_string(i), "night-shift", kStart));
  Report(MakeRedLine("r", "RK-3", "operations", kStart));
  RefreshGauges();
  EXPECT_EQ(Metric("gridserve_risk_warning_level", {{"department", "repair"}}), 2);
  EXPECT_EQ(Metric("gridserve_risk_warning_level", {{"department", "operations"}}), 1);
  EXPECT_EQ(Metric("gridserve_risk_warning_level", {{"department", "other"}}), 1);
  EXPECT_EQ(Metric("gridserve_risk_warning_level", {{"department", "metering"}}), 0);
  EXPECT_EQ(Metric("gridserve_redline_open_investigations", {{"rule", "RK-3"}}), 1);
  EXPECT_EQ(Metric("gridserve_redline_open_investigations", {{"rule", "RK-4"}}), 0);
  EXPECT_EQ(Metric("gridserve_ledger_entries_total", {{"service", "repair"}, {"rule", "RP-1"}}), 20);
  EXPECT_EQ(Metric("gridserve_redline_reports_total", {{"rule", "RK-3"}, {"department", "operations"}, {"status", "reported"}}), 1);
}

}  // namespace
}  // namespace gridserve::risk
