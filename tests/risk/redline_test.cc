// RK-1..RK-11: the investigation workflow REPORTED → INVESTIGATING →
// CONFIRMED | DISMISSED, every legal and illegal step, and intake checks.
#include "services/risk/domain/redline.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/config.h"
#include "services/common/request_limits.h"
#include "services/common/rpc_util.h"
#include "services/common/status_util.h"
#include "tests/common/test_db.h"

namespace gridserve::risk {
namespace {

using ::gridserve::testing::kStart;
using ::testing::Contains;
using ::testing::Field;

const absl::Duration kSkew = absl::Minutes(5);

v1::ReportRedLineRequest Request() {
  v1::ReportRedLineRequest r;
  r.set_request_id("r1");
  r.set_rule("RK-8");
  r.set_source(v1::RED_LINE_SOURCE_TIP_OFF);
  r.set_department("repair");
  r.mutable_staff()->set_staff_id("S-1");
  *r.mutable_occurred_at() = ToProto(kStart - absl::Hours(24));
  r.set_description("gift accepted");
  return r;
}

v1::StaffRef Staff(const std::string& id) {
  v1::StaffRef s;
  s.set_staff_id(id);
  s.set_department("operations");
  return s;
}

v1::RedLineReport InState(v1::RedLineState state) {
  v1::RedLineReport r = NewRedLineReport(Request(), "RL-1", kStart);
  r.set_state(state);
  *r.mutable_investigation_started_at() = ToProto(kStart);
  return r;
}

std::vector<std::string> Fields(const absl::Status& s) {
  std::vector<std::string> out;
  for (const auto& fv : FieldViolationsOf(s)) out.push_back(fv.field);
  return out;
}

TEST(RedLineRulesTest, ElevenRedLinesAndNothingElse) {
  EXPECT_EQ(RedLineRules().size(), 11u);
  EXPECT_TRUE(IsRedLineRule("RK-1"));
  EXPECT_TRUE(IsRedLineRule("RK-11"));
  EXPECT_FALSE(IsRedLineRule("RK-12"));
  EXPECT_FALSE(IsRedLineRule("RK-0"));
  EXPECT_FALSE(IsRedLineRule("CC-1"));
}

TEST(RedLineIntakeTest, NewReportIsReportedAtTheTimeItArrives) {
  const v1::RedLineReport r = NewRedLineReport(Request(), "RL-1", kStart);
  EXPECT_EQ(r.state(), v1::RED_LINE_STATE_REPORTED);
  EXPECT_EQ(r.report_id(), "RL-1");
  EXPECT_EQ(r.rule(), "RK-8");
  EXPECT_EQ(FromProto(r.reported_at()), kStart);
}

// A sender's text longer than risk accepts (a complaint's summary) is cut by
// the relay to what risk's intake takes, on a character boundary, naming
// where the full text is: refused, it would be retried for ever.
TEST(RedLineIntakeTest, ALongDescriptionIsFittedToWhatIntakeAccepts) {
  v1::ReportRedLineRequest r = Request();
  std::string text = "x";
  while (text.size() <= kMaxTextSize) text += "\xe7\xa4\xbc";  // "礼", 3 bytes each
  r.set_description(text);
  EXPECT_EQ(ValidateRedLineRequest(r, kStart, kSkew).code(), absl::StatusCode::kInvalidArgument);

  EXPECT_EQ(FitTextToLimits(r, FullTextNote("contact-center", "CASE-1")), 1);
  EXPECT_TRUE(ValidateRedLineRequest(r, kStart, kSkew).ok());
  EXPECT_TRUE(CheckRequestLimits(r).ok());
  EXPECT_LE(r.description().size(), kMaxTextSize);
  EXPECT_THAT(r.description(), ::testing::EndsWith("the full text is in contact-center CASE-1]"));
  const std::string kept = r.description().substr(0, r.description().find(" [... cut"));
  EXPECT_EQ(text.substr(0, kept.size()), kept);
  EXPECT_EQ((kept.size() - 1) % 3, 0u) << "cut inside a character";

  r.set_description("gift accepted");
  EXPECT_EQ(FitTextToLimits(r, FullTextNote("counter", "V-1")), 0);
  EXPECT_EQ(r.description(), "gift accepted");
}

TEST(RedLineIntakeTest, ValidRequestPasses) { EXPECT_TRUE(ValidateRedLineRequest(Request(), kStart, kSkew).ok()); }

TEST(RedLineIntakeTest, EveryBadFieldIsNamed) {
  v1::ReportRedLineRequest r = Request();
  r.set_rule("RK-12");
  r.set_source(v1::RED_LINE_SOURCE_UNSPECIFIED);
  r.clear_department();
  r.clear_description();
  r.set_source_service("billing");
  *r.mutable_occurred_at() = ToProto(kStart + kSkew + absl::Microseconds(1));
  const absl::Status s = ValidateRedLineRequest(r, kStart, kSkew);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(s), ::testing::UnorderedElementsAre("rule", "source", "department", "description",
                                                         "source_service", "occurred_at"));
}

TEST(RedLineIntakeTest, OccurredAtExactlyAtTheSkewIsAccepted) {
  v1::ReportRedLineRequest r = Request();
  *r.mutable_occurred_at() = ToProto(kStart + kSkew);
  EXPECT_TRUE(ValidateRedLineRequest(r, kStart, kSkew).ok());
}

TEST(RedLineIntakeTest, InvestigationDueIsTheConfiguredWorkingDays) {
  auto config = DefaultConfig();
  auto calendar = BusinessCalendar::FromConfig(config.calendar());
  ASSERT_TRUE(calendar.ok());
  // kStart is Friday 2026-11-27 17:00 in the default +08:00 calendar: the 10th
  // working day after it ends with Friday 11 December, the 3rd with Wednesday 2 December.
  const auto end_of_day = [](int month, int day) {
    return absl::FromCivil(absl::CivilDay(2026, month, day + 1), absl::FixedTimeZone(8 * 3600));
  };
  EXPECT_EQ(InvestigationDue(kStart, *calendar, config.risk()), end_of_day(12, 11));
  config.mutable_risk()->set_investigation_working_days(3);
  EXPECT_EQ(InvestigationDue(kStart, *calendar, config.risk()), end_of_day(12, 2));
}

TEST(RedLineWorkflowTest, ReportedToInvestigating) {
  auto t = StartInvestigation(InState(v1::RED_LINE_STATE_REPORTED), Staff("I-1"), kStart + absl::Hours(1));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->report.state(), v1::RED_LINE_STATE_INVESTIGATING);
  EXPECT_EQ(t->report.investigator().staff_id(), "I-1");
  EXPECT_EQ(FromProto(t->report.investigation_started_at()), kStart + absl::Hours(1));
  EXPECT_EQ(t->change.from_state(), v1::RED_LINE_STATE_REPORTED);
  EXPECT_EQ(t->change.to_state(), v1::RED_LINE_STATE_INVESTIGATING);
  EXPECT_EQ(t->change.changed_by().staff_id(), "I-1");
}

