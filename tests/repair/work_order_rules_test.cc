// RP-1..RP-5 as domain steps on a work order (no database, no gRPC).
#include "services/repair/domain/work_order_rules.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/config.h"
#include "services/common/rpc_util.h"
#include "tests/common/test_db.h"

namespace gridserve::repair {
namespace {

using ::gridserve::testing::kStart;
using ::testing::HasSubstr;

class WorkOrderRulesTest : public ::testing::Test {
 protected:
  v1::WorkOrder NewOrder(const std::string& area = "urban") {
    v1::WorkOrder order;
    order.set_work_order_id("WO-1");
    order.set_department("repair");
    order.mutable_location()->set_address("1 Grid Road");
    order.mutable_location()->set_area_class(area);
    *order.mutable_dispatched_at() = ToProto(kStart);
    EXPECT_TRUE(rules_.Open(order).ok());
    return order;
  }
  v1::StaffRef Staff() {
    v1::StaffRef s;
    s.set_staff_id("S-1");
    s.set_department("repair");
    return s;
  }
  v1::WorkOrder Arrived() {
    v1::WorkOrder order = NewOrder();
    EXPECT_TRUE(rules_.Arrive(order, Staff(), kStart + absl::Minutes(30), true, "asked").ok());
    return order;
  }
  // Borrows item BI-1 (40 min), enters the premises (PE-1, 35 min) and
  // restores supply (1 h): an item out and the crew inside at restoration.
  void BorrowEnterAndRestore(v1::WorkOrder& order) {
    v1::BorrowedItem item;
    item.set_item_id("BI-1");
    item.set_permission_asked(true);
    *item.mutable_borrowed_at() = ToProto(kStart + absl::Minutes(40));
    ASSERT_TRUE(rules_.BorrowItem(order, item).ok());
    ASSERT_TRUE(rules_.EnterPremises(order, Entry(), false).ok());
    ASSERT_TRUE(rules_.Restore(order, Staff(), kStart + absl::Hours(1), "fuse", "replaced").ok());
  }
  v1::PremisesEntry Entry(bool consent = true) {
    v1::PremisesEntry e;
    e.set_entry_id("PE-1");
    *e.mutable_staff() = Staff();
    *e.mutable_entered_at() = ToProto(kStart + absl::Minutes(35));
    e.set_knocked(true);
    e.set_id_shown(true);
    e.set_shoe_covers(true);
    e.set_consent_given(consent);
    return e;
  }
  v1::Checklist FullChecklist() {
    v1::Checklist c;
    for (const char* item : {kSiteCleanedItem, kNoResidueItem}) {
      auto* i = c.add_items();
      i->set_item(item);
      i->set_done(true);
    }
    return c;
  }
  static void ExpectRefused(const absl::Status& s, const std::string& clause) {
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr(clause));
  }

