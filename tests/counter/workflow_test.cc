// The hall's use cases over an in-memory database and a FakeClock: every
// clause CT-1..CT-10 as it is enforced end to end inside the service.
#include <algorithm>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/phone_number.h"
#include "services/counter/storage/counter_store.h"
#include "tests/common/text_proto.h"
#include "tests/counter/counter_fixture.h"

namespace gridserve::counter::testing {
namespace {

using ::gridserve::testing::Parse;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

const absl::Duration kUs = absl::Microseconds(1);

// A CT-9 home-service request in hall H1 for a wheelchair user, from visit
// `visit_id`, opened by `staff_id` at `at`.
v1::OpenHomeServiceRequest HomeServiceFor(const std::string& visit_id, const std::string& staff_id, absl::Time at) {
  v1::OpenHomeServiceRequest req;
  req.set_hall_id("H1");
  req.set_visit_id(visit_id);
  req.mutable_contact()->set_name("Li Si");
  req.mutable_contact()->set_phone("13900000000");
  req.mutable_location()->set_address("5 Garden Road, Haidian");
  req.add_needs(v1::ACCESSIBILITY_NEED_WHEELCHAIR);
  req.mutable_opened_by()->set_staff_id(staff_id);
  *req.mutable_opened_at() = ToProto(at);
  return req;
}

class WorkflowTest : public ::testing::Test {
 protected:
  CounterEnv env;
};

// CT-9: priority tickets are called first; IssueTicket reports the position.
TEST_F(WorkflowTest, PriorityTicketGoesAheadAndIsCalledNext) {
  v1::Ticket first = env.Issue("payment");
  env.clock.Advance(absl::Minutes(1));
  v1::IssueTicketRequest req;
  req.set_hall_id("H1");
  req.set_business_type("new_connection");
  req.add_accessibility_needs(v1::ACCESSIBILITY_NEED_WHEELCHAIR);
  *req.mutable_issued_at() = ToProto(env.clock.Now());
  auto issued = env.Run([&](Transaction& t) { return env.workflow.IssueTicket(t, req); });
  ASSERT_TRUE(issued.ok()) << issued.status();
  EXPECT_EQ(issued->queue_position(), 1);
  EXPECT_EQ(issued->ticket().ticket_number(), "A002");
  EXPECT_GT(issued->ticket().priority(), first.priority());

  env.Open();
  auto called = env.Call("");  // next in queue order
  ASSERT_TRUE(called.ok()) << called.status();
  EXPECT_EQ(called->ticket().ticket_id(), issued->ticket().ticket_id());
}

// CT-9 check: calling a ticket by id past a waiting customer with
// accessibility needs is a CT-9 breach of the caller (the call itself, a
// record of what happened at the counter, is kept); calling in queue order is not.
TEST_F(WorkflowTest, Ct9CallingPastAWaitingPriorityTicketIsABreach) {
  v1::Ticket plain = env.Issue("payment");
  v1::Ticket wheelchair = env.Issue("payment", {v1::ACCESSIBILITY_NEED_WHEELCHAIR});
  v1::Ticket plain_too = env.Issue("payment");
  env.Open();
  env.Open("C2", "S2");
  auto passed_over = env.Call(plain.ticket_id());
  ASSERT_TRUE(passed_over.ok()) << passed_over.status();
  auto breaches = env.Breaches("CT-9");
  ASSERT_THAT(breaches, SizeIs(1));
  EXPECT_EQ(breaches[0].subject(), TicketSubject(plain.ticket_id()));
  EXPECT_EQ(breaches[0].staff_id(), "S1");
  EXPECT_EQ(breaches[0].mechanism(), v1::MECHANISM_CHECK);
  EXPECT_THAT(breaches[0].detail(), HasSubstr(wheelchair.ticket_number()));
  EXPECT_THAT(passed_over->ticket().breaches(), SizeIs(1));

  // In queue order: the priority customer, then the next one; no breach.
  ASSERT_TRUE(env.Call(wheelchair.ticket_id(), false, "C2").ok());
  ASSERT_TRUE(env.Call(plain_too.ticket_id()).ok());
  EXPECT_THAT(env.Breaches("CT-9"), SizeIs(1));
}

// CT-4: a call dated before the counter's session opened is refused; the
// ticket keeps waiting (its clock was not stopped by a call no one made).
TEST_F(WorkflowTest, ACallBeforeTheCountersSessionOpenedIsRefused) {
  v1::Ticket ticket = env.Issue();
  env.clock.Advance(absl::Minutes(10));
  env.Open();
  v1::CallTicketRequest req;
  req.set_ticket_id(ticket.ticket_id());
  req.set_counter_id("C1");
  req.mutable_staff()->set_staff_id("S1");
  *req.mutable_called_at() = ToProto(env.clock.Now() - absl::Minutes(5));
  auto refused = env.Run([&](Transaction& t) { return env.workflow.CallTicket(t, req); });
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolationsOf(refused.status())[0].field, "called_at");
  EXPECT_EQ(env.Sla(kSlaTicketWait, TicketSubject(ticket.ticket_id()))->state, SlaState::kOpen);
  auto called = env.Call(ticket.ticket_id());
  ASSERT_TRUE(called.ok()) << called.status();
}

// One service serves several halls, and each hall numbers its counters 1..N:
// a counter is (hall_id, counter_id) everywhere. Counter "1" of H1 and
// counter "1" of H2 open their own sessions, change state, call their own
// hall's tickets, answer for their own CT-4 episodes and close apart.
TEST_F(WorkflowTest, EachHallNumbersItsOwnCounters) {
  const auto open = [&](const std::string& hall, const std::string& staff) {
    v1::OpenSessionRequest req;
    req.set_hall_id(hall);
    req.set_counter_id("1");
    req.mutable_staff()->set_staff_id(staff);
    *req.mutable_opened_at() = ToProto(env.clock.Now());
    return env.Run([&](Transaction& t) { return env.workflow.OpenSession(t, req); });
  };
  auto in_h1 = open("H1", "S1");
  ASSERT_TRUE(in_h1.ok()) << in_h1.status();
  auto in_h2 = open("H2", "S2");
  ASSERT_TRUE(in_h2.ok()) << in_h2.status();  // was NOT_FOUND "counter 1 not found in hall H2"
  EXPECT_EQ(open("H2", "S3").status().code(), absl::StatusCode::kFailedPrecondition);  // H2's counter 1 is taken

  const auto set_state = [&](const std::string& hall, v1::CounterState state) {
    v1::SetCounterStateRequest req;
    req.set_hall_id(hall);
    req.set_counter_id("1");
    req.set_state(state);
    *req.mutable_changed_at() = ToProto(env.clock.Now());
    return env.Run([&](Transaction& t) { return env.workflow.SetCounterState(t, req); });
  };
  auto back_office = set_state("H2", v1::COUNTER_STATE_BACK_OFFICE);
  ASSERT_TRUE(back_office.ok()) << back_office.status();
  EXPECT_EQ(back_office->counter().hall_id(), "H2");
  // Naming no hall cannot tell the two counters "1" apart.
  auto ambiguous = set_state("", v1::COUNTER_STATE_IN_SERVICE);
  ASSERT_EQ(ambiguous.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolationsOf(ambiguous.status())[0].field, "hall_id");

  const auto issue = [&](const std::string& hall) {
    v1::IssueTicketRequest req;
    req.set_hall_id(hall);
    req.set_business_type("payment");
    *req.mutable_issued_at() = ToProto(env.clock.Now());
    auto issued = env.Run([&](Transaction& t) { return env.workflow.IssueTicket(t, req); });
    EXPECT_TRUE(issued.ok()) << issued.status();
    return issued.ok() ? issued->ticket() : v1::Ticket();
  };
  const auto call = [&](const std::string& ticket_id, const std::string& staff) {
    v1::CallTicketRequest req;
    req.set_ticket_id(ticket_id);
    req.set_counter_id("1");
    req.mutable_staff()->set_staff_id(staff);
    req.set_apologised(true);
    *req.mutable_called_at() = ToProto(env.clock.Now());
    return env.Run([&](Transaction& t) { return env.workflow.CallTicket(t, req); });
  };
  v1::Ticket h1_ticket = issue("H1");
  v1::Ticket h2_ticket = issue("H2");
  // The call names the counter; the ticket names its hall.
  auto called = call(h1_ticket.ticket_id(), "S1");
  ASSERT_TRUE(called.ok()) << called.status();
  auto refused = call(h2_ticket.ticket_id(), "S2");  // H2's counter 1 is in back office, H1's is not
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("CT-4"));

  // CT-4: back office in H2 while H2's customer waits too long is the breach
  // of H2's counter 1, not of H1's.
  env.clock.Advance(absl::Minutes(16));
  env.Background();
  auto breaches = env.Breaches("CT-4");
  ASSERT_THAT(breaches, SizeIs(1));
  EXPECT_THAT(breaches[0].subject(), HasSubstr("H2"));
  v1::ListCountersResponse h1 = env.CountersOf("H1");
  ASSERT_THAT(h1.counters(), SizeIs(1));
  EXPECT_EQ(h1.counters(0).state(), v1::COUNTER_STATE_IN_SERVICE);
  EXPECT_THAT(h1.counters(0).breaches(), SizeIs(0));
  v1::ListCountersResponse h2 = env.CountersOf("H2");
  ASSERT_THAT(h2.counters(), SizeIs(1));
  EXPECT_EQ(h2.counters(0).state(), v1::COUNTER_STATE_BACK_OFFICE);
  EXPECT_THAT(h2.counters(0).breaches(), SizeIs(1));
  EXPECT_EQ(h2.waiting_tickets(), 1);

  // Calling the next customer at counter "1" calls at the caller's own: S2 is signed in at H2's.
  ASSERT_TRUE(set_state("H2", v1::COUNTER_STATE_IN_SERVICE).ok());
  auto next = call("", "S2");
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->ticket().ticket_id(), h2_ticket.ticket_id());

  // H1's session closes H1's counter 1; H2's stays in service.
  v1::MarkNoShowRequest no_show;
  no_show.set_ticket_id(h1_ticket.ticket_id());
  ASSERT_TRUE(env.Run([&](Transaction& t) { return env.workflow.MarkNoShow(t, no_show); }).ok());
  v1::CloseSessionRequest close;
  close.set_session_id(in_h1->session().session_id());
  *close.mutable_closed_at() = ToProto(env.clock.Now());
  auto closed = env.Run([&](Transaction& t) { return env.workflow.CloseSession(t, close); });
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(env.CountersOf("H1").counters(0).state(), v1::COUNTER_STATE_CLOSED);
  EXPECT_EQ(env.CountersOf("H2").counters(0).state(), v1::COUNTER_STATE_IN_SERVICE);
}

// CT-4 timer: called exactly at 15 min is met; the sweep breaches one microsecond later.
TEST_F(WorkflowTest, TicketWaitClockEdges) {
  v1::Ticket on_time = env.Issue();
  v1::Ticket late = env.Issue();
  env.Open();
  env.clock.Advance(absl::Minutes(15));
  env.Sweep();
  ASSERT_TRUE(env.Call(on_time.ticket_id(), /*apologised=*/true).ok());
  EXPECT_EQ(env.Sla(kSlaTicketWait, TicketSubject(on_time.ticket_id()))->state, SlaState::kMet);
  EXPECT_THAT(env.Breaches("CT-4"), SizeIs(0));

  env.clock.Advance(kUs);
  env.Sweep();
  EXPECT_EQ(env.Sla(kSlaTicketWait, TicketSubject(late.ticket_id()))->state, SlaState::kBreached);
  auto breaches = env.Breaches("CT-4");
  ASSERT_THAT(breaches, SizeIs(1));
  EXPECT_EQ(breaches[0].subject(), TicketSubject(late.ticket_id()));
  EXPECT_EQ(FromProto(breaches[0].occurred_at()), env.clock.Now() - kUs);  // at the expiry
}

