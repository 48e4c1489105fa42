// The gRPC adapter on an in-process server (127.0.0.1:0): status codes, field
// violations, idempotency, gates, the breach stream and the domain metrics.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <set>

#include "gmock/gmock.h"
#include "gridserve/v1/counter.grpc.pb.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"
#include "services/common/status_util.h"
#include "services/counter/grpc/counter_service.h"
#include "tests/common/retry_check.h"
#include "tests/common/test_db.h"
#include "tests/common/text_proto.h"
#include "tests/counter/counter_fixture.h"

namespace gridserve::counter::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsSupersetOf;

class CounterServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto parts = BuildCounter(env_.context);
    ASSERT_TRUE(parts.ok());
    parts_ = std::move(*parts);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(parts_.service.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(port, 0);
    stub_ = v1::Counter::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override { server_->Shutdown(); }

  template <typename Req, typename Resp>
  grpc::Status Call(grpc::Status (v1::Counter::Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                    const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return (stub_.get()->*method)(&ctx, req, resp);
  }

  static std::set<std::string> Fields(const grpc::Status& status) {
    std::set<std::string> out;
    for (const auto& v : FieldViolationsOf(FromGrpcStatus(status))) out.insert(v.field);
    return out;
  }

  v1::IssueTicketRequest IssueRequest(const std::string& id) {
    v1::IssueTicketRequest req;
    req.set_request_id(id);
    req.set_hall_id("H1");
    req.set_business_type("new_connection");
    *req.mutable_issued_at() = ToProto(env_.clock.Now());
    return req;
  }

  // Sends `req` twice with its request id (the retry a moment later).
  template <typename Req, typename Resp>
  Resp Twice(grpc::Status (v1::Counter::Stub::*method)(grpc::ClientContext*, const Req&, Resp*), const Req& req) {
    return gridserve::testing::ExpectRetryChangesNothing<Resp>(
        *env_.db, req.request_id(), [&](Resp* resp) { return Call(method, req, resp); },
        [&] { env_.clock.Advance(absl::Seconds(1)); });
  }

  CounterEnv env_;
  ServiceParts parts_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::Counter::Stub> stub_;
};

TEST_F(CounterServiceTest, InvalidIssueTicketNamesEveryField) {
  v1::IssueTicketRequest req;
  v1::IssueTicketResponse resp;
  grpc::Status s = Call(&v1::Counter::Stub::IssueTicket, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(s), ::testing::ElementsAre("request_id"));

  req.set_request_id("r1");
  req.add_accessibility_needs(v1::ACCESSIBILITY_NEED_UNSPECIFIED);
  *req.mutable_issued_at() = ToProto(env_.clock.Now() + absl::Hours(1));  // beyond the skew
  s = Call(&v1::Counter::Stub::IssueTicket, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(s), IsSupersetOf({"hall_id", "business_type", "accessibility_needs[0]", "issued_at"}));
}

TEST_F(CounterServiceTest, SameRequestIdSameAnswerOneRecord) {
  const v1::IssueTicketRequest original = IssueRequest("r1");
  v1::IssueTicketResponse a, b;
  ASSERT_TRUE(Call(&v1::Counter::Stub::IssueTicket, original, &a).ok());
  env_.clock.Advance(absl::Minutes(1));  // a retry later replays the stored answer
  ASSERT_TRUE(Call(&v1::Counter::Stub::IssueTicket, original, &b).ok());
  EXPECT_EQ(a.ticket().ticket_id(), b.ticket().ticket_id());
  EXPECT_EQ(a.SerializeAsString(), b.SerializeAsString());
  EXPECT_EQ(gridserve::testing::CountRows(*env_.db, "SELECT COUNT(*) FROM counter_tickets"), 1);
  EXPECT_EQ(gridserve::testing::CountRows(*env_.db, "SELECT COUNT(*) FROM sla_timers"), 1);
  // The same id with another payload is refused.
  v1::IssueTicketResponse c;
  grpc::Status reused = Call(&v1::Counter::Stub::IssueTicket, IssueRequest("r1"), &c);
  EXPECT_EQ(reused.error_code(), grpc::StatusCode::ALREADY_EXISTS);
}

// Retries of calls that record breaches (CT-6 at a late call without an
// apology, CT-10 at a forced close) record each breach once.
TEST_F(CounterServiceTest, RetriedCallsRecordTheirBreachesOnce) {
  v1::OpenSessionRequest open;
  open.set_request_id("open-1");
  open.set_hall_id("H1");
  open.set_counter_id("C1");
  open.mutable_staff()->set_staff_id("S1");
  *open.mutable_opened_at() = ToProto(env_.clock.Now());
  const v1::CounterSession session = Twice(&v1::Counter::Stub::OpenSession, open).session();

  const v1::IssueTicketResponse issued = Twice(&v1::Counter::Stub::IssueTicket, IssueRequest("issue-1"));
  env_.clock.Advance(absl::Minutes(11));  // past the 10-minute apology threshold
  v1::CallTicketRequest call;
  call.set_request_id("call-1");
  call.set_ticket_id(issued.ticket().ticket_id());
  call.set_counter_id("C1");
  call.mutable_staff()->set_staff_id("S1");
  *call.mutable_called_at() = ToProto(env_.clock.Now());
  const v1::CallTicketResponse called = Twice(&v1::Counter::Stub::CallTicket, call);
  ASSERT_EQ(called.ticket().breaches_size(), 1);
  EXPECT_EQ(called.ticket().breaches(0).rule(), "CT-6");

  v1::CloseSessionRequest close;
  close.set_request_id("close-1");
  close.set_session_id(session.session_id());
  close.set_force(true);
  close.set_force_reason("staff member taken ill");
  *close.mutable_closed_at() = ToProto(env_.clock.Now());
  const v1::CloseSessionResponse closed = Twice(&v1::Counter::Stub::CloseSession, close);
  EXPECT_TRUE(closed.session().forced());  // the called ticket was not served yet

  EXPECT_EQ(gridserve::testing::CountRows(*env_.db, "SELECT COUNT(*) FROM breaches WHERE rule = 'CT-6'"), 1);
  EXPECT_EQ(gridserve::testing::CountRows(*env_.db, "SELECT COUNT(*) FROM breaches WHERE rule = 'CT-10'"), 1);
}

using ::gridserve::testing::Parse;

// Every other state-changing call of a hall's day, each retried with its
// request id: the same answer, nothing written twice (the counter's writes all
// run through one RunOnce wrapper; this walks them through the API).
TEST_F(CounterServiceTest, EveryCallOfADayRetriedChangesNothing) {
  const auto at = [&] { return ToProto(env_.clock.Now()); };
  auto open = Parse<v1::OpenSessionRequest>(
      R"pb(request_id: "open" hall_id: "H1" counter_id: "C1" staff { staff_id: "S1" })pb");
  *open.mutable_opened_at() = at();
  Twice(&v1::Counter::Stub::OpenSession, open);
  for (const auto& [request_id, state] : {std::make_pair("state-1", v1::COUNTER_STATE_BACK_OFFICE),
                                          std::make_pair("state-2", v1::COUNTER_STATE_IN_SERVICE)}) {
    auto change = Parse<v1::SetCounterStateRequest>(R"pb(hall_id: "H1" counter_id: "C1" staff { staff_id: "S1" })pb");
    change.set_request_id(request_id);
    change.set_state(state);
    *change.mutable_changed_at() = at();
    Twice(&v1::Counter::Stub::SetCounterState, change);
  }

  // CT-4: a ticket is called; the customer does not come.
  const v1::Ticket ticket = Twice(&v1::Counter::Stub::IssueTicket, IssueRequest("issue")).ticket();
  auto call = Parse<v1::CallTicketRequest>(R"pb(request_id: "call" counter_id: "C1" staff { staff_id: "S1" })pb");
  call.set_ticket_id(ticket.ticket_id());
  *call.mutable_called_at() = at();
  Twice(&v1::Counter::Stub::CallTicket, call);
  auto no_show = Parse<v1::MarkNoShowRequest>(R"pb(request_id: "no-show" staff { staff_id: "S1" })pb");
  no_show.set_ticket_id(ticket.ticket_id());
  *no_show.mutable_marked_at() = at();
  Twice(&v1::Counter::Stub::MarkNoShow, no_show);

  const auto start_visit = [&](const std::string& request_id) {
    auto start = Parse<v1::StartVisitRequest>(R"pb(
      hall_id: "H1" owner { staff_id: "S1" } business_type: "new_connection"
      accessibility_needs: ACCESSIBILITY_NEED_WHEELCHAIR)pb");
    start.set_request_id(request_id);
    *start.mutable_started_at() = at();
    return Twice(&v1::Counter::Stub::StartVisit, start).visit();
  };
  // CT-1, CT-8, CT-3, CT-2: a visit with an assist, an escalation, a form and a review.
  const v1::Visit visit = start_visit("visit-1");
  auto assist = Parse<v1::AddVisitAssistRequest>(
      R"pb(request_id: "assist" assistant { staff_id: "S2" } reason: "meter question")pb");
  assist.set_visit_id(visit.visit_id());
  *assist.mutable_assisted_at() = at();
  Twice(&v1::Counter::Stub::AddVisitAssist, assist);
  auto escalate = Parse<v1::RecordEscalationRequest>(R"pb(
    request_id: "escalate" reason: ESCALATION_REASON_AGITATED_CUSTOMER
    from_staff { staff_id: "S1" } to_staff { staff_id: "S9" } policy_explained: true)pb");
  escalate.set_visit_id(visit.visit_id());
  *escalate.mutable_escalated_at() = at();
  Twice(&v1::Counter::Stub::RecordEscalation, escalate);
  auto form = Parse<v1::SubmitApplicationFormRequest>(R"pb(
    request_id: "form" business_type: "new_connection" fields { key: "applicant_name" value: "Zhang San" }
    filled_by_staff: true filled_by { staff_id: "S1" } sample_shown: true)pb");
  form.set_visit_id(visit.visit_id());
  *form.mutable_submitted_at() = at();
  Twice(&v1::Counter::Stub::SubmitApplicationForm, form);
  auto review = Parse<v1::RecordCounterReviewRequest>(R"pb(
    request_id: "review" source: REVIEW_SOURCE_SUPERVISOR
    review { items { clause: "CT-2" item: "greeting" result: REVIEW_RESULT_FAIL } })pb");  // a CT-2 breach
  review.set_visit_id(visit.visit_id());
  *review.mutable_review()->mutable_reviewed_at() = at();
  Twice(&v1::Counter::Stub::RecordCounterReview, review);

  // CT-7: a failure; the visit waiting in it becomes an appointment, kept later.
  auto failure = Parse<v1::OpenSystemFailureRequest>(
      R"pb(request_id: "failure" hall_id: "H1" description: "billing system down" opened_by { staff_id: "S1" })pb");
  *failure.mutable_started_at() = at();
  const v1::SystemFailure opened_failure = Twice(&v1::Counter::Stub::OpenSystemFailure, failure).system_failure();
  auto convert = Parse<v1::ConvertVisitToAppointmentRequest>(R"pb(
    request_id: "convert" contact { name: "Customer" phone: "13800000000" } apologised: true
    booked_by { staff_id: "S1" })pb");
  convert.set_visit_id(visit.visit_id());
  convert.set_failure_id(opened_failure.failure_id());
  *convert.mutable_booked_at() = at();
  *convert.mutable_scheduled_at() = ToProto(env_.clock.Now() + absl::Hours(1));
  const v1::Appointment appointment = Twice(&v1::Counter::Stub::ConvertVisitToAppointment, convert).appointment();
  auto close_failure = Parse<v1::CloseSystemFailureRequest>(R"pb(request_id: "close-failure")pb");
  close_failure.set_failure_id(opened_failure.failure_id());
  *close_failure.mutable_ended_at() = at();
  Twice(&v1::Counter::Stub::CloseSystemFailure, close_failure);
  env_.clock.Advance(absl::Hours(1));
  auto keep = Parse<v1::KeepAppointmentRequest>(R"pb(request_id: "keep" staff { staff_id: "S1" })pb");
  keep.set_appointment_id(appointment.appointment_id());
  *keep.mutable_kept_at() = at();
  Twice(&v1::Counter::Stub::KeepAppointment, keep);

  // CT-9: a visit handed over to home service, which is then completed.
  const v1::Visit second = start_visit("visit-2");
  auto home = Parse<v1::OpenHomeServiceRequest>(R"pb(
    request_id: "home" hall_id: "H1" contact { name: "Li Si" phone: "13900000000" }
    location { address: "5 Garden Road, Haidian" } needs: ACCESSIBILITY_NEED_WHEELCHAIR opened_by { staff_id: "S1" })pb");
  home.set_visit_id(second.visit_id());
  *home.mutable_opened_at() = at();
  const v1::HomeService opened_home = Twice(&v1::Counter::Stub::OpenHomeService, home).home_service();
  auto complete = Parse<v1::CompleteHomeServiceRequest>(
      R"pb(request_id: "complete-home" staff { staff_id: "S1" } outcome_note: "application taken at home")pb");
  complete.set_home_service_id(opened_home.home_service_id());
  *complete.mutable_completed_at() = at();
  Twice(&v1::Counter::Stub::CompleteHomeService, complete);

  // CT-1: a visit ended by its owner; then the hall closes (CT-10).
  const v1::Visit third = start_visit("visit-3");
  auto end = Parse<v1::EndVisitRequest>(R"pb(request_id: "end" ended_by_staff_id: "S1" outcome: VISIT_OUTCOME_COMPLETED)pb");
  end.set_visit_id(third.visit_id());
  *end.mutable_ended_at() = at();
  Twice(&v1::Counter::Stub::EndVisit, end);
  auto close_hall = Parse<v1::CloseHallRequest>(R"pb(request_id: "close-hall" hall_id: "H1" closed_by { staff_id: "S1" })pb");
  *close_hall.mutable_closed_at() = at();
  Twice(&v1::Counter::Stub::CloseHall, close_hall);
  EXPECT_EQ(gridserve::testing::CountRows(*env_.db, "SELECT COUNT(*) FROM breaches WHERE rule = 'CT-2'"), 1);
}

TEST_F(CounterServiceTest, NotFoundAndGates) {
  v1::GetTicketRequest get;
  get.set_ticket_id("TK-none");
  v1::GetTicketResponse got;
  EXPECT_EQ(Call(&v1::Counter::Stub::GetTicket, get, &got).error_code(), grpc::StatusCode::NOT_FOUND);

  v1::StartVisitRequest start;
  start.set_request_id("v1");
  start.set_hall_id("H1");
  start.mutable_owner()->set_staff_id("S1");
  *start.mutable_started_at() = ToProto(env_.clock.Now());
  v1::StartVisitResponse visit;
  ASSERT_TRUE(Call(&v1::Counter::Stub::StartVisit, start, &visit).ok());

  v1::EndVisitRequest end;
  end.set_request_id("e1");
  end.set_visit_id(visit.visit().visit_id());
  end.set_ended_by_staff_id("S2");
  end.set_outcome(v1::VISIT_OUTCOME_COMPLETED);
  *end.mutable_ended_at() = ToProto(env_.clock.Now());
  v1::EndVisitResponse ended;
  grpc::Status s = Call(&v1::Counter::Stub::EndVisit, end, &ended);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("CT-1"));
  // A failed call stores nothing: the corrected retry with a new id runs.
  end.set_request_id("e2");
  end.set_ended_by_staff_id("S1");
  end.set_outcome(v1::VISIT_OUTCOME_REDIRECTED_UNFINISHED);
  s = Call(&v1::Counter::Stub::EndVisit, end, &ended);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(s), ::testing::ElementsAre("redirected_to"));
  end.set_redirected_to("the district office");
  ASSERT_TRUE(Call(&v1::Counter::Stub::EndVisit, end, &ended).ok());
  EXPECT_EQ(ended.visit().breaches_size(), 1);
  // Replayed: the same answer, still one breach.
  v1::EndVisitResponse replay;
  ASSERT_TRUE(Call(&v1::Counter::Stub::EndVisit, end, &replay).ok());
  EXPECT_EQ(replay.SerializeAsString(), ended.SerializeAsString());
  EXPECT_EQ(gridserve::testing::CountRows(*env_.db, "SELECT COUNT(*) FROM breaches WHERE rule = 'CT-1'"), 1);

  // CT-10: the hall with a waiting ticket.
  v1::IssueTicketResponse ticket;
  ASSERT_TRUE(Call(&v1::Counter::Stub::IssueTicket, IssueRequest("t1"), &ticket).ok());
  v1::CloseHallRequest close;
  close.set_request_id("c1");
  close.set_hall_id("H1");
  *close.mutable_closed_at() = ToProto(env_.clock.Now());
  v1::CloseHallResponse closed;
  s = Call(&v1::Counter::Stub::CloseHall, close, &closed);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("CT-10: business in progress"));
}

