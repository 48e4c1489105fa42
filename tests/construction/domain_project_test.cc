// CN-1 guidance, stages (CN-3 check, CN-5 exit gate), withdrawal, and the
// completion gates (CN-6, CN-8).
#include "services/construction/domain/damage_rules.h"
#include "services/construction/domain/feedback_rules.h"
#include "services/construction/domain/project_rules.h"
#include "services/construction/domain/site_work_rules.h"
#include "tests/construction/domain_fixture.h"

namespace gridserve::construction::testing {
namespace {

class ProjectRulesTest : public DomainTest {
 protected:
  v1::GuidanceContact Contact(absl::Time at) {
    v1::GuidanceContact c;
    c.set_contact_id("GC-" + std::to_string(absl::ToUnixSeconds(at)));
    c.mutable_staff()->set_staff_id("S-2");
    c.set_channel(v1::GUIDANCE_CHANNEL_PHONE);
    *c.mutable_contacted_at() = ToProto(at);
    return c;
  }

  // Forced (emergency) site work WS-1, started an hour after kFriday, still running.
  void StartEmergencyWork(v1::Project& p) {
    v1::WorkSession work;
    work.set_work_session_id("WS-1");
    work.set_forced(true);
    work.set_force_reason("emergency");
    *work.mutable_started_at() = ToProto(kFriday + absl::Hours(1));
    ASSERT_TRUE(StartSiteWork(rules_, p, work).ok());
  }

  // Damage DMG-1, discovered an hour after kFriday, not yet remedied (CN-6).
  void RecordWallDamage(v1::Project& p) {
    v1::Damage damage;
    damage.set_damage_id("DMG-1");
    damage.set_description("garden wall cracked by the digger");
    *damage.mutable_discovered_at() = ToProto(kFriday + absl::Hours(1));
    ASSERT_TRUE(RecordDamage(rules_, p, damage).ok());
  }

  v1::CoordinatedPlan Plan(bool no_duplicate_building) {
    v1::CoordinatedPlan plan;
    plan.set_plan_id("PLAN-1");
    plan.set_description("10 kV room next to the supply works' ring main unit");
    plan.set_no_duplicate_building(no_duplicate_building);
    *plan.mutable_planned_at() = ToProto(kFriday + absl::Hours(1));
    return plan;
  }

  v1::ProjectCompletion Completion(absl::Time at, bool cleaned = true, bool no_residue = true) {
    v1::ProjectCompletion c;
    auto* i1 = c.mutable_checklist()->add_items();
    i1->set_item("site_cleaned");
    i1->set_done(cleaned);
    auto* i2 = c.mutable_checklist()->add_items();
    i2->set_item("no_residue");
    i2->set_done(no_residue);
    c.set_contact_number_left("0571-95598");
    *c.mutable_completed_at() = ToProto(at);
    return c;
  }

  v1::Feedback Opinion(absl::Time at) {
    v1::Feedback f;
    f.set_satisfaction(5);
    *f.mutable_collected_at() = ToProto(at);
    return f;
  }
};

// ---- CN-1 -------------------------------------------------------------------

TEST_F(ProjectRulesTest, Cn1FirstGuidanceContactStopsTheClockAtItsTime) {
  v1::Project p = NewProject(v1::PROJECT_TYPE_RESIDENTIAL);
  const absl::Time at = kFriday + absl::Hours(2);
  auto e = RecordGuidanceContact(rules_, p, Contact(at));
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->stop_clocks.size(), 1u);
  EXPECT_EQ(e->stop_clocks[0].sla, "first_guidance");
  EXPECT_EQ(e->stop_clocks[0].subject, "project/PRJ-1");
  EXPECT_EQ(e->stop_clocks[0].at, at);
  // Later contacts are further guidance; the clock is already stopped.
  auto second = RecordGuidanceContact(rules_, p, Contact(at + absl::Hours(1)));
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->stop_clocks.empty());
  EXPECT_EQ(p.guidance_contacts_size(), 2);
}