// CT-6: a wait beyond 10 min without apology is a breach; exactly 10 min is not.
TEST_F(WorkflowTest, ApologyCheckOnCall) {
  v1::Ticket a = env.Issue();
  v1::Ticket b = env.Issue();
  v1::Ticket c = env.Issue();
  env.Open();
  env.clock.Advance(absl::Minutes(10));
  ASSERT_TRUE(env.Call(a.ticket_id()).ok());
  EXPECT_THAT(env.Breaches("CT-6"), SizeIs(0));
  env.clock.Advance(kUs);
  ASSERT_TRUE(env.Call(b.ticket_id(), /*apologised=*/true).ok());
  EXPECT_THAT(env.Breaches("CT-6"), SizeIs(0));
  auto called = env.Call(c.ticket_id());
  ASSERT_TRUE(called.ok());
  auto breaches = env.Breaches("CT-6");
  ASSERT_THAT(breaches, SizeIs(1));
  EXPECT_EQ(breaches[0].subject(), TicketSubject(c.ticket_id()));
  EXPECT_EQ(breaches[0].staff_id(), "S1");
  EXPECT_THAT(called->ticket().breaches(), SizeIs(1));
}

// Calling needs a counter in service with a session; a called ticket cannot be called again.
TEST_F(WorkflowTest, CallGates) {
  v1::Ticket t = env.Issue();
  EXPECT_EQ(env.Call(t.ticket_id()).status().code(), absl::StatusCode::kNotFound);  // no counter yet
  env.Open();
  ASSERT_TRUE(env.SetState(v1::COUNTER_STATE_BACK_OFFICE).ok());
  auto refused = env.Call(t.ticket_id());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("CT-4"));
  ASSERT_TRUE(env.SetState(v1::COUNTER_STATE_IN_SERVICE).ok());
  ASSERT_TRUE(env.Call(t.ticket_id()).ok());
  EXPECT_EQ(env.Call(t.ticket_id()).status().code(), absl::StatusCode::kFailedPrecondition);

  v1::MarkNoShowRequest no_show;
  no_show.set_ticket_id(t.ticket_id());
  auto marked = env.Run([&](Transaction& txn) { return env.workflow.MarkNoShow(txn, no_show); });
  ASSERT_TRUE(marked.ok()) << marked.status();
  EXPECT_EQ(marked->ticket().state(), v1::TICKET_STATE_NO_SHOW);
  EXPECT_EQ(env.Run([&](Transaction& txn) { return env.workflow.MarkNoShow(txn, no_show); }).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// CT-4 check: back office while a ticket waits beyond the limit, recorded once per episode.
TEST_F(WorkflowTest, BackOfficeEpisodeRecordedOnce) {
  env.Open();
  ASSERT_TRUE(env.SetState(v1::COUNTER_STATE_BACK_OFFICE).ok());
  env.Issue();
  env.clock.Advance(absl::Minutes(15));
  env.Background();
  EXPECT_THAT(env.Breaches("CT-4"), SizeIs(0));  // exactly at the limit: not yet
  env.clock.Advance(kUs);
  env.Background();
  env.clock.Advance(absl::Minutes(1));
  env.Background();
  auto breaches = env.Breaches("CT-4");
  // The sweep was not run, so the only CT-4 breach is the back-office check.
  ASSERT_THAT(breaches, SizeIs(1));
  EXPECT_EQ(breaches[0].subject(), CounterSubject("H1", "C1"));
  EXPECT_EQ(breaches[0].mechanism(), v1::MECHANISM_CHECK);
  EXPECT_EQ(FromProto(breaches[0].occurred_at()), kDayStart + absl::Minutes(15));

  // A new episode is a new breach.
  ASSERT_TRUE(env.SetState(v1::COUNTER_STATE_IN_SERVICE).ok());
  env.clock.Advance(absl::Minutes(1));
  ASSERT_TRUE(env.SetState(v1::COUNTER_STATE_BACK_OFFICE).ok());  // checked at the change
  EXPECT_THAT(env.Breaches("CT-4"), SizeIs(2));
  ASSERT_TRUE(env.SetState(v1::COUNTER_STATE_BACK_OFFICE).ok());  // same episode
  EXPECT_THAT(env.Breaches("CT-4"), SizeIs(2));
}

// CT-4/CT-10: a counter with an open session is not CLOSED by a state change:
// that would leave the staff member signed in at a counter the back-office
// check does not watch, and free to go back IN_SERVICE without passing the
// CloseSession gate. The counter closes with its session.
TEST_F(WorkflowTest, Ct10ClosedStateNeedsTheSessionClosed) {
  v1::CounterSession session = env.Open();
  env.Issue();
  auto refused = env.SetState(v1::COUNTER_STATE_CLOSED);
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("CT-10"));
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("CloseSession"));

  // Closed with the session, the counter is CLOSED; setting CLOSED again is harmless.
  v1::CloseSessionRequest close;
  close.set_session_id(session.session_id());
  *close.mutable_closed_at() = ToProto(env.clock.Now());
  ASSERT_TRUE(env.Run([&](Transaction& txn) { return env.workflow.CloseSession(txn, close); }).ok());
  auto closed = env.SetState(v1::COUNTER_STATE_CLOSED);
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->counter().state(), v1::COUNTER_STATE_CLOSED);
}

// CT-4 check: back office with only fresh tickets waiting is fine.
TEST_F(WorkflowTest, BackOfficeWithoutOverdueTicketsIsFine) {
  env.Open();
  env.Issue();
  env.clock.Advance(absl::Minutes(5));
  ASSERT_TRUE(env.SetState(v1::COUNTER_STATE_BACK_OFFICE).ok());
  env.clock.Advance(absl::Minutes(5));
  ASSERT_TRUE(env.SetState(v1::COUNTER_STATE_IN_SERVICE).ok());
  env.Background();
  EXPECT_THAT(env.Breaches("CT-4"), SizeIs(0));
}

// A visit cannot end before what was recorded during it.
TEST_F(WorkflowTest, AVisitCannotEndBeforeARecordedAssist) {
  v1::Visit visit = env.Start("", "S1");
  env.clock.Advance(absl::Minutes(10));
  v1::AddVisitAssistRequest assist;
  assist.set_visit_id(visit.visit_id());
  assist.mutable_assistant()->set_staff_id("S2");
  assist.set_reason("metering question");
  *assist.mutable_assisted_at() = ToProto(env.clock.Now());
  ASSERT_TRUE(env.Run([&](Transaction& t) { return env.workflow.AddVisitAssist(t, assist); }).ok());
  env.clock.Advance(-absl::Minutes(5));  // the end as the terminal reports it: before the assist
  auto refused = env.End(visit.visit_id(), "S1");
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolationsOf(refused.status())[0].field, "ended_at");
  env.clock.Advance(absl::Minutes(5));
  EXPECT_TRUE(env.End(visit.visit_id(), "S1").ok());
}

// CT-1: the owner keeps the visit; assists do not transfer it; only the owner ends it.
TEST_F(WorkflowTest, FirstContactOwnership) {
  v1::Visit visit = env.Start("", "S1");
  v1::AddVisitAssistRequest assist;
  assist.set_visit_id(visit.visit_id());
  assist.mutable_assistant()->set_staff_id("S2");
  assist.set_reason("metering question");
  *assist.mutable_assisted_at() = ToProto(env.clock.Now());
  auto assisted = env.Run([&](Transaction& t) { return env.workflow.AddVisitAssist(t, assist); });
  ASSERT_TRUE(assisted.ok()) << assisted.status();
  EXPECT_EQ(assisted->visit().owner().staff_id(), "S1");
  EXPECT_THAT(assisted->visit().assists(), SizeIs(1));

  auto refused = env.End(visit.visit_id(), "S2");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("CT-1"));
  auto ended = env.End(visit.visit_id(), "S1");
  ASSERT_TRUE(ended.ok()) << ended.status();
  EXPECT_EQ(ended->visit().state(), v1::VISIT_STATE_ENDED);
  EXPECT_THAT(env.Breaches("CT-1"), SizeIs(0));
  EXPECT_EQ(env.End(visit.visit_id(), "S1").status().code(), absl::StatusCode::kFailedPrecondition);
}

// CT-1: the customer called to a counter approaches the staff member who
// called the ticket; another staff member cannot take the visit over.
TEST_F(WorkflowTest, Ct1VisitFromATicketIsOwnedByWhoCalledIt) {
  v1::Ticket t = env.Issue();
  v1::CounterSession session = env.Open();
  ASSERT_TRUE(env.Call(t.ticket_id()).ok());  // called by S1
  v1::StartVisitRequest req;
  req.set_hall_id("H1");
  req.set_ticket_id(t.ticket_id());
  req.mutable_owner()->set_staff_id("S2");
  *req.mutable_started_at() = ToProto(env.clock.Now());
  auto refused = env.Run([&](Transaction& txn) { return env.workflow.StartVisit(txn, req); });
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("CT-1"));
  v1::GetTicketRequest get;
  get.set_ticket_id(t.ticket_id());
  EXPECT_EQ(env.Run([&](Transaction& txn) { return env.workflow.GetTicket(txn, get); })->ticket().state(),
            v1::TICKET_STATE_CALLED);
  v1::Visit visit = env.Start(t.ticket_id(), "S1");
  EXPECT_EQ(visit.owner().staff_id(), "S1");

  // The caller left (session closed by force, a CT-10 breach): whoever takes
  // the customer next is the first contact.
  ASSERT_TRUE(env.End(visit.visit_id(), "S1").ok());
  v1::Ticket next = env.Issue();
  ASSERT_TRUE(env.Call(next.ticket_id()).ok());
  v1::CloseSessionRequest close;
  close.set_session_id(session.session_id());
  close.set_force(true);
  close.set_force_reason("taken ill");
  *close.mutable_closed_at() = ToProto(env.clock.Now());
  ASSERT_TRUE(env.Run([&](Transaction& txn) { return env.workflow.CloseSession(txn, close); }).ok());
  EXPECT_EQ(env.Start(next.ticket_id(), "S2").owner().staff_id(), "S2");
}

// CT-1: a conversion to an appointment ends the visit, so only its owner books it.
TEST_F(WorkflowTest, Ct1OnlyTheOwnerConvertsAVisitToAnAppointment) {
  v1::Visit visit = env.Start("", "S1");
  env.OpenFailure();
  env.clock.Advance(absl::Minutes(16));
  v1::ConvertVisitToAppointmentRequest req;
  req.set_visit_id(visit.visit_id());
  req.mutable_contact()->set_name("Customer");
  req.mutable_contact()->set_phone("13800000000");
  req.set_apologised(true);
  req.mutable_booked_by()->set_staff_id("S2");
  *req.mutable_booked_at() = ToProto(env.clock.Now());
  *req.mutable_scheduled_at() = ToProto(env.clock.Now() + absl::Hours(24));
  auto refused = env.Run([&](Transaction& t) { return env.workflow.ConvertVisitToAppointment(t, req); });
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("CT-1"));
  v1::GetVisitRequest get;
  get.set_visit_id(visit.visit_id());
  EXPECT_EQ(env.Run([&](Transaction& t) { return env.workflow.GetVisit(t, get); })->visit().state(),
            v1::VISIT_STATE_IN_PROGRESS);

  req.mutable_booked_by()->set_staff_id("S1");
  auto booked = env.Run([&](Transaction& t) { return env.workflow.ConvertVisitToAppointment(t, req); });
  ASSERT_TRUE(booked.ok()) << booked.status();
  EXPECT_EQ(booked->appointment().booked_by().staff_id(), "S1");
}

