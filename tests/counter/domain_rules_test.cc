// The pure clause rules of services/counter/domain, at their edges.
#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/config.h"
#include "services/common/rpc_util.h"
#include "services/counter/domain/accessibility_rules.h"
#include "services/counter/domain/business_types.h"
#include "services/counter/domain/closing_rules.h"
#include "services/counter/domain/failure_rules.h"
#include "services/counter/domain/queue_rules.h"
#include "services/counter/domain/visit_rules.h"

namespace gridserve::counter::domain {
namespace {

using ::testing::Contains;
using ::testing::Field;
using ::testing::IsEmpty;
using ::testing::Property;

const absl::Time kT0 = absl::FromCivil(absl::CivilSecond(2026, 11, 27, 1, 0, 0), absl::UTCTimeZone());
const absl::Duration kUs = absl::Microseconds(1);

v1::CounterConfig Ct() { return DefaultConfig().counter(); }

// CT-9: accessibility needs raise the priority, mobility needs most.
TEST(AccessibilityRules, PriorityFromNeeds) {
  google::protobuf::RepeatedField<int> none, hearing, wheelchair;
  hearing.Add(v1::ACCESSIBILITY_NEED_HARD_OF_HEARING);
  wheelchair.Add(v1::ACCESSIBILITY_NEED_ELDERLY);
  wheelchair.Add(v1::ACCESSIBILITY_NEED_WHEELCHAIR);
  EXPECT_EQ(TicketPriority(none), kPriorityNone);
  EXPECT_EQ(TicketPriority(hearing), kPriorityAccessibility);
  EXPECT_EQ(TicketPriority(wheelchair), kPriorityMobility);
}

// CT-9: follow-up within 3 working days: Friday's case is due at the end of Wednesday.
TEST(AccessibilityRules, HomeServiceFollowupSkipsTheWeekend) {
  auto config = DefaultConfig();
  auto calendar = *BusinessCalendar::FromConfig(config.calendar());
  const absl::Time due = HomeServiceFollowupDue(kT0, config.counter(), calendar);  // Fri 09:00 +08:00
  EXPECT_EQ(calendar.LocalDay(due - kUs), absl::CivilDay(2026, 12, 2));               // Wednesday
  EXPECT_EQ(due, calendar.AddWorkingDays(kT0, 3));
}

// CT-9 check: a call passes over the waiting tickets of higher priority issued
// by then; same-priority order and tickets issued after the call are not CT-9.
TEST(QueueRules, Ct9PriorityPassedOver) {
  v1::Ticket called, earlier_plain, priority, later_priority;
  called.set_ticket_id("called");
  *called.mutable_issued_at() = ToProto(kT0 + absl::Minutes(1));
  earlier_plain = called;
  earlier_plain.set_ticket_id("plain");
  *earlier_plain.mutable_issued_at() = ToProto(kT0);
  priority = called;
  priority.set_ticket_id("priority");
  priority.set_priority(kPriorityMobility);
  later_priority = priority;
  later_priority.set_ticket_id("later");
  *later_priority.mutable_issued_at() = ToProto(kT0 + absl::Minutes(5));
  const std::vector<v1::Ticket> waiting = {earlier_plain, called, priority, later_priority};
  const auto passed = PriorityPassedOver(called, waiting, kT0 + absl::Minutes(2));
  ASSERT_EQ(passed.size(), 1u);
  EXPECT_EQ(passed[0].ticket_id(), "priority");
  EXPECT_THAT(PriorityPassedOver(priority, waiting, kT0 + absl::Minutes(2)), IsEmpty());
  EXPECT_EQ(PriorityPassedOver(called, waiting, kT0 + absl::Minutes(5)).size(), 2u);  // issued exactly then: waits
}

// Queue order: priority first, then issue time, then id.
TEST(QueueRules, QueueOrder) {
  v1::Ticket early, late, priority;
  early.set_ticket_id("b");
  *early.mutable_issued_at() = ToProto(kT0);
  late.set_ticket_id("a");
  *late.mutable_issued_at() = ToProto(kT0 + absl::Minutes(1));
  priority = late;
  priority.set_priority(kPriorityAccessibility);
  EXPECT_TRUE(QueueBefore(early, late));
  EXPECT_TRUE(QueueBefore(priority, early));
  EXPECT_FALSE(QueueBefore(late, early));
}

// CT-4 timer edge: exactly at 15 min is on time, one microsecond later is overdue.
TEST(QueueRules, WaitLimitEdge) {
  EXPECT_EQ(TicketWaitDue(kT0, Ct()), kT0 + absl::Minutes(15));
  EXPECT_FALSE(WaitOverdue(kT0, kT0 + absl::Minutes(15), Ct()));
  EXPECT_TRUE(WaitOverdue(kT0, kT0 + absl::Minutes(15) + kUs, Ct()));
}

// CT-6 edge: a wait of exactly 10 min needs no apology; longer without one is a breach.
TEST(QueueRules, ApologyThresholdEdge) {
  EXPECT_FALSE(ApologyMissing(absl::Minutes(10), false, Ct()));
  EXPECT_TRUE(ApologyMissing(absl::Minutes(10) + kUs, false, Ct()));
  EXPECT_FALSE(ApologyMissing(absl::Minutes(30), true, Ct()));
}

// CT-4 check: back office while a ticket waits beyond the limit.
TEST(QueueRules, BackOfficeBreachBeginsWhenBothHold) {
  const absl::Time issued = kT0;
  // Back office from the start: the breach begins when the wait passes the limit.
  EXPECT_EQ(BackOfficeBreachAt(kT0, issued, kT0 + absl::Minutes(15), Ct()), std::nullopt);
  EXPECT_EQ(BackOfficeBreachAt(kT0, issued, kT0 + absl::Minutes(15) + kUs, Ct()), kT0 + absl::Minutes(15));
  // Going to back office when the customer already waited too long: at once.
  const absl::Time late = kT0 + absl::Minutes(20);
  EXPECT_EQ(BackOfficeBreachAt(late, issued, late, Ct()), late);
}

// CT-7: short up to the limit, long beyond; the conversion clock.
TEST(FailureRules, ShortThenLong) {
  EXPECT_FALSE(FailureIsLong(kT0, kT0 + absl::Minutes(15), Ct()));
  EXPECT_TRUE(FailureIsLong(kT0, kT0 + absl::Minutes(15) + kUs, Ct()));
  EXPECT_EQ(FailureBecomesLongAt(kT0, Ct()), kT0 + absl::Minutes(15));
  const absl::Time became_long = kT0 + absl::Minutes(15);
  EXPECT_EQ(ConversionClockStart(became_long, kT0), became_long);
  EXPECT_EQ(ConversionClockStart(became_long, became_long + absl::Minutes(3)), became_long + absl::Minutes(3));
  EXPECT_EQ(ConversionDue(became_long, Ct()), became_long + absl::Minutes(15));
}

// CT-10: the closing time of the local day; tickets before it hold the closing.
// CT-7: the queued customers (WAITING, or CALLED with no visit yet) wait in a
// failure on their ticket; once a visit started, or the ticket left the queue,
// the ticket carries no conversion clock.
TEST(FailureRules, Ct7TicketsThatWaitForConversion) {
  v1::Ticket t;
  t.set_state(v1::TICKET_STATE_WAITING);
  EXPECT_TRUE(TicketWaitsForConversion(t));
  t.set_state(v1::TICKET_STATE_CALLED);
  EXPECT_TRUE(TicketWaitsForConversion(t));
  t.set_visit_id("VS-1");
  EXPECT_FALSE(TicketWaitsForConversion(t));
  t.clear_visit_id();
  for (auto state : {v1::TICKET_STATE_SERVING, v1::TICKET_STATE_DONE, v1::TICKET_STATE_NO_SHOW,
                     v1::TICKET_STATE_CANCELLED}) {
    t.set_state(state);
    EXPECT_FALSE(TicketWaitsForConversion(t)) << v1::TicketState_Name(state);
  }
}

TEST(ClosingRules, ClosingTimeAndGate) {
  auto config = DefaultConfig();
  auto calendar = *BusinessCalendar::FromConfig(config.calendar());
  const absl::Time closing = ClosingTimeOn(kT0, config.counter(), calendar);
  EXPECT_EQ(closing, absl::FromCivil(absl::CivilSecond(2026, 11, 27, 9, 30, 0), absl::UTCTimeZone()));  // 17:30 +08
  EXPECT_TRUE(IssuedBeforeClosing(closing - kUs, closing));
  EXPECT_FALSE(IssuedBeforeClosing(closing, closing));

  OpenBusiness open;
  EXPECT_TRUE(CheckClose("hall/H1", open, false).ok());
  open.visit_ids.push_back("V1");
  absl::Status refused = CheckClose("hall/H1", open, false);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.message()), ::testing::StartsWith("CT-10: business in progress"));
  EXPECT_TRUE(CheckClose("hall/H1", open, true).ok());
}