// Contact times are imported: CN-1 is judged by the earliest contact, not the
// first one recorded. An on-time contact synced after a late one stops the
// clock at its own time; once an on-time contact is known, earlier ones
// cannot change the verdict and stop nothing.
TEST_F(ProjectRulesTest, Cn1TheEarliestContactJudgesNotTheFirstRecorded) {
  v1::Project p = NewProject(v1::PROJECT_TYPE_RESIDENTIAL);  // due Wednesday 2 Dec 00:00
  const absl::Time late = Local(2026, 12, 3, 10);
  auto first = RecordGuidanceContact(rules_, p, Contact(late));
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->stop_clocks.size(), 1u);
  EXPECT_EQ(first->stop_clocks[0].at, late);

  const absl::Time on_time = Local(2026, 11, 30, 10);
  auto synced_later = RecordGuidanceContact(rules_, p, Contact(on_time));
  ASSERT_TRUE(synced_later.ok());
  ASSERT_EQ(synced_later->stop_clocks.size(), 1u);
  EXPECT_EQ(synced_later->stop_clocks[0].sla, "first_guidance");
  EXPECT_EQ(synced_later->stop_clocks[0].at, on_time);

  auto earlier_still = RecordGuidanceContact(rules_, p, Contact(Local(2026, 11, 27, 15)));
  ASSERT_TRUE(earlier_still.ok());
  EXPECT_TRUE(earlier_still->stop_clocks.empty());
  EXPECT_EQ(p.guidance_contacts_size(), 3);
}

TEST_F(ProjectRulesTest, Cn1GuidanceBeforeTheApplicationIsInvalid) {
  v1::Project p = NewProject(v1::PROJECT_TYPE_RESIDENTIAL);
  auto e = RecordGuidanceContact(rules_, p, Contact(kFriday - absl::Microseconds(1)));
  EXPECT_TRUE(absl::IsInvalidArgument(e.status()));
  EXPECT_TRUE(HasViolation(e.status(), "contacted_at"));
  EXPECT_TRUE(p.guidance_contacts().empty());
}

// CN-1 and the project's end: a contact made while the project was open may
// be synced after it completed or was withdrawn (contact times are imported)
// and is taken; a contact dated after the end is refused.
TEST_F(ProjectRulesTest, Cn1AContactMadeBeforeTheProjectEndedIsTakenAfterIt) {
  for (const bool withdraw : {false, true}) {
    v1::Project p = NewProject(v1::PROJECT_TYPE_RESIDENTIAL);
    const absl::Time ended = kFriday + absl::Hours(3);
    if (withdraw) {
      ASSERT_TRUE(AdvanceStage(rules_, p, To(v1::PROJECT_STAGE_CANCELLED, ended)).ok());
    } else {
      WalkTo(p, v1::PROJECT_STAGE_CONNECTION, kFriday);
      const v1::Feedback f = Opinion(ended);
      ASSERT_TRUE(CompleteProject(rules_, p, Completion(ended), &f).ok());
    }
    auto synced = RecordGuidanceContact(rules_, p, Contact(ended));
    ASSERT_TRUE(synced.ok()) << synced.status();
    ASSERT_EQ(synced->stop_clocks.size(), 1u);
    EXPECT_EQ(synced->stop_clocks[0].sla, "first_guidance");
    EXPECT_EQ(synced->stop_clocks[0].at, ended);
    EXPECT_TRUE(RefusedBy(RecordGuidanceContact(rules_, p, Contact(ended + absl::Microseconds(1))).status(),
                          "PROJECT_STATE"))
        << withdraw;
    EXPECT_EQ(p.guidance_contacts_size(), 1);
  }
}

// ---- Stages -----------------------------------------------------------------

TEST_F(ProjectRulesTest, StagesOnlyMoveForwardAndNeverToCompleted) {
  v1::Project p = NewProject(v1::PROJECT_TYPE_RESIDENTIAL);
  ASSERT_TRUE(AdvanceStage(rules_, p, To(v1::PROJECT_STAGE_SURVEY, kFriday)).ok());
  EXPECT_TRUE(RefusedBy(AdvanceStage(rules_, p, To(v1::PROJECT_STAGE_SURVEY, kFriday)).status(), "PROJECT_STATE"));
  EXPECT_TRUE(
      RefusedBy(AdvanceStage(rules_, p, To(v1::PROJECT_STAGE_APPLICATION, kFriday)).status(), "PROJECT_STATE"));
  EXPECT_TRUE(RefusedBy(AdvanceStage(rules_, p, To(v1::PROJECT_STAGE_COMPLETED, kFriday)).status(), "PROJECT_STATE"));
  // A residential project may skip design approval and go on to construction.
  ASSERT_TRUE(AdvanceStage(rules_, p, To(v1::PROJECT_STAGE_CONSTRUCTION, kFriday)).ok());
  EXPECT_EQ(p.stage_history_size(), 3);
  EXPECT_EQ(p.stage_history(2).from_stage(), v1::PROJECT_STAGE_SURVEY);
  // Times must be in order.
  auto early = AdvanceStage(rules_, p, To(v1::PROJECT_STAGE_CONNECTION, kFriday - absl::Hours(1)));
  EXPECT_TRUE(HasViolation(early.status(), "advanced_at"));
}

