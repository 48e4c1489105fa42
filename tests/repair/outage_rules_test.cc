// Outages and the automatic red lines RK-3 (notice lead time) and RK-4
// (restoration later than the ETR / planned end without a cause).
#include "services/repair/domain/outage_rules.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/config.h"
#include "services/common/rpc_util.h"
#include "tests/common/test_db.h"

namespace gridserve::repair {
namespace {

using ::gridserve::testing::kStart;
using ::testing::HasSubstr;
// When the tests call an outage off (a day after it was planned).
absl::Time CancelledAt() { return kStart + absl::Hours(24); }

class OutageRulesTest : public ::testing::Test {
 protected:
  // Planned start one week and a day after kStart, four hours long.
  const absl::Time planned_start_ = kStart + absl::Hours(24 * 8);
  const absl::Time planned_end_ = planned_start_ + absl::Hours(4);

  v1::Outage Planned(v1::OutageKind kind = v1::OUTAGE_KIND_PLANNED) {
    v1::Outage o;
    o.set_outage_id("OUT-1");
    o.set_kind(kind);
    o.set_department("operations");
    o.add_feeder_ids("F-10");
    o.add_area_codes("A-1");
    o.add_important_customers()->set_customer_id("C-HOSPITAL");
    *o.mutable_planned_start() = ToProto(planned_start_);
    *o.mutable_planned_end() = ToProto(planned_end_);
    rules_.Open(o, kStart);
    return o;
  }
  void Notify(v1::Outage& o, absl::Time at) {
    v1::OutageNotice n;
    n.set_notice_id("ON-1");
    n.set_audience(v1::NOTICE_AUDIENCE_IMPORTANT_CUSTOMER);
    n.set_important_customer_id("C-HOSPITAL");
    n.set_channel(v1::NOTICE_CHANNEL_PHONE);
    *n.mutable_sent_at() = ToProto(at);
    ASSERT_TRUE(rules_.AddNotice(o, n).ok());
  }
  v1::Outage Started() {
    v1::Outage o = Planned();
    Notify(o, planned_start_ - absl::Hours(24 * 7));
    EXPECT_TRUE(rules_.Start(o, planned_start_).ok());
    return o;
  }

