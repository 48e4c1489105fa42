// RK early warning: weights, thresholds (exactly at the threshold counts),
// window edges, and the ledger rules / statistics of the domain layer.
#include "services/risk/domain/risk_score.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/catalogue.h"
#include "services/common/config.h"
#include "services/common/rpc_util.h"
#include "services/common/status_util.h"
#include "services/risk/domain/ledger_rules.h"
#include "services/risk/domain/statistics.h"
#include "tests/common/test_db.h"

namespace gridserve::risk {
namespace {

using ::gridserve::testing::kStart;

v1::RiskConfig Config() { return DefaultConfig().risk(); }

TEST(RiskScoreTest, DefaultWeights) {
  const auto c = Config();
  EXPECT_EQ(EntryWeight(v1::LEDGER_ENTRY_KIND_BREACH, "RP-1", v1::RED_LINE_STATE_UNSPECIFIED, c), 1);
  EXPECT_EQ(EntryWeight(v1::LEDGER_ENTRY_KIND_RED_LINE_REPORT, "RK-8", v1::RED_LINE_STATE_REPORTED, c), 5);
  EXPECT_EQ(EntryWeight(v1::LEDGER_ENTRY_KIND_RED_LINE_REPORT, "RK-8", v1::RED_LINE_STATE_INVESTIGATING, c), 5);
  EXPECT_EQ(EntryWeight(v1::LEDGER_ENTRY_KIND_RED_LINE_REPORT, "RK-8", v1::RED_LINE_STATE_CONFIRMED, c), 15);
  EXPECT_EQ(EntryWeight(v1::LEDGER_ENTRY_KIND_RED_LINE_REPORT, "RK-8", v1::RED_LINE_STATE_DISMISSED, c), 0);
  EXPECT_EQ(EntryWeight(v1::LEDGER_ENTRY_KIND_STATUS_CHANGE, "RK-8", v1::RED_LINE_STATE_UNSPECIFIED, c), 0);
  EXPECT_EQ(EntryWeight(v1::LEDGER_ENTRY_KIND_CORRECTION, "RP-1", v1::RED_LINE_STATE_UNSPECIFIED, c), 0);
}

TEST(RiskScoreTest, RuleWeightsOverrideTheBaseWeightConfirmationStillAdds) {
  auto c = Config();
  (*c.mutable_rule_weights())["RK-10"] = 20;
  (*c.mutable_rule_weights())["CC-1"] = 0.5;
  EXPECT_EQ(EntryWeight(v1::LEDGER_ENTRY_KIND_RED_LINE_REPORT, "RK-10", v1::RED_LINE_STATE_REPORTED, c), 20);
  EXPECT_EQ(EntryWeight(v1::LEDGER_ENTRY_KIND_RED_LINE_REPORT, "RK-10", v1::RED_LINE_STATE_CONFIRMED, c), 30);
  EXPECT_EQ(EntryWeight(v1::LEDGER_ENTRY_KIND_BREACH, "CC-1", v1::RED_LINE_STATE_UNSPECIFIED, c), 0.5);
  EXPECT_EQ(EntryWeight(v1::LEDGER_ENTRY_KIND_BREACH, "CC-2", v1::RED_LINE_STATE_UNSPECIFIED, c), 1);
}

TEST(RiskScoreTest, LevelsTurnAtExactlyTheThresholds) {
  const auto c = Config();  // yellow 5, red 15
  EXPECT_EQ(LevelFor(0, c), v1::RISK_LEVEL_GREEN);
  EXPECT_EQ(LevelFor(4.999, c), v1::RISK_LEVEL_GREEN);
  EXPECT_EQ(LevelFor(5, c), v1::RISK_LEVEL_YELLOW);
  EXPECT_EQ(LevelFor(14.999, c), v1::RISK_LEVEL_YELLOW);
  EXPECT_EQ(LevelFor(15, c), v1::RISK_LEVEL_RED);
}

TEST(RiskScoreTest, ScoreSumsAndCountsTheWindow) {
  const auto r = Score({{v1::LEDGER_ENTRY_KIND_BREACH, "RP-1", v1::RED_LINE_STATE_UNSPECIFIED, 3},
                        {v1::LEDGER_ENTRY_KIND_RED_LINE_REPORT, "RK-8", v1::RED_LINE_STATE_CONFIRMED, 1},
                        {v1::LEDGER_ENTRY_KIND_RED_LINE_REPORT, "RK-1", v1::RED_LINE_STATE_DISMISSED, 2},
                        {v1::LEDGER_ENTRY_KIND_RED_LINE_REPORT, "RK-2", v1::RED_LINE_STATE_REPORTED, 1}},
                       Config());
  EXPECT_EQ(r.score, 3 + 15 + 0 + 5);
  EXPECT_EQ(r.level, v1::RISK_LEVEL_RED);
  EXPECT_EQ(r.breach_count, 3);
  EXPECT_EQ(r.red_line_report_count, 2);  // dismissed reports do not weigh
  EXPECT_EQ(r.confirmed_red_line_count, 1);
}

TEST(RiskScoreTest, WindowStartIsNowMinusTheWindow) {
  auto c = Config();
  EXPECT_EQ(WindowStart(kStart, c), kStart - absl::Hours(24 * 30));
  *c.mutable_score_window() = ToProto(absl::Hours(1));
  EXPECT_EQ(WindowStart(kStart, c), kStart - absl::Hours(1));
}

TEST(RiskScoreTest, DirectionAndGauge) {
  EXPECT_EQ(DirectionOf(v1::RISK_LEVEL_GREEN, v1::RISK_LEVEL_GREEN), std::nullopt);
  EXPECT_EQ(DirectionOf(v1::RISK_LEVEL_GREEN, v1::RISK_LEVEL_YELLOW), v1::WARNING_DIRECTION_RISING);
  EXPECT_EQ(DirectionOf(v1::RISK_LEVEL_YELLOW, v1::RISK_LEVEL_RED), v1::WARNING_DIRECTION_RISING);
  EXPECT_EQ(DirectionOf(v1::RISK_LEVEL_RED, v1::RISK_LEVEL_GREEN), v1::WARNING_DIRECTION_FALLING);
  EXPECT_EQ(LevelGaugeValue(v1::RISK_LEVEL_GREEN), 0);
  EXPECT_EQ(LevelGaugeValue(v1::RISK_LEVEL_YELLOW), 1);
  EXPECT_EQ(LevelGaugeValue(v1::RISK_LEVEL_RED), 2);
}

// --- Ledger rules ---------------------------------------------------------------

v1::Breach GoodBreach() {
  v1::Breach b;
  b.set_breach_id("repair/RP-1/work_order/WO-1");
  b.set_service("repair");
  b.set_rule("RP-1");
  b.set_department("repair");
  *b.mutable_occurred_at() = ToProto(kStart);
  return b;
}

std::vector<std::string> Fields(const absl::Status& s) {
  std::vector<std::string> out;
  for (const auto& fv : FieldViolationsOf(s)) out.push_back(fv.field);
  return out;
}

TEST(LedgerRulesTest, BreachNeedsIdServiceCatalogueRuleAndTime) {
  EXPECT_TRUE(ValidateBreach(GoodBreach(), kStart, absl::Minutes(5)).ok());
  v1::Breach b;
  b.set_service("billing");
  b.set_rule("XX-1");
  EXPECT_THAT(Fields(ValidateBreach(b, kStart, absl::Minutes(5))),
              ::testing::UnorderedElementsAre("breach.breach_id", "breach.service", "breach.rule", "breach.occurred_at"));
}

TEST(LedgerRulesTest, OnlyBreachesAndReportsAreCorrectedAndVoidIsFinal) {
  v1::LedgerEntry entry;
  entry.set_entry_id("LE-1");
  entry.set_kind(v1::LEDGER_ENTRY_KIND_BREACH);
  *entry.mutable_breach() = GoodBreach();
  v1::AddLedgerCorrectionRequest req;
  req.set_kind(v1::CORRECTION_KIND_VOID);
  EXPECT_TRUE(CheckCorrection(entry, false, req).ok());
  EXPECT_EQ(CheckCorrection(entry, true, req).code(), absl::StatusCode::kFailedPrecondition);
  for (auto kind : {v1::LEDGER_ENTRY_KIND_STATUS_CHANGE, v1::LEDGER_ENTRY_KIND_CORRECTION}) {
    entry.set_kind(kind);
    EXPECT_EQ(CheckCorrection(entry, false, req).code(), absl::StatusCode::kFailedPrecondition);
  }
}

// A correction follows the entry it corrects: corrected_at before the entry's
// recorded_at is INVALID_ARGUMENT naming corrected_at; exactly at it, or
// omitted (the server's time), is accepted.
TEST(LedgerRulesTest, ACorrectionIsNotDatedBeforeTheEntryWasRecorded) {
  v1::LedgerEntry entry;
  entry.set_entry_id("LE-1");
  entry.set_kind(v1::LEDGER_ENTRY_KIND_BREACH);
  *entry.mutable_breach() = GoodBreach();
  *entry.mutable_recorded_at() = ToProto(kStart);
  v1::AddLedgerCorrectionRequest req;
  req.set_kind(v1::CORRECTION_KIND_VOID);
  EXPECT_TRUE(CheckCorrection(entry, false, req).ok());
  *req.mutable_corrected_at() = ToProto(kStart);
  EXPECT_TRUE(CheckCorrection(entry, false, req).ok());
  *req.mutable_corrected_at() = ToProto(kStart - absl::Microseconds(1));
  const absl::Status s = CheckCorrection(entry, false, req);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(s), ::testing::ElementsAre("corrected_at"));
}

// RK: the breaches a red-line report counts as its own incident are its
// related breaches of its own clause (once each); a voided report counts none.
TEST(LedgerRulesTest, AReportCountsTheRelatedBreachesOfItsOwnClause) {
  v1::RedLineReport report;
  report.set_rule("RK-4");
  auto add = [&](const std::string& id, const std::string& rule) {
    auto* ref = report.add_related_breaches();
    ref->set_breach_id(id);
    ref->set_rule(rule);
  };
  add("repair/RK-4/outage/OUT-1", "RK-4");
  add("repair/RP-1/work_order/WO-1", "RP-1");
  add("repair/RK-4/outage/OUT-1", "RK-4");
  add("", "RK-4");
  EXPECT_THAT(SameIncidentBreaches(report, /*voided=*/false), ::testing::ElementsAre("repair/RK-4/outage/OUT-1"));
  EXPECT_THAT(SameIncidentBreaches(report, /*voided=*/true), ::testing::IsEmpty());
}

TEST(LedgerRulesTest, AmendKeepsTheBreachIdAndTheKind) {
  v1::LedgerEntry entry;
  entry.set_entry_id("LE-1");
  entry.set_kind(v1::LEDGER_ENTRY_KIND_BREACH);
  *entry.mutable_breach() = GoodBreach();
  v1::AddLedgerCorrectionRequest req;
  req.set_kind(v1::CORRECTION_KIND_AMEND);
  *req.mutable_breach() = GoodBreach();
  req.mutable_breach()->set_department("operations");
  EXPECT_TRUE(CheckCorrection(entry, false, req).ok());
  req.mutable_breach()->set_breach_id("other");
  EXPECT_THAT(Fields(CheckCorrection(entry, false, req)), ::testing::ElementsAre("breach.breach_id"));
  req.mutable_red_line_report()->set_rule("RK-1");  // the other kind
  EXPECT_THAT(Fields(CheckCorrection(entry, false, req)), ::testing::ElementsAre("breach"));
}

TEST(LedgerRulesTest, AmendedReportKeepsItsWorkflow) {
  v1::RedLineReport current;
  current.set_report_id("RL-1");
  current.set_rule("RK-8");
  current.set_state(v1::RED_LINE_STATE_INVESTIGATING);
  current.mutable_investigator()->set_staff_id("I-1");
  v1::RedLineReport replacement;
  replacement.set_rule("RK-7");
  replacement.set_department("metering");
  replacement.set_state(v1::RED_LINE_STATE_CONFIRMED);  // ignored: only status changes move a report
  const v1::RedLineReport out = AmendReport(current, replacement);
  EXPECT_EQ(out.rule(), "RK-7");
  EXPECT_EQ(out.department(), "metering");
  EXPECT_EQ(out.state(), v1::RED_LINE_STATE_INVESTIGATING);
  EXPECT_EQ(out.investigator().staff_id(), "I-1");
  EXPECT_EQ(out.report_id(), "RL-1");
}

// --- Statistics -------------------------------------------------------------------

TEST(StatisticsTest, EveryClauseTimesDepartmentWithZerosAndCounts) {
  const std::vector<std::string> departments = {"repair", "operations"};
  const auto stats = BuildStatistics(
      {{"RP-1", "repair", "repair", v1::LEDGER_ENTRY_KIND_BREACH, v1::RED_LINE_STATE_UNSPECIFIED, false, 3},
       {"RP-1", "repair", "repair", v1::LEDGER_ENTRY_KIND_BREACH, v1::RED_LINE_STATE_UNSPECIFIED, true, 1},
       {"RK-8", "repair", "contact-center", v1::LEDGER_ENTRY_KIND_RED_LINE_REPORT, v1::RED_LINE_STATE_CONFIRMED,
        false, 2}},
      Catalogue(), departments, {});
  // Every clause × department, plus the RK-8 row from contact-center (not its owner).
  EXPECT_EQ(stats.size(), static_cast<size_t>(Catalogue().clauses_size()) * 2 + 1);
  int found = 0;
  for (const auto& s : stats) {
    if (s.rule() == "RP-1" && s.department() == "repair") {
      EXPECT_EQ(s.breach_count(), 4);
      EXPECT_EQ(s.forced_count(), 1);
      ++found;
    } else if (s.rule() == "RK-8" && s.service() == "contact-center") {
      EXPECT_EQ(s.red_line_confirmed(), 2);
      ++found;
    } else {
      EXPECT_EQ(s.breach_count() + s.red_line_confirmed(), 0) << s.rule() << " " << s.department();
    }
  }
  EXPECT_EQ(found, 2);
  const auto filtered = BuildStatistics({}, Catalogue(), departments, {"operations", "CC-1", ""});
  ASSERT_EQ(filtered.size(), 1u);
  EXPECT_EQ(filtered[0].service(), "contact-center");
}

}  // namespace
}  // namespace gridserve::risk