TEST_F(ProjectRulesTest, Cn3HighVoltageDesignApprovalWithoutPlanIsABreach) {
  v1::Project p = NewProject(v1::PROJECT_TYPE_HIGH_VOLTAGE_SINGLE);
  ASSERT_TRUE(AdvanceStage(rules_, p, To(v1::PROJECT_STAGE_SURVEY, kFriday)).ok());
  auto e = AdvanceStage(rules_, p, To(v1::PROJECT_STAGE_DESIGN_APPROVAL, kFriday + absl::Hours(3)));
  ASSERT_TRUE(e.ok()) << e.status();  // a check: the step goes on, the breach is recorded
  EXPECT_EQ(p.stage(), v1::PROJECT_STAGE_DESIGN_APPROVAL);
  ASSERT_EQ(e->breaches.size(), 1u);
  const v1::Breach& b = e->breaches[0];
  EXPECT_EQ(b.rule(), "CN-3");
  EXPECT_EQ(b.mechanism(), v1::MECHANISM_CHECK);
  EXPECT_EQ(b.subject(), "project/PRJ-1");
  EXPECT_EQ(b.breach_id(), "construction/CN-3/project/PRJ-1/design_approval");
  EXPECT_EQ(b.department(), "business-expansion");
  EXPECT_EQ(FromProto(b.occurred_at()), kFriday + absl::Hours(3));
}

TEST_F(ProjectRulesTest, Cn3CoordinatedPlanAvoidsTheBreach) {
  v1::Project p = NewProject(v1::PROJECT_TYPE_HIGH_VOLTAGE_DUAL);
  ASSERT_TRUE(RecordCoordinatedPlan(rules_, p, Plan(true)).ok());
  ASSERT_TRUE(AdvanceStage(rules_, p, To(v1::PROJECT_STAGE_SURVEY, kFriday + absl::Hours(2))).ok());
  auto e = AdvanceStage(rules_, p, To(v1::PROJECT_STAGE_DESIGN_APPROVAL, kFriday + absl::Hours(3)));
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->breaches.empty());
}

TEST_F(ProjectRulesTest, Cn3PlanThatBuildsTwiceStillBreaches) {
  v1::Project p = NewProject(v1::PROJECT_TYPE_HIGH_VOLTAGE_SINGLE);
  ASSERT_TRUE(RecordCoordinatedPlan(rules_, p, Plan(false)).ok());
  auto e = AdvanceStage(rules_, p, To(v1::PROJECT_STAGE_DESIGN_APPROVAL, kFriday + absl::Hours(3)));
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->breaches.size(), 1u);
  EXPECT_EQ(e->breaches[0].rule(), "CN-3");
}

// CN-3: a plan dated after the design approval was not there to coordinate
// it, even when it was recorded before the approval was reported.
TEST_F(ProjectRulesTest, Cn3PlanMadeAfterTheDesignApprovalStillBreaches) {
  v1::Project p = NewProject(v1::PROJECT_TYPE_HIGH_VOLTAGE_SINGLE);
  v1::CoordinatedPlan late = Plan(true);
  *late.mutable_planned_at() = ToProto(kFriday + absl::Hours(5));
  ASSERT_TRUE(RecordCoordinatedPlan(rules_, p, late).ok());
  auto e = AdvanceStage(rules_, p, To(v1::PROJECT_STAGE_DESIGN_APPROVAL, kFriday + absl::Hours(3)));
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->breaches.size(), 1u);
  EXPECT_EQ(e->breaches[0].rule(), "CN-3");
  EXPECT_NE(e->breaches[0].detail().find("before the coordinated"), std::string::npos) << e->breaches[0].detail();
}

TEST_F(ProjectRulesTest, Cn3LowVoltageNeedsNoPlan) {
  v1::Project p = NewProject(v1::PROJECT_TYPE_LOW_VOLTAGE_NON_RESIDENTIAL);
  auto e = AdvanceStage(rules_, p, To(v1::PROJECT_STAGE_DESIGN_APPROVAL, kFriday));
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->breaches.empty());
}

