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
  for (auto& refresh : parts_.on_gauge_refresh) refresh();

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