// CT-1 check: redirected with the business unfinished is a breach of the owner.
TEST_F(WorkflowTest, RedirectedUnfinishedIsABreach) {
  v1::Visit visit = env.Start("", "S1");
  auto ended = env.End(visit.visit_id(), "S1", v1::VISIT_OUTCOME_REDIRECTED_UNFINISHED);
  ASSERT_TRUE(ended.ok()) << ended.status();
  auto breaches = env.Breaches("CT-1");
  ASSERT_THAT(breaches, SizeIs(1));
  EXPECT_EQ(breaches[0].staff_id(), "S1");
  EXPECT_EQ(breaches[0].subject(), VisitSubject(visit.visit_id()));
  EXPECT_THAT(ended->visit().breaches(), SizeIs(1));
}

// A visit started from a ticket serves it; the ticket is done when the visit ends.
TEST_F(WorkflowTest, VisitFromTicket) {
  v1::Ticket t = env.Issue("new_connection", {v1::ACCESSIBILITY_NEED_VISUALLY_IMPAIRED});
  env.Open();
  ASSERT_TRUE(env.Call(t.ticket_id()).ok());
  v1::Visit visit = env.Start(t.ticket_id());
  EXPECT_EQ(visit.business_type(), "new_connection");
  EXPECT_THAT(visit.accessibility_needs(), ElementsAre(v1::ACCESSIBILITY_NEED_VISUALLY_IMPAIRED));
  v1::StartVisitRequest again;
  again.set_hall_id("H1");
  again.set_ticket_id(t.ticket_id());
  again.mutable_owner()->set_staff_id("S2");
  *again.mutable_started_at() = ToProto(env.clock.Now());
  EXPECT_EQ(env.Run([&](Transaction& txn) { return env.workflow.StartVisit(txn, again); }).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(env.End(visit.visit_id(), "S1").ok());
  v1::GetTicketRequest get;
  get.set_ticket_id(t.ticket_id());
  auto got = env.Run([&](Transaction& txn) { return env.workflow.GetTicket(txn, get); });
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->ticket().state(), v1::TICKET_STATE_DONE);
  EXPECT_EQ(got->ticket().visit_id(), visit.visit_id());
}

// A queued customer is served once called: a WAITING ticket cannot start a
// visit (that would skip CallTicket's CT-4 clock, CT-6 apology, CT-9 order).
TEST_F(WorkflowTest, VisitFromWaitingTicketIsRefused) {
  v1::Ticket t = env.Issue();
  env.Open();
  env.clock.Advance(absl::Minutes(12));
  v1::StartVisitRequest req;
  req.set_hall_id("H1");
  req.set_ticket_id(t.ticket_id());
  req.mutable_owner()->set_staff_id("S1");
  *req.mutable_started_at() = ToProto(env.clock.Now());
  auto refused = env.Run([&](Transaction& txn) { return env.workflow.StartVisit(txn, req); });
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("call the ticket first"));
  EXPECT_EQ(env.Sla(kSlaTicketWait, TicketSubject(t.ticket_id()))->state, SlaState::kOpen);
  EXPECT_EQ(env.SlaTotal(kSlaTicketWait, "met"), 0);

  ASSERT_TRUE(env.Call(t.ticket_id()).ok());  // the 12-minute wait without apology: CT-6
  EXPECT_THAT(env.Breaches("CT-6"), SizeIs(1));
  auto started = env.Run([&](Transaction& txn) { return env.workflow.StartVisit(txn, req); });
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ(started->visit().ticket_id(), t.ticket_id());
}

// CT-3 and CT-9: a rejected form, its guided re-fill (counted), filled by staff.
TEST_F(WorkflowTest, FormRefillCountedAndAssisted) {
  v1::Visit visit = env.Start("", "S1", {v1::ACCESSIBILITY_NEED_VISUALLY_IMPAIRED});
  v1::SubmitApplicationFormRequest req;
  req.set_visit_id(visit.visit_id());
  req.set_business_type("new_connection");
  (*req.mutable_fields())["applicant_name"] = "Zhang San";
  (*req.mutable_fields())["phone"] = "13800000000";
  req.set_filled_by_staff(true);
  req.mutable_filled_by()->set_staff_id("S1");
  req.set_sample_shown(true);
  auto first = env.Run([&](Transaction& t) { return env.workflow.SubmitApplicationForm(t, req); });
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->form().status(), v1::FORM_STATUS_NEEDS_REFILL);
  EXPECT_THAT(first->form().field_errors(), SizeIs(3));  // id_number, address, capacity
  for (const auto& e : first->form().field_errors()) EXPECT_FALSE(e.guidance().empty()) << e.field();
  EXPECT_EQ(first->form().refill_count(), 0);
  EXPECT_TRUE(first->form().filled_by_staff());

  req.set_form_id(first->form().form_id());
  (*req.mutable_fields())["id_number"] = "11010519491231002X";
  (*req.mutable_fields())["address"] = "1 Chang'an Avenue, Beijing";
  (*req.mutable_fields())["requested_capacity_kva"] = "8";
  auto second = env.Run([&](Transaction& t) { return env.workflow.SubmitApplicationForm(t, req); });
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->form().status(), v1::FORM_STATUS_ACCEPTED);
  EXPECT_EQ(second->form().refill_count(), 1);
  EXPECT_THAT(second->form().field_errors(), SizeIs(0));
  auto third = env.Run([&](Transaction& t) { return env.workflow.SubmitApplicationForm(t, req); });
  EXPECT_EQ(third.status().code(), absl::StatusCode::kFailedPrecondition);

  req.set_filled_by_staff(true);
  req.clear_filled_by();
  req.clear_form_id();
  auto missing_staff = env.Run([&](Transaction& t) { return env.workflow.SubmitApplicationForm(t, req); });
  ASSERT_EQ(missing_staff.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolationsOf(missing_staff.status())[0].field, "filled_by.staff_id");
}

// CT-7: a short failure needs nothing; once long, each waiting visit gets a
// conversion clock; converting in time is met, a visit left waiting breaches.
TEST_F(WorkflowTest, LongFailureConvertsVisitsToAppointments) {
  v1::Visit converted = env.Start("", "S1");
  v1::Visit forgotten = env.Start("", "S2");
  v1::SystemFailure failure = env.OpenFailure();
  EXPECT_THAT(failure.affected_visit_ids(), SizeIs(2));

  env.clock.Advance(absl::Minutes(15));
  env.Background();
  EXPECT_FALSE(env.Sla(kSlaFailureConversion, VisitSubject(converted.visit_id())).has_value());  // still short
  env.clock.Advance(kUs);
  env.Background();
  env.Background();  // idempotent
  auto clock = env.Sla(kSlaFailureConversion, VisitSubject(converted.visit_id()));
  ASSERT_TRUE(clock.has_value());
  EXPECT_EQ(clock->timer.started_at, kDayStart + absl::Minutes(15));
  EXPECT_EQ(clock->timer.due_at, kDayStart + absl::Minutes(30));

  // CT-7 gate: a visit waiting in the long failure cannot just be ended.
  auto refused = env.End(forgotten.visit_id(), "S2", v1::VISIT_OUTCOME_CUSTOMER_LEFT);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("CT-7"));

  // Conversion exactly at the due time is on time.
  env.clock.Set(kDayStart + absl::Minutes(30));
  auto conv = env.Convert(converted.visit_id());
  ASSERT_TRUE(conv.ok()) << conv.status();
  EXPECT_EQ(conv->visit().outcome(), v1::VISIT_OUTCOME_CONVERTED_TO_APPOINTMENT);
  EXPECT_EQ(conv->appointment().state(), v1::APPOINTMENT_STATE_BOOKED);
  EXPECT_EQ(conv->appointment().failure_id(), failure.failure_id());
  EXPECT_EQ(env.Sla(kSlaFailureConversion, VisitSubject(converted.visit_id()))->state, SlaState::kMet);

  env.clock.Advance(kUs);
  env.Sweep();
  auto breaches = env.Breaches("CT-7");
  ASSERT_THAT(breaches, SizeIs(1));
  EXPECT_EQ(breaches[0].subject(), VisitSubject(forgotten.visit_id()));
  EXPECT_EQ(breaches[0].sla(), kSlaFailureConversion);

  // The appointment is tracked until kept.
  v1::KeepAppointmentRequest keep;
  keep.set_appointment_id(conv->appointment().appointment_id());
  keep.mutable_staff()->set_staff_id("S1");
  *keep.mutable_kept_at() = ToProto(env.clock.Now());
  auto kept = env.Run([&](Transaction& t) { return env.workflow.KeepAppointment(t, keep); });
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_EQ(kept->appointment().state(), v1::APPOINTMENT_STATE_KEPT);
  EXPECT_EQ(env.Run([&](Transaction& t) { return env.workflow.KeepAppointment(t, keep); }).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// CT-7: the gate judges the visit's end as reported, not the server's time: a
// visit that ended while the failure was still short needed no appointment,
// even when the end is reported after the failure turned long and a pass
// started its conversion clock; one that ended after the turn did.
TEST_F(WorkflowTest, Ct7GateJudgesTheFailureAtTheVisitsEnd) {
  v1::Visit early = env.Start("", "S1");
  v1::Visit late = env.Start("", "S2");
  env.OpenFailure();
  env.clock.Advance(absl::Minutes(20));  // long since minute 15
  env.Background();
  ASSERT_TRUE(env.Sla(kSlaFailureConversion, VisitSubject(early.visit_id())).has_value());

  auto ended = env.End(early.visit_id(), "S1", v1::VISIT_OUTCOME_CUSTOMER_LEFT, kDayStart + absl::Minutes(10));
  ASSERT_TRUE(ended.ok()) << ended.status();
  EXPECT_EQ(env.Sla(kSlaFailureConversion, VisitSubject(early.visit_id()))->state, SlaState::kCancelled);

  // Withdrawn when it was started, not before: the early visit's clock began at minute 15.
  const auto withdrawn = env.Sla(kSlaFailureConversion, VisitSubject(early.visit_id()));
  EXPECT_EQ(withdrawn->closed_at, withdrawn->timer.started_at);

  auto refused = env.End(late.visit_id(), "S2", v1::VISIT_OUTCOME_CUSTOMER_LEFT, kDayStart + absl::Minutes(16));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("CT-7"));

  env.clock.Advance(absl::Minutes(30));  // past every conversion's due time
  env.Sweep();
  auto breaches = env.Breaches("CT-7");
  ASSERT_THAT(breaches, SizeIs(1));  // only the visit that really waited in the long failure
  EXPECT_EQ(breaches[0].subject(), VisitSubject(late.visit_id()));
}

// CT-7: an end reported a little ahead of the server's clock (within the
// event skew), after the failure turned long while the server's time has not
// reached that yet, still meets the gate.
TEST_F(WorkflowTest, Ct7GateSeesAnEndReportedAheadOfTheServersClock) {
  v1::Visit visit = env.Start("", "S1");
  env.OpenFailure();
  env.clock.Advance(absl::Minutes(14));  // short by the server's clock
  auto refused = env.End(visit.visit_id(), "S1", v1::VISIT_OUTCOME_CUSTOMER_LEFT, kDayStart + absl::Minutes(16));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("CT-7"));
  auto converted = env.Convert(visit.visit_id());
  ASSERT_TRUE(converted.ok()) << converted.status();
}