TEST_F(ProjectRulesTest, Cn3HighVoltageMayNotSkipDesignApproval) {
  v1::Project p = NewProject(v1::PROJECT_TYPE_HIGH_VOLTAGE_SINGLE);
  EXPECT_TRUE(RefusedBy(AdvanceStage(rules_, p, To(v1::PROJECT_STAGE_CONSTRUCTION, kFriday)).status(), "CN-3"));
  EXPECT_EQ(p.stage(), v1::PROJECT_STAGE_APPLICATION);
}

TEST_F(ProjectRulesTest, Cn5LeavingInspectionNeedsAPassedInspection) {
  v1::Project p = NewProject(v1::PROJECT_TYPE_RESIDENTIAL);
  ASSERT_TRUE(AdvanceStage(rules_, p, To(v1::PROJECT_STAGE_INSPECTION, kFriday)).ok());
  EXPECT_TRUE(RefusedBy(AdvanceStage(rules_, p, To(v1::PROJECT_STAGE_CONNECTION, kFriday)).status(), "CN-5"));
  PassInspection(p, kFriday + absl::Hours(1));
  EXPECT_TRUE(AdvanceStage(rules_, p, To(v1::PROJECT_STAGE_CONNECTION, kFriday + absl::Hours(1))).ok());
}

// CN-5: the project leaves inspection after the inspection that passed it.
TEST_F(ProjectRulesTest, Cn5LeavingInspectionBeforeThePassedInspectionIsInvalid) {
  v1::Project p = NewProject(v1::PROJECT_TYPE_RESIDENTIAL);
  ASSERT_TRUE(AdvanceStage(rules_, p, To(v1::PROJECT_STAGE_INSPECTION, kFriday)).ok());
  PassInspection(p, kFriday + absl::Hours(2));
  auto early = AdvanceStage(rules_, p, To(v1::PROJECT_STAGE_CONNECTION, kFriday + absl::Hours(1)));
  EXPECT_TRUE(HasViolation(early.status(), "advanced_at")) << early.status();
  EXPECT_EQ(p.stage(), v1::PROJECT_STAGE_INSPECTION);
}

TEST_F(ProjectRulesTest, Cn5HighVoltageMayNotSkipInspection) {
  v1::Project p = NewProject(v1::PROJECT_TYPE_HIGH_VOLTAGE_SINGLE);
  WalkTo(p, v1::PROJECT_STAGE_CONSTRUCTION, kFriday);
  EXPECT_TRUE(RefusedBy(AdvanceStage(rules_, p, To(v1::PROJECT_STAGE_CONNECTION, kFriday)).status(), "CN-5"));
}

TEST_F(ProjectRulesTest, WithdrawalCancelsTheClocksAndClosesTheProject) {
  v1::Project p = NewProject(v1::PROJECT_TYPE_RESIDENTIAL);
  auto e = AdvanceStage(rules_, p, To(v1::PROJECT_STAGE_CANCELLED, kFriday + absl::Hours(1)));
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->cancel_clocks.size(), 2u);
  EXPECT_EQ(e->cancel_clocks[0].sla, "first_guidance");
  EXPECT_EQ(e->cancel_clocks[1].sla, "project_time_limit");
  EXPECT_TRUE(RefusedBy(RecordGuidanceContact(rules_, p, Contact(kFriday + absl::Hours(2))).status(), "PROJECT_STATE"));
}

// ---- Completion: CN-6, CN-8 --------------------------------------------------

TEST_F(ProjectRulesTest, CompletionOnlyFromConnection) {
  v1::Project p = NewProject(v1::PROJECT_TYPE_RESIDENTIAL);
  const v1::Feedback f = Opinion(kFriday);
  EXPECT_TRUE(RefusedBy(CompleteProject(rules_, p, Completion(kFriday), &f).status(), "PROJECT_STATE"));
}