TEST(RedLineWorkflowTest, InvestigatingToConfirmedRecordsWhoWhenFindingAndAction) {
  auto t = Confirm(InState(v1::RED_LINE_STATE_INVESTIGATING), Staff("D-1"), kStart + absl::Hours(2), "gift proven",
                   "staff disciplined");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->report.state(), v1::RED_LINE_STATE_CONFIRMED);
  EXPECT_EQ(t->report.decided_by().staff_id(), "D-1");
  EXPECT_EQ(FromProto(t->report.decided_at()), kStart + absl::Hours(2));
  EXPECT_EQ(t->report.finding(), "gift proven");
  EXPECT_EQ(t->report.action_taken(), "staff disciplined");
  EXPECT_EQ(t->change.finding(), "gift proven");
  EXPECT_EQ(t->change.action_taken(), "staff disciplined");
  EXPECT_EQ(t->change.to_state(), v1::RED_LINE_STATE_CONFIRMED);
}

TEST(RedLineWorkflowTest, InvestigatingToDismissed) {
  auto t = Dismiss(InState(v1::RED_LINE_STATE_INVESTIGATING), Staff("D-1"), kStart + absl::Hours(2), "no evidence", "");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->report.state(), v1::RED_LINE_STATE_DISMISSED);
  EXPECT_EQ(t->change.from_state(), v1::RED_LINE_STATE_INVESTIGATING);
  EXPECT_EQ(t->report.finding(), "no evidence");
}

// Every (state, step) pair outside the three legal ones is FAILED_PRECONDITION naming the clause.
TEST(RedLineWorkflowTest, EveryIllegalTransitionIsAFailedPrecondition) {
  const absl::Time at = kStart + absl::Hours(3);
  for (v1::RedLineState state : RedLineStates()) {
    const v1::RedLineReport report = InState(state);
    const auto start = StartInvestigation(report, Staff("I"), at);
    const auto confirm = Confirm(report, Staff("D"), at, "f", "a");
    const auto dismiss = Dismiss(report, Staff("D"), at, "f", "");
    EXPECT_EQ(start.ok(), state == v1::RED_LINE_STATE_REPORTED) << StateLabel(state);
    EXPECT_EQ(confirm.ok(), state == v1::RED_LINE_STATE_INVESTIGATING) << StateLabel(state);
    EXPECT_EQ(dismiss.ok(), state == v1::RED_LINE_STATE_INVESTIGATING) << StateLabel(state);
    for (const absl::Status& s : {start.status(), confirm.status(), dismiss.status()}) {
      if (s.ok()) continue;
      EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << StateLabel(state);
      EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr(StateLabel(state)));
    }
  }
}