// CT-7: a failure closed while still short starts no clocks; closing a long one
// stops the clocks of visits still waiting.
TEST_F(WorkflowTest, ClosingFailures) {
  v1::Visit visit = env.Start();
  v1::SystemFailure failure = env.OpenFailure();
  v1::OpenSystemFailureRequest second;
  second.set_hall_id("H1");
  second.set_description("again");
  *second.mutable_started_at() = ToProto(env.clock.Now());
  EXPECT_EQ(env.Run([&](Transaction& t) { return env.workflow.OpenSystemFailure(t, second); }).status().code(),
            absl::StatusCode::kFailedPrecondition);

  env.clock.Advance(absl::Minutes(20));
  v1::CloseSystemFailureRequest close;
  close.set_failure_id(failure.failure_id());
  *close.mutable_ended_at() = ToProto(env.clock.Now());
  auto closed = env.Run([&](Transaction& t) { return env.workflow.CloseSystemFailure(t, close); });
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_TRUE(closed->system_failure().has_became_long_at());
  auto clock = env.Sla(kSlaFailureConversion, VisitSubject(visit.visit_id()));
  ASSERT_TRUE(clock.has_value());
  // No appointment was booked: the conversion was not "met", it is withdrawn.
  EXPECT_EQ(clock->state, SlaState::kCancelled);
  EXPECT_EQ(env.SlaTotal(kSlaFailureConversion, "met"), 0);
  EXPECT_EQ(env.SlaTotal(kSlaFailureConversion, "breached"), 0);
  EXPECT_TRUE(env.End(visit.visit_id(), "S1").ok());  // systems back: served normally
  EXPECT_EQ(env.Run([&](Transaction& t) { return env.workflow.CloseSystemFailure(t, close); }).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// CT-7: a failure closed after a waiting visit's conversion was due leaves
// the breach standing, even when no sweep saw the expiry before.
TEST_F(WorkflowTest, ClosingFailureLateKeepsTheConversionBreach) {
  v1::Visit visit = env.Start();
  v1::SystemFailure failure = env.OpenFailure();
  env.clock.Advance(absl::Minutes(40));  // long at 15 min, conversion due at 30 min
  v1::CloseSystemFailureRequest close;
  close.set_failure_id(failure.failure_id());
  *close.mutable_ended_at() = ToProto(env.clock.Now());
  ASSERT_TRUE(env.Run([&](Transaction& t) { return env.workflow.CloseSystemFailure(t, close); }).ok());
  EXPECT_EQ(env.Sla(kSlaFailureConversion, VisitSubject(visit.visit_id()))->state, SlaState::kBreached);
  ASSERT_THAT(env.Breaches("CT-7"), SizeIs(1));
  EXPECT_EQ(env.SlaTotal(kSlaFailureConversion, "met"), 0);
  EXPECT_EQ(env.SlaTotal(kSlaFailureConversion, "breached"), 1);
  env.Sweep();  // counted once
  EXPECT_THAT(env.Breaches("CT-7"), SizeIs(1));
}

// CT-7: the appointment answers a failure the visit waited in; a failure of
// another hall, or one the visit never waited in, is refused.
TEST_F(WorkflowTest, ConversionNeedsAFailureThatAffectedTheVisit) {
  v1::OpenSystemFailureRequest elsewhere;
  elsewhere.set_hall_id("H2");
  elsewhere.set_description("H2 billing down");
  *elsewhere.mutable_started_at() = ToProto(env.clock.Now());
  auto other_hall = env.Run([&](Transaction& t) { return env.workflow.OpenSystemFailure(t, elsewhere); });
  ASSERT_TRUE(other_hall.ok()) << other_hall.status();
  v1::SystemFailure earlier = env.OpenFailure();
  env.clock.Advance(absl::Minutes(5));
  v1::CloseSystemFailureRequest close;
  close.set_failure_id(earlier.failure_id());
  *close.mutable_ended_at() = ToProto(env.clock.Now());
  ASSERT_TRUE(env.Run([&](Transaction& t) { return env.workflow.CloseSystemFailure(t, close); }).ok());

  v1::Visit visit = env.Start();  // after the hall's failure ended
  for (const std::string& failure_id : {other_hall->system_failure().failure_id(), earlier.failure_id()}) {
    v1::ConvertVisitToAppointmentRequest req;
    req.set_visit_id(visit.visit_id());
    req.set_failure_id(failure_id);
    req.mutable_contact()->set_name("Customer");
    req.mutable_contact()->set_phone("13800000000");
    req.set_apologised(true);
    *req.mutable_booked_at() = ToProto(env.clock.Now());
    *req.mutable_scheduled_at() = ToProto(env.clock.Now() + absl::Hours(24));
    auto refused = env.Run([&](Transaction& t) { return env.workflow.ConvertVisitToAppointment(t, req); });
    ASSERT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << failure_id;
    EXPECT_EQ(FieldViolationsOf(refused.status())[0].field, "failure_id");
  }
  v1::GetVisitRequest get;
  get.set_visit_id(visit.visit_id());
  EXPECT_EQ(env.Run([&](Transaction& t) { return env.workflow.GetVisit(t, get); })->visit().state(),
            v1::VISIT_STATE_IN_PROGRESS);
}

// CT-7: a booking dated before the visit began is refused: it would end the
// visit, and stop its conversion clock, before either started.
TEST_F(WorkflowTest, ABookingBeforeTheVisitStartedIsRefused) {
  env.OpenFailure(kDayStart - absl::Minutes(20));
  v1::Visit visit = env.Start();
  auto refused = env.Convert(visit.visit_id(), env.clock.Now() - absl::Minutes(5));
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolationsOf(refused.status())[0].field, "booked_at");
  v1::GetVisitRequest get;
  get.set_visit_id(visit.visit_id());
  EXPECT_EQ(env.Run([&](Transaction& t) { return env.workflow.GetVisit(t, get); })->visit().state(),
            v1::VISIT_STATE_IN_PROGRESS);
  auto booked = env.Convert(visit.visit_id(), env.clock.Now());
  ASSERT_TRUE(booked.ok()) << booked.status();
}

// CT-7: a visit that starts during a long failure waits in it too.
TEST_F(WorkflowTest, VisitStartingInLongFailureGetsAClock) {
  env.OpenFailure(kDayStart - absl::Minutes(20));  // imported: already long
  v1::Visit visit = env.Start();
  EXPECT_FALSE(visit.system_failure_id().empty());
  auto clock = env.Sla(kSlaFailureConversion, VisitSubject(visit.visit_id()));
  ASSERT_TRUE(clock.has_value());
  EXPECT_EQ(clock->timer.started_at, kDayStart);  // the visit's own start, later than the turn
  v1::ConvertVisitToAppointmentRequest bad;
  bad.set_visit_id(visit.visit_id());
  auto refused = env.Run([&](Transaction& t) { return env.workflow.ConvertVisitToAppointment(t, bad); });
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  std::set<std::string> fields;
  for (const auto& f : FieldViolationsOf(refused.status())) fields.insert(f.field);
  EXPECT_THAT(fields, ::testing::IsSupersetOf({"contact.name", "contact.phone", "apologised", "scheduled_at"}));
}

// CT-7: the customers still in the queue wait in a long failure too. Each
// WAITING / CALLED ticket gets a conversion clock ("ticket/<id>") from the
// later of the turn and its issue; a visit started from the ticket takes the
// clock over with its original start (starting a visit cannot reset the 15
// minutes); a ticket left unconverted past its due time is a CT-7 breach.
// CT-7: a failure that turned long while nothing evaluated it (no background
// pass yet, a restart): starting the visit still hands over a clock that runs
// from the ticket's start, not from the visit's.
TEST_F(WorkflowTest, Ct7AVisitStartedBeforeAnyPassSawTheLongFailureKeepsTheTicketsStart) {
  env.OpenFailure();
  env.clock.Advance(absl::Minutes(5));
  v1::Ticket ticket = env.Issue();
  env.clock.Advance(absl::Minutes(35));  // long since minute 15; no pass has run
  env.Open();
  ASSERT_TRUE(env.Call(ticket.ticket_id(), /*apologised=*/true).ok());
  v1::Visit visit = env.Start(ticket.ticket_id());
  auto visit_clock = env.Sla(kSlaFailureConversion, VisitSubject(visit.visit_id()));
  ASSERT_TRUE(visit_clock.has_value());
  EXPECT_EQ(visit_clock->timer.started_at, kDayStart + absl::Minutes(15));
  EXPECT_EQ(visit_clock->timer.due_at, kDayStart + absl::Minutes(30));
  env.Sweep();  // already past due: one breach
  EXPECT_THAT(env.Breaches("CT-7"), SizeIs(1));
}

TEST_F(WorkflowTest, Ct7QueuedTicketsGetConversionClocksHandedToTheirVisits) {
  v1::Ticket early = env.Issue();
  v1::SystemFailure failure = env.OpenFailure();
  env.clock.Advance(absl::Minutes(15));
  env.Background();
  EXPECT_FALSE(env.Sla(kSlaFailureConversion, TicketSubject(early.ticket_id())).has_value());  // still short
  env.clock.Advance(kUs);
  env.Background();
  env.Background();  // idempotent
  auto clock = env.Sla(kSlaFailureConversion, TicketSubject(early.ticket_id()));
  ASSERT_TRUE(clock.has_value());
  EXPECT_EQ(clock->timer.started_at, kDayStart + absl::Minutes(15));
  EXPECT_EQ(clock->timer.due_at, kDayStart + absl::Minutes(30));
  v1::GetTicketRequest get;
  get.set_ticket_id(early.ticket_id());
  auto got = env.Run([&](Transaction& t) { return env.workflow.GetTicket(t, get); });
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(std::any_of(got->ticket().slas().begin(), got->ticket().slas().end(),
                          [](const v1::SlaState& s) { return s.sla() == kSlaFailureConversion; }));

  // A ticket issued while the failure is long gets its clock at once, from its issue.
  v1::Ticket late = env.Issue();
  auto late_clock = env.Sla(kSlaFailureConversion, TicketSubject(late.ticket_id()));
  ASSERT_TRUE(late_clock.has_value());
  EXPECT_EQ(late_clock->timer.started_at, kDayStart + absl::Minutes(15) + kUs);

  // Called and served: the visit takes the ticket's clock over, start unchanged.
  env.clock.Advance(absl::Minutes(5));
  env.Open();
  ASSERT_TRUE(env.Call(early.ticket_id(), /*apologised=*/true).ok());
  v1::Visit visit = env.Start(early.ticket_id());
  EXPECT_EQ(visit.system_failure_id(), failure.failure_id());
  EXPECT_EQ(env.Sla(kSlaFailureConversion, TicketSubject(early.ticket_id()))->state, SlaState::kCancelled);
  auto visit_clock = env.Sla(kSlaFailureConversion, VisitSubject(visit.visit_id()));
  ASSERT_TRUE(visit_clock.has_value());
  EXPECT_EQ(visit_clock->timer.started_at, kDayStart + absl::Minutes(15));
  EXPECT_EQ(visit_clock->timer.due_at, kDayStart + absl::Minutes(30));
  EXPECT_EQ(visit_clock->timer.staff_id, "S1");
  // The CT-7 gate of the visit is unchanged.
  EXPECT_EQ(env.End(visit.visit_id(), "S1").status().code(), absl::StatusCode::kFailedPrecondition);

  // Converted at the due time: met.
  env.clock.Set(kDayStart + absl::Minutes(30));
  auto conv = env.Convert(visit.visit_id());
  ASSERT_TRUE(conv.ok()) << conv.status();
  EXPECT_EQ(env.Sla(kSlaFailureConversion, VisitSubject(visit.visit_id()))->state, SlaState::kMet);

  // The ticket nobody converted breaches at its own due time, on the ticket.
  env.clock.Advance(kUs);
  env.Sweep();
  EXPECT_THAT(env.Breaches("CT-7"), SizeIs(0));
  env.clock.Advance(kUs);
  env.Sweep();
  auto breaches = env.Breaches("CT-7");
  ASSERT_THAT(breaches, SizeIs(1));
  EXPECT_EQ(breaches[0].subject(), TicketSubject(late.ticket_id()));
  EXPECT_EQ(breaches[0].sla(), kSlaFailureConversion);
  EXPECT_EQ(env.SlaTotal(kSlaFailureConversion, "met"), 1);
  EXPECT_EQ(env.SlaTotal(kSlaFailureConversion, "breached"), 1);
}

// CT-7: a ticket's clock ends when its customer leaves the queue otherwise.
// The failure closing (systems back, the customer is served normally) and a
// no-show before the due time withdraw it: nobody was left to book for, so
// neither met nor breached. A short failure starts none.
TEST_F(WorkflowTest, Ct7TicketClocksAreWithdrawnWithTheFailureOrTheQueue) {
  v1::Ticket in_short = env.Issue();
  v1::SystemFailure short_failure = env.OpenFailure();
  env.clock.Advance(absl::Minutes(10));
  v1::CloseSystemFailureRequest close;
  close.set_failure_id(short_failure.failure_id());
  *close.mutable_ended_at() = ToProto(env.clock.Now());
  ASSERT_TRUE(env.Run([&](Transaction& t) { return env.workflow.CloseSystemFailure(t, close); }).ok());
  EXPECT_FALSE(env.Sla(kSlaFailureConversion, TicketSubject(in_short.ticket_id())).has_value());

  v1::Ticket waiting = env.Issue();
  v1::Ticket called = env.Issue();
  v1::SystemFailure failure = env.OpenFailure();
  env.clock.Advance(absl::Minutes(20));
  env.Background();
  ASSERT_TRUE(env.Sla(kSlaFailureConversion, TicketSubject(waiting.ticket_id())).has_value());
  ASSERT_TRUE(env.Sla(kSlaFailureConversion, TicketSubject(called.ticket_id())).has_value());
  env.Open();
  ASSERT_TRUE(env.Call(called.ticket_id(), /*apologised=*/true).ok());
  v1::MarkNoShowRequest no_show;
  no_show.set_ticket_id(called.ticket_id());
  *no_show.mutable_marked_at() = ToProto(env.clock.Now());
  ASSERT_TRUE(env.Run([&](Transaction& t) { return env.workflow.MarkNoShow(t, no_show); }).ok());
  EXPECT_EQ(env.Sla(kSlaFailureConversion, TicketSubject(called.ticket_id()))->state, SlaState::kCancelled);

  close.set_failure_id(failure.failure_id());
  *close.mutable_ended_at() = ToProto(env.clock.Now());
  ASSERT_TRUE(env.Run([&](Transaction& t) { return env.workflow.CloseSystemFailure(t, close); }).ok());
  EXPECT_EQ(env.Sla(kSlaFailureConversion, TicketSubject(waiting.ticket_id()))->state, SlaState::kCancelled);
  env.clock.Advance(absl::Hours(1));
  env.Sweep();
  EXPECT_THAT(env.Breaches("CT-7"), SizeIs(0));
  EXPECT_EQ(env.SlaTotal(kSlaFailureConversion, "met"), 0);
  EXPECT_EQ(env.SlaTotal(kSlaFailureConversion, "breached"), 0);
}

// CT-7: one customer, one SLA instance, one breach. A queued ticket whose
// conversion clock the sweep already breached hands that clock to the visit
// started from it as it is: breached, its breach not recorded again. (The visit
// used to get a fresh OPEN copy with the same past due time, which the next
// sweep breached a second time: two ledger entries, two increments.) The
// visit still has to be converted (the CT-7 gate), and converting it counts
// nothing more.
TEST_F(WorkflowTest, Ct7AClockBreachedInTheQueueIsHandedOverBreachedAndCountedOnce) {
  v1::Ticket ticket = env.Issue();
  env.OpenFailure();
  env.clock.Advance(absl::Minutes(15) + kUs);
  env.Background();  // long: the ticket's clock runs, due at minute 30
  env.clock.Advance(absl::Minutes(20));
  env.Sweep();  // the customer was not booked in time: CT-7, once
  ASSERT_THAT(env.Breaches("CT-7"), SizeIs(1));
  ASSERT_EQ(env.SlaTotal(kSlaFailureConversion, "breached"), 1);

  env.Open();
  ASSERT_TRUE(env.Call(ticket.ticket_id(), /*apologised=*/true).ok());
  v1::Visit visit = env.Start(ticket.ticket_id());
  auto visit_clock = env.Sla(kSlaFailureConversion, VisitSubject(visit.visit_id()));
  ASSERT_TRUE(visit_clock.has_value());
  EXPECT_EQ(visit_clock->state, SlaState::kBreached);
  EXPECT_EQ(visit_clock->timer.due_at, kDayStart + absl::Minutes(30));  // the customer's own clock
  ASSERT_THAT(visit.slas(), SizeIs(1));
  EXPECT_EQ(visit.slas(0).state(), v1::SLA_STATUS_BREACHED);
  // The breach of that clock (the ticket's, recorded by the sweep) is shown with it.
  ASSERT_THAT(visit.breaches(), SizeIs(1));
  EXPECT_EQ(visit.breaches(0).breach_id(), env.Breaches("CT-7")[0].breach_id());

  env.clock.Advance(absl::Minutes(1));
  env.Background();
  env.Sweep();
  EXPECT_THAT(env.Breaches("CT-7"), SizeIs(1));
  EXPECT_EQ(env.SlaTotal(kSlaFailureConversion, "breached"), 1);

  // The gate still asks for the appointment; booking it closes the clock, breached.
  auto refused = env.End(visit.visit_id(), "S1");
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("CT-7"));
  auto converted = env.Convert(visit.visit_id());
  ASSERT_TRUE(converted.ok()) << converted.status();
  env.Sweep();
  EXPECT_THAT(env.Breaches("CT-7"), SizeIs(1));
  EXPECT_EQ(env.SlaTotal(kSlaFailureConversion, "breached"), 1);
  EXPECT_EQ(env.SlaTotal(kSlaFailureConversion, "met"), 0);
  visit_clock = env.Sla(kSlaFailureConversion, VisitSubject(visit.visit_id()));
  ASSERT_TRUE(visit_clock.has_value());
  EXPECT_EQ(visit_clock->state, SlaState::kBreached);
  EXPECT_TRUE(visit_clock->closed_at.has_value());
}