TEST_F(ProjectRulesTest, Cn8ChecklistFeedbackAndContactNumberAreRequired) {
  v1::Project p = NewProject(v1::PROJECT_TYPE_RESIDENTIAL);
  WalkTo(p, v1::PROJECT_STAGE_CONNECTION, kFriday);
  const absl::Time at = kFriday + absl::Hours(3);
  const v1::Feedback f = Opinion(at);

  auto residue = CompleteProject(rules_, p, Completion(at, true, false), &f);
  EXPECT_TRUE(RefusedBy(residue.status(), "CN-8"));
  EXPECT_NE(residue.status().message().find("no_residue"), absl::string_view::npos);
  EXPECT_TRUE(RefusedBy(CompleteProject(rules_, p, Completion(at, false, true), &f).status(), "CN-8"));

  auto no_feedback = CompleteProject(rules_, p, Completion(at), nullptr);
  EXPECT_TRUE(RefusedBy(no_feedback.status(), "CN-8"));
  EXPECT_NE(no_feedback.status().message().find("feedback"), absl::string_view::npos);

  v1::ProjectCompletion no_number = Completion(at);
  no_number.clear_contact_number_left();
  EXPECT_TRUE(HasViolation(CompleteProject(rules_, p, no_number, &f).status(), "contact_number_left"));
  EXPECT_EQ(p.stage(), v1::PROJECT_STAGE_CONNECTION);
}

// CN-8: the number left must be one the customer can call back — a mobile
// or landline number, checked as every service checks contact numbers.
TEST_F(ProjectRulesTest, Cn8TheContactNumberLeftMustBeAPhoneNumber) {
  v1::Project p = NewProject(v1::PROJECT_TYPE_RESIDENTIAL);
  const absl::Time at = kFriday + absl::Hours(2);
  WalkTo(p, v1::PROJECT_STAGE_CONNECTION, kFriday);
  const v1::Feedback f = Opinion(at);
  for (const char* bad : {"n/a", "call the office", "0571-", "12345"}) {
    v1::ProjectCompletion c = Completion(at);
    c.set_contact_number_left(bad);
    auto e = CompleteProject(rules_, p, c, &f);
    EXPECT_TRUE(HasViolation(e.status(), "contact_number_left")) << bad << ": " << e.status();
  }
  EXPECT_EQ(p.stage(), v1::PROJECT_STAGE_CONNECTION);
  v1::ProjectCompletion mobile = Completion(at);
  mobile.set_contact_number_left("13800000000");
  auto e = CompleteProject(rules_, p, mobile, &f);
  ASSERT_TRUE(e.ok()) << e.status();
}

TEST_F(ProjectRulesTest, Cn8FeedbackRecordedEarlierCounts) {
  v1::Project p = NewProject(v1::PROJECT_TYPE_RESIDENTIAL);
  WalkTo(p, v1::PROJECT_STAGE_CONNECTION, kFriday);
  ASSERT_TRUE(RecordSiteFeedback(rules_, p, Opinion(kFriday), true, true, v1::QualityReview()).ok());
  auto e = CompleteProject(rules_, p, Completion(kFriday + absl::Hours(1)), nullptr);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(p.stage(), v1::PROJECT_STAGE_COMPLETED);
}

TEST_F(ProjectRulesTest, Cn8FeedbackCollectedAfterCompletionDoesNotCount) {
  v1::Project p = NewProject(v1::PROJECT_TYPE_RESIDENTIAL);
  WalkTo(p, v1::PROJECT_STAGE_CONNECTION, kFriday);
  const absl::Time at = kFriday + absl::Hours(3);
  const v1::Feedback later = Opinion(at + absl::Hours(1));
  auto refused = CompleteProject(rules_, p, Completion(at), &later);
  EXPECT_TRUE(RefusedBy(refused.status(), "CN-8"));
  EXPECT_NE(refused.status().message().find("only later"), absl::string_view::npos) << refused.status();
  EXPECT_EQ(p.stage(), v1::PROJECT_STAGE_CONNECTION);

  const v1::Feedback in_time = Opinion(at);  // collected at the completion itself: asked
  ASSERT_TRUE(CompleteProject(rules_, p, Completion(at), &in_time).ok());
  EXPECT_EQ(p.stage(), v1::PROJECT_STAGE_COMPLETED);
}

// Feedback given with the completion is checked as RecordSiteFeedback checks
// it: an opinion collected before the customer applied is no opinion on this work.
TEST_F(ProjectRulesTest, Cn8InlineFeedbackBeforeTheApplicationIsRefused) {
  v1::Project p = NewProject(v1::PROJECT_TYPE_RESIDENTIAL);
  WalkTo(p, v1::PROJECT_STAGE_CONNECTION, kFriday);
  const v1::Feedback before_application = Opinion(kFriday - absl::Hours(24 * 30));
  auto refused = CompleteProject(rules_, p, Completion(kFriday + absl::Hours(3)), &before_application);
  EXPECT_TRUE(HasViolation(refused.status(), "feedback.collected_at")) << refused.status();
  EXPECT_EQ(p.stage(), v1::PROJECT_STAGE_CONNECTION);
  EXPECT_TRUE(p.feedback().empty());
}