  v1::SuiteConfig config_ = DefaultConfig();
  WorkOrderRules rules_{config_};
};

TEST_F(WorkOrderRulesTest, ArrivalPromiseByAreaClass) {
  EXPECT_EQ(*rules_.ArrivalDue("urban", kStart), kStart + absl::Minutes(45));
  EXPECT_EQ(*rules_.ArrivalDue("rural", kStart), kStart + absl::Minutes(90));
  EXPECT_EQ(*rules_.ArrivalDue("remote", kStart), kStart + absl::Minutes(120));
  EXPECT_EQ(*rules_.RestorationDue("urban", kStart), kStart + absl::Hours(3));
  EXPECT_EQ(*rules_.RestorationDue("rural", kStart), kStart + absl::Hours(4));
  EXPECT_EQ(rules_.ArrivalDue("lunar", kStart).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(WorkOrderRulesTest, OpenStartsTheArrivalClockAtTheDispatch) {
  v1::WorkOrder order;
  order.set_work_order_id("WO-1");
  order.set_department("repair");
  order.mutable_location()->set_area_class("rural");
  *order.mutable_dispatched_at() = ToProto(kStart);
  auto effects = rules_.Open(order);
  ASSERT_TRUE(effects.ok());
  EXPECT_EQ(order.state(), v1::WORK_ORDER_STATE_DISPATCHED);
  ASSERT_EQ(effects->start.size(), 1u);
  EXPECT_EQ(effects->start[0].sla, kArrivalSla);
  EXPECT_EQ(effects->start[0].subject, "work_order/WO-1");
  EXPECT_EQ(effects->start[0].started_at, kStart);
  EXPECT_EQ(effects->start[0].due_at, kStart + absl::Minutes(90));
}

TEST_F(WorkOrderRulesTest, AcknowledgeOnlyOnceAndNotBeforeDispatch) {
  v1::WorkOrder order = NewOrder();
  const auto early = rules_.Acknowledge(order, {Staff()}, kStart - absl::Seconds(1));
  ASSERT_EQ(early.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolationsOf(early.status()).at(0).field, "acknowledged_at");
  ASSERT_TRUE(rules_.Acknowledge(order, {Staff()}, kStart + absl::Minutes(1)).ok());
  EXPECT_EQ(order.state(), v1::WORK_ORDER_STATE_ACKNOWLEDGED);
  ExpectRefused(rules_.Acknowledge(order, {Staff()}, kStart + absl::Minutes(2)).status(), "RP-1");
}

TEST_F(WorkOrderRulesTest, ArrivalStopsArrivalClockAndStartsRestorationClock) {
  v1::WorkOrder order = NewOrder("rural");
  const absl::Time at = kStart + absl::Minutes(90);  // exactly at the promise
  auto effects = rules_.Arrive(order, Staff(), at, true, "asked, surveyed");
  ASSERT_TRUE(effects.ok());
  EXPECT_EQ(order.state(), v1::WORK_ORDER_STATE_ON_SITE);
  ASSERT_EQ(effects->stop.size(), 1u);
  EXPECT_EQ(effects->stop[0].sla, kArrivalSla);
  EXPECT_EQ(effects->stop[0].at, at);
  ASSERT_EQ(effects->start.size(), 1u);
  EXPECT_EQ(effects->start[0].sla, kRestorationSla);
  EXPECT_EQ(effects->start[0].due_at, at + absl::Hours(4));
  EXPECT_TRUE(effects->breaches.empty());
  EXPECT_EQ(order.crew_size(), 1);
}

TEST_F(WorkOrderRulesTest, ArrivalOrderingIsChecked) {
  v1::WorkOrder order = NewOrder();
  auto before = rules_.Arrive(order, Staff(), kStart - absl::Microseconds(1), true, "");
  EXPECT_EQ(before.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolationsOf(before.status()).at(0).field, "arrived_at");
  ASSERT_TRUE(rules_.Acknowledge(order, {Staff()}, kStart + absl::Minutes(10)).ok());
  const auto before_acknowledged = rules_.Arrive(order, Staff(), kStart + absl::Minutes(5), true, "");
  ASSERT_EQ(before_acknowledged.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolationsOf(before_acknowledged.status()).at(0).field, "arrived_at");
  ASSERT_TRUE(rules_.Arrive(order, Staff(), kStart + absl::Minutes(20), true, "").ok());
  ExpectRefused(rules_.Arrive(order, Staff(), kStart + absl::Minutes(21), true, "").status(), "RP-1");
}

TEST_F(WorkOrderRulesTest, CancelBeforeArrivalWithdrawsTheArrivalClock) {
  v1::WorkOrder order = NewOrder();
  ASSERT_TRUE(rules_.Acknowledge(order, {Staff()}, kStart + absl::Minutes(5)).ok());
  const absl::Time at = kStart + absl::Minutes(20);
  auto effects = rules_.Cancel(order, Staff(), at, "customer reports supply back");
  ASSERT_TRUE(effects.ok()) << effects.status();
  EXPECT_EQ(order.state(), v1::WORK_ORDER_STATE_CANCELLED);
  EXPECT_EQ(FromProto(order.cancelled_at()), at);
  EXPECT_EQ(order.cancel_reason(), "customer reports supply back");
  EXPECT_EQ(order.cancelled_by().staff_id(), "S-1");
  // RP-1: withdrawn (SlaClock::Withdraw decides met/breach by `at`), never stopped as an arrival.
  ASSERT_EQ(effects->withdraw.size(), 1u);
  EXPECT_EQ(effects->withdraw[0].sla, kArrivalSla);
  EXPECT_EQ(effects->withdraw[0].at, at);
  EXPECT_TRUE(effects->stop.empty());
  EXPECT_TRUE(effects->start.empty());
  EXPECT_TRUE(effects->breaches.empty());
}

TEST_F(WorkOrderRulesTest, CancelIsRefusedOnceTheCrewArrivedAndEndsTheOrder) {
  v1::WorkOrder arrived = Arrived();
  ExpectRefused(rules_.Cancel(arrived, Staff(), kStart + absl::Minutes(31), "duplicate").status(), "RP-1");
  EXPECT_EQ(arrived.state(), v1::WORK_ORDER_STATE_ON_SITE);

  v1::WorkOrder order = NewOrder();
  ASSERT_TRUE(rules_.Acknowledge(order, {Staff()}, kStart + absl::Minutes(10)).ok());
  auto early = rules_.Cancel(order, Staff(), kStart + absl::Minutes(5), "duplicate");
  EXPECT_EQ(early.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolationsOf(early.status()).at(0).field, "cancelled_at");
  ASSERT_TRUE(rules_.Cancel(order, Staff(), kStart + absl::Minutes(15), "duplicate").ok());
  // A cancelled order takes no further step.
  ExpectRefused(rules_.Cancel(order, Staff(), kStart + absl::Minutes(16), "again").status(), "already cancelled");
  ExpectRefused(rules_.Arrive(order, Staff(), kStart + absl::Minutes(20), true, "").status(), "cancelled");
  ExpectRefused(rules_.Acknowledge(order, {Staff()}, kStart + absl::Minutes(20)).status(), "CANCELLED");
  ExpectRefused(rules_.Restore(order, Staff(), kStart + absl::Hours(1), "", "").status(), "work order cancelled");
}

TEST_F(WorkOrderRulesTest, NotSurveyingOnArrivalIsAnRp1CheckBreach) {
  v1::WorkOrder order = NewOrder();
  auto effects = rules_.Arrive(order, Staff(), kStart + absl::Minutes(10), false, "");
  ASSERT_TRUE(effects.ok());
  ASSERT_EQ(effects->breaches.size(), 1u);
  EXPECT_EQ(effects->breaches[0].rule(), "RP-1");
  EXPECT_EQ(effects->breaches[0].mechanism(), v1::MECHANISM_CHECK);
  EXPECT_EQ(effects->breaches[0].breach_id(), "repair/RP-1/work_order/WO-1/survey");
  EXPECT_EQ(effects->breaches[0].staff_id(), "S-1");
}

TEST_F(WorkOrderRulesTest, PremisesEntryNeedsArrivalAndConsent) {
  v1::WorkOrder order = NewOrder();
  ExpectRefused(rules_.EnterPremises(order, Entry(), false).status(), "RP-2");  // not arrived
  order = Arrived();
  auto refused = rules_.EnterPremises(order, Entry(/*consent=*/false), /*force=*/false);
  ExpectRefused(refused.status(), "RP-2: no consent");
  // The clause appears once (PreconditionFailed adds it), as repair.proto documents.
  EXPECT_EQ(refused.status().message(), "RP-2: no consent (the customer must agree before the crew enters)");
  EXPECT_EQ(order.premises_entries_size(), 0);
  auto ok = rules_.EnterPremises(order, Entry(), false);
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->breaches.empty());
  EXPECT_EQ(order.premises_entries_size(), 1);
}

TEST_F(WorkOrderRulesTest, ForcedEntryIsRecordedAsAGateBreach) {
  v1::WorkOrder order = Arrived();
  v1::PremisesEntry entry = Entry(/*consent=*/false);
  entry.set_force_reason("gas smell, danger to life");
  auto effects = rules_.EnterPremises(order, entry, /*force=*/true);
  ASSERT_TRUE(effects.ok());
  ASSERT_EQ(effects->breaches.size(), 1u);
  EXPECT_EQ(effects->breaches[0].rule(), "RP-2");
  EXPECT_EQ(effects->breaches[0].mechanism(), v1::MECHANISM_GATE);
  EXPECT_TRUE(effects->breaches[0].forced());
  EXPECT_TRUE(order.premises_entries(0).forced());
}

TEST_F(WorkOrderRulesTest, MissingKnockIdOrShoeCoversIsAnRp2CheckBreach) {
  for (int missing = 0; missing < 3; ++missing) {
    v1::WorkOrder order = Arrived();
    v1::PremisesEntry entry = Entry();
    if (missing == 0) entry.set_knocked(false);
    if (missing == 1) entry.set_id_shown(false);
    if (missing == 2) entry.set_shoe_covers(false);
    auto effects = rules_.EnterPremises(order, entry, false);
    ASSERT_TRUE(effects.ok());
    ASSERT_EQ(effects->breaches.size(), 1u) << missing;
    EXPECT_EQ(effects->breaches[0].rule(), "RP-2");
    EXPECT_EQ(effects->breaches[0].mechanism(), v1::MECHANISM_CHECK);
  }
}

TEST_F(WorkOrderRulesTest, PremisesExitWithoutCleanUpOrThanksIsAnRp2Breach) {
  v1::WorkOrder order = Arrived();
  ASSERT_TRUE(rules_.EnterPremises(order, Entry(), false).ok());
  EXPECT_EQ(rules_.ExitPremises(order, "PE-9", kStart + absl::Hours(1), true, true).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(rules_.ExitPremises(order, "PE-1", kStart, true, true).status().code(),
            absl::StatusCode::kInvalidArgument);  // before entered_at
  auto effects = rules_.ExitPremises(order, "PE-1", kStart + absl::Hours(1), /*cleaned_up=*/false, /*thanked=*/true);
  ASSERT_TRUE(effects.ok());
  ASSERT_EQ(effects->breaches.size(), 1u);
  EXPECT_EQ(effects->breaches[0].rule(), "RP-2");
  ExpectRefused(rules_.ExitPremises(order, "PE-1", kStart + absl::Hours(2), true, true).status(), "RP-2");

  v1::WorkOrder polite = Arrived();
  ASSERT_TRUE(rules_.EnterPremises(polite, Entry(), false).ok());
  auto clean = rules_.ExitPremises(polite, "PE-1", kStart + absl::Hours(1), true, true);
  ASSERT_TRUE(clean.ok());
  EXPECT_TRUE(clean->breaches.empty());
}

TEST_F(WorkOrderRulesTest, BorrowingWithoutAskingAndCarelessReturnAreRp3Breaches) {
  v1::WorkOrder order = Arrived();
  v1::BorrowedItem item;
  item.set_item_id("BI-1");
  item.set_description("ladder");
  item.set_permission_asked(false);
  *item.mutable_borrowed_at() = ToProto(kStart + absl::Minutes(40));
  auto borrowed = rules_.BorrowItem(order, item);
  ASSERT_TRUE(borrowed.ok());
  ASSERT_EQ(borrowed->breaches.size(), 1u);
  EXPECT_EQ(borrowed->breaches[0].rule(), "RP-3");

  auto returned = rules_.ReturnItem(order, "BI-1", kStart + absl::Minutes(50), true, /*gently=*/false, true);
  ASSERT_TRUE(returned.ok());
  ASSERT_EQ(returned->breaches.size(), 1u);
  EXPECT_EQ(returned->breaches[0].rule(), "RP-3");
  EXPECT_THAT(returned->breaches[0].detail(), HasSubstr("gently"));
  ExpectRefused(rules_.ReturnItem(order, "BI-1", kStart + absl::Minutes(51), true, true, true).status(), "RP-3");
  EXPECT_EQ(rules_.ReturnItem(order, "BI-2", kStart + absl::Minutes(51), true, true, true).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(WorkOrderRulesTest, CompletionGates) {
  v1::WorkOrder order = Arrived();
  ExpectRefused(rules_.Complete(order, Staff(), kStart + absl::Hours(2), FullChecklist()).status(), "RP-1");
  BorrowEnterAndRestore(order);

  // RP-3: an item is still out.
  ExpectRefused(rules_.Complete(order, Staff(), kStart + absl::Hours(2), FullChecklist()).status(), "RP-3: item out");
  ASSERT_TRUE(rules_.ReturnItem(order, "BI-1", kStart + absl::Minutes(70), true, true, true).ok());
  // RP-2: the premises entry is still open.
  ExpectRefused(rules_.Complete(order, Staff(), kStart + absl::Hours(2), FullChecklist()).status(), "RP-2");
  ASSERT_TRUE(rules_.ExitPremises(order, "PE-1", kStart + absl::Minutes(75), true, true).ok());
  // RP-5: the checklist must say site cleaned and no residue.
  v1::Checklist partial = FullChecklist();
  partial.mutable_items(1)->set_done(false);
  auto refused = rules_.Complete(order, Staff(), kStart + absl::Hours(2), partial);
  ExpectRefused(refused.status(), "RP-5: checklist incomplete");
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("no_residue"));
  ExpectRefused(rules_.Complete(order, Staff(), kStart + absl::Hours(2), v1::Checklist()).status(), "RP-5");

  ASSERT_TRUE(rules_.Complete(order, Staff(), kStart + absl::Hours(2), FullChecklist()).ok());
  EXPECT_EQ(order.state(), v1::WORK_ORDER_STATE_COMPLETED);
  ExpectRefused(rules_.Complete(order, Staff(), kStart + absl::Hours(3), FullChecklist()).status(), "RP-1");
  // Nothing on site after completion.
  ExpectRefused(rules_.EnterPremises(order, Entry(), false).status(), "RP-2");
}

TEST_F(WorkOrderRulesTest, CompletionBeforeAnItemCameBackOrTheCrewLeftIsRefused) {
  v1::WorkOrder order = Arrived();
  BorrowEnterAndRestore(order);
  // Both are recorded, but dated after the completion the crew claims.
  ASSERT_TRUE(rules_.ReturnItem(order, "BI-1", kStart + absl::Hours(3), true, true, true).ok());
  ASSERT_TRUE(rules_.ExitPremises(order, "PE-1", kStart + absl::Hours(4), true, true).ok());
  const absl::Time claimed = kStart + absl::Hours(2);
  auto item_out = rules_.Complete(order, Staff(), claimed, FullChecklist());
  ExpectRefused(item_out.status(), "RP-3: item out");
  EXPECT_EQ(item_out.status().message(), "RP-3: item out: borrowed item BI-1 not returned by completed_at");
  ExpectRefused(rules_.Complete(order, Staff(), kStart + absl::Hours(3), FullChecklist()).status(),
                "RP-2: premises entry PE-1 still open at completed_at");
  EXPECT_EQ(order.state(), v1::WORK_ORDER_STATE_RESTORED);
  ASSERT_TRUE(rules_.Complete(order, Staff(), kStart + absl::Hours(4), FullChecklist()).ok());  // at the exit: in time
}

TEST_F(WorkOrderRulesTest, RestorationStopsItsClockAndNeedsArrival) {
  v1::WorkOrder order = NewOrder();
  ExpectRefused(rules_.Restore(order, Staff(), kStart + absl::Hours(1), "", "").status(), "RP-1");
  order = Arrived();
  const auto before_arrival = rules_.Restore(order, Staff(), kStart, "", "");
  ASSERT_EQ(before_arrival.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolationsOf(before_arrival.status()).at(0).field, "restored_at");
  auto effects = rules_.Restore(order, Staff(), kStart + absl::Hours(1), "fuse", "replaced");
  ASSERT_TRUE(effects.ok());
  ASSERT_EQ(effects->stop.size(), 1u);
  EXPECT_EQ(effects->stop[0].sla, kRestorationSla);
  EXPECT_EQ(order.state(), v1::WORK_ORDER_STATE_RESTORED);
  ExpectRefused(rules_.Restore(order, Staff(), kStart + absl::Hours(2), "", "").status(), "RP-1");
}

TEST_F(WorkOrderRulesTest, UncivilLanguageAndFailedSurveyItemsAreReviewBreaches) {
  v1::WorkOrder order = Arrived();
  v1::Feedback feedback;
  feedback.set_satisfaction(2);
  v1::QualityReview review;
  auto* item = review.add_items();
  item->set_clause("RP-5");
  item->set_item("residue_left");
  item->set_result(v1::REVIEW_RESULT_FAIL);
  auto effects = rules_.RecordFeedback(order, feedback, /*civil_language=*/false, review, kStart + absl::Hours(3));
  ASSERT_TRUE(effects.ok());
  ASSERT_EQ(effects->breaches.size(), 2u);
  EXPECT_EQ(effects->breaches[0].rule(), "RP-4");
  EXPECT_EQ(effects->breaches[0].mechanism(), v1::MECHANISM_REVIEW);
  EXPECT_EQ(effects->breaches[1].rule(), "RP-5");
  ExpectRefused(rules_.RecordFeedback(order, feedback, true, {}, kStart + absl::Hours(4)).status(), "RP-4");
}

// RP-4: a survey dated before the crew arrived is refused; its findings
// would be dated before the visit they judge.
TEST_F(WorkOrderRulesTest, FeedbackCollectedBeforeTheArrivalIsRefused) {
  v1::WorkOrder order = Arrived();
  v1::Feedback feedback;
  feedback.set_satisfaction(1);
  *feedback.mutable_collected_at() = ToProto(FromProto(order.arrived_at()) - absl::Minutes(1));
  auto refused = rules_.RecordFeedback(order, feedback, /*civil_language=*/false, {}, kStart + absl::Hours(3));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  ASSERT_FALSE(FieldViolationsOf(refused.status()).empty());
  EXPECT_EQ(FieldViolationsOf(refused.status()).at(0).field, "feedback.collected_at");
  EXPECT_FALSE(order.has_feedback());
  *feedback.mutable_collected_at() = order.arrived_at();
  EXPECT_TRUE(rules_.RecordFeedback(order, feedback, false, {}, kStart + absl::Hours(3)).ok());
}

TEST_F(WorkOrderRulesTest, CivilFeedbackHasNoBreachAndReviewClausesAreRepairs) {
  v1::WorkOrder order = Arrived();
  v1::Feedback feedback;
  feedback.set_satisfaction(5);
  auto effects = rules_.RecordFeedback(order, feedback, true, {}, kStart + absl::Hours(3));
  ASSERT_TRUE(effects.ok());
  EXPECT_TRUE(effects->breaches.empty());

  v1::WorkOrder other = Arrived();
  v1::QualityReview review;
  review.add_items()->set_clause("CC-7");
  auto bad = rules_.RecordFeedback(other, feedback, true, review, kStart);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolationsOf(bad.status()).at(0).field, "review.items[0].clause");
}

// Only a FAIL item is a breach: an item without a result, or with one this
// build does not know, would drop a finding silently, so it is refused.
TEST_F(WorkOrderRulesTest, ASurveyItemNeedsAKnownResult) {
  v1::Feedback feedback;
  feedback.set_satisfaction(2);
  for (int result : {static_cast<int>(v1::REVIEW_RESULT_UNSPECIFIED), 7}) {
    v1::WorkOrder order = Arrived();
    v1::QualityReview review;
    auto* pass = review.add_items();
    pass->set_clause("RP-2");
    pass->set_result(v1::REVIEW_RESULT_PASS);
    auto* item = review.add_items();
    item->set_clause("RP-5");
    item->set_item("residue_left");
    item->set_result(static_cast<v1::ReviewResult>(result));
    auto refused = rules_.RecordFeedback(order, feedback, true, review, kStart + absl::Hours(3));
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << result;
    ASSERT_FALSE(FieldViolationsOf(refused.status()).empty()) << result;
    EXPECT_EQ(FieldViolationsOf(refused.status()).at(0).field, "review.items[1].result");
    EXPECT_FALSE(order.has_feedback());
  }
  v1::WorkOrder order = Arrived();
  v1::QualityReview review;
  review.add_items()->set_clause("RP-3");
  review.mutable_items(0)->set_result(v1::REVIEW_RESULT_NOT_APPLICABLE);
  auto effects = rules_.RecordFeedback(order, feedback, true, review, kStart + absl::Hours(3));
  ASSERT_TRUE(effects.ok()) << effects.status();
  EXPECT_TRUE(effects->breaches.empty());
}

}  // namespace
}  // namespace gridserve::repair