// CT-8: arguing with the customer is a breach; an agitated customer needs a dedicated staff member.
TEST_F(WorkflowTest, Escalations) {
  v1::Visit visit = env.Start();
  v1::RecordEscalationRequest req;
  req.set_visit_id(visit.visit_id());
  req.set_reason(v1::ESCALATION_REASON_AGITATED_CUSTOMER);
  *req.mutable_escalated_at() = ToProto(env.clock.Now());
  auto refused = env.Run([&](Transaction& t) { return env.workflow.RecordEscalation(t, req); });
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolationsOf(refused.status())[0].field, "to_staff.staff_id");
  req.mutable_to_staff()->set_staff_id("S9");
  auto ok = env.Run([&](Transaction& t) { return env.workflow.RecordEscalation(t, req); });
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_THAT(env.Breaches("CT-8"), SizeIs(0));
  req.set_argued_with_customer(true);
  auto argued = env.Run([&](Transaction& t) { return env.workflow.RecordEscalation(t, req); });
  ASSERT_TRUE(argued.ok());
  ASSERT_THAT(env.Breaches("CT-8"), SizeIs(1));
  // norms.md and the catalogue enforce CT-8 by review: the escalation record
  // reports what a person saw, it is not a machine check.
  EXPECT_EQ(env.Breaches("CT-8")[0].mechanism(), v1::MECHANISM_REVIEW);
  EXPECT_THAT(argued->visit().escalations(), SizeIs(2));

  // The dedicated staff member is someone else than the sender (the owner when unnamed).
  req.set_argued_with_customer(false);
  req.mutable_to_staff()->set_staff_id("S1");
  auto to_self = env.Run([&](Transaction& t) { return env.workflow.RecordEscalation(t, req); });
  ASSERT_EQ(to_self.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolationsOf(to_self.status())[0].field, "to_staff.staff_id");
  req.mutable_from_staff()->set_staff_id("S9");
  req.mutable_to_staff()->set_staff_id("S9");
  const auto same_staff = env.Run([&](Transaction& t) { return env.workflow.RecordEscalation(t, req); });
  ASSERT_EQ(same_staff.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolationsOf(same_staff.status()).at(0).field, "to_staff.staff_id");

  // An ended visit takes no more escalations.
  req.mutable_to_staff()->set_staff_id("S8");
  ASSERT_TRUE(env.End(visit.visit_id(), "S1").ok());
  auto ended = env.Run([&](Transaction& t) { return env.workflow.RecordEscalation(t, req); });
  EXPECT_EQ(ended.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(env.Breaches("CT-8"), SizeIs(1));
}

// CT-2/CT-5: each failed checklist item is a REVIEW breach of its clause.
TEST_F(WorkflowTest, ReviewFailedItemsAreBreaches) {
  v1::Visit visit = env.Start("", "S1");
  v1::RecordCounterReviewRequest req;
  req.set_visit_id(visit.visit_id());
  req.set_source(v1::REVIEW_SOURCE_SUPERVISOR);
  *req.mutable_review()->mutable_reviewed_at() = ToProto(env.clock.Now());
  for (auto [clause, result] : std::vector<std::pair<std::string, v1::ReviewResult>>{
           {"CT-2", v1::REVIEW_RESULT_FAIL}, {"CT-5", v1::REVIEW_RESULT_FAIL}, {"CT-2", v1::REVIEW_RESULT_PASS}}) {
    auto* item = req.mutable_review()->add_items();
    item->set_clause(clause);
    item->set_item("checked");
    item->set_result(result);
  }
  auto recorded = env.Run([&](Transaction& t) { return env.workflow.RecordCounterReview(t, req); });
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  EXPECT_THAT(recorded->breaches(), SizeIs(2));
  EXPECT_THAT(env.Breaches("CT-2"), SizeIs(1));
  EXPECT_THAT(env.Breaches("CT-5"), SizeIs(1));
  EXPECT_EQ(env.Breaches("CT-5")[0].mechanism(), v1::MECHANISM_REVIEW);

  req.mutable_review()->mutable_items(0)->set_clause("CC-7");
  auto refused = env.Run([&](Transaction& t) { return env.workflow.RecordCounterReview(t, req); });
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolationsOf(refused.status())[0].field, "review.items[0].clause");
}

// A review or an evaluation dated before the visit began judges nothing of it.
TEST_F(WorkflowTest, AReviewBeforeTheVisitStartedIsRefused) {
  env.clock.Advance(absl::Hours(1));
  v1::Visit visit = env.Start("", "S1");
  auto req = Parse<v1::RecordCounterReviewRequest>(R"pb(
    source: REVIEW_SOURCE_SUPERVISOR review { items { clause: "CT-2" item: "greeted standing" result: REVIEW_RESULT_FAIL } })pb");
  req.set_visit_id(visit.visit_id());
  *req.mutable_review()->mutable_reviewed_at() = ToProto(env.clock.Now() - absl::Minutes(30));
  auto early_review = env.Run([&](Transaction& t) { return env.workflow.RecordCounterReview(t, req); });
  ASSERT_EQ(early_review.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolationsOf(early_review.status())[0].field, "review.reviewed_at");

  *req.mutable_review()->mutable_reviewed_at() = ToProto(env.clock.Now());
  req.mutable_feedback()->set_satisfaction(2);
  *req.mutable_feedback()->mutable_collected_at() = ToProto(env.clock.Now() - absl::Minutes(30));
  auto early_feedback = env.Run([&](Transaction& t) { return env.workflow.RecordCounterReview(t, req); });
  ASSERT_EQ(early_feedback.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolationsOf(early_feedback.status())[0].field, "feedback.collected_at");
  EXPECT_THAT(env.Breaches("CT-2"), SizeIs(0));

  *req.mutable_feedback()->mutable_collected_at() = ToProto(env.clock.Now());
  EXPECT_TRUE(env.Run([&](Transaction& t) { return env.workflow.RecordCounterReview(t, req); }).ok());
  EXPECT_THAT(env.Breaches("CT-2"), SizeIs(1));
}