TEST_F(ProjectRulesTest, CompletionStopsTheWholeProcessClockAndMeasuresWorkingDays) {
  v1::Project p = NewProject(v1::PROJECT_TYPE_RESIDENTIAL);
  WalkTo(p, v1::PROJECT_STAGE_CONNECTION, kFriday);
  // Completed the next Wednesday: Mon, Tue, Wed = 3 working days.
  const absl::Time at = Local(2026, 12, 2, 15);
  const v1::Feedback f = Opinion(at);
  auto e = CompleteProject(rules_, p, Completion(at), &f);
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->stop_clocks.size(), 1u);
  EXPECT_EQ(e->stop_clocks[0].sla, "project_time_limit");
  EXPECT_EQ(e->stop_clocks[0].at, at);
  // CN-1: the first-guidance clock (no contact recorded) ends with the
  // project, as on a withdrawal: none of the project's clocks stays open.
  ASSERT_EQ(e->cancel_clocks.size(), 1u);
  EXPECT_EQ(e->cancel_clocks[0].sla, "first_guidance");
  EXPECT_EQ(e->cancel_clocks[0].subject, "project/PRJ-1");
  EXPECT_EQ(e->cancel_clocks[0].at, at);
  EXPECT_EQ(e->completed_in_working_days, 3);
  EXPECT_EQ(p.stage(), v1::PROJECT_STAGE_COMPLETED);
  EXPECT_EQ(p.feedback_size(), 1);
  EXPECT_EQ(p.completion().contact_number_left(), "0571-95598");
  EXPECT_EQ(p.stage_history(p.stage_history_size() - 1).to_stage(), v1::PROJECT_STAGE_COMPLETED);
  // Completed is final.
  EXPECT_TRUE(RefusedBy(CompleteProject(rules_, p, Completion(at), &f).status(), "PROJECT_STATE"));
}

// What start-up applies to a project stored before its end ended its clocks.
TEST_F(ProjectRulesTest, AnEndedProjectsClocksEndAtItsEnd) {
  v1::Project open = NewProject(v1::PROJECT_TYPE_RESIDENTIAL);
  const Effects none = EndedProjectClocks(open);
  EXPECT_TRUE(none.stop_clocks.empty() && none.cancel_clocks.empty());

  v1::Project completed = NewProject(v1::PROJECT_TYPE_RESIDENTIAL);
  WalkTo(completed, v1::PROJECT_STAGE_CONNECTION, kFriday);
  const absl::Time at = kFriday + absl::Hours(4);
  const v1::Feedback f = Opinion(at);
  ASSERT_TRUE(CompleteProject(rules_, completed, Completion(at), &f).ok());
  const Effects after_completion = EndedProjectClocks(completed);
  ASSERT_EQ(after_completion.stop_clocks.size(), 1u);
  EXPECT_EQ(after_completion.stop_clocks[0].sla, "project_time_limit");
  ASSERT_EQ(after_completion.cancel_clocks.size(), 1u);
  EXPECT_EQ(after_completion.cancel_clocks[0].sla, "first_guidance");
  EXPECT_EQ(after_completion.cancel_clocks[0].at, at);

  v1::Project withdrawn = NewProject(v1::PROJECT_TYPE_RESIDENTIAL);
  ASSERT_TRUE(AdvanceStage(rules_, withdrawn, To(v1::PROJECT_STAGE_CANCELLED, at)).ok());
  const Effects after_withdrawal = EndedProjectClocks(withdrawn);
  EXPECT_TRUE(after_withdrawal.stop_clocks.empty());
  ASSERT_EQ(after_withdrawal.cancel_clocks.size(), 2u);
  EXPECT_EQ(after_withdrawal.cancel_clocks[1].sla, "project_time_limit");
}