// CT-10: a hall closed for the day takes no new business that day.
TEST(ClosingRules, AHallClosedForTheDayIsClosedToNewBusiness) {
  const absl::CivilDay day(2026, 12, 7);
  EXPECT_TRUE(CheckOpenForBusiness("hall/H1", day, /*closed=*/false).ok());
  absl::Status refused = CheckOpenForBusiness("hall/H1", day, /*closed=*/true);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.message()), ::testing::StartsWith("CT-10: the hall is closed for 2026-12-07"));
}

// CT-1: only the owner ends; redirection unfinished is a breach.
TEST(VisitRules, OwnerGateAndRedirection) {
  v1::Visit visit;
  visit.set_visit_id("V1");
  visit.mutable_owner()->set_staff_id("S1");
  EXPECT_TRUE(CheckOwnerEnds(visit, "S1").ok());
  absl::Status s = CheckOwnerEnds(visit, "S2");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), ::testing::StartsWith("CT-1: not the owner"));
  EXPECT_TRUE(IsFirstContactBreach(v1::VISIT_OUTCOME_REDIRECTED_UNFINISHED));
  EXPECT_FALSE(IsFirstContactBreach(v1::VISIT_OUTCOME_COMPLETED));
  EXPECT_FALSE(IsEndVisitOutcome(v1::VISIT_OUTCOME_CONVERTED_TO_APPOINTMENT));
  EXPECT_FALSE(IsEndVisitOutcome(v1::VISIT_OUTCOME_HOME_SERVICE));
  EXPECT_TRUE(IsEndVisitOutcome(v1::VISIT_OUTCOME_CUSTOMER_LEFT));
}

