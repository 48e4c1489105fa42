// CN-5 inspections, rectification notices and the re-inspection cycle; CN-6 damages.
#include "services/construction/domain/damage_rules.h"
#include "services/construction/domain/inspection_rules.h"
#include "tests/construction/domain_fixture.h"

namespace gridserve::construction::testing {
namespace {

class InspectionTest : public DomainTest {
 protected:
  InspectionTest() : project_(NewProject(v1::PROJECT_TYPE_HIGH_VOLTAGE_SINGLE)) {
    WalkTo(project_, v1::PROJECT_STAGE_INSPECTION, kFriday);
  }

  v1::Inspection Failed(const std::string& id, absl::Time at, bool explained = true) {
    v1::Inspection i;
    i.set_inspection_id(id);
    i.set_result(v1::INSPECTION_RESULT_FAILED);
    i.mutable_inspector()->set_staff_id("S-5");
    *i.mutable_inspected_at() = ToProto(at);
    auto* n = i.mutable_notice();
    n->add_items("earthing resistance above 4 ohm");
    n->set_text("Please rectify the earthing of the transformer room.");
    *n->mutable_delivered_at() = ToProto(at + absl::Minutes(30));
    n->set_explained(explained);
    return i;
  }

  v1::Inspection Passed(const std::string& id, absl::Time at, const std::string& previous = "") {
    v1::Inspection i;
    i.set_inspection_id(id);
    i.set_result(v1::INSPECTION_RESULT_PASSED);
    *i.mutable_inspected_at() = ToProto(at);
    i.set_previous_inspection_id(previous);
    return i;
  }

