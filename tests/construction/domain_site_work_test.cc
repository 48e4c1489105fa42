// CN-2 appointments before site work; CN-7 safety checklist for traffic-affecting work.
#include "services/construction/domain/site_work_rules.h"

#include "tests/construction/domain_fixture.h"

namespace gridserve::construction::testing {
namespace {

class SiteWorkTest : public DomainTest {
 protected:
  SiteWorkTest() : project_(NewProject(v1::PROJECT_TYPE_HIGH_VOLTAGE_SINGLE)) {}

  // An appointment on Monday 30 Nov 09:00-17:00 local.
  void Schedule(const std::string& id, bool traffic_affecting = false, bool cooperation_requested = true) {
    v1::SiteAppointment a;
    a.set_appointment_id(id);
    a.set_work_content("lay the 10 kV cable");
    a.set_place("north gate to the distribution room");
    *a.mutable_starts_at() = ToProto(Local(2026, 11, 30, 9));
    *a.mutable_ends_at() = ToProto(Local(2026, 11, 30, 17));
    a.set_cooperation_requested(cooperation_requested);
    a.set_traffic_affecting(traffic_affecting);
    *a.mutable_scheduled_at() = ToProto(kFriday + absl::Hours(1));
    auto e = ScheduleAppointment(rules_, project_, a);
    ASSERT_TRUE(e.ok()) << e.status();
  }

  absl::Status Confirm(const std::string& id, absl::Time at = kFriday + absl::Hours(2)) {
    v1::Person customer;
    customer.set_name("Customer");
    return ConfirmAppointment(rules_, project_, id, customer, at).status();
  }

  absl::StatusOr<Effects> Start(const std::string& appointment_id, absl::Time at, bool force = false,
                                bool traffic_affecting = false) {
    v1::WorkSession w;
    w.set_traffic_affecting(traffic_affecting);
    w.set_work_session_id("WS-" + std::to_string(project_.work_sessions_size() + 1));
    w.set_appointment_id(appointment_id);
    w.add_crew()->set_staff_id("S-9");
    *w.mutable_started_at() = ToProto(at);
    w.set_forced(force);
    if (force) w.set_force_reason("cable fault endangering the public");
    return StartSiteWork(rules_, project_, w);
  }

  v1::SafetyChecklist Checklist(const std::string& appointment_id, bool courtesy_sign) {
    v1::SafetyChecklist c;
    c.set_checklist_id("SC-1");
    c.set_appointment_id(appointment_id);
    auto* m = c.mutable_measures()->add_items();
    m->set_item("fencing");
    m->set_done(true);
    c.set_contractor_sign(true);
    c.set_safety_sign(true);
    c.set_courtesy_sign(courtesy_sign);
    *c.mutable_recorded_at() = ToProto(kFriday + absl::Hours(3));
    return c;
  }