TEST_F(CounterServiceTest, WatchBreachesStreamsRecordedBreaches) {
  v1::CounterWatchBreachesRequest bad;
  bad.set_after_sequence(-1);
  {
    grpc::ClientContext ctx;
    auto reader = stub_->WatchBreaches(&ctx, bad);
    v1::BreachEvent event;
    EXPECT_FALSE(reader->Read(&event));
    const grpc::Status refused = reader->Finish();
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(Fields(refused), ::testing::Contains("after_sequence"));
  }
  // A CT-8 breach, then the stream from the start.
  v1::StartVisitRequest start;
  start.set_request_id("v1");
  start.set_hall_id("H1");
  start.mutable_owner()->set_staff_id("S1");
  *start.mutable_started_at() = ToProto(env_.clock.Now());
  v1::StartVisitResponse visit;
  ASSERT_TRUE(Call(&v1::Counter::Stub::StartVisit, start, &visit).ok());
  v1::RecordEscalationRequest esc;
  esc.set_request_id("x1");
  esc.set_visit_id(visit.visit().visit_id());
  esc.set_reason(v1::ESCALATION_REASON_POLICY_REQUEST);
  esc.set_argued_with_customer(true);
  *esc.mutable_escalated_at() = ToProto(env_.clock.Now());
  v1::RecordEscalationResponse escalated;
  ASSERT_TRUE(Call(&v1::Counter::Stub::RecordEscalation, esc, &escalated).ok());

  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::CounterWatchBreachesRequest req;
  req.set_rule("CT-8");
  auto reader = stub_->WatchBreaches(&ctx, req);
  v1::BreachEvent event;
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.breach().rule(), "CT-8");
  EXPECT_EQ(event.breach().service(), "counter");
  EXPECT_EQ(event.sequence(), 1);
  ctx.TryCancel();
  reader->Finish();
}