// CT-8: arguing, or a policy request not explained, is a breach.
TEST(VisitRules, Escalation) {
  v1::Escalation e;
  e.set_reason(v1::ESCALATION_REASON_POLICY_REQUEST);
  e.set_policy_explained(true);
  EXPECT_EQ(EscalationBreach(e), std::nullopt);
  e.set_argued_with_customer(true);
  EXPECT_NE(EscalationBreach(e), std::nullopt);
  e.set_argued_with_customer(false);
  e.set_policy_explained(false);
  EXPECT_NE(EscalationBreach(e), std::nullopt);
  e.set_reason(v1::ESCALATION_REASON_AGITATED_CUSTOMER);
  EXPECT_EQ(EscalationBreach(e), std::nullopt);
}

// CT-2/CT-5: FAIL items are findings of their clause; only CT clauses are reviewable here.
TEST(VisitRules, ReviewFailures) {
  v1::QualityReview review;
  auto* a = review.add_items();
  a->set_clause("CT-2");
  a->set_item("stood_to_greet");
  a->set_result(v1::REVIEW_RESULT_PASS);
  auto* b = review.add_items();
  b->set_clause("CT-5");
  b->set_item("said_goodbye");
  b->set_result(v1::REVIEW_RESULT_FAIL);
  auto findings = ReviewFailures(review);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].clause, "CT-5");
  EXPECT_EQ(findings[0].item_index, 1);
  EXPECT_TRUE(IsCounterClause("CT-2"));
  EXPECT_FALSE(IsCounterClause("CC-7"));
  EXPECT_FALSE(IsCounterClause("CT-99"));
}

// CT-3: field-by-field validation of a new connection, each error with guidance.
TEST(BusinessTypes, NewConnectionFormErrorsCarryGuidance) {
  const BusinessType* type = FindBusinessType("new_connection");
  ASSERT_NE(type, nullptr);
  std::map<std::string, std::string> fields = {{"applicant_name", "Zhang San"},
                                               {"id_number", "11010519491231002X"},
                                               {"phone", "13800000000"},
                                               {"address", "1 Chang'an Avenue, Dongcheng, Beijing"},
                                               {"requested_capacity_kva", "8"}};
  EXPECT_THAT(ValidateForm(*type, fields), IsEmpty());

  fields["id_number"] = "110105194912310021";  // wrong check character
  fields.erase("address");
  fields["requested_capacity_kva"] = "0";
  fields["favourite_colour"] = "blue";
  auto errors = ValidateForm(*type, fields);
  ASSERT_EQ(errors.size(), 4u);
  auto has = [&](const std::string& field, const std::string& code) {
    for (const auto& e : errors) {
      if (e.field() == field && e.code() == code) return !e.guidance().empty() && !e.message().empty();
    }
    return false;
  };
  EXPECT_TRUE(has("id_number", "checksum"));
  EXPECT_TRUE(has("address", "required"));
  EXPECT_TRUE(has("requested_capacity_kva", "range"));
  EXPECT_TRUE(has("favourite_colour", "unknown"));
}

TEST(BusinessTypes, ValueChecks) {
  EXPECT_EQ(CheckIdNumber("11010519491231002X"), std::nullopt);
  EXPECT_EQ(CheckIdNumber("11010519491231002x"), std::nullopt);
  EXPECT_EQ(CheckIdNumber("1101051949123100")->code, "format");
  EXPECT_EQ(CheckPhone("13800000000"), std::nullopt);
  EXPECT_EQ(CheckPhone("010-12345678"), std::nullopt);
  EXPECT_NE(CheckPhone("12345"), std::nullopt);
  EXPECT_EQ(CheckCapacityKva("100000"), std::nullopt);
  EXPECT_EQ(CheckCapacityKva("100000.1")->code, "range");
  EXPECT_EQ(CheckCapacityKva("lots")->code, "format");
  EXPECT_EQ(CheckAccountNumber("0123456789"), std::nullopt);
  EXPECT_NE(CheckAccountNumber("012345678"), std::nullopt);
  EXPECT_EQ(FindBusinessType("nonsense"), nullptr);
  EXPECT_FALSE(FindBusinessType("payment")->has_form);
}

}  // namespace
}  // namespace gridserve::counter::domain