// The customer's evaluation keeps its rating beside the review; a rating of 0
// means "declined" and needs the flag.
TEST_F(WorkflowTest, ACustomerEvaluationKeepsItsSourceAndRating) {
  v1::Visit visit = env.Start("", "S1");
  v1::RecordCounterReviewRequest req;
  req.set_visit_id(visit.visit_id());
  req.set_source(v1::REVIEW_SOURCE_CUSTOMER_EVALUATION);
  *req.mutable_review()->mutable_reviewed_at() = ToProto(env.clock.Now());
  auto* item = req.mutable_review()->add_items();
  item->set_clause("CT-5");
  item->set_item("goodbye");
  item->set_result(v1::REVIEW_RESULT_PASS);
  req.mutable_feedback()->set_channel(v1::FEEDBACK_CHANNEL_COUNTER_DEVICE);
  auto refused = env.Run([&](Transaction& t) { return env.workflow.RecordCounterReview(t, req); });
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolationsOf(refused.status())[0].field, "feedback.satisfaction");

  req.mutable_feedback()->set_satisfaction(4);
  *req.mutable_feedback()->mutable_collected_at() = ToProto(env.clock.Now());
  auto recorded = env.Run([&](Transaction& t) { return env.workflow.RecordCounterReview(t, req); });
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  ASSERT_EQ(recorded->visit().reviews_size(), 1);
  ASSERT_EQ(recorded->visit().review_origins_size(), 1);
  EXPECT_EQ(recorded->visit().review_origins(0).source(), v1::REVIEW_SOURCE_CUSTOMER_EVALUATION);
  EXPECT_EQ(recorded->visit().review_origins(0).feedback().satisfaction(), 4);
  EXPECT_EQ(recorded->visit().review_origins(0).feedback().channel(), v1::FEEDBACK_CHANNEL_COUNTER_DEVICE);

  req.set_source(v1::REVIEW_SOURCE_SUPERVISOR);
  req.clear_feedback();
  recorded = env.Run([&](Transaction& t) { return env.workflow.RecordCounterReview(t, req); });
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  ASSERT_EQ(recorded->visit().review_origins_size(), 2);
  EXPECT_EQ(recorded->visit().review_origins(1).source(), v1::REVIEW_SOURCE_SUPERVISOR);
  EXPECT_FALSE(recorded->visit().review_origins(1).has_feedback());

  // A visit whose two reviews were stored before origins were kept: the next
  // review's origin lines up with it, the earlier ones read UNSPECIFIED.
  auto legacy = env.Run([&](Transaction& t) -> absl::StatusOr<v1::Visit> {
    CounterStore store(t);
    auto found = store.FindVisit(visit.visit_id());
    if (!found.ok()) return found.status();
    v1::Visit stored = **found;
    stored.clear_review_origins();
    if (auto s = store.SaveVisit(stored); !s.ok()) return s;
    return stored;
  });
  ASSERT_TRUE(legacy.ok()) << legacy.status();
  v1::GetVisitRequest get;
  get.set_visit_id(visit.visit_id());
  auto read = env.Run([&](Transaction& t) { return env.workflow.GetVisit(t, get); });
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->visit().review_origins_size(), 2);  // padded on read
  EXPECT_EQ(read->visit().review_origins(1).source(), v1::REVIEW_SOURCE_UNSPECIFIED);
  recorded = env.Run([&](Transaction& t) { return env.workflow.RecordCounterReview(t, req); });
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  ASSERT_EQ(recorded->visit().reviews_size(), 3);
  ASSERT_EQ(recorded->visit().review_origins_size(), 3);
  EXPECT_EQ(recorded->visit().review_origins(0).source(), v1::REVIEW_SOURCE_UNSPECIFIED);
  EXPECT_EQ(recorded->visit().review_origins(2).source(), v1::REVIEW_SOURCE_SUPERVISOR);

  // The rating's collected_at is an event time: not in the future.
  req.set_source(v1::REVIEW_SOURCE_CUSTOMER_EVALUATION);
  req.mutable_feedback()->set_satisfaction(5);
  *req.mutable_feedback()->mutable_collected_at() = ToProto(env.clock.Now() + absl::Hours(1));
  refused = env.Run([&](Transaction& t) { return env.workflow.RecordCounterReview(t, req); });
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolationsOf(refused.status())[0].field, "feedback.collected_at");
}

// The customer's rating is checked as repair and construction check theirs
// (services/common/feedback_check.h): collected_at dates it, so it is
// required; a declined survey carries no score.
TEST_F(WorkflowTest, ACustomerRatingIsCheckedAsEveryServiceChecksIt) {
  v1::Visit visit = env.Start("", "S1");
  auto req = Parse<v1::RecordCounterReviewRequest>(R"pb(
    source: REVIEW_SOURCE_CUSTOMER_EVALUATION
    review { items { clause: "CT-5" item: "goodbye" result: REVIEW_RESULT_PASS } }
    feedback { satisfaction: 4 channel: FEEDBACK_CHANNEL_COUNTER_DEVICE })pb");
  req.set_visit_id(visit.visit_id());
  *req.mutable_review()->mutable_reviewed_at() = ToProto(env.clock.Now());
  const auto fields = [&] {
    auto refused = env.Run([&](Transaction& t) { return env.workflow.RecordCounterReview(t, req); });
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
    std::vector<std::string> out;
    for (const auto& f : FieldViolationsOf(refused.status())) out.push_back(f.field);
    return out;
  };
  EXPECT_THAT(fields(), ElementsAre("feedback.collected_at"));  // undated
  *req.mutable_feedback()->mutable_collected_at() = ToProto(env.clock.Now());
  req.mutable_feedback()->set_declined(true);
  EXPECT_THAT(fields(), ElementsAre("feedback.satisfaction"));  // declined, yet a 4
  req.mutable_feedback()->set_satisfaction(0);
  auto recorded = env.Run([&](Transaction& t) { return env.workflow.RecordCounterReview(t, req); });
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  EXPECT_TRUE(recorded->visit().review_origins(0).feedback().declined());
}

// CT-7: the appointment promised to the customer is a real time: a garbled
// one is refused, not taken because it compares "after the booking".
TEST_F(WorkflowTest, AnAppointmentTimeMustBeAValidTimestamp) {
  env.OpenFailure(kDayStart - absl::Minutes(20));
  v1::Visit visit = env.Start();
  v1::ConvertVisitToAppointmentRequest req;
  req.set_visit_id(visit.visit_id());
  req.mutable_contact()->set_name("Customer");
  req.mutable_contact()->set_phone("13800000000");
  req.set_apologised(true);
  *req.mutable_booked_at() = ToProto(env.clock.Now());
  google::protobuf::Timestamp bad_nanos = ToProto(env.clock.Now() + absl::Hours(24));
  bad_nanos.set_nanos(1000000000);
  google::protobuf::Timestamp year_99999;
  year_99999.set_seconds(3093496444800);  // 99999-01-01T00:00:00Z
  for (const google::protobuf::Timestamp& scheduled : {bad_nanos, year_99999}) {
    *req.mutable_scheduled_at() = scheduled;
    auto refused = env.Run([&](Transaction& t) { return env.workflow.ConvertVisitToAppointment(t, req); });
    ASSERT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << scheduled.DebugString();
    ASSERT_EQ(FieldViolationsOf(refused.status()).size(), 1u);
    EXPECT_EQ(FieldViolationsOf(refused.status())[0].field, "scheduled_at");
  }
  *req.mutable_scheduled_at() = ToProto(env.clock.Now() + absl::Hours(24));
  auto booked = env.Run([&](Transaction& t) { return env.workflow.ConvertVisitToAppointment(t, req); });
  ASSERT_TRUE(booked.ok()) << booked.status();
}

// A walk-in need not leave a number; one given is checked like everywhere else.
TEST_F(WorkflowTest, AVisitsCustomerPhoneIsCheckedWhenGiven) {
  v1::StartVisitRequest req;
  req.set_hall_id("H1");
  req.mutable_owner()->set_staff_id("S1");
  req.mutable_customer()->set_name("Customer");
  req.mutable_customer()->set_phone("123");
  *req.mutable_started_at() = ToProto(env.clock.Now());
  auto refused = env.Run([&](Transaction& t) { return env.workflow.StartVisit(t, req); });
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  ASSERT_EQ(FieldViolationsOf(refused.status()).size(), 1u);
  EXPECT_EQ(FieldViolationsOf(refused.status())[0].field, "customer.phone");
  EXPECT_EQ(FieldViolationsOf(refused.status())[0].description, kPhoneNumberProblem);
  req.mutable_customer()->set_phone("010-62345678");
  auto started = env.Run([&](Transaction& t) { return env.workflow.StartVisit(t, req); });
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ(started->visit().customer().phone(), "010-62345678");
}