  v1::SuiteConfig config_ = DefaultConfig();
  OutageRules rules_{config_};
};

TEST_F(OutageRulesTest, OpenSetsStateAndDefaultEtr) {
  v1::Outage planned = Planned();
  EXPECT_EQ(planned.state(), v1::OUTAGE_STATE_SCHEDULED);
  EXPECT_EQ(FromProto(planned.etr()), planned_end_);
  v1::Outage fault;
  fault.set_kind(v1::OUTAGE_KIND_FAULT);
  *fault.mutable_started_at() = ToProto(kStart);
  rules_.Open(fault, kStart);
  EXPECT_EQ(fault.state(), v1::OUTAGE_STATE_ACTIVE);
  EXPECT_FALSE(fault.has_etr());
}

TEST_F(OutageRulesTest, Rk3NoticeExactlyAtTheLeadTimeIsInTime) {
  v1::Outage o = Planned();
  Notify(o, planned_start_ - absl::Hours(24 * 7));
  auto effects = rules_.Start(o, planned_start_);
  ASSERT_TRUE(effects.ok());
  EXPECT_TRUE(effects->breaches.empty());
  EXPECT_TRUE(effects->red_lines.empty());
  EXPECT_EQ(o.state(), v1::OUTAGE_STATE_ACTIVE);
}

TEST_F(OutageRulesTest, Rk3NoticeOneMicrosecondLateIsReportedToRisk) {
  v1::Outage o = Planned();
  const absl::Time deadline = planned_start_ - absl::Hours(24 * 7);
  Notify(o, deadline + absl::Microseconds(1));
  auto effects = rules_.Start(o, planned_start_);
  ASSERT_TRUE(effects.ok());
  ASSERT_EQ(effects->breaches.size(), 1u);
  ASSERT_EQ(effects->red_lines.size(), 1u);
  const v1::Breach& breach = effects->breaches[0];
  EXPECT_EQ(breach.rule(), "RK-3");
  EXPECT_EQ(breach.breach_id(), "repair/RK-3/outage/OUT-1");
  EXPECT_EQ(breach.subject(), "outage/OUT-1");
  EXPECT_EQ(FromProto(breach.occurred_at()), deadline);
  const v1::ReportRedLineRequest& report = effects->red_lines[0];
  EXPECT_EQ(report.rule(), "RK-3");
  EXPECT_EQ(report.source(), v1::RED_LINE_SOURCE_AUTOMATIC);
  EXPECT_EQ(report.request_id(), "repair/redline/RK-3/outage/OUT-1");
  EXPECT_EQ(report.department(), "operations");
  EXPECT_EQ(report.source_service(), "repair");
  ASSERT_EQ(report.related_breaches_size(), 1);
  EXPECT_EQ(report.related_breaches(0).breach_id(), breach.breach_id());
  EXPECT_THAT(report.description(), HasSubstr("1 notified late"));
}

TEST_F(OutageRulesTest, Rk3ImportantCustomerNeverNotified) {
  v1::Outage o = Planned();
  auto effects = rules_.Start(o, planned_start_);
  ASSERT_TRUE(effects.ok());
  ASSERT_EQ(effects->red_lines.size(), 1u);
  EXPECT_THAT(effects->red_lines[0].description(), HasSubstr("1 not notified"));
}

TEST_F(OutageRulesTest, Rk3TemporaryMaintenanceUses24Hours) {
  v1::Outage on_time = Planned(v1::OUTAGE_KIND_TEMPORARY_MAINTENANCE);
  Notify(on_time, planned_start_ - absl::Hours(24));
  EXPECT_TRUE(rules_.Start(on_time, planned_start_)->red_lines.empty());
  v1::Outage late = Planned(v1::OUTAGE_KIND_TEMPORARY_MAINTENANCE);
  Notify(late, planned_start_ - absl::Hours(24) + absl::Microseconds(1));
  EXPECT_EQ(rules_.Start(late, planned_start_)->red_lines.size(), 1u);
}

TEST_F(OutageRulesTest, EarliestNoticeCounts) {
  v1::Outage o = Planned();
  Notify(o, planned_start_ - absl::Hours(24));       // late reminder
  Notify(o, planned_start_ - absl::Hours(24 * 10));  // but the first notice was early
  EXPECT_EQ(FromProto(o.important_customers(0).first_noticed_at()), planned_start_ - absl::Hours(24 * 10));
  EXPECT_TRUE(rules_.Start(o, planned_start_)->red_lines.empty());
}

TEST_F(OutageRulesTest, NoticeChecks) {
  v1::Outage o = Planned();
  v1::OutageNotice stranger;
  stranger.set_audience(v1::NOTICE_AUDIENCE_IMPORTANT_CUSTOMER);
  stranger.set_important_customer_id("C-OTHER");
  auto s = rules_.AddNotice(o, stranger);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolationsOf(s).at(0).field, "important_customer_id");
  ASSERT_TRUE(rules_.Cancel(o, "weather", CancelledAt()).ok());
  v1::OutageNotice pub;
  pub.set_audience(v1::NOTICE_AUDIENCE_PUBLIC);
  EXPECT_EQ(rules_.AddNotice(o, pub).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(OutageRulesTest, StartAndCancelTransitions) {
  v1::Outage o = Started();
  EXPECT_EQ(rules_.Start(o, planned_start_).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(rules_.Cancel(o, "x", CancelledAt()).code(), absl::StatusCode::kFailedPrecondition);
  v1::Outage scheduled = Planned();
  EXPECT_EQ(rules_.Restore(scheduled, planned_end_, "").status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(rules_.Cancel(scheduled, "weather", CancelledAt()).ok());
  EXPECT_EQ(scheduled.state(), v1::OUTAGE_STATE_CANCELLED);
  EXPECT_EQ(scheduled.cancel_reason(), "weather");
  EXPECT_EQ(FromProto(scheduled.cancelled_at()), CancelledAt());
  EXPECT_EQ(rules_.Cancel(scheduled, "again", CancelledAt()).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(OutageRulesTest, FaultOutageHasNoRk3) {
  // A fault outage cannot be announced: it starts ACTIVE at creation (there
  // is no RecordOutageStart to judge) and its restoration raises no RK-3,
  // even with an important customer never notified.
  v1::Outage fault;
  fault.set_outage_id("OUT-2");
  fault.set_kind(v1::OUTAGE_KIND_FAULT);
  fault.add_important_customers()->set_customer_id("C-HOSPITAL");
  *fault.mutable_started_at() = ToProto(kStart);
  rules_.Open(fault, kStart);
  EXPECT_FALSE(rules_.NoticeDeadline(fault).has_value());
  EXPECT_EQ(rules_.Start(fault, kStart).status().code(), absl::StatusCode::kFailedPrecondition);
  auto restored = rules_.Restore(fault, kStart + absl::Hours(2), "");
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_TRUE(restored->breaches.empty());
  EXPECT_TRUE(restored->red_lines.empty());
}

TEST_F(OutageRulesTest, Rk3LeadTimeRunsBackFromAnEarlierActualCut) {
  // Notified exactly 7 days before planned_start, but the supply is cut 2
  // days early: the customer had 5 days' notice of the real cut.
  v1::Outage o = Planned();
  Notify(o, planned_start_ - absl::Hours(24 * 7));
  const absl::Time cut = planned_start_ - absl::Hours(24 * 2);
  auto effects = rules_.Start(o, cut);
  ASSERT_TRUE(effects.ok()) << effects.status();
  ASSERT_EQ(effects->red_lines.size(), 1u);
  EXPECT_EQ(effects->breaches[0].rule(), "RK-3");
  EXPECT_EQ(FromProto(effects->breaches[0].occurred_at()), cut - absl::Hours(24 * 7));
  EXPECT_THAT(effects->red_lines[0].description(), HasSubstr("1 notified late"));
  EXPECT_EQ(*rules_.NoticeDeadline(o), cut - absl::Hours(24 * 7));

  // Seven full days before the early cut is in time.
  v1::Outage early_but_noticed = Planned();
  Notify(early_but_noticed, cut - absl::Hours(24 * 7));
  auto fine = rules_.Start(early_but_noticed, cut);
  ASSERT_TRUE(fine.ok());
  EXPECT_TRUE(fine->red_lines.empty());
  // A late start keeps the lead measured to planned_start (what was announced).
  v1::Outage late_start = Planned();
  Notify(late_start, planned_start_ - absl::Hours(24 * 7));
  EXPECT_TRUE(rules_.Start(late_start, planned_start_ + absl::Hours(1))->red_lines.empty());
}

TEST_F(OutageRulesTest, RefusalsNameTheClauseOnce) {
  v1::Outage o = Planned();
  ASSERT_TRUE(rules_.Cancel(o, "weather", CancelledAt()).ok());
  const absl::Status again = rules_.Cancel(o, "again", CancelledAt());
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(again.message(), "RK-4: outage already cancelled");
}

TEST_F(OutageRulesTest, Rk4RestoredExactlyAtEtrIsInTime) {
  v1::Outage o = Started();
  auto effects = rules_.Restore(o, planned_end_, "");
  ASSERT_TRUE(effects.ok());
  EXPECT_TRUE(effects->red_lines.empty());
  EXPECT_EQ(o.state(), v1::OUTAGE_STATE_RESTORED);
  EXPECT_EQ(rules_.Restore(o, planned_end_, "").status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(OutageRulesTest, Rk4LateWithoutCauseIsReported) {
  v1::Outage o = Started();
  auto effects = rules_.Restore(o, planned_end_ + absl::Microseconds(1), "");
  ASSERT_TRUE(effects.ok());
  ASSERT_EQ(effects->red_lines.size(), 1u);
  EXPECT_EQ(effects->red_lines[0].rule(), "RK-4");
  EXPECT_EQ(effects->breaches[0].breach_id(), "repair/RK-4/outage/OUT-1");
  EXPECT_EQ(FromProto(effects->breaches[0].occurred_at()), planned_end_);
}

TEST_F(OutageRulesTest, Rk4LateWithRecordedCauseIsNotReported) {
  v1::Outage o = Started();
  auto effects = rules_.Restore(o, planned_end_ + absl::Hours(1), "transformer failed during work");
  ASSERT_TRUE(effects.ok());
  EXPECT_TRUE(effects->red_lines.empty());
}

// RK-4: whitespace is no recorded cause: the late restoration is reported
// once, and the outage keeps no blank cause.
TEST_F(OutageRulesTest, Rk4LateWithABlankCauseIsReported) {
  v1::Outage o = Started();
  auto effects = rules_.Restore(o, planned_end_ + absl::Hours(1), "  \t ");
  ASSERT_TRUE(effects.ok());
  ASSERT_EQ(effects->red_lines.size(), 1u);
  EXPECT_EQ(effects->red_lines[0].rule(), "RK-4");
  ASSERT_EQ(effects->breaches.size(), 1u);
  EXPECT_EQ(effects->breaches[0].rule(), "RK-4");
  EXPECT_EQ(o.delay_cause(), "");
  // A real cause is kept without its padding.
  v1::Outage padded = Started();
  EXPECT_TRUE(rules_.Restore(padded, planned_end_ + absl::Hours(1), " cable fault ")->red_lines.empty());
  EXPECT_EQ(padded.delay_cause(), "cable fault");
}

TEST_F(OutageRulesTest, Rk4JudgedAgainstTheCurrentEtrPlusGrace) {
  config_.mutable_repair()->mutable_restoration_grace()->set_seconds(600);
  v1::Outage o = Started();
  const absl::Time new_etr = planned_end_ + absl::Hours(2);
  EXPECT_EQ(rules_.UpdateEtr(o, planned_start_, planned_start_ + absl::Minutes(1), "x").code(),
            absl::StatusCode::kInvalidArgument);  // an estimate in the past
  ASSERT_TRUE(rules_.UpdateEtr(o, new_etr, planned_end_ - absl::Minutes(30), "cable fault found").ok());
  EXPECT_EQ(o.etr_updates_size(), 1);
  EXPECT_EQ(*rules_.RestorationDeadline(o), new_etr + absl::Minutes(10));
  v1::Outage copy = o;
  EXPECT_TRUE(rules_.Restore(copy, new_etr + absl::Minutes(10), "")->red_lines.empty());
  EXPECT_EQ(rules_.Restore(o, new_etr + absl::Minutes(10) + absl::Microseconds(1), "")->red_lines.size(), 1u);
}

TEST_F(OutageRulesTest, Rk4AnEtrMovedAfterItPassedNeedsTheCauseOfTheDelay) {
  v1::Outage o = Started();
  const absl::Time after_end = planned_end_ + absl::Minutes(30);
  const absl::Time new_etr = planned_end_ + absl::Hours(2);
  // The ETR in force (planned_end) has passed: a silent re-estimate would
  // make a late restoration look on time.
  const absl::Status silent = rules_.UpdateEtr(o, new_etr, after_end, "");
  EXPECT_EQ(silent.code(), absl::StatusCode::kInvalidArgument);
  ASSERT_FALSE(FieldViolationsOf(silent).empty());
  EXPECT_EQ(FieldViolationsOf(silent).at(0).field, "reason");
  EXPECT_EQ(o.etr_updates_size(), 0);
  EXPECT_EQ(FromProto(o.etr()), planned_end_);
  EXPECT_EQ(*rules_.RestorationDeadline(o), planned_end_);
  v1::Outage silent_copy = o;
  EXPECT_EQ(rules_.Restore(silent_copy, new_etr, "")->red_lines.size(), 1u);

  // With the cause recorded the new ETR is the reference from then on.
  ASSERT_TRUE(rules_.UpdateEtr(o, new_etr, after_end, "cable joint failed under test").ok());
  EXPECT_EQ(*rules_.RestorationDeadline(o), new_etr);
  v1::Outage copy = o;
  EXPECT_TRUE(rules_.Restore(copy, new_etr, "")->red_lines.empty());
  EXPECT_EQ(rules_.Restore(o, new_etr + absl::Microseconds(1), "")->red_lines.size(), 1u);
}

// RK-4: an update dated before the last one cannot slip under the "ETR in
// force has passed" rule by claiming an earlier time.
TEST_F(OutageRulesTest, Rk4EtrUpdatesComeInTheOrderTheyWereMade) {
  v1::Outage o = Started();
  ASSERT_TRUE(
      rules_.UpdateEtr(o, planned_end_ + absl::Hours(1), planned_end_ - absl::Minutes(30), "cable fault").ok());
  const absl::Status backdated =
      rules_.UpdateEtr(o, planned_end_ + absl::Hours(5), planned_end_ - absl::Minutes(40), "cable fault");
  EXPECT_EQ(backdated.code(), absl::StatusCode::kInvalidArgument);
  ASSERT_FALSE(FieldViolationsOf(backdated).empty());
  EXPECT_EQ(FieldViolationsOf(backdated).at(0).field, "updated_at");
  EXPECT_EQ(o.etr_updates_size(), 1);
  EXPECT_EQ(FromProto(o.etr()), planned_end_ + absl::Hours(1));
  // At the same time as the last one is in order.
  EXPECT_TRUE(
      rules_.UpdateEtr(o, planned_end_ + absl::Hours(2), planned_end_ - absl::Minutes(30), "second joint").ok());
}

// A fault outage has no announced end: re-estimating before the ETR in force
// passes records no delay yet, so it needs no reason.
TEST_F(OutageRulesTest, Rk4AFaultOutageEtrUpdatedBeforeItPassesNeedsNoReason) {
  v1::Outage fault;
  fault.set_outage_id("OUT-5");
  fault.set_kind(v1::OUTAGE_KIND_FAULT);
  *fault.mutable_started_at() = ToProto(kStart);
  *fault.mutable_etr() = ToProto(kStart + absl::Hours(2));
  rules_.Open(fault, kStart);
  const absl::Time new_etr = kStart + absl::Hours(5);
  ASSERT_TRUE(rules_.UpdateEtr(fault, new_etr, kStart + absl::Hours(2), "").ok());  // exactly at the ETR
  EXPECT_EQ(*rules_.RestorationDeadline(fault), new_etr);
}

// RK-4 "restored after the planned end ... with no recorded cause": a planned
// outage's planned_end is the end announced to customers. This used to pass
// silently (Rk4AnEtrUpdatedBeforeItPassesNeedsNoReason): an update a minute
// before planned_end moved the end five hours later with no reason, and the
// restoration after the announced end raised nothing. Now any ETR beyond the
// announced end needs its cause, whenever it is made.
TEST_F(OutageRulesTest, Rk4AnEtrBeyondThePlannedEndNeedsACauseEvenBeforeTheEndPasses) {
  v1::Outage o = Started();
  const absl::Time new_etr = planned_end_ + absl::Hours(5);
  const absl::Time just_before = planned_end_ - absl::Minutes(1);
  const absl::Status silent = rules_.UpdateEtr(o, new_etr, just_before, " ");
  EXPECT_EQ(silent.code(), absl::StatusCode::kInvalidArgument);
  ASSERT_FALSE(FieldViolationsOf(silent).empty());
  EXPECT_EQ(FieldViolationsOf(silent).at(0).field, "reason");
  EXPECT_THAT(FieldViolationsOf(silent).at(0).description, HasSubstr("RK-4"));
  EXPECT_EQ(o.etr_updates_size(), 0);
  EXPECT_EQ(*rules_.RestorationDeadline(o), planned_end_);
  v1::Outage silent_copy = o;
  EXPECT_EQ(rules_.Restore(silent_copy, new_etr, "")->red_lines.size(), 1u);

  // Up to the announced end is no delay: no reason needed.
  ASSERT_TRUE(rules_.UpdateEtr(o, planned_end_, just_before, "").ok());
  // With its cause the later end is the reference from then on; an estimate
  // back within it delays nothing further, one beyond it needs a cause again.
  ASSERT_TRUE(rules_.UpdateEtr(o, new_etr, just_before, "insulator damage found during the work").ok());
  EXPECT_EQ(*rules_.RestorationDeadline(o), new_etr);
  ASSERT_TRUE(rules_.UpdateEtr(o, new_etr - absl::Hours(1), just_before, "").ok());
  EXPECT_EQ(rules_.UpdateEtr(o, new_etr, just_before, "").code(), absl::StatusCode::kInvalidArgument);
  v1::Outage copy = o;
  EXPECT_TRUE(rules_.Restore(copy, new_etr - absl::Hours(1), "")->red_lines.empty());
  EXPECT_EQ(rules_.Restore(o, new_etr, "")->red_lines.size(), 1u);

  // Temporary maintenance announces its end too; it need not have started.
  v1::Outage maintenance = Planned(v1::OUTAGE_KIND_TEMPORARY_MAINTENANCE);
  EXPECT_EQ(rules_.UpdateEtr(maintenance, planned_end_ + absl::Microseconds(1), kStart, "").code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(OutageRulesTest, Rk4APlannedOutageIsJudgedAgainstPlannedEndNotACreationEtr) {
  v1::Outage o;
  o.set_outage_id("OUT-3");
  o.set_kind(v1::OUTAGE_KIND_PLANNED);
  *o.mutable_planned_start() = ToProto(planned_start_);
  *o.mutable_planned_end() = ToProto(planned_end_);
  *o.mutable_etr() = ToProto(planned_end_ + absl::Hours(3));  // a later "estimate" given at creation
  rules_.Open(o, kStart);
  EXPECT_EQ(FromProto(o.etr()), planned_end_ + absl::Hours(3));  // told to callers (CC-4)
  EXPECT_EQ(*rules_.RestorationDeadline(o), planned_end_);       // but the announced end is the promise
  ASSERT_TRUE(rules_.Start(o, planned_start_).ok());
  auto effects = rules_.Restore(o, planned_end_ + absl::Hours(2), "");
  ASSERT_TRUE(effects.ok());
  ASSERT_EQ(effects->red_lines.size(), 1u);
  EXPECT_EQ(effects->red_lines[0].rule(), "RK-4");

  // A fault outage has no announced end: its first ETR is the reference.
  v1::Outage fault;
  fault.set_outage_id("OUT-4");
  fault.set_kind(v1::OUTAGE_KIND_FAULT);
  *fault.mutable_started_at() = ToProto(kStart);
  *fault.mutable_etr() = ToProto(kStart + absl::Hours(3));
  rules_.Open(fault, kStart);
  EXPECT_EQ(*rules_.RestorationDeadline(fault), kStart + absl::Hours(3));
}

TEST_F(OutageRulesTest, CoversMatchesFeederThenAreaWhileSupplyIsCut) {
  v1::Outage o = Started();
  v1::Location feeder;
  feeder.set_feeder_id("F-10");
  v1::Location area;
  area.set_area_code("A-1");
  v1::Location elsewhere;
  elsewhere.set_area_code("A-2");
  EXPECT_EQ(OutageRules::Covers(o, feeder, planned_start_), OutageMatch::kFeeder);
  EXPECT_EQ(OutageRules::Covers(o, area, planned_start_ + absl::Hours(1)), OutageMatch::kArea);
  EXPECT_EQ(OutageRules::Covers(o, elsewhere, planned_start_), OutageMatch::kNone);
  EXPECT_EQ(OutageRules::Covers(o, feeder, planned_start_ - absl::Microseconds(1)), OutageMatch::kNone);
  ASSERT_TRUE(rules_.Restore(o, planned_end_, "").ok());
  EXPECT_EQ(OutageRules::Covers(o, feeder, planned_end_ - absl::Microseconds(1)), OutageMatch::kFeeder);
  EXPECT_EQ(OutageRules::Covers(o, feeder, planned_end_), OutageMatch::kNone);
}

}  // namespace
}  // namespace gridserve::repair