  v1::Project project_;
  const absl::Time monday_ten_ = Local(2026, 11, 30, 10);
};

TEST_F(SiteWorkTest, Cn2NoAppointmentNoWork) {
  EXPECT_TRUE(RefusedBy(Start("", monday_ten_).status(), "CN-2"));
  EXPECT_TRUE(absl::IsNotFound(Start("APT-404", monday_ten_).status()));
  EXPECT_TRUE(project_.work_sessions().empty());
}

TEST_F(SiteWorkTest, Cn2ProposedIsNotEnoughConfirmedIs) {
  Schedule("APT-1");
  EXPECT_EQ(project_.appointments(0).state(), v1::SITE_APPOINTMENT_STATE_PROPOSED);
  auto refused = Start("APT-1", monday_ten_);
  EXPECT_TRUE(RefusedBy(refused.status(), "CN-2"));
  ASSERT_TRUE(Confirm("APT-1").ok());
  EXPECT_EQ(project_.appointments(0).state(), v1::SITE_APPOINTMENT_STATE_CONFIRMED);
  auto started = Start("APT-1", monday_ten_);
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_TRUE(started->breaches.empty());
  EXPECT_EQ(project_.work_sessions_size(), 1);
}

// CN-2 agrees a time with the customer, not a day: the appointment's
// [starts_at, ends_at) must hold the start of work. 23:00 under a 09:00-17:00
// appointment is not what the customer agreed to.
TEST_F(SiteWorkTest, Cn2TheAppointmentMustCoverTheStartTime) {
  Schedule("APT-1");  // Monday 09:00-17:00
  ASSERT_TRUE(Confirm("APT-1").ok());
  for (absl::Time outside : {Local(2026, 12, 1, 9), Local(2026, 11, 30, 23), Local(2026, 11, 30, 17),
                             Local(2026, 11, 30, 9) - absl::Microseconds(1), Local(2026, 11, 30)}) {
    auto refused = Start("APT-1", outside);
    EXPECT_TRUE(RefusedBy(refused.status(), "CN-2")) << outside << ": " << refused.status();
    EXPECT_NE(refused.status().message().find("does not cover the start of work"), absl::string_view::npos);
  }
  EXPECT_TRUE(project_.work_sessions().empty());
  EXPECT_TRUE(Start("APT-1", Local(2026, 11, 30, 9)).ok());
  EXPECT_TRUE(Start("APT-1", Local(2026, 11, 30, 17) - absl::Microseconds(1)).ok());
}

// CN-2 asks for the customer's cooperation as part of the appointment: one
// that does not record it asked does not allow the work, confirmed or not.
TEST_F(SiteWorkTest, Cn2TheAppointmentMustAskForTheCustomersCooperation) {
  Schedule("APT-1", /*traffic_affecting=*/false, /*cooperation_requested=*/false);
  ASSERT_TRUE(Confirm("APT-1").ok());
  auto refused = Start("APT-1", monday_ten_);
  EXPECT_TRUE(RefusedBy(refused.status(), "CN-2")) << refused.status();
  EXPECT_NE(refused.status().message().find("cooperation"), absl::string_view::npos) << refused.status();
  EXPECT_TRUE(project_.work_sessions().empty());
  auto forced = Start("APT-1", monday_ten_, /*force=*/true);
  ASSERT_TRUE(forced.ok()) << forced.status();
  ASSERT_EQ(forced->breaches.size(), 1u);
  EXPECT_EQ(forced->breaches[0].rule(), "CN-2");
  EXPECT_NE(forced->breaches[0].detail().find("cooperation"), std::string::npos);
}

TEST_F(SiteWorkTest, Cn2ConfirmationOnceAndInOrder) {
  Schedule("APT-1");
  EXPECT_TRUE(HasViolation(Confirm("APT-1", kFriday), "confirmed_at"));  // before it was scheduled
  ASSERT_TRUE(Confirm("APT-1").ok());
  EXPECT_TRUE(RefusedBy(Confirm("APT-1"), "CN-2"));
  EXPECT_TRUE(absl::IsNotFound(Confirm("APT-2")));
}

TEST_F(SiteWorkTest, Cn2ConfirmationBackFilledAfterTheStartDoesNotCount) {
  Schedule("APT-1");
  // Work started at 08:00; the customer's confirmation is recorded as of 10:00.
  ASSERT_TRUE(Confirm("APT-1", Local(2026, 11, 30, 10)).ok());
  auto refused = Start("APT-1", Local(2026, 11, 30, 8));
  EXPECT_TRUE(RefusedBy(refused.status(), "CN-2")) << refused.status();
  EXPECT_NE(refused.status().message().find("confirmed only after the work started"), absl::string_view::npos);
  EXPECT_TRUE(project_.work_sessions().empty());
  // Forced, the early start is a CN-2 gate breach like a missing confirmation.
  auto forced = Start("APT-1", Local(2026, 11, 30, 8), /*force=*/true);
  ASSERT_TRUE(forced.ok()) << forced.status();
  ASSERT_EQ(forced->breaches.size(), 1u);
  EXPECT_EQ(forced->breaches[0].rule(), "CN-2");
  // Confirmed exactly at the start is in time.
  auto on_time = Start("APT-1", Local(2026, 11, 30, 10));
  ASSERT_TRUE(on_time.ok()) << on_time.status();
  EXPECT_TRUE(on_time->breaches.empty());
}

TEST_F(SiteWorkTest, Cn2ForcedStartIsRecordedAsAForcedGateBreach) {
  auto e = Start("", monday_ten_, /*force=*/true);
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->breaches.size(), 1u);
  const v1::Breach& b = e->breaches[0];
  EXPECT_EQ(b.rule(), "CN-2");
  EXPECT_TRUE(b.forced());
  EXPECT_EQ(b.mechanism(), v1::MECHANISM_GATE);
  EXPECT_EQ(b.staff_id(), "S-9");
  EXPECT_EQ(b.breach_id(), "construction/CN-2/project/PRJ-1/work_session/WS-1");
  EXPECT_TRUE(project_.work_sessions(0).forced());
}

TEST_F(SiteWorkTest, Cn7TrafficAffectingWorkNeedsTheCompleteChecklist) {
  Schedule("APT-1", /*traffic_affecting=*/true);
  ASSERT_TRUE(Confirm("APT-1").ok());
  auto missing = Start("APT-1", monday_ten_);
  EXPECT_TRUE(RefusedBy(missing.status(), "CN-7"));
  EXPECT_NE(missing.status().message().find("missing"), absl::string_view::npos);

  ASSERT_TRUE(RecordSafetyChecklist(rules_, project_, Checklist("APT-1", /*courtesy_sign=*/false)).ok());
  EXPECT_FALSE(SafetyChecklistComplete(project_.safety_checklists(0)));
  EXPECT_TRUE(RefusedBy(Start("APT-1", monday_ten_).status(), "CN-7"));

  ASSERT_TRUE(RecordSafetyChecklist(rules_, project_, Checklist("APT-1", /*courtesy_sign=*/true)).ok());
  EXPECT_TRUE(Start("APT-1", monday_ten_).ok());
}

TEST_F(SiteWorkTest, Cn7ChecklistRecordedAfterTheStartDoesNotCount) {
  Schedule("APT-1", /*traffic_affecting=*/true);
  ASSERT_TRUE(Confirm("APT-1").ok());
  v1::SafetyChecklist late = Checklist("APT-1", /*courtesy_sign=*/true);
  *late.mutable_recorded_at() = ToProto(monday_ten_ + absl::Hours(2));  // back-filled after the start
  ASSERT_TRUE(RecordSafetyChecklist(rules_, project_, late).ok());
  auto refused = Start("APT-1", monday_ten_);
  EXPECT_TRUE(RefusedBy(refused.status(), "CN-7")) << refused.status();
  EXPECT_NE(refused.status().message().find("recorded only after the work started"), absl::string_view::npos);
  auto forced = Start("APT-1", monday_ten_, /*force=*/true);
  ASSERT_TRUE(forced.ok()) << forced.status();
  ASSERT_EQ(forced->breaches.size(), 1u);
  EXPECT_EQ(forced->breaches[0].rule(), "CN-7");
  EXPECT_TRUE(Start("APT-1", monday_ten_ + absl::Hours(2)).ok());  // recorded exactly at the start: in time
}

// The checklist in force is the one with the latest recorded_at, not the
// last one synced: a back-filled older (incomplete) checklist does not
// override the complete one recorded after it.
TEST_F(SiteWorkTest, Cn7TheLatestRecordedChecklistCountsNotTheLastSynced) {
  Schedule("APT-1", /*traffic_affecting=*/true);
  ASSERT_TRUE(Confirm("APT-1").ok());
  ASSERT_TRUE(RecordSafetyChecklist(rules_, project_, Checklist("APT-1", /*courtesy_sign=*/true)).ok());
  v1::SafetyChecklist older = Checklist("APT-1", /*courtesy_sign=*/false);
  *older.mutable_recorded_at() = ToProto(kFriday + absl::Hours(1));  // before the complete one
  ASSERT_TRUE(RecordSafetyChecklist(rules_, project_, older).ok());
  auto started = Start("APT-1", monday_ten_);
  EXPECT_TRUE(started.ok()) << started.status();

  // And the other way round: a newer incomplete checklist is in force.
  v1::SafetyChecklist newer = Checklist("APT-1", /*courtesy_sign=*/false);
  *newer.mutable_recorded_at() = ToProto(kFriday + absl::Hours(4));
  ASSERT_TRUE(RecordSafetyChecklist(rules_, project_, newer).ok());
  EXPECT_TRUE(RefusedBy(Start("APT-1", monday_ten_).status(), "CN-7"));
}

TEST_F(SiteWorkTest, Cn7ChecklistNeedsEveryMeasureDone) {
  v1::SafetyChecklist c = Checklist("APT-1", true);
  EXPECT_TRUE(SafetyChecklistComplete(c));
  c.mutable_measures()->add_items()->set_item("night lighting");  // not done
  EXPECT_FALSE(SafetyChecklistComplete(c));
  c.clear_measures();
  EXPECT_FALSE(SafetyChecklistComplete(c));  // no measures at all
}

TEST_F(SiteWorkTest, Cn7ForcedStartRecordsEachFailedGate) {
  Schedule("APT-1", /*traffic_affecting=*/true);  // neither confirmed nor checklisted
  auto e = Start("APT-1", monday_ten_, /*force=*/true);
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->breaches.size(), 2u);
  EXPECT_EQ(e->breaches[0].rule(), "CN-2");
  EXPECT_EQ(e->breaches[1].rule(), "CN-7");
  EXPECT_TRUE(e->breaches[1].forced());
}