TEST_F(ProjectRulesTest, Cn6OpenDamageBlocksCompletionUntilConfirmed) {
  v1::Project p = NewProject(v1::PROJECT_TYPE_RESIDENTIAL);
  RecordWallDamage(p);
  WalkTo(p, v1::PROJECT_STAGE_CONNECTION, kFriday + absl::Hours(1));
  const absl::Time at = kFriday + absl::Hours(5);
  const v1::Feedback f = Opinion(at);
  EXPECT_TRUE(RefusedBy(CompleteProject(rules_, p, Completion(at), &f).status(), "CN-6"));

  v1::DamageRemedy remedy;
  remedy.set_kind(v1::REMEDY_KIND_RESTORED);
  *remedy.mutable_remedied_at() = ToProto(kFriday + absl::Hours(2));
  ASSERT_TRUE(RecordDamageRemedy(rules_, p, "DMG-1", remedy).ok());
  // Remedied but not yet confirmed by the customer: still open for CN-6.
  EXPECT_TRUE(RefusedBy(CompleteProject(rules_, p, Completion(at), &f).status(), "CN-6"));
  ASSERT_TRUE(ConfirmDamageRemedy(rules_, p, "DMG-1", true, "fine", kFriday + absl::Hours(3)).ok());
  EXPECT_TRUE(CompleteProject(rules_, p, Completion(at), &f).ok());
}

TEST_F(ProjectRulesTest, CompletionWaitsForRunningSiteWork) {
  v1::Project p = NewProject(v1::PROJECT_TYPE_RESIDENTIAL);
  WalkTo(p, v1::PROJECT_STAGE_CONNECTION, kFriday);
  StartEmergencyWork(p);
  const absl::Time at = kFriday + absl::Hours(3);
  const v1::Feedback f = Opinion(at);
  EXPECT_TRUE(RefusedBy(CompleteProject(rules_, p, Completion(at), &f).status(), "PROJECT_STATE"));
  ASSERT_TRUE(EndSiteWork(rules_, p, "WS-1", kFriday + absl::Hours(2)).ok());
  EXPECT_TRUE(CompleteProject(rules_, p, Completion(at), &f).ok());
}

TEST_F(ProjectRulesTest, Cn6DamageConfirmedOnlyAfterCompletedAtWasStillOpen) {
  v1::Project p = NewProject(v1::PROJECT_TYPE_RESIDENTIAL);
  RecordWallDamage(p);
  v1::DamageRemedy remedy;
  remedy.set_kind(v1::REMEDY_KIND_RESTORED);
  *remedy.mutable_remedied_at() = ToProto(kFriday + absl::Hours(2));
  ASSERT_TRUE(RecordDamageRemedy(rules_, p, "DMG-1", remedy).ok());
  // The customer's confirmation is dated 18:00; the completion claims 15:00.
  ASSERT_TRUE(ConfirmDamageRemedy(rules_, p, "DMG-1", true, "fine", kFriday + absl::Hours(8)).ok());
  WalkTo(p, v1::PROJECT_STAGE_CONNECTION, kFriday + absl::Hours(2));
  const v1::Feedback f = Opinion(kFriday + absl::Hours(8));
  auto early = CompleteProject(rules_, p, Completion(kFriday + absl::Hours(5)), &f);
  EXPECT_TRUE(RefusedBy(early.status(), "CN-6")) << early.status();
  EXPECT_NE(early.status().message().find("only after completed_at"), absl::string_view::npos);
  EXPECT_TRUE(CompleteProject(rules_, p, Completion(kFriday + absl::Hours(8)), &f).ok());  // at the confirmation
}

TEST_F(ProjectRulesTest, CompletionBeforeTheSiteWorkEndedIsRefused) {
  v1::Project p = NewProject(v1::PROJECT_TYPE_RESIDENTIAL);
  WalkTo(p, v1::PROJECT_STAGE_CONNECTION, kFriday);
  StartEmergencyWork(p);
  ASSERT_TRUE(EndSiteWork(rules_, p, "WS-1", kFriday + absl::Hours(4)).ok());
  const v1::Feedback f = Opinion(kFriday + absl::Hours(4));
  auto early = CompleteProject(rules_, p, Completion(kFriday + absl::Hours(3)), &f);
  EXPECT_TRUE(RefusedBy(early.status(), "PROJECT_STATE")) << early.status();
  EXPECT_NE(early.status().message().find("still in progress at completed_at"), absl::string_view::npos);
  EXPECT_TRUE(CompleteProject(rules_, p, Completion(kFriday + absl::Hours(4)), &f).ok());  // at the end: in time
}

}  // namespace
}  // namespace gridserve::construction::testing