// CT-9: home-service follow-up within 3 working days; at the due time met, after it breached.
TEST_F(WorkflowTest, HomeServiceFollowup) {
  v1::Visit visit = env.Start("", "S1", {v1::ACCESSIBILITY_NEED_WHEELCHAIR});
  v1::OpenHomeServiceRequest req = HomeServiceFor(visit.visit_id(), "S1", env.clock.Now());
  auto opened = env.Run([&](Transaction& t) { return env.workflow.OpenHomeService(t, req); });
  ASSERT_TRUE(opened.ok()) << opened.status();
  // 3 working days after Friday 2026-11-27 (+08:00): the end of Wednesday 2 December.
  const absl::Time due = absl::FromCivil(absl::CivilDay(2026, 12, 3), absl::FixedTimeZone(8 * 3600));
  ASSERT_THAT(opened->home_service().slas(), SizeIs(1));
  EXPECT_EQ(FromProto(opened->home_service().slas(0).due_at()), due);

  v1::GetVisitRequest get;
  get.set_visit_id(visit.visit_id());
  auto v = env.Run([&](Transaction& t) { return env.workflow.GetVisit(t, get); });
  EXPECT_EQ(v->visit().outcome(), v1::VISIT_OUTCOME_HOME_SERVICE);
  EXPECT_EQ(v->visit().home_service_id(), opened->home_service().home_service_id());

  // A second case left open breaches one microsecond after its due time.
  req.clear_visit_id();
  auto other = env.Run([&](Transaction& t) { return env.workflow.OpenHomeService(t, req); });
  ASSERT_TRUE(other.ok());
  env.clock.Set(due);
  v1::CompleteHomeServiceRequest done;
  done.set_home_service_id(opened->home_service().home_service_id());
  done.mutable_staff()->set_staff_id("S1");
  *done.mutable_completed_at() = ToProto(due);
  auto completed = env.Run([&](Transaction& t) { return env.workflow.CompleteHomeService(t, done); });
  ASSERT_TRUE(completed.ok()) << completed.status();
  EXPECT_EQ(completed->home_service().slas(0).state(), v1::SLA_STATUS_MET);
  env.Sweep();
  EXPECT_THAT(env.Breaches("CT-9"), SizeIs(0));
  env.clock.Advance(kUs);
  env.Sweep();
  EXPECT_THAT(env.Breaches("CT-9"), SizeIs(1));
  EXPECT_EQ(env.Run([&](Transaction& t) { return env.workflow.CompleteHomeService(t, done); }).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// CT-9 home service ending a visit in progress passes EndVisit's gates (CT-1
// owner, CT-7 long failure); the visit is of the hall and gets one home service.
TEST_F(WorkflowTest, HomeServiceForAVisitPassesTheEndGates) {
  v1::Visit visit = env.Start("", "S1", {v1::ACCESSIBILITY_NEED_WHEELCHAIR});
  v1::OpenHomeServiceRequest req = HomeServiceFor(visit.visit_id(), "S2", env.clock.Now());
  auto not_owner = env.Run([&](Transaction& t) { return env.workflow.OpenHomeService(t, req); });
  ASSERT_EQ(not_owner.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(not_owner.status().message()), HasSubstr("CT-1"));

  req.mutable_opened_by()->set_staff_id("S1");
  req.set_hall_id("H2");
  EXPECT_EQ(env.Run([&](Transaction& t) { return env.workflow.OpenHomeService(t, req); }).status().code(),
            absl::StatusCode::kNotFound);
  req.set_hall_id("H1");

  // CT-7: waiting in a long failure, the visit is converted, not handed over.
  v1::SystemFailure failure = env.OpenFailure();
  env.clock.Advance(absl::Minutes(16));
  *req.mutable_opened_at() = ToProto(env.clock.Now());
  auto in_failure = env.Run([&](Transaction& t) { return env.workflow.OpenHomeService(t, req); });
  ASSERT_EQ(in_failure.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(in_failure.status().message()), HasSubstr("CT-7"));
  v1::ListHomeServicesRequest list;
  list.set_hall_id("H1");
  EXPECT_THAT(env.Run([&](Transaction& t) { return env.workflow.ListHomeServices(t, list); })->home_services(),
              SizeIs(0));

  // Systems back: the owner hands the visit over, once.
  v1::CloseSystemFailureRequest close;
  close.set_failure_id(failure.failure_id());
  *close.mutable_ended_at() = ToProto(env.clock.Now());
  ASSERT_TRUE(env.Run([&](Transaction& t) { return env.workflow.CloseSystemFailure(t, close); }).ok());
  auto opened = env.Run([&](Transaction& t) { return env.workflow.OpenHomeService(t, req); });
  ASSERT_TRUE(opened.ok()) << opened.status();
  auto again = env.Run([&](Transaction& t) { return env.workflow.OpenHomeService(t, req); });
  ASSERT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("already has home service"));
}

// CT-9 home service: who opens the case is a required field (the follow-up
// clock is theirs; handing a visit over, the owner), and a case opened before
// the visit began is refused rather than moved to the visit's start.
TEST_F(WorkflowTest, Ct9HomeServiceNeedsOpenedByAndAnOpeningAfterTheVisitStarted) {
  v1::Visit visit = env.Start("", "S1", {v1::ACCESSIBILITY_NEED_WHEELCHAIR});
  v1::OpenHomeServiceRequest req = HomeServiceFor(visit.visit_id(), "", env.clock.Now());
  auto unnamed = env.Run([&](Transaction& t) { return env.workflow.OpenHomeService(t, req); });
  ASSERT_EQ(unnamed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolationsOf(unnamed.status()).at(0).field, "opened_by.staff_id");
  req.clear_visit_id();  // a case without a visit names its opener too
  unnamed = env.Run([&](Transaction& t) { return env.workflow.OpenHomeService(t, req); });
  ASSERT_EQ(unnamed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolationsOf(unnamed.status()).at(0).field, "opened_by.staff_id");

  req = HomeServiceFor(visit.visit_id(), "S1", env.clock.Now() - absl::Minutes(5));
  auto early = env.Run([&](Transaction& t) { return env.workflow.OpenHomeService(t, req); });
  ASSERT_EQ(early.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolationsOf(early.status()).at(0).field, "opened_at");
  v1::GetVisitRequest get;
  get.set_visit_id(visit.visit_id());
  EXPECT_EQ(env.Run([&](Transaction& t) { return env.workflow.GetVisit(t, get); })->visit().state(),
            v1::VISIT_STATE_IN_PROGRESS);

  *req.mutable_opened_at() = ToProto(env.clock.Now());
  auto opened = env.Run([&](Transaction& t) { return env.workflow.OpenHomeService(t, req); });
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(FromProto(env.Run([&](Transaction& t) { return env.workflow.GetVisit(t, get); })->visit().ended_at()),
            FromProto(opened->home_service().opened_at()));
}

// CT-10: closing a session or the hall is refused with business in progress; force records the breach.
TEST_F(WorkflowTest, ClosingGates) {
  v1::CounterSession session = env.Open();
  v1::Ticket t = env.Issue();
  ASSERT_TRUE(env.Call(t.ticket_id()).ok());
  v1::CloseSessionRequest close;
  close.set_session_id(session.session_id());
  *close.mutable_closed_at() = ToProto(env.clock.Now());
  auto refused = env.Run([&](Transaction& txn) { return env.workflow.CloseSession(txn, close); });
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("CT-10: business in progress"));

  v1::Visit visit = env.Start(t.ticket_id());
  ASSERT_TRUE(env.End(visit.visit_id(), "S1").ok());
  auto closed = env.Run([&](Transaction& txn) { return env.workflow.CloseSession(txn, close); });
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_FALSE(closed->session().forced());
  EXPECT_THAT(env.Breaches("CT-10"), SizeIs(0));

  // The hall: a waiting ticket issued before closing time holds it.
  env.Issue();
  v1::CloseHallRequest hall;
  hall.set_hall_id("H1");
  *hall.mutable_closed_at() = ToProto(env.clock.Now());
  EXPECT_EQ(env.Run([&](Transaction& txn) { return env.workflow.CloseHall(txn, hall); }).status().code(),
            absl::StatusCode::kFailedPrecondition);
  hall.set_force(true);
  auto no_reason = env.Run([&](Transaction& txn) { return env.workflow.CloseHall(txn, hall); });
  ASSERT_EQ(no_reason.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolationsOf(no_reason.status())[0].field, "force_reason");
  hall.set_force_reason("fire drill");
  auto forced = env.Run([&](Transaction& txn) { return env.workflow.CloseHall(txn, hall); });
  ASSERT_TRUE(forced.ok()) << forced.status();
  EXPECT_TRUE(forced->forced());
  EXPECT_THAT(forced->waiting_ticket_ids(), SizeIs(1));
  auto breaches = env.Breaches("CT-10");
  ASSERT_THAT(breaches, SizeIs(1));
  EXPECT_TRUE(breaches[0].forced());
  EXPECT_EQ(env.Run([&](Transaction& txn) { return env.workflow.CloseHall(txn, hall); }).status().code(),
            absl::StatusCode::kFailedPrecondition);  // already closed today
}

// CT-10: the last staff member to leave at closing time leaves the customers
// who came before closing. A ticket issued at 17:00 holds the hall's last
// session at 17:35, not a session whose colleague still serves; a ticket
// issued after closing time holds nothing.
TEST_F(WorkflowTest, Ct10LastSessionAtClosingWaitsForTicketsIssuedBeforeClosing) {
  const absl::TimeZone local = absl::FixedTimeZone(8 * 3600);
  env.clock.Set(absl::FromCivil(absl::CivilSecond(2026, 11, 27, 17, 0, 0), local));
  v1::CounterSession first = env.Open("C1", "S1");
  v1::CounterSession second = env.Open("C2", "S2");
  v1::Ticket before_closing = env.Issue();
  env.clock.Set(absl::FromCivil(absl::CivilSecond(2026, 11, 27, 17, 35, 0), local));
  auto close = [&](const v1::CounterSession& session) {
    v1::CloseSessionRequest req;
    req.set_session_id(session.session_id());
    *req.mutable_closed_at() = ToProto(env.clock.Now());
    return env.Run([&](Transaction& txn) { return env.workflow.CloseSession(txn, req); });
  };
  ASSERT_TRUE(close(second).ok());  // S1 still serves
  auto refused = close(first);
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("CT-10: business in progress"));

  ASSERT_TRUE(env.Call(before_closing.ticket_id()).ok());
  v1::Visit visit = env.Start(before_closing.ticket_id(), "S1");
  ASSERT_TRUE(env.End(visit.visit_id(), "S1").ok());
  env.Issue();  // 17:35, after closing time
  auto closed = close(first);
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_FALSE(closed->session().forced());
  EXPECT_THAT(env.Breaches("CT-10"), SizeIs(0));
}

// Closes hall H1 now, by force (a power cut).
absl::StatusOr<v1::CloseHallResponse> ForceCloseHall(CounterEnv& env) {
  v1::CloseHallRequest hall;
  hall.set_hall_id("H1");
  hall.set_force(true);
  hall.set_force_reason("power cut");
  *hall.mutable_closed_at() = ToProto(env.clock.Now());
  return env.Run([&](Transaction& txn) { return env.workflow.CloseHall(txn, hall); });
}

// CT-7: a customer still queued when the hall closes by force, after the
// conversion was due, was not booked in time: the breach stands (once), as for
// a visit's clock when its failure closes late.
TEST_F(WorkflowTest, Ct7ClosingTheHallLateKeepsTheTicketsConversionBreach) {
  v1::Ticket t = env.Issue();
  env.OpenFailure();
  env.clock.Advance(absl::Minutes(40));  // long at 15 min, conversion due at 30 min
  ASSERT_TRUE(ForceCloseHall(env).ok());  // no background pass saw the turn: the closing does
  auto clock = env.Sla(kSlaFailureConversion, TicketSubject(t.ticket_id()));
  ASSERT_TRUE(clock.has_value());
  EXPECT_EQ(clock->state, SlaState::kBreached);
  env.Sweep();
  auto breaches = env.Breaches("CT-7");
  ASSERT_THAT(breaches, SizeIs(1));
  EXPECT_EQ(breaches[0].subject(), TicketSubject(t.ticket_id()));
}

// CT-4: the hall closing cancels the wait clocks of tickets never called:
// nobody was served, so nothing is "met"; a wait already past its limit stays
// breached (counted once, even before the sweep saw it).
TEST_F(WorkflowTest, ClosingTheHallCancelsWaitClocksOfTicketsNeverCalled) {
  v1::Ticket overdue = env.Issue("payment", {}, env.clock.Now() - absl::Minutes(20));
  v1::Ticket fresh = env.Issue();
  env.clock.Advance(absl::Minutes(5));
  auto closed = ForceCloseHall(env);
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(env.Sla(kSlaTicketWait, TicketSubject(fresh.ticket_id()))->state, SlaState::kCancelled);
  EXPECT_EQ(env.Sla(kSlaTicketWait, TicketSubject(overdue.ticket_id()))->state, SlaState::kBreached);
  EXPECT_EQ(env.SlaTotal(kSlaTicketWait, "met"), 0);
  EXPECT_EQ(env.SlaTotal(kSlaTicketWait, "breached"), 1);
  env.Sweep();
  EXPECT_THAT(env.Breaches("CT-4"), SizeIs(1));
  EXPECT_EQ(env.SlaTotal(kSlaTicketWait, "breached"), 1);
}