TEST_F(CounterServiceTest, MetricsHaveThresholdBucketsAndZeroSeries) {
  // A wait of 12 minutes lands above the 600 s bucket and within the 900 s one.
  v1::IssueTicketResponse ticket;
  ASSERT_TRUE(Call(&v1::Counter::Stub::IssueTicket, IssueRequest("t1"), &ticket).ok());
  ASSERT_TRUE(Call(&v1::Counter::Stub::IssueTicket, IssueRequest("t2"), &ticket).ok());  // still waiting at the end
  v1::OpenSessionRequest open;
  open.set_request_id("s1");
  open.set_hall_id("H1");
  open.set_counter_id("C1");
  open.mutable_staff()->set_staff_id("S1");
  *open.mutable_opened_at() = ToProto(env_.clock.Now());
  v1::OpenSessionResponse session;
  ASSERT_TRUE(Call(&v1::Counter::Stub::OpenSession, open, &session).ok());
  env_.clock.Advance(absl::Minutes(12));
  v1::CallTicketRequest call;
  call.set_request_id("k1");
  call.set_counter_id("C1");
  call.mutable_staff()->set_staff_id("S1");
  call.set_apologised(true);
  *call.mutable_called_at() = ToProto(env_.clock.Now());
  v1::CallTicketResponse called;
  ASSERT_TRUE(Call(&v1::Counter::Stub::CallTicket, call, &called).ok());
  for (auto& pass : parts_.background_pass) ASSERT_TRUE(pass().ok());

  const std::string text = prometheus::TextSerializer().Serialize(env_.metrics.registry()->Collect());
  EXPECT_THAT(text, HasSubstr("gridserve_hall_ticket_wait_seconds_bucket{le=\"600\"} 0"));
  EXPECT_THAT(text, HasSubstr("gridserve_hall_ticket_wait_seconds_bucket{le=\"900\"} 1"));
  EXPECT_THAT(text, HasSubstr("gridserve_hall_counters{state=\"in_service\"} 1"));
  EXPECT_THAT(text, HasSubstr("gridserve_hall_tickets_waiting 1\n"));  // issued 2, called 1
  EXPECT_THAT(text, HasSubstr("gridserve_hall_escalations_total{reason=\"agitated_customer\"} 0"));
  EXPECT_THAT(text, HasSubstr("gridserve_hall_forms_total{filled_by_staff=\"true\",status=\"accepted\"} 0"));
}

}  // namespace
}  // namespace gridserve::counter::testing