  v1::Project project_;
};

TEST_F(InspectionTest, Cn5FailedInspectionWithoutNoticeIsRefusedNamingEachField) {
  v1::Inspection i = Failed("INS-1", kFriday);
  i.clear_notice();
  auto e = RecordInspection(rules_, project_, i);
  EXPECT_TRUE(absl::IsInvalidArgument(e.status()));
  EXPECT_TRUE(HasViolation(e.status(), "notice.items"));
  EXPECT_TRUE(HasViolation(e.status(), "notice.text"));
  EXPECT_TRUE(HasViolation(e.status(), "notice.delivered_at"));
  EXPECT_NE(e.status().message().find("CN-5"), absl::string_view::npos);
  EXPECT_TRUE(project_.inspections().empty());
}

TEST_F(InspectionTest, Cn5EachNoticePartIsNeeded) {
  v1::Inspection no_text = Failed("INS-1", kFriday);
  no_text.mutable_notice()->clear_text();
  auto e = RecordInspection(rules_, project_, no_text);
  EXPECT_TRUE(HasViolation(e.status(), "notice.text"));
  EXPECT_FALSE(HasViolation(e.status(), "notice.items"));
  v1::Inspection early = Failed("INS-1", kFriday);
  *early.mutable_notice()->mutable_delivered_at() = ToProto(kFriday - absl::Seconds(1));
  EXPECT_TRUE(HasViolation(RecordInspection(rules_, project_, early).status(), "notice.delivered_at"));
}

TEST_F(InspectionTest, Cn5FailedInspectionStartsTheReinspectionClockFromTheNotice) {
  auto e = RecordInspection(rules_, project_, Failed("INS-1", kFriday));
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->start_clocks.size(), 1u);
  const SlaTimer& t = e->start_clocks[0];
  EXPECT_EQ(t.sla, "reinspection");
  EXPECT_EQ(t.subject, "project/PRJ-1/inspection/INS-1");
  EXPECT_EQ(t.started_at, kFriday + absl::Minutes(30));
  EXPECT_EQ(t.due_at, Local(2026, 12, 12));  // 10 working days after Friday
  EXPECT_EQ(t.staff_id, "S-5");
  EXPECT_TRUE(e->breaches.empty());
  // Cannot leave inspection on a failed one.
  EXPECT_TRUE(RefusedBy(AdvanceStage(rules_, project_, To(v1::PROJECT_STAGE_CONNECTION, kFriday + absl::Hours(1))).status(),
                        "CN-5"));
}

TEST_F(InspectionTest, Cn5ReinspectionCycleUntilPassed) {
  ASSERT_TRUE(RecordInspection(rules_, project_, Failed("INS-1", kFriday)).ok());
  // A second failure re-inspects the first (implicitly) and starts its own clock.
  auto again = RecordInspection(rules_, project_, Failed("INS-2", kFriday + absl::Hours(24)));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(project_.inspections(1).previous_inspection_id(), "INS-1");
  ASSERT_EQ(again->stop_clocks.size(), 1u);
  EXPECT_EQ(again->stop_clocks[0].subject, "project/PRJ-1/inspection/INS-1");
  ASSERT_EQ(again->start_clocks.size(), 1u);
  EXPECT_EQ(again->start_clocks[0].subject, "project/PRJ-1/inspection/INS-2");
  // INS-1 was already re-inspected.
  EXPECT_TRUE(RefusedBy(
      RecordInspection(rules_, project_, Passed("INS-3", kFriday + absl::Hours(48), "INS-1")).status(), "CN-5"));
  auto passed = RecordInspection(rules_, project_, Passed("INS-3", kFriday + absl::Hours(48)));
  ASSERT_TRUE(passed.ok());
  ASSERT_EQ(passed->stop_clocks.size(), 1u);
  EXPECT_EQ(passed->stop_clocks[0].subject, "project/PRJ-1/inspection/INS-2");
  EXPECT_EQ(passed->stop_clocks[0].at, kFriday + absl::Hours(48));
  EXPECT_TRUE(passed->start_clocks.empty());
  EXPECT_TRUE(AdvanceStage(rules_, project_, To(v1::PROJECT_STAGE_CONNECTION, kFriday + absl::Hours(49))).ok());
}

// CN-5: an inspection happens in the inspection stage, and a re-inspection
// after the customer received the rectification notice (its clock's start).
TEST_F(InspectionTest, Cn5InspectionTimesFollowTheStageAndTheNotice) {
  v1::Project later = NewProject(v1::PROJECT_TYPE_HIGH_VOLTAGE_SINGLE);
  WalkTo(later, v1::PROJECT_STAGE_INSPECTION, kFriday + absl::Hours(2));
  auto before_stage = RecordInspection(rules_, later, Passed("INS-1", kFriday + absl::Hours(1)));
  EXPECT_TRUE(HasViolation(before_stage.status(), "inspected_at")) << before_stage.status();
  EXPECT_TRUE(later.inspections().empty());

  ASSERT_TRUE(RecordInspection(rules_, project_, Failed("INS-1", kFriday)).ok());  // notice at +30 min
  auto before_notice = RecordInspection(rules_, project_, Passed("INS-2", kFriday + absl::Minutes(10)));
  EXPECT_TRUE(HasViolation(before_notice.status(), "inspected_at")) << before_notice.status();
  EXPECT_EQ(project_.inspections_size(), 1);
  EXPECT_TRUE(RecordInspection(rules_, project_, Passed("INS-2", kFriday + absl::Minutes(30))).ok());
}

TEST_F(InspectionTest, Cn5UnknownOrPassedPreviousInspection) {
  EXPECT_TRUE(absl::IsNotFound(RecordInspection(rules_, project_, Passed("INS-1", kFriday, "INS-404")).status()));
  ASSERT_TRUE(RecordInspection(rules_, project_, Passed("INS-1", kFriday)).ok());
  EXPECT_TRUE(RefusedBy(RecordInspection(rules_, project_, Passed("INS-2", kFriday, "INS-1")).status(), "CN-5"));
}

TEST_F(InspectionTest, Cn5NoticeNotExplainedIsABreach) {
  auto e = RecordInspection(rules_, project_, Failed("INS-1", kFriday, /*explained=*/false));
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->breaches.size(), 1u);
  EXPECT_EQ(e->breaches[0].rule(), "CN-5");
  EXPECT_EQ(e->breaches[0].mechanism(), v1::MECHANISM_CHECK);
}

TEST_F(InspectionTest, InspectionOnlyInTheInspectionStage) {
  v1::Project other = NewProject(v1::PROJECT_TYPE_RESIDENTIAL);
  EXPECT_TRUE(RefusedBy(RecordInspection(rules_, other, Passed("INS-1", kFriday)).status(), "PROJECT_STATE"));
}

// ---- CN-6 ----------------------------------------------------------------------