// CT-4 check at closing: a counter in back office while a ticket waited past
// its limit is recorded even when no background pass ran in between (the
// check runs before closing cancels the waiting tickets).
TEST_F(WorkflowTest, ClosingTheHallChecksBackOfficeBeforeCancellingTickets) {
  env.Open();
  ASSERT_TRUE(env.SetState(v1::COUNTER_STATE_BACK_OFFICE).ok());
  env.Issue();
  env.clock.Advance(absl::Minutes(16));
  auto closed = ForceCloseHall(env);
  ASSERT_TRUE(closed.ok()) << closed.status();
  int back_office = 0;
  for (const auto& breach : env.Breaches("CT-4")) {
    if (breach.subject() != CounterSubject("H1", "C1")) continue;
    ++back_office;
    EXPECT_EQ(breach.mechanism(), v1::MECHANISM_CHECK);
    EXPECT_EQ(FromProto(breach.occurred_at()), kDayStart + absl::Minutes(15));
  }
  EXPECT_EQ(back_office, 1);
}

// CT-10: a ticket issued after closing time does not hold the closing, so
// the hall closes without force and without a CT-10 breach; the day is over,
// so that ticket is cancelled with it (its wait clock withdrawn, nothing met),
// as on a forced close: left waiting it would queue into the next day.
TEST_F(WorkflowTest, TicketsAfterClosingTimeDoNotHoldTheHall) {
  const absl::Time closing = absl::FromCivil(absl::CivilSecond(2026, 11, 27, 9, 30, 0), absl::UTCTimeZone());
  env.clock.Set(closing);
  v1::Ticket after_closing_time = env.Issue();
  env.clock.Advance(absl::Minutes(5));
  v1::CloseHallRequest hall;
  hall.set_hall_id("H1");
  *hall.mutable_closed_at() = ToProto(env.clock.Now());
  auto closed = env.Run([&](Transaction& txn) { return env.workflow.CloseHall(txn, hall); });
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_FALSE(closed->forced());
  EXPECT_THAT(closed->waiting_ticket_ids(), SizeIs(0));  // only tickets issued before closing time hold it
  EXPECT_THAT(env.Breaches("CT-10"), SizeIs(0));
  v1::GetTicketRequest get;
  get.set_ticket_id(after_closing_time.ticket_id());
  auto got = env.Run([&](Transaction& t) { return env.workflow.GetTicket(t, get); });
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->ticket().state(), v1::TICKET_STATE_CANCELLED);
  EXPECT_EQ(env.Sla(kSlaTicketWait, TicketSubject(after_closing_time.ticket_id()))->state, SlaState::kCancelled);
}

// CT-10: once the hall has closed for the day, that day takes no new business
// in it: a ticket, a counter session or a visit is refused (FAILED_PRECONDITION
// naming CT-10), also one dated before the closing but reported after it. What
// came in after the closing could never be cleared (the hall closes once a
// day) and would queue into the next day. The next day the hall opens again
// with an empty queue and its numbering from 001; another hall is unaffected.
TEST_F(WorkflowTest, Ct10AHallClosedForTheDayTakesNoNewBusinessThatDay) {
  const absl::TimeZone local = absl::FixedTimeZone(8 * 3600);
  const auto at = [&](int day, int hour, int minute) {
    return absl::FromCivil(absl::CivilSecond(2026, 12, day, hour, minute, 0), local);
  };
  env.clock.Set(at(7, 8, 0));
  v1::CounterSession session = env.Open("C1", "S1");
  env.clock.Set(at(7, 17, 35));
  v1::CloseHallRequest close;
  close.set_hall_id("H1");
  *close.mutable_closed_at() = ToProto(env.clock.Now());
  auto closed = env.Run([&](Transaction& txn) { return env.workflow.CloseHall(txn, close); });
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_THAT(closed->closed_session_ids(), ElementsAre(session.session_id()));

  const auto expect_ct10 = [](const absl::Status& s) {
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr("CT-10"));
  };
  const auto issue = [&](const std::string& hall, absl::Time issued_at) {
    v1::IssueTicketRequest req;
    req.set_hall_id(hall);
    req.set_business_type("payment");
    *req.mutable_issued_at() = ToProto(issued_at);
    return env.Run([&](Transaction& t) { return env.workflow.IssueTicket(t, req); });
  };
  env.clock.Set(at(7, 18, 0));
  expect_ct10(issue("H1", env.clock.Now()).status());
  expect_ct10(issue("H1", at(7, 17, 0)).status());  // a kiosk's late sync: the day is closed all the same
  v1::OpenSessionRequest open;
  open.set_hall_id("H1");
  open.set_counter_id("C1");
  open.mutable_staff()->set_staff_id("S1");
  *open.mutable_opened_at() = ToProto(at(7, 18, 5));
  env.clock.Set(at(7, 18, 5));
  expect_ct10(env.Run([&](Transaction& t) { return env.workflow.OpenSession(t, open); }).status());
  v1::StartVisitRequest walk_in;
  walk_in.set_hall_id("H1");
  walk_in.mutable_owner()->set_staff_id("S1");
  *walk_in.mutable_started_at() = ToProto(env.clock.Now());
  expect_ct10(env.Run([&](Transaction& t) { return env.workflow.StartVisit(t, walk_in); }).status());
  EXPECT_TRUE(issue("H2", env.clock.Now()).ok());  // another hall has not closed

  // Nothing was left behind: the next morning the queue starts empty.
  env.clock.Set(at(8, 8, 30));
  auto morning = issue("H1", env.clock.Now());
  ASSERT_TRUE(morning.ok()) << morning.status();
  EXPECT_EQ(morning->ticket().ticket_number(), "F001");
  EXPECT_EQ(morning->queue_position(), 1);
  *open.mutable_opened_at() = ToProto(env.clock.Now());
  EXPECT_TRUE(env.Run([&](Transaction& t) { return env.workflow.OpenSession(t, open); }).ok());
}

// Every list's time_range is validated: bounds are real timestamps and the
// start comes before the end (an empty result would hide the client's bug).
TEST_F(WorkflowTest, ListsRefuseAnInvalidTimeRange) {
  v1::TimeRange backwards;
  *backwards.mutable_start() = ToProto(env.clock.Now());
  *backwards.mutable_end() = ToProto(env.clock.Now() - absl::Hours(1));
  v1::TimeRange bad_nanos;
  bad_nanos.mutable_start()->set_seconds(1);
  bad_nanos.mutable_start()->set_nanos(-1);
  for (const auto& [range, field] :
       std::vector<std::pair<v1::TimeRange, std::string>>{{backwards, "time_range"}, {bad_nanos, "time_range.start"}}) {
    v1::ListTicketsRequest tickets;
    *tickets.mutable_time_range() = range;
    v1::ListVisitsRequest visits;
    *visits.mutable_time_range() = range;
    v1::ListAppointmentsRequest appointments;
    *appointments.mutable_time_range() = range;
    v1::ListHomeServicesRequest home_services;
    *home_services.mutable_time_range() = range;
    for (const absl::Status& refused :
         {env.Run([&](Transaction& t) { return env.workflow.ListTickets(t, tickets); }).status(),
          env.Run([&](Transaction& t) { return env.workflow.ListVisits(t, visits); }).status(),
          env.Run([&](Transaction& t) { return env.workflow.ListAppointments(t, appointments); }).status(),
          env.Run([&](Transaction& t) { return env.workflow.ListHomeServices(t, home_services); }).status()}) {
      ASSERT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << field << ": " << refused;
      EXPECT_EQ(FieldViolationsOf(refused).at(0).field, field);
    }
  }
}

// An empty id is a request missing its one required field, not a record that
// does not exist: INVALID_ARGUMENT naming it, as in every service.
TEST_F(WorkflowTest, AGetWithoutAnIdNamesTheField) {
  const std::vector<std::pair<absl::Status, std::string>> refusals = {
      {env.Run([&](Transaction& t) { return env.workflow.GetTicket(t, v1::GetTicketRequest()); }).status(),
       "ticket_id"},
      {env.Run([&](Transaction& t) { return env.workflow.GetVisit(t, v1::GetVisitRequest()); }).status(), "visit_id"},
      {env.Run([&](Transaction& t) { return env.workflow.GetSystemFailure(t, v1::GetSystemFailureRequest()); })
           .status(),
       "failure_id"},
      {env.Run([&](Transaction& t) { return env.workflow.GetAppointment(t, v1::GetAppointmentRequest()); }).status(),
       "appointment_id"},
      {env.Run([&](Transaction& t) { return env.workflow.GetHomeService(t, v1::GetHomeServiceRequest()); }).status(),
       "home_service_id"}};
  for (const auto& [refused, field] : refusals) {
    ASSERT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << field << ": " << refused;
    EXPECT_EQ(FieldViolationsOf(refused).at(0).field, field);
  }
}

// due_before is a filter bound like time_range's: an invalid one is refused,
// not turned into whatever time its fields make.
TEST_F(WorkflowTest, ListsRefuseAnInvalidDueBefore) {
  google::protobuf::Timestamp bad;
  bad.set_seconds(1);
  bad.set_nanos(-1);
  v1::ListTicketsRequest tickets;
  *tickets.mutable_due_before() = bad;
  v1::ListAppointmentsRequest appointments;
  *appointments.mutable_due_before() = bad;
  v1::ListHomeServicesRequest home_services;
  *home_services.mutable_due_before() = bad;
  for (const absl::Status& refused :
       {env.Run([&](Transaction& t) { return env.workflow.ListTickets(t, tickets); }).status(),
        env.Run([&](Transaction& t) { return env.workflow.ListAppointments(t, appointments); }).status(),
        env.Run([&](Transaction& t) { return env.workflow.ListHomeServices(t, home_services); }).status()}) {
    ASSERT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << refused;
    EXPECT_EQ(FieldViolationsOf(refused).at(0).field, "due_before");
  }
}

// Lists: waiting tickets in queue order, filters and paging.
TEST_F(WorkflowTest, ListsPageAndFilter) {
  for (int i = 0; i < 3; ++i) env.Issue();
  v1::Ticket priority = env.Issue("payment", {v1::ACCESSIBILITY_NEED_ELDERLY});
  v1::ListTicketsRequest req;
  req.set_hall_id("H1");
  req.set_state(v1::TICKET_STATE_WAITING);
  req.set_page_size(2);
  auto page1 = env.Run([&](Transaction& t) { return env.workflow.ListTickets(t, req); });
  ASSERT_TRUE(page1.ok());
  ASSERT_THAT(page1->tickets(), SizeIs(2));
  EXPECT_EQ(page1->tickets(0).ticket_id(), priority.ticket_id());
  ASSERT_FALSE(page1->next_page_token().empty());
  req.set_page_token(page1->next_page_token());
  auto page2 = env.Run([&](Transaction& t) { return env.workflow.ListTickets(t, req); });
  ASSERT_THAT(page2->tickets(), SizeIs(2));
  EXPECT_TRUE(page2->next_page_token().empty());
  req.clear_page_token();
  req.set_accessibility_only(true);
  EXPECT_THAT(env.Run([&](Transaction& t) { return env.workflow.ListTickets(t, req); })->tickets(), SizeIs(1));
  req.set_page_token("garbage");
  const auto bad_token = env.Run([&](Transaction& t) { return env.workflow.ListTickets(t, req); });
  ASSERT_EQ(bad_token.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolationsOf(bad_token.status()).at(0).field, "page_token");

  env.Open();
  env.clock.Advance(absl::Minutes(16));
  v1::ListCountersRequest counters;
  counters.set_hall_id("H1");
  auto listed = env.Run([&](Transaction& t) { return env.workflow.ListCounters(t, counters); });
  ASSERT_TRUE(listed.ok());
  EXPECT_THAT(listed->counters(), SizeIs(1));
  EXPECT_EQ(listed->waiting_tickets(), 4);
  EXPECT_EQ(listed->overdue_tickets(), 4);
}

}  // namespace
}  // namespace gridserve::counter::testing