TEST(RedLineWorkflowTest, EventTimesMustBeInOrder) {
  auto early_start = StartInvestigation(InState(v1::RED_LINE_STATE_REPORTED), Staff("I"), kStart - absl::Hours(48));
  EXPECT_EQ(early_start.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(early_start.status()), Contains("started_at"));
  // After the behaviour but before the report was recorded (kStart): nobody
  // investigates a report that does not exist yet. Exactly at reported_at is in order.
  auto before_report = StartInvestigation(InState(v1::RED_LINE_STATE_REPORTED), Staff("I"), kStart - absl::Hours(1));
  EXPECT_EQ(before_report.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(before_report.status()), Contains("started_at"));
  EXPECT_TRUE(StartInvestigation(InState(v1::RED_LINE_STATE_REPORTED), Staff("I"), kStart).ok());
  auto early_decision =
      Confirm(InState(v1::RED_LINE_STATE_INVESTIGATING), Staff("D"), kStart - absl::Microseconds(1), "f", "a");
  EXPECT_THAT(Fields(early_decision.status()), Contains("decided_at"));
  // Exactly at the start of the investigation is in order.
  EXPECT_TRUE(Confirm(InState(v1::RED_LINE_STATE_INVESTIGATING), Staff("D"), kStart, "f", "a").ok());
}

TEST(RedLineWorkflowTest, DecisionRequestsNeedWhoWhenAndFinding) {
  v1::ConfirmRedLineRequest confirm;
  confirm.set_report_id("RL-1");
  EXPECT_THAT(Fields(ValidateConfirm(confirm, kStart, kSkew)),
              ::testing::UnorderedElementsAre("decided_by.staff_id", "decided_at", "finding", "action_taken"));
  v1::DismissRedLineRequest dismiss;
  dismiss.set_report_id("RL-1");
  // Dismissal: the action taken is optional.
  EXPECT_THAT(Fields(ValidateDismiss(dismiss, kStart, kSkew)),
              ::testing::UnorderedElementsAre("decided_by.staff_id", "decided_at", "finding"));
  v1::StartInvestigationRequest start;
  EXPECT_THAT(Fields(ValidateStartInvestigation(start, kStart, kSkew)),
              ::testing::UnorderedElementsAre("report_id", "investigator.staff_id", "started_at"));
}

// RK-1..RK-11 "investigation" SLA: an overdue investigation is the
// investigation's breach. It goes to the investigator who held the report at
// the due time, else to the department handling investigations; never to the
// reported staff member (S-1 of repair in InState).
TEST(OverdueInvestigationTest, RkInvestigationBreachGoesToTheInvestigatorNeverTheReportedStaff) {
  const absl::Time due = kStart + absl::Hours(240);
  v1::RedLineReport held = InState(v1::RED_LINE_STATE_INVESTIGATING);
  *held.mutable_investigator() = Staff("I-1");
  *held.mutable_investigation_started_at() = ToProto(due);  // taken on exactly by the due time
  const Responsible investigator = OverdueInvestigationOwner(held, due, kInvestigatingDepartment);
  EXPECT_EQ(investigator.department, "operations");
  EXPECT_EQ(investigator.staff_id, "I-1");

  held.mutable_investigator()->clear_department();  // an investigator who names no department
  EXPECT_EQ(OverdueInvestigationOwner(held, due, kInvestigatingDepartment).department, kInvestigatingDepartment);
  EXPECT_EQ(OverdueInvestigationOwner(held, due, kInvestigatingDepartment).staff_id, "I-1");

  const Responsible unassigned = OverdueInvestigationOwner(InState(v1::RED_LINE_STATE_REPORTED), due, kInvestigatingDepartment);
  EXPECT_EQ(unassigned.department, kInvestigatingDepartment);
  EXPECT_EQ(unassigned.staff_id, "");

  // Taken on after the due time: it expired while nobody held it.
  *held.mutable_investigation_started_at() = ToProto(due + absl::Microseconds(1));
  EXPECT_EQ(OverdueInvestigationOwner(held, due, kInvestigatingDepartment).department, kInvestigatingDepartment);
  EXPECT_EQ(OverdueInvestigationOwner(held, due, kInvestigatingDepartment).staff_id, "");
}

// risk.investigation_department names who answers when nobody held the report.
TEST(OverdueInvestigationTest, RkTheConfiguredInvestigationDepartmentAnswersForAnUnheldReport) {
  v1::RiskConfig config;
  EXPECT_EQ(InvestigatingDepartment(config), kInvestigatingDepartment);  // the default: the risk function
  config.set_investigation_department("operations");
  EXPECT_EQ(InvestigatingDepartment(config), "operations");
  const Responsible unassigned = OverdueInvestigationOwner(InState(v1::RED_LINE_STATE_REPORTED),
                                                           kStart + absl::Hours(240), InvestigatingDepartment(config));
  EXPECT_EQ(unassigned.department, "operations");
  EXPECT_EQ(unassigned.staff_id, "");
}

TEST(RedLineSubjectTest, RoundTrips) {
  EXPECT_EQ(ReportSubject("RL-9"), "red_line/RL-9");
  EXPECT_EQ(ReportIdOfSubject("red_line/RL-9"), "RL-9");
  EXPECT_EQ(ReportIdOfSubject("work_order/WO-1"), "");
}

}  // namespace
}  // namespace gridserve::risk