class DamageTest : public DomainTest {
 protected:
  DamageTest() : project_(NewProject(v1::PROJECT_TYPE_RESIDENTIAL)) {
    v1::Damage d;
    d.set_damage_id("DMG-1");
    d.set_description("lawn dug up");
    *d.mutable_discovered_at() = ToProto(kFriday + absl::Hours(1));
    EXPECT_TRUE(RecordDamage(rules_, project_, d).ok());
  }

  absl::Status Remedy(v1::RemedyKind kind, absl::Time at, int64_t fen = 0) {
    v1::DamageRemedy r;
    r.set_kind(kind);
    r.set_description("re-turfed");
    r.set_compensation_fen(fen);
    *r.mutable_remedied_at() = ToProto(at);
    return RecordDamageRemedy(rules_, project_, "DMG-1", r).status();
  }

  const v1::Damage& damage() const { return project_.damages(0); }
  v1::Project project_;
};

TEST_F(DamageTest, Cn6RemedyThenCustomerConfirmationCloses) {
  EXPECT_EQ(damage().state(), v1::DAMAGE_STATE_OPEN);
  ASSERT_TRUE(Remedy(v1::REMEDY_KIND_RESTORED, kFriday + absl::Hours(2)).ok());
  EXPECT_EQ(damage().state(), v1::DAMAGE_STATE_REMEDIED);
  ASSERT_TRUE(ConfirmDamageRemedy(rules_, project_, "DMG-1", true, "as before", kFriday + absl::Hours(3)).ok());
  EXPECT_EQ(damage().state(), v1::DAMAGE_STATE_CONFIRMED);
  EXPECT_EQ(FromProto(damage().confirmed_at()), kFriday + absl::Hours(3));
  EXPECT_TRUE(damage().remedies(0).customer_satisfied());
}

TEST_F(DamageTest, Cn6UnsatisfiedCustomerReopensForAFurtherRemedy) {
  ASSERT_TRUE(Remedy(v1::REMEDY_KIND_RESTORED, kFriday + absl::Hours(2)).ok());
  ASSERT_TRUE(ConfirmDamageRemedy(rules_, project_, "DMG-1", false, "patchy", kFriday + absl::Hours(3)).ok());
  EXPECT_EQ(damage().state(), v1::DAMAGE_STATE_OPEN);
  ASSERT_TRUE(Remedy(v1::REMEDY_KIND_COMPENSATED, kFriday + absl::Hours(4), 50000).ok());
  ASSERT_TRUE(ConfirmDamageRemedy(rules_, project_, "DMG-1", true, "", kFriday + absl::Hours(5)).ok());
  EXPECT_EQ(damage().remedies_size(), 2);
  EXPECT_FALSE(damage().remedies(0).customer_satisfied());
  EXPECT_EQ(damage().state(), v1::DAMAGE_STATE_CONFIRMED);
}

TEST_F(DamageTest, Cn6StepsOutOfOrderAreRefused) {
  EXPECT_TRUE(RefusedBy(ConfirmDamageRemedy(rules_, project_, "DMG-1", true, "", kFriday + absl::Hours(2)).status(),
                        "CN-6"));
  ASSERT_TRUE(Remedy(v1::REMEDY_KIND_RESTORED, kFriday + absl::Hours(2)).ok());
  EXPECT_TRUE(RefusedBy(Remedy(v1::REMEDY_KIND_RESTORED, kFriday + absl::Hours(2)), "CN-6"));
  EXPECT_TRUE(HasViolation(
      ConfirmDamageRemedy(rules_, project_, "DMG-1", true, "", kFriday + absl::Hours(1)).status(), "confirmed_at"));
  EXPECT_TRUE(absl::IsNotFound(ConfirmDamageRemedy(rules_, project_, "DMG-2", true, "", kFriday).status()));
}

TEST_F(DamageTest, Cn6CompensationNeedsAnAmount) {
  EXPECT_TRUE(HasViolation(Remedy(v1::REMEDY_KIND_COMPENSATED, kFriday + absl::Hours(2)), "compensation_fen"));
  EXPECT_TRUE(HasViolation(Remedy(v1::REMEDY_KIND_RESTORED, kFriday), "remedied_at"));  // before discovery
  EXPECT_EQ(damage().state(), v1::DAMAGE_STATE_OPEN);
}

}  // namespace
}  // namespace gridserve::construction::testing