// Emergency work without an appointment has no checklist: impeding traffic,
// it breaches CN-7 besides CN-2; not impeding traffic, only CN-2.
TEST_F(SiteWorkTest, Cn7ForcedWorkWithoutAnAppointmentThatImpedesTraffic) {
  auto quiet = Start("", monday_ten_, /*force=*/true);
  ASSERT_TRUE(quiet.ok());
  ASSERT_EQ(quiet->breaches.size(), 1u);
  EXPECT_EQ(quiet->breaches[0].rule(), "CN-2");

  auto traffic = Start("", monday_ten_, /*force=*/true, /*traffic_affecting=*/true);
  ASSERT_TRUE(traffic.ok());
  ASSERT_EQ(traffic->breaches.size(), 2u);
  EXPECT_EQ(traffic->breaches[0].rule(), "CN-2");
  EXPECT_EQ(traffic->breaches[1].rule(), "CN-7");
  EXPECT_TRUE(traffic->breaches[1].forced());
  EXPECT_NE(traffic->breaches[1].detail().find("no appointment"), std::string::npos) << traffic->breaches[1].detail();
  EXPECT_TRUE(project_.work_sessions(1).traffic_affecting());
}

// The crew's own flag counts where the appointment did not foresee traffic.
TEST_F(SiteWorkTest, Cn7AppliesWhenTheWorkSaysItImpedesTraffic) {
  Schedule("APT-1");  // not traffic-affecting as scheduled
  ASSERT_TRUE(Confirm("APT-1").ok());
  EXPECT_TRUE(RefusedBy(Start("APT-1", monday_ten_, false, /*traffic_affecting=*/true).status(), "CN-7"));
  ASSERT_TRUE(RecordSafetyChecklist(rules_, project_, Checklist("APT-1", /*courtesy_sign=*/true)).ok());
  EXPECT_TRUE(Start("APT-1", monday_ten_, false, /*traffic_affecting=*/true).ok());
}

TEST_F(SiteWorkTest, ChecklistForAnUnknownAppointmentIsNotFound) {
  EXPECT_TRUE(absl::IsNotFound(RecordSafetyChecklist(rules_, project_, Checklist("APT-9", true)).status()));
}

TEST_F(SiteWorkTest, EndingWorkOnceAndNotBeforeItsStart) {
  ASSERT_TRUE(Start("", monday_ten_, true).ok());
  EXPECT_TRUE(HasViolation(EndSiteWork(rules_, project_, "WS-1", monday_ten_ - absl::Minutes(1)).status(), "ended_at"));
  EXPECT_TRUE(EndSiteWork(rules_, project_, "WS-1", monday_ten_ + absl::Hours(4)).ok());
  EXPECT_TRUE(RefusedBy(EndSiteWork(rules_, project_, "WS-1", monday_ten_ + absl::Hours(5)).status(), "PROJECT_STATE"));
  EXPECT_TRUE(absl::IsNotFound(EndSiteWork(rules_, project_, "WS-2", monday_ten_).status()));
}

}  // namespace
}  // namespace gridserve::construction::testing
