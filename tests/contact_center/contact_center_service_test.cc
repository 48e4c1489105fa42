// The ContactCenter service through an in-process gRPC server: an in-memory
// database, a fake clock, real platform pieces (breaches, SLA clock, outbox)
// and a fake repair service on loopback for outage lookups and dispatches.
#include "services/contact_center/grpc/contact_center_service.h"

#include <grpcpp/grpcpp.h>

#include <map>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gridserve/v1/repair.grpc.pb.h"
#include "gridserve/v1/risk.pb.h"
#include "gtest/gtest.h"
#include "services/common/config.h"
#include "services/common/rpc_util.h"
#include "services/common/status_util.h"
#include "services/contact_center/storage/contact_center_schema.h"
#include "tests/common/registry_value.h"
#include "tests/common/retry_check.h"
#include "tests/common/test_db.h"

namespace gridserve::contact_center {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
using testing::CountRows;
using testing::kStart;

// Repair as contact-center sees it: outage lookups and dispatch acceptance
// (idempotent by fault_report_id, like the real one).
class FakeRepair final : public v1::Repair::CallbackService {
 public:
  grpc::ServerUnaryReactor* LookupOutage(grpc::CallbackServerContext* ctx, const v1::RepairLookupOutageRequest* request,
                                         v1::RepairLookupOutageResponse* response) override {
    absl::Duration delay;
    {
      absl::MutexLock lock(&mu_);
      ++lookups_;
      *response = answer_;
      delay = delay_;
    }
    auto* reactor = ctx->DefaultReactor();
    // Like the real repair: it matches on feeder_id / area_code only.
    if (request->location().feeder_id().empty() && request->location().area_code().empty()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "location: feeder_id or area_code is needed"));
      return reactor;
    }
    if (delay > absl::ZeroDuration()) absl::SleepFor(delay);
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  grpc::ServerUnaryReactor* AcceptDispatch(grpc::CallbackServerContext* ctx, const v1::AcceptDispatchRequest* request,
                                           v1::AcceptDispatchResponse* response) override {
    auto* reactor = ctx->DefaultReactor();
    absl::MutexLock lock(&mu_);
    if (refuse_dispatch_) {
      reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "repair is restarting"));
      return reactor;
    }
    dispatches_.push_back(*request);
    auto [it, created] = orders_.emplace(request->fault_report_id(), "WO-" + std::to_string(orders_.size() + 1));
    response->mutable_work_order()->set_work_order_id(it->second);
    response->set_created(created);
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  // A covered answer; `etr` unset = repair does not know the restoration time yet.
  void Covered(const std::string& outage_id, std::optional<absl::Time> etr = std::nullopt) {
    absl::MutexLock lock(&mu_);
    answer_.set_status(v1::OUTAGE_LOOKUP_STATUS_COVERED);
    answer_.mutable_outage()->set_outage_id(outage_id);
    answer_.mutable_outage()->set_kind(v1::OUTAGE_KIND_PLANNED);
    if (etr) {
      *answer_.mutable_outage()->mutable_etr() = ToProto(*etr);
    } else {
      answer_.mutable_outage()->clear_etr();
    }
  }
  void SetDelay(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    delay_ = d;
  }
  void RefuseDispatch(bool refuse) {
    absl::MutexLock lock(&mu_);
    refuse_dispatch_ = refuse;
  }
  int lookups() {
    absl::MutexLock lock(&mu_);
    return lookups_;
  }
  std::vector<v1::AcceptDispatchRequest> dispatches() {
    absl::MutexLock lock(&mu_);
    return dispatches_;
  }

 private:
  absl::Mutex mu_;
  v1::RepairLookupOutageResponse answer_ = [] {
    v1::RepairLookupOutageResponse r;
    r.set_status(v1::OUTAGE_LOOKUP_STATUS_NOT_COVERED);
    return r;
  }();
  absl::Duration delay_;
  bool refuse_dispatch_ = false;
  int lookups_ = 0;
  std::vector<v1::AcceptDispatchRequest> dispatches_;
  std::map<std::string, std::string> orders_;
};

// A sample from the registry: counter/gauge value, histogram count, or a
// histogram's cumulative bucket count when `le` is given. -1 if absent.
double Sample(prometheus::Registry& registry, const std::string& name, const std::map<std::string, std::string>& labels,
              double le = -1) {
  return ::gridserve::testing::RegistryValue(registry, name, labels, le);
}

std::vector<std::string> ViolationFields(const grpc::Status& status) {
  std::vector<std::string> fields;
  for (const FieldViolation& violation : FieldViolationsOf(FromGrpcStatus(status))) fields.push_back(violation.field);
  return fields;
}

class ContactCenterServiceTest : public ::testing::Test {
 protected:
  ContactCenterServiceTest()
      : clock_(kStart),
        config_(MakeConfig()),
        calendar_(*BusinessCalendar::FromConfig(config_.calendar())),
        db_(testing::OpenPlatformDb(clock_)),
        metrics_("contact-center", "test", config_),
        breaches_("contact-center", clock_, &metrics_, BreachRecorder::OutboxToRisk(clock_)),
        sla_(clock_, breaches_, &metrics_),
        outbox_(*db_, clock_, OutboxOptions{absl::Seconds(1), absl::Seconds(8)}) {}

  static v1::SuiteConfig MakeConfig() {
    v1::SuiteConfig config = DefaultConfig();
    *config.mutable_contact_center()->mutable_outage_lookup_deadline() = ToProto(absl::Milliseconds(300));
    // CC-1's optional short-abandon exclusion, switched on here so the tests
    // do not depend on its default (norms.md grants no exclusion: 0 = off).
    *config.mutable_contact_center()->mutable_short_abandon_threshold() = ToProto(absl::Seconds(5));
    return config;
  }

  void SetUp() override {
    ASSERT_TRUE(ApplyMigrations(*db_, clock_, "contact-center", ContactCenterMigrations()).ok());
    grpc::ServerBuilder repair_builder;
    int repair_port = 0;
    repair_builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &repair_port);
    repair_builder.RegisterService(&repair_);
    repair_server_ = repair_builder.BuildAndStart();
    ASSERT_NE(repair_port, 0);

    context_ = std::make_unique<ServiceContext>(ServiceContext{
        config_, calendar_, clock_, *db_, metrics_, breaches_, sla_, outbox_,
        PeerTargets{"127.0.0.1:" + std::to_string(repair_port), "127.0.0.1:1"}, [](const std::string& target) {
          return grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
        }});
    auto parts = BuildContactCenter(*context_);
    ASSERT_TRUE(parts.ok()) << parts.status();
    parts_ = *std::move(parts);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(parts_.service.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(port, 0);
    stub_ = v1::ContactCenter::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
    if (repair_server_) repair_server_->Shutdown();
  }

  template <typename Req, typename Resp>
  grpc::Status Call(grpc::Status (v1::ContactCenter::Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                    const Req& request, Resp* response) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return (stub_.get()->*method)(&ctx, request, response);
  }

  // Calls `method` and retries it with the same request id: the retry must
  // answer the same and write nothing more (tests/common/retry_check.h).
  template <typename Req, typename Resp>
  Resp CallAndRetry(grpc::Status (v1::ContactCenter::Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                    const Req& request) {
    return testing::ExpectRetryChangesNothing<Resp>(
        *db_, request.request_id(), [&](Resp* r) { return Call(method, request, r); },
        [&] { clock_.Advance(absl::Seconds(1)); });
  }

  // An answered call, correct in every respect, `rings` rings.
  v1::RecordCallRequest AnsweredCall(const std::string& request_id, int rings) {
    v1::RecordCallRequest r;
    r.set_request_id(request_id);
    r.set_external_call_id("TEL-" + request_id);
    r.mutable_agent()->set_staff_id("S-1");
    r.mutable_agent()->set_department("customer-service");
    r.set_department("customer-service");
    r.set_purpose(v1::CALL_PURPOSE_CONSULTATION);
    r.set_caller_phone("13800000000");
    *r.mutable_alerting_started_at() = ToProto(clock_.Now() - absl::Minutes(3));
    *r.mutable_answered_at() = ToProto(clock_.Now() - absl::Minutes(3) + absl::Seconds(5) * rings);
    *r.mutable_ended_at() = ToProto(clock_.Now() - absl::Minutes(1));
    r.set_outcome(v1::CALL_OUTCOME_ANSWERED);
    r.set_rings(rings);
    r.set_greeted(true);
    r.set_unit_named(true);
    r.set_hang_up_party(v1::HANG_UP_PARTY_CUSTOMER);
    r.set_disposition(v1::CALL_DISPOSITION_NORMAL);
    return r;
  }

  // Records a call, and checks that its retry changes nothing.
  v1::Call RecordOk(const v1::RecordCallRequest& request) {
    return CallAndRetry(&v1::ContactCenter::Stub::RecordCall, request).call();
  }

  v1::RecordCaseRequest Complaint(const std::string& request_id, absl::Time received_at) {
    v1::RecordCaseRequest r;
    r.set_request_id(request_id);
    r.set_kind(v1::CASE_KIND_COMPLAINT);
    r.mutable_reporter()->set_name("Li");
    r.mutable_reporter()->set_phone("13900000000");
    r.set_department("repair");
    r.set_summary("crew late");
    r.set_thanked(true);
    r.mutable_recorded_by()->set_staff_id("S-2");
    r.mutable_recorded_by()->set_department("customer-service");
    *r.mutable_received_at() = ToProto(received_at);
    return r;
  }

  v1::ReportFaultRequest UtilityFault(const std::string& request_id, absl::Time reported_at) {
    v1::ReportFaultRequest r;
    r.set_request_id(request_id);
    r.mutable_reporter()->set_name("Zhao");
    r.mutable_reporter()->set_phone("13700000000");
    r.mutable_location()->set_address("8 Grid Road");
    r.mutable_location()->set_area_class("urban");
    r.set_description("no power in the street");
    r.set_classification(v1::FAULT_CLASSIFICATION_UTILITY_SIDE);
    r.mutable_agent()->set_staff_id("S-1");
    r.mutable_agent()->set_department("customer-service");
    r.set_department("repair");
    *r.mutable_reported_at() = ToProto(reported_at);
    return r;
  }

  double Breaches(const std::string& rule, const std::string& department = "customer-service") {
    return Sample(*metrics_.registry(), "gridserve_norm_breaches_total", {{"rule", rule}, {"department", department}});
  }
  double SlaTotal(const std::string& sla, const std::string& outcome) {
    return Sample(*metrics_.registry(), "gridserve_sla_total", {{"sla", sla}, {"outcome", outcome}});
  }
  void Sweep() { ASSERT_TRUE(sla_.Sweep(*db_).ok()); }
  int64_t Rows(const std::string& sql) { return CountRows(*db_, sql); }

  FakeClock clock_;
  v1::SuiteConfig config_;
  BusinessCalendar calendar_;
  std::unique_ptr<Database> db_;
  ServiceMetrics metrics_;
  BreachRecorder breaches_;
  SlaClock sla_;
  OutboxRelay outbox_;
  FakeRepair repair_;
  std::unique_ptr<grpc::Server> repair_server_;
  std::unique_ptr<ServiceContext> context_;
  ServiceParts parts_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::ContactCenter::Stub> stub_;
};

// ---------------------------------------------------------------------------
// Metrics present from start-up

TEST_F(ContactCenterServiceTest, DomainSeriesExistAtZeroFromStartUp) {
  auto& r = *metrics_.registry();
  EXPECT_EQ(Sample(r, "gridserve_contact_center_calls_total", {{"department", "customer-service"}, {"outcome", "answered"}}), 0);
  EXPECT_EQ(Sample(r, "gridserve_contact_center_calls_total", {{"department", "other"}, {"outcome", "abandoned"}}), 0);
  EXPECT_EQ(Sample(r, "gridserve_contact_center_call_rings", {{"department", "repair"}, {"outcome", "answered"}}, 3), 0);
  EXPECT_EQ(Sample(r, "gridserve_contact_center_cases", {{"kind", "tip_off"}, {"state", "replied"}}), 0);
  EXPECT_EQ(Sample(r, "gridserve_contact_center_cases_overdue", {{"kind", "complaint"}}), 0);
  EXPECT_EQ(SlaTotal("answer_within_rings", "breached"), 0);
  EXPECT_EQ(Breaches("CC-8", "other"), 0);
}

// ---------------------------------------------------------------------------
// Calls: CC-1, CC-8, the answer SLA

// A department the config does not list is a record of fact all the same, as
// in the other four services: stored as given, counted under "other".
TEST_F(ContactCenterServiceTest, ACallOfAnUnlistedDepartmentIsRecordedAndCountedAsOther) {
  v1::RecordCallRequest request = AnsweredCall("r-sales", 5);
  request.set_department("sales");
  const v1::Call call = RecordOk(request);
  EXPECT_EQ(call.department(), "sales");
  ASSERT_EQ(call.breaches_size(), 1);
  EXPECT_EQ(call.breaches(0).department(), "sales");
  auto& r = *metrics_.registry();
  EXPECT_EQ(Sample(r, "gridserve_contact_center_calls_total", {{"department", "other"}, {"outcome", "answered"}}), 1);
  EXPECT_EQ(Breaches("CC-1", "other"), 1);

  v1::RecordCallRequest no_department = AnsweredCall("r-none", 1);
  no_department.clear_department();
  v1::RecordCallResponse response;
  EXPECT_THAT(ViolationFields(Call(&v1::ContactCenter::Stub::RecordCall, no_department, &response)),
              ElementsAre("department"));
}

TEST_F(ContactCenterServiceTest, Cc1AnsweredAtRingFiveWithoutApologyIsBreachedAndCounted) {
  const v1::Call call = RecordOk(AnsweredCall("r-1", 5));
  ASSERT_EQ(call.breaches_size(), 1);
  EXPECT_EQ(call.breaches(0).rule(), "CC-1");
  EXPECT_EQ(call.breaches(0).staff_id(), "S-1");
  EXPECT_EQ(call.breaches(0).subject(), "call/" + call.call_id());
  EXPECT_EQ(call.breaches(0).mechanism(), v1::MECHANISM_CHECK);
  ASSERT_EQ(call.slas_size(), 1);
  EXPECT_EQ(call.slas(0).sla(), "answer_within_rings");
  EXPECT_EQ(call.slas(0).state(), v1::SLA_STATUS_BREACHED);
  EXPECT_EQ(Breaches("CC-1"), 1);
  EXPECT_EQ(SlaTotal("answer_within_rings", "breached"), 1);
  EXPECT_EQ(SlaTotal("answer_within_rings", "met"), 0);
  auto& r = *metrics_.registry();
  const std::map<std::string, std::string> labels{{"department", "customer-service"}, {"outcome", "answered"}};
  EXPECT_EQ(Sample(r, "gridserve_contact_center_call_rings", labels, 3), 0);  // the bucket at the limit
  EXPECT_EQ(Sample(r, "gridserve_contact_center_call_rings", labels, 5), 1);
  EXPECT_EQ(Sample(r, "gridserve_contact_center_calls_total", labels), 1);
  // Risk hears of it through the outbox.
  EXPECT_EQ(Rows("SELECT COUNT(*) FROM outbox WHERE topic = 'risk.breach'"), 1);
}

TEST_F(ContactCenterServiceTest, Cc1AlertingDurationExactlyAtTheLimitIsMetOneMicrosecondLaterIsNot) {
  v1::RecordCallRequest at_limit = AnsweredCall("r-1", 0);
  *at_limit.mutable_alerting_duration() = ToProto(absl::Seconds(15));
  const v1::Call met = RecordOk(at_limit);
  EXPECT_EQ(met.rings(), 3);
  EXPECT_EQ(met.breaches_size(), 0);
  EXPECT_EQ(met.slas(0).state(), v1::SLA_STATUS_MET);

  v1::RecordCallRequest late = AnsweredCall("r-2", 0);
  *late.mutable_alerting_duration() = ToProto(absl::Seconds(15) + absl::Microseconds(1));
  late.set_apologised(true);  // apology given: no CC-1 check breach, the SLA is still missed
  const v1::Call missed = RecordOk(late);
  EXPECT_EQ(missed.rings(), 4);
  EXPECT_EQ(missed.breaches_size(), 0);
  EXPECT_EQ(missed.slas(0).state(), v1::SLA_STATUS_BREACHED);
  EXPECT_EQ(SlaTotal("answer_within_rings", "met"), 1);
  EXPECT_EQ(SlaTotal("answer_within_rings", "breached"), 1);
  EXPECT_EQ(Breaches("CC-1"), 0);
}

TEST_F(ContactCenterServiceTest, Cc1GreetingAndCc8HangUpChecks) {
  v1::RecordCallRequest request = AnsweredCall("r-1", 1);
  request.set_unit_named(false);
  request.set_hang_up_party(v1::HANG_UP_PARTY_AGENT);
  const v1::Call call = RecordOk(request);
  std::vector<std::string> rules;
  for (const auto& b : call.breaches()) rules.push_back(b.rule());
  EXPECT_THAT(rules, UnorderedElementsAre("CC-1", "CC-8"));
  EXPECT_EQ(Breaches("CC-8"), 1);
}

// CC-8 is judged on who hung up: an answered call without it is refused (it
// would otherwise pass the check unseen); an abandoned call needs none.
TEST_F(ContactCenterServiceTest, Cc8AnsweredCallNeedsTheHangUpParty) {
  v1::RecordCallRequest request = AnsweredCall("r-1", 1);
  request.clear_hang_up_party();
  v1::RecordCallResponse response;
  const grpc::Status status = Call(&v1::ContactCenter::Stub::RecordCall, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolationFields(status), ElementsAre("hang_up_party"));
  EXPECT_THAT(status.error_message(), HasSubstr("CC-8"));
  request.set_hang_up_party(static_cast<v1::HangUpParty>(42));
  EXPECT_THAT(ViolationFields(Call(&v1::ContactCenter::Stub::RecordCall, request, &response)),
              ElementsAre("hang_up_party"));
  EXPECT_EQ(Rows("SELECT COUNT(*) FROM cc_calls"), 0);

  v1::RecordCallRequest abandoned = AnsweredCall("r-2", 0);
  abandoned.set_outcome(v1::CALL_OUTCOME_ABANDONED);
  abandoned.clear_answered_at();
  abandoned.clear_hang_up_party();
  abandoned.mutable_agent()->clear_staff_id();
  RecordOk(abandoned);
}

TEST_F(ContactCenterServiceTest, AbandonedCallsCountAgainstTheSlaUnlessShort) {
  v1::RecordCallRequest shortish = AnsweredCall("r-1", 0);
  shortish.set_outcome(v1::CALL_OUTCOME_ABANDONED);
  shortish.clear_answered_at();
  shortish.clear_ended_at();
  shortish.mutable_agent()->clear_staff_id();
  *shortish.mutable_alerting_duration() = ToProto(absl::Seconds(5) - absl::Microseconds(1));
  const v1::Call not_counted = RecordOk(shortish);
  EXPECT_EQ(not_counted.slas(0).state(), v1::SLA_STATUS_CANCELLED);
  EXPECT_EQ(SlaTotal("answer_within_rings", "breached"), 0);

  v1::RecordCallRequest counted = shortish;
  counted.set_request_id("r-2");
  counted.set_external_call_id("TEL-r-2");
  *counted.mutable_alerting_duration() = ToProto(absl::Seconds(5));
  EXPECT_EQ(RecordOk(counted).slas(0).state(), v1::SLA_STATUS_BREACHED);
  EXPECT_EQ(SlaTotal("answer_within_rings", "breached"), 1);
  EXPECT_EQ(Sample(*metrics_.registry(), "gridserve_contact_center_calls_total",
                   {{"department", "customer-service"}, {"outcome", "abandoned"}}),
            2);
}

// CC-1: an abandoned call breaches the answer SLA when the caller hangs up
// unanswered, if that is before the due time: never after the call ended.
TEST_F(ContactCenterServiceTest, Cc1AbandonedBeforeTheDueTimeIsBreachedAtTheHangUp) {
  v1::RecordCallRequest request = AnsweredCall("r-1", 0);
  request.set_outcome(v1::CALL_OUTCOME_ABANDONED);
  request.clear_answered_at();
  request.clear_hang_up_party();
  request.mutable_agent()->clear_staff_id();
  const absl::Time start = FromProto(request.alerting_started_at());
  *request.mutable_alerting_duration() = ToProto(absl::Seconds(8));
  *request.mutable_ended_at() = ToProto(start + absl::Seconds(8));
  const v1::Call call = RecordOk(request);
  ASSERT_EQ(call.slas_size(), 1);
  EXPECT_EQ(call.slas(0).state(), v1::SLA_STATUS_BREACHED);
  EXPECT_EQ(FromProto(call.slas(0).due_at()), start + absl::Seconds(15));
  EXPECT_EQ(FromProto(call.slas(0).breached_at()), start + absl::Seconds(8));
  EXPECT_EQ(FromProto(call.slas(0).closed_at()), start + absl::Seconds(8));

  // Answered late: still ringing at the due time, breached then.
  const v1::Call late = RecordOk(AnsweredCall("r-2", 5));
  EXPECT_EQ(FromProto(late.slas(0).breached_at()), FromProto(late.slas(0).due_at()));
}

TEST_F(ContactCenterServiceTest, RecordCallNamesEveryBadField) {
  v1::RecordCallRequest request;
  request.set_request_id("r-1");
  request.set_outcome(v1::CALL_OUTCOME_ANSWERED);
  request.set_department("sales");
  *request.mutable_alerting_started_at() = ToProto(clock_.Now());
  *request.mutable_ended_at() = ToProto(clock_.Now() - absl::Minutes(1));
  *request.mutable_answered_at() = ToProto(clock_.Now() + absl::Hours(1));  // beyond the skew
  v1::RecordCallResponse response;
  const grpc::Status status = Call(&v1::ContactCenter::Stub::RecordCall, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolationFields(status),
              UnorderedElementsAre("rings", "answered_at", "agent.staff_id", "hang_up_party", "ended_at"));
  EXPECT_EQ(Rows("SELECT COUNT(*) FROM cc_calls"), 0);

  v1::RecordCallRequest no_outcome = AnsweredCall("r-2", 1);
  no_outcome.set_outcome(v1::CALL_OUTCOME_UNSPECIFIED);
  EXPECT_THAT(ViolationFields(Call(&v1::ContactCenter::Stub::RecordCall, no_outcome, &response)),
              ElementsAre("outcome"));
}

TEST_F(ContactCenterServiceTest, RecordCallIsIdempotent) {
  const v1::RecordCallRequest request = AnsweredCall("r-1", 5);
  const v1::Call first = RecordOk(request);
  const v1::Call again = RecordOk(request);
  EXPECT_EQ(first.call_id(), again.call_id());
  EXPECT_EQ(Rows("SELECT COUNT(*) FROM cc_calls"), 1);
  EXPECT_EQ(Breaches("CC-1"), 1);
  EXPECT_EQ(SlaTotal("answer_within_rings", "breached"), 1);

  v1::RecordCallRequest changed = request;
  changed.set_greeted(false);
  v1::RecordCallResponse response;
  EXPECT_EQ(Call(&v1::ContactCenter::Stub::RecordCall, changed, &response).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  v1::RecordCallRequest same_telephony_id = request;
  same_telephony_id.set_request_id("r-other");
  EXPECT_EQ(Call(&v1::ContactCenter::Stub::RecordCall, same_telephony_id, &response).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Rows("SELECT COUNT(*) FROM cc_calls"), 1);
}

TEST_F(ContactCenterServiceTest, GetAndListCalls) {
  const v1::Call breached = RecordOk(AnsweredCall("r-1", 5));
  clock_.Advance(absl::Minutes(1));
  const v1::Call fine = RecordOk(AnsweredCall("r-2", 1));
  v1::GetCallRequest get;
  get.set_call_id(breached.call_id());
  v1::GetCallResponse got;
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::GetCall, get, &got).ok());
  EXPECT_EQ(got.call().breaches_size(), 1);
  get.set_call_id("CALL-missing");
  EXPECT_EQ(Call(&v1::ContactCenter::Stub::GetCall, get, &got).error_code(), grpc::StatusCode::NOT_FOUND);

  v1::ListCallsRequest list;
  v1::ListCallsResponse listed;
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::ListCalls, list, &listed).ok());
  ASSERT_EQ(listed.calls_size(), 2);
  EXPECT_EQ(listed.calls(0).call_id(), fine.call_id());  // newest first
  list.set_breached_rule("CC-1");
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::ListCalls, list, &listed).ok());
  ASSERT_EQ(listed.calls_size(), 1);
  EXPECT_EQ(listed.calls(0).call_id(), breached.call_id());
  list.clear_breached_rule();
  list.set_page_size(1);
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::ListCalls, list, &listed).ok());
  ASSERT_EQ(listed.calls_size(), 1);
  ASSERT_FALSE(listed.next_page_token().empty());
  list.set_page_token(listed.next_page_token());
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::ListCalls, list, &listed).ok());
  ASSERT_EQ(listed.calls_size(), 1);
  EXPECT_EQ(listed.calls(0).call_id(), breached.call_id());
  EXPECT_TRUE(listed.next_page_token().empty());
  list.set_page_token("garbage!");
  EXPECT_THAT(ViolationFields(Call(&v1::ContactCenter::Stub::ListCalls, list, &listed)), ElementsAre("page_token"));
  v1::ListCallsRequest bad_range;
  *bad_range.mutable_time_range()->mutable_start() = ToProto(clock_.Now());
  *bad_range.mutable_time_range()->mutable_end() = ToProto(clock_.Now() - absl::Hours(1));
  EXPECT_THAT(ViolationFields(Call(&v1::ContactCenter::Stub::ListCalls, bad_range, &listed)), ElementsAre("time_range"));
}

// ---------------------------------------------------------------------------
// CC-4: outage answers

TEST_F(ContactCenterServiceTest, Cc4CallerInsideAnOutageWithoutEtrIsABreach) {
  repair_.Covered("OUT-7", kStart + absl::Hours(2));
  v1::RecordCallRequest request = AnsweredCall("r-1", 1);
  request.mutable_caller_location()->set_feeder_id("F-12");
  request.set_apologised_for_outage(true);
  const v1::Call call = RecordOk(request);
  EXPECT_EQ(call.outage_lookup_status(), v1::OUTAGE_LOOKUP_STATUS_COVERED);
  EXPECT_EQ(call.outage().outage_id(), "OUT-7");
  ASSERT_EQ(call.breaches_size(), 1);
  EXPECT_EQ(call.breaches(0).rule(), "CC-4");

  request.set_request_id("r-2");
  request.set_external_call_id("TEL-r-2");
  request.set_etr_told(true);
  EXPECT_EQ(RecordOk(request).breaches_size(), 0);
  EXPECT_EQ(Breaches("CC-4"), 1);
}

TEST_F(ContactCenterServiceTest, Cc4OutageWithNoEtrKnownNeedsOnlyTheApology) {
  repair_.Covered("OUT-7");  // repair has no ETR yet
  v1::RecordCallRequest request = AnsweredCall("r-1", 1);
  request.mutable_caller_location()->set_feeder_id("F-12");
  request.set_apologised_for_outage(true);
  const v1::Call call = RecordOk(request);
  EXPECT_EQ(call.outage_lookup_status(), v1::OUTAGE_LOOKUP_STATUS_COVERED);
  EXPECT_FALSE(call.outage().has_etr());
  EXPECT_EQ(call.breaches_size(), 0);
  EXPECT_EQ(Breaches("CC-4"), 0);
}

TEST_F(ContactCenterServiceTest, Cc4RepairDownMeansUnknownAndNoCheck) {
  repair_.Covered("OUT-7");
  repair_server_->Shutdown();
  repair_server_.reset();
  v1::RecordCallRequest request = AnsweredCall("r-1", 1);
  request.mutable_caller_location()->set_area_code("A-1");
  const v1::Call call = RecordOk(request);
  EXPECT_EQ(call.outage_lookup_status(), v1::OUTAGE_LOOKUP_STATUS_UNKNOWN);
  EXPECT_EQ(call.breaches_size(), 0);
}

TEST_F(ContactCenterServiceTest, Cc4RepairTooSlowMeansUnknown) {
  repair_.Covered("OUT-7");
  repair_.SetDelay(absl::Seconds(1));  // the deadline is 300 ms
  v1::RecordCallRequest request = AnsweredCall("r-1", 1);
  request.mutable_caller_location()->set_area_code("A-1");
  const v1::Call call = RecordOk(request);
  EXPECT_EQ(call.outage_lookup_status(), v1::OUTAGE_LOOKUP_STATUS_UNKNOWN);
  EXPECT_EQ(call.breaches_size(), 0);
}

TEST_F(ContactCenterServiceTest, Cc4NoLocationNoLookup) {
  RecordOk(AnsweredCall("r-1", 1));
  EXPECT_EQ(repair_.lookups(), 0);
}

// CC-4: repair matches on area_code / feeder_id and refuses an address-only
// lookup; taken, such a location would always answer UNKNOWN and skip the
// check unseen. Refused before repair is asked, on every outcome.
TEST_F(ContactCenterServiceTest, Cc4AddressOnlyLocationIsRefusedNotAnsweredUnknown) {
  repair_.Covered("OUT-7");
  v1::ContactCenterLookupOutageRequest lookup;
  lookup.mutable_location()->set_address("8 Grid Road");
  v1::ContactCenterLookupOutageResponse answer;
  const grpc::Status lookup_refused = Call(&v1::ContactCenter::Stub::LookupOutage, lookup, &answer);
  EXPECT_EQ(lookup_refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolationFields(lookup_refused), ElementsAre("location.area_code"));

  v1::RecordCallRequest request = AnsweredCall("r-1", 1);
  request.mutable_caller_location()->set_address("8 Grid Road");
  v1::RecordCallResponse response;
  const grpc::Status refused = Call(&v1::ContactCenter::Stub::RecordCall, request, &response);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolationFields(refused), ElementsAre("caller_location.area_code"));
  v1::RecordCallRequest abandoned = request;
  abandoned.set_outcome(v1::CALL_OUTCOME_ABANDONED);
  abandoned.clear_answered_at();
  EXPECT_THAT(ViolationFields(Call(&v1::ContactCenter::Stub::RecordCall, abandoned, &response)),
              ElementsAre("caller_location.area_code"));
  EXPECT_EQ(repair_.lookups(), 0);
  EXPECT_EQ(Rows("SELECT COUNT(*) FROM cc_calls"), 0);

  // With the area code repair is asked and CC-4 judged (no apology: a breach).
  request.mutable_caller_location()->set_area_code("A-1");
  const v1::Call call = RecordOk(request);
  EXPECT_EQ(call.outage_lookup_status(), v1::OUTAGE_LOOKUP_STATUS_COVERED);
  ASSERT_EQ(call.breaches_size(), 1);
  EXPECT_EQ(call.breaches(0).rule(), "CC-4");
}

TEST_F(ContactCenterServiceTest, LookupOutageForAgents) {
  v1::ContactCenterLookupOutageRequest request;
  v1::ContactCenterLookupOutageResponse response;
  EXPECT_THAT(ViolationFields(Call(&v1::ContactCenter::Stub::LookupOutage, request, &response)),
              ElementsAre("location.area_code"));
  request.mutable_location()->set_feeder_id("F-1");
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::LookupOutage, request, &response).ok());
  EXPECT_EQ(response.status(), v1::OUTAGE_LOOKUP_STATUS_NOT_COVERED);
  repair_.Covered("OUT-9");
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::LookupOutage, request, &response).ok());
  EXPECT_EQ(response.status(), v1::OUTAGE_LOOKUP_STATUS_COVERED);
  EXPECT_EQ(response.outage().outage_id(), "OUT-9");
  repair_server_->Shutdown();
  repair_server_.reset();
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::LookupOutage, request, &response).ok());
  EXPECT_EQ(response.status(), v1::OUTAGE_LOOKUP_STATUS_UNKNOWN);
}

// ---------------------------------------------------------------------------
// CC-6 / CC-7 reviews, RK-1

// A supervisor's review of a call that failed CC-7 (key content not confirmed).
v1::RecordCallReviewRequest FailedCc7Review(const std::string& request_id, const std::string& call_id,
                                            absl::Time reviewed_at) {
  v1::RecordCallReviewRequest request;
  request.set_request_id(request_id);
  request.set_call_id(call_id);
  request.mutable_review()->set_reviewer_staff_id("SUP-1");
  *request.mutable_review()->mutable_reviewed_at() = ToProto(reviewed_at);
  auto* item = request.mutable_review()->add_items();
  item->set_clause("CC-7");
  item->set_item("confirmed_key_content");
  item->set_result(v1::REVIEW_RESULT_FAIL);
  return request;
}

// A review dated before the call began is refused: its breaches would be
// dated before the call they judge.
TEST_F(ContactCenterServiceTest, AReviewBeforeTheCallBeganIsRefused) {
  const v1::Call call = RecordOk(AnsweredCall("r-early", 1));
  v1::RecordCallReviewRequest request =
      FailedCc7Review("rev-early", call.call_id(), FromProto(call.alerting_started_at()) - absl::Hours(1));
  v1::RecordCallReviewResponse response;
  EXPECT_THAT(ViolationFields(Call(&v1::ContactCenter::Stub::RecordCallReview, request, &response)),
              ElementsAre("review.reviewed_at"));
  EXPECT_EQ(Breaches("CC-7"), 0);
}

TEST_F(ContactCenterServiceTest, ReviewFailuresAreBreachesAndAbuseIsReportedAsRk1) {
  const v1::Call call = RecordOk(AnsweredCall("r-1", 1));
  v1::RecordCallReviewRequest request = FailedCc7Review("rev-1", call.call_id(), clock_.Now());
  request.set_abusive_language(true);
  v1::RecordCallReviewResponse response;
  response = CallAndRetry(&v1::ContactCenter::Stub::RecordCallReview, request);
  std::vector<std::string> rules;
  for (const auto& b : response.breaches()) rules.push_back(b.rule());
  EXPECT_THAT(rules, UnorderedElementsAre("CC-7", "CC-6"));
  for (const auto& b : response.breaches()) EXPECT_EQ(b.mechanism(), v1::MECHANISM_REVIEW);
  EXPECT_TRUE(response.red_line_reported());
  EXPECT_EQ(response.call().reviews_size(), 1);
  EXPECT_EQ(Breaches("CC-6"), 1);
  EXPECT_EQ(Breaches("CC-7"), 1);

  // The RK-1 report waits in the outbox for risk.
  std::string payload;
  ASSERT_TRUE(db_->InTransaction([&](Transaction& txn) -> absl::Status {
                   auto rows = txn.Query("SELECT payload FROM outbox WHERE topic = 'risk.redline'");
                   if (!rows.ok()) return rows.status();
                   if (rows->size() != 1) return absl::InternalError("expected one red-line message");
                   payload = (*rows)[0].Text(0);
                   return absl::OkStatus();
                 }).ok());
  v1::ReportRedLineRequest report;
  ASSERT_TRUE(report.ParseFromString(payload));
  EXPECT_EQ(report.rule(), "RK-1");
  EXPECT_EQ(report.source(), v1::RED_LINE_SOURCE_QUALITY_REVIEW);
  EXPECT_EQ(report.staff().staff_id(), "S-1");
  ASSERT_EQ(report.related_breaches_size(), 1);
  EXPECT_EQ(report.related_breaches(0).rule(), "CC-6");

  // Same request again: same answer, nothing twice.
  v1::RecordCallReviewResponse again;
  again = CallAndRetry(&v1::ContactCenter::Stub::RecordCallReview, request);
  EXPECT_EQ(again.call().reviews_size(), 1);
  EXPECT_EQ(Breaches("CC-6"), 1);
  EXPECT_EQ(Rows("SELECT COUNT(*) FROM outbox WHERE topic = 'risk.redline'"), 1);
}

TEST_F(ContactCenterServiceTest, ReviewValidationAndUnknownCall) {
  v1::RecordCallReviewRequest request;
  request.set_request_id("rev-1");
  request.set_call_id("CALL-missing");
  auto* item = request.mutable_review()->add_items();
  item->set_clause("RP-4");
  item->set_item("civil_language");
  v1::RecordCallReviewResponse response;
  EXPECT_THAT(ViolationFields(Call(&v1::ContactCenter::Stub::RecordCallReview, request, &response)),
              UnorderedElementsAre("review.reviewer_staff_id", "review.reviewed_at", "review.items[0].clause",
                                   "review.items[0].result"));
  request.mutable_review()->set_reviewer_staff_id("SUP-1");
  *request.mutable_review()->mutable_reviewed_at() = ToProto(clock_.Now());
  item->set_clause("CC-7");
  item->set_result(v1::REVIEW_RESULT_PASS);
  EXPECT_EQ(Call(&v1::ContactCenter::Stub::RecordCallReview, request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// ---------------------------------------------------------------------------
// CC-2: consultations

v1::OpenConsultationRequest Deferred(const std::string& request_id, absl::Time opened_at) {
  v1::OpenConsultationRequest r;
  r.set_request_id(request_id);
  r.mutable_customer()->set_name("Sun");
  r.mutable_agent()->set_staff_id("S-1");
  r.mutable_agent()->set_department("customer-service");
  r.set_question("tariff for heat pumps?");
  r.set_handling(v1::CONSULTATION_HANDLING_DEFERRED);
  r.set_apologised(true);
  r.set_callback_number("13600000000");
  *r.mutable_opened_at() = ToProto(opened_at);
  return r;
}

TEST_F(ContactCenterServiceTest, Cc2DeferredAnswerGate) {
  v1::OpenConsultationRequest request = Deferred("c-1", clock_.Now());
  request.set_apologised(false);
  request.clear_callback_number();
  v1::OpenConsultationResponse response;
  const grpc::Status status = Call(&v1::ContactCenter::Stub::OpenConsultation, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("CC-2"));
  EXPECT_THAT(ViolationFields(status), UnorderedElementsAre("apologised", "callback_number"));
  EXPECT_EQ(Rows("SELECT COUNT(*) FROM cc_consultations"), 0);

  v1::OpenConsultationRequest on_call = Deferred("c-2", clock_.Now());
  on_call.set_handling(v1::CONSULTATION_HANDLING_ANSWERED_ON_CALL);
  on_call.set_answer("0.5 yuan/kWh");
  response = CallAndRetry(&v1::ContactCenter::Stub::OpenConsultation, on_call);
  EXPECT_EQ(response.consultation().state(), v1::CONSULTATION_STATE_ANSWERED);
  EXPECT_EQ(response.consultation().slas_size(), 0);
  v1::ReplyConsultationRequest reply;
  reply.set_request_id("cr-1");
  reply.set_consultation_id(response.consultation().consultation_id());
  reply.set_answer("again");
  *reply.mutable_replied_at() = ToProto(clock_.Now());
  v1::ReplyConsultationResponse replied;
  EXPECT_EQ(Call(&v1::ContactCenter::Stub::ReplyConsultation, reply, &replied).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  request.set_apologised(true);
  request.set_callback_number("12345");  // CC-2: not a number the callback can reach
  const grpc::Status bad_number = Call(&v1::ContactCenter::Stub::OpenConsultation, request, &response);
  EXPECT_EQ(bad_number.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolationFields(bad_number), ElementsAre("callback_number"));
  request.set_call_id("CALL-missing");
  request.set_callback_number("13600000000");
  EXPECT_EQ(Call(&v1::ContactCenter::Stub::OpenConsultation, request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ContactCenterServiceTest, Cc2CallbackExactlyAtDueIsMet) {
  const v1::OpenConsultationRequest deferred = Deferred("c-1", clock_.Now());
  // One callback clock however often it is retried.
  const v1::OpenConsultationResponse opened = CallAndRetry(&v1::ContactCenter::Stub::OpenConsultation, deferred);
  const v1::Consultation& c = opened.consultation();
  EXPECT_EQ(c.state(), v1::CONSULTATION_STATE_AWAITING_CALLBACK);
  ASSERT_EQ(c.slas_size(), 1);
  EXPECT_EQ(c.slas(0).sla(), "consultation_callback");
  EXPECT_EQ(c.slas(0).state(), v1::SLA_STATUS_OPEN);
  EXPECT_EQ(FromProto(c.slas(0).due_at()), kStart + absl::Hours(24));

  clock_.Set(kStart + absl::Hours(24));
  Sweep();  // exactly at the due time: not yet expired
  v1::ReplyConsultationRequest reply;
  reply.set_request_id("cr-1");
  reply.set_consultation_id(c.consultation_id());
  reply.set_answer("0.5 yuan/kWh");
  *reply.mutable_replied_at() = ToProto(clock_.Now());
  v1::ReplyConsultationResponse replied = CallAndRetry(&v1::ContactCenter::Stub::ReplyConsultation, reply);
  EXPECT_EQ(replied.consultation().state(), v1::CONSULTATION_STATE_REPLIED);
  EXPECT_EQ(replied.consultation().slas(0).state(), v1::SLA_STATUS_MET);
  EXPECT_EQ(SlaTotal("consultation_callback", "met"), 1);
  EXPECT_EQ(Breaches("CC-2"), 0);
  const std::map<std::string, std::string> callback{{"kind", "callback"}};
  EXPECT_EQ(Sample(*metrics_.registry(), "gridserve_contact_center_reply_seconds", callback, 24 * 3600), 1);
  reply.set_request_id("cr-2");
  EXPECT_EQ(Call(&v1::ContactCenter::Stub::ReplyConsultation, reply, &replied).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(ContactCenterServiceTest, Cc2CallbackOneMicrosecondLateIsBreachedAtExpiry) {
  v1::OpenConsultationResponse opened;
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::OpenConsultation, Deferred("c-1", clock_.Now()), &opened).ok());
  clock_.Set(kStart + absl::Hours(24) + absl::Microseconds(1));
  Sweep();
  EXPECT_EQ(Breaches("CC-2"), 1);
  EXPECT_EQ(SlaTotal("consultation_callback", "breached"), 1);
  v1::GetConsultationRequest get;
  get.set_consultation_id(opened.consultation().consultation_id());
  v1::GetConsultationResponse got;
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::GetConsultation, get, &got).ok());
  EXPECT_EQ(got.consultation().slas(0).state(), v1::SLA_STATUS_BREACHED);
  ASSERT_EQ(got.consultation().breaches_size(), 1);
  EXPECT_EQ(FromProto(got.consultation().breaches(0).occurred_at()), kStart + absl::Hours(24));

  // The late reply still closes it; nothing is counted twice.
  v1::ReplyConsultationRequest reply;
  reply.set_request_id("cr-1");
  reply.set_consultation_id(opened.consultation().consultation_id());
  reply.set_answer("late answer");
  *reply.mutable_replied_at() = ToProto(clock_.Now());
  v1::ReplyConsultationResponse replied;
  replied = CallAndRetry(&v1::ContactCenter::Stub::ReplyConsultation, reply);
  EXPECT_EQ(replied.consultation().slas(0).state(), v1::SLA_STATUS_BREACHED);
  EXPECT_TRUE(replied.consultation().slas(0).has_closed_at());
  EXPECT_EQ(Breaches("CC-2"), 1);
  const std::map<std::string, std::string> callback{{"kind", "callback"}};
  EXPECT_EQ(Sample(*metrics_.registry(), "gridserve_contact_center_reply_seconds", callback), 1);
  EXPECT_EQ(Sample(*metrics_.registry(), "gridserve_contact_center_reply_seconds", callback, 24 * 3600), 0);
}

TEST_F(ContactCenterServiceTest, ListConsultationsOpenFirstByDue) {
  v1::OpenConsultationResponse a, b, answered;
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::OpenConsultation, Deferred("c-1", clock_.Now()), &a).ok());
  ASSERT_TRUE(
      Call(&v1::ContactCenter::Stub::OpenConsultation, Deferred("c-2", clock_.Now() - absl::Hours(2)), &b).ok());
  v1::OpenConsultationRequest on_call = Deferred("c-3", clock_.Now());
  on_call.set_handling(v1::CONSULTATION_HANDLING_ANSWERED_ON_CALL);
  on_call.set_answer("yes");
  answered = CallAndRetry(&v1::ContactCenter::Stub::OpenConsultation, on_call);
  v1::ListConsultationsRequest list;
  v1::ListConsultationsResponse listed;
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::ListConsultations, list, &listed).ok());
  ASSERT_EQ(listed.consultations_size(), 3);
  EXPECT_EQ(listed.consultations(0).consultation_id(), b.consultation().consultation_id());
  EXPECT_EQ(listed.consultations(1).consultation_id(), a.consultation().consultation_id());
  EXPECT_EQ(listed.consultations(2).consultation_id(), answered.consultation().consultation_id());
  *list.mutable_due_before() = ToProto(kStart + absl::Hours(23));
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::ListConsultations, list, &listed).ok());
  ASSERT_EQ(listed.consultations_size(), 1);
  EXPECT_EQ(listed.consultations(0).consultation_id(), b.consultation().consultation_id());
}

// due_before lists what is still owed: a case or callback replied (in time
// or late) was due once and is done, as in the other services' lists.
TEST_F(ContactCenterServiceTest, DueBeforeListsOnlyWhatIsStillOwed) {
  v1::RecordCaseResponse complaint;
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::RecordCase, Complaint("k-1", kStart), &complaint).ok());
  v1::OpenConsultationResponse deferred;
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::OpenConsultation, Deferred("c-1", kStart), &deferred).ok());
  v1::ListCasesRequest cases;
  *cases.mutable_due_before() = ToProto(kStart + absl::Hours(24 * 30));
  v1::ListConsultationsRequest consultations;
  *consultations.mutable_due_before() = ToProto(kStart + absl::Hours(24 * 30));
  v1::ListCasesResponse listed_cases;
  v1::ListConsultationsResponse listed_consultations;
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::ListCases, cases, &listed_cases).ok());
  EXPECT_EQ(listed_cases.cases_size(), 1);
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::ListConsultations, consultations, &listed_consultations).ok());
  EXPECT_EQ(listed_consultations.consultations_size(), 1);

  clock_.Set(kStart + absl::Hours(1));
  v1::ReplyCaseRequest reply;
  reply.set_request_id("kr-1");
  reply.set_case_id(complaint.customer_case().case_id());
  reply.set_reply_text("meter replaced");
  *reply.mutable_replied_at() = ToProto(clock_.Now());
  CallAndRetry(&v1::ContactCenter::Stub::ReplyCase, reply);
  v1::ReplyConsultationRequest callback;
  callback.set_request_id("cr-1");
  callback.set_consultation_id(deferred.consultation().consultation_id());
  callback.set_answer("0.5 yuan/kWh");
  *callback.mutable_replied_at() = ToProto(clock_.Now());
  CallAndRetry(&v1::ContactCenter::Stub::ReplyConsultation, callback);

  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::ListCases, cases, &listed_cases).ok());
  EXPECT_EQ(listed_cases.cases_size(), 0);
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::ListConsultations, consultations, &listed_consultations).ok());
  EXPECT_EQ(listed_consultations.consultations_size(), 0);
  cases.clear_due_before();  // still listed without the bound
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::ListCases, cases, &listed_cases).ok());
  EXPECT_EQ(listed_cases.cases_size(), 1);
}

// ---------------------------------------------------------------------------
// CC-3: fault reports and dispatch

TEST_F(ContactCenterServiceTest, Cc3CustomerInternalIsGuidedNotDispatched) {
  v1::ReportFaultRequest request = UtilityFault("f-1", clock_.Now());
  request.set_classification(v1::FAULT_CLASSIFICATION_CUSTOMER_INTERNAL);
  request.clear_reporter();
  v1::ReportFaultResponse response;
  EXPECT_THAT(ViolationFields(Call(&v1::ContactCenter::Stub::ReportFault, request, &response)),
              ElementsAre("guidance_given"));
  request.set_guidance_given(true);
  request.set_guidance_note("reset the breaker");
  response = CallAndRetry(&v1::ContactCenter::Stub::ReportFault, request);
  EXPECT_EQ(response.fault_report().dispatch().status(), v1::DISPATCH_STATUS_NOT_REQUIRED);
  EXPECT_EQ(response.fault_report().slas_size(), 0);
  EXPECT_EQ(Rows("SELECT COUNT(*) FROM outbox WHERE topic = 'repair.dispatch'"), 0);
}

TEST_F(ContactCenterServiceTest, Cc3DispatchGateNamesTheMissingContactDetails) {
  v1::ReportFaultRequest request = UtilityFault("f-1", clock_.Now());
  request.clear_reporter();
  request.mutable_location()->clear_address();
  v1::ReportFaultResponse response;
  const grpc::Status status = Call(&v1::ContactCenter::Stub::ReportFault, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("CC-3"));
  EXPECT_THAT(ViolationFields(status), UnorderedElementsAre("reporter.name", "reporter.phone", "location.address"));
  EXPECT_EQ(Rows("SELECT COUNT(*) FROM cc_fault_reports"), 0);
}

TEST_F(ContactCenterServiceTest, Cc3DispatchDeliveredWithinDueIsMet) {
  v1::ReportFaultResponse response;
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::ReportFault, UtilityFault("f-1", clock_.Now()), &response).ok());
  const v1::FaultReport& report = response.fault_report();
  EXPECT_EQ(report.dispatch().status(), v1::DISPATCH_STATUS_PENDING);
  ASSERT_EQ(report.slas_size(), 1);
  EXPECT_EQ(report.slas(0).sla(), "fault_dispatch");
  EXPECT_EQ(FromProto(report.slas(0).due_at()), kStart + absl::Minutes(5));
  // Retried request: one report, one dispatch message.
  v1::ReportFaultResponse again;
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::ReportFault, UtilityFault("f-1", clock_.Now()), &again).ok());
  EXPECT_EQ(again.fault_report().fault_report_id(), report.fault_report_id());
  EXPECT_EQ(Rows("SELECT COUNT(*) FROM outbox WHERE topic = 'repair.dispatch'"), 1);

  clock_.Set(kStart + absl::Minutes(5));  // exactly at the due time
  ASSERT_TRUE(outbox_.DeliverDue().ok());
  const auto dispatches = repair_.dispatches();
  ASSERT_EQ(dispatches.size(), 1u);
  EXPECT_EQ(dispatches[0].fault_report_id(), report.fault_report_id());
  EXPECT_EQ(dispatches[0].reporter().name(), "Zhao");
  EXPECT_EQ(dispatches[0].location().address(), "8 Grid Road");
  EXPECT_EQ(dispatches[0].classification(), v1::FAULT_CLASSIFICATION_UTILITY_SIDE);
  EXPECT_FALSE(dispatches[0].request_id().empty());

  v1::GetFaultReportRequest get;
  get.set_fault_report_id(report.fault_report_id());
  v1::GetFaultReportResponse got;
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::GetFaultReport, get, &got).ok());
  EXPECT_EQ(got.fault_report().dispatch().status(), v1::DISPATCH_STATUS_DELIVERED);
  EXPECT_EQ(got.fault_report().dispatch().work_order_id(), "WO-1");
  EXPECT_EQ(got.fault_report().dispatch().attempts(), 1);
  EXPECT_EQ(got.fault_report().slas(0).state(), v1::SLA_STATUS_MET);
  EXPECT_EQ(SlaTotal("fault_dispatch", "met"), 1);
  EXPECT_EQ(Breaches("CC-3"), 0);

  v1::ListFaultReportsRequest list;
  list.set_dispatch_status(v1::DISPATCH_STATUS_DELIVERED);
  v1::ListFaultReportsResponse listed;
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::ListFaultReports, list, &listed).ok());
  EXPECT_EQ(listed.fault_reports_size(), 1);
  list.set_dispatch_status(v1::DISPATCH_STATUS_PENDING);
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::ListFaultReports, list, &listed).ok());
  EXPECT_EQ(listed.fault_reports_size(), 0);
}

TEST_F(ContactCenterServiceTest, Cc3RepairDownPastDueIsBreachedAtExpiryThenDeliveredOnce) {
  repair_.RefuseDispatch(true);
  v1::ReportFaultResponse response;
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::ReportFault, UtilityFault("f-1", clock_.Now()), &response).ok());
  const std::string id = response.fault_report().fault_report_id();
  ASSERT_TRUE(outbox_.DeliverDue().ok());  // refused: stays pending

  v1::GetFaultReportRequest get;
  get.set_fault_report_id(id);
  v1::GetFaultReportResponse got;
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::GetFaultReport, get, &got).ok());
  EXPECT_EQ(got.fault_report().dispatch().status(), v1::DISPATCH_STATUS_PENDING);
  EXPECT_EQ(got.fault_report().dispatch().attempts(), 1);
  EXPECT_THAT(got.fault_report().dispatch().last_error(), HasSubstr("UNAVAILABLE"));

  clock_.Set(kStart + absl::Minutes(5) + absl::Microseconds(1));
  Sweep();
  EXPECT_EQ(Breaches("CC-3"), 1);  // at expiry, not at the eventual delivery
  EXPECT_EQ(SlaTotal("fault_dispatch", "breached"), 1);

  repair_.RefuseDispatch(false);
  clock_.Advance(absl::Seconds(10));
  ASSERT_TRUE(outbox_.DeliverDue().ok());
  ASSERT_TRUE(outbox_.DeliverDue().ok());
  EXPECT_EQ(repair_.dispatches().size(), 1u);
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::GetFaultReport, get, &got).ok());
  EXPECT_EQ(got.fault_report().dispatch().status(), v1::DISPATCH_STATUS_DELIVERED);
  EXPECT_EQ(got.fault_report().dispatch().attempts(), 2);
  EXPECT_TRUE(got.fault_report().dispatch().last_error().empty());
  EXPECT_EQ(got.fault_report().slas(0).state(), v1::SLA_STATUS_BREACHED);
  ASSERT_EQ(got.fault_report().breaches_size(), 1);
  EXPECT_EQ(got.fault_report().breaches(0).rule(), "CC-3");
  EXPECT_EQ(got.fault_report().breaches(0).mechanism(), v1::MECHANISM_TIMER);
  EXPECT_EQ(Breaches("CC-3"), 1);
  EXPECT_EQ(SlaTotal("fault_dispatch", "met"), 0);
}

// CC-3: a fault reported during a call at 10:00 but sent with reported_at
// 10:30 would meet the 5-minute dispatch SLA. On a linked call, reported_at
// must lie within the call (its end + max_event_skew, 5 min by default).
TEST_F(ContactCenterServiceTest, Cc3ReportedAtOnALinkedCallMustLieWithinTheCall) {
  const v1::Call call = RecordOk(AnsweredCall("r-1", 1));  // rang at -3 min, ended at -1 min
  const absl::Time began = FromProto(call.alerting_started_at());
  const absl::Time ended = FromProto(call.ended_at());
  clock_.Advance(absl::Minutes(30));

  v1::ReportFaultRequest late = UtilityFault("f-1", clock_.Now());
  late.set_call_id(call.call_id());
  v1::ReportFaultResponse response;
  const grpc::Status refused = Call(&v1::ContactCenter::Stub::ReportFault, late, &response);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolationFields(refused), ElementsAre("reported_at"));
  v1::ReportFaultRequest early = UtilityFault("f-2", began - absl::Seconds(1));
  early.set_call_id(call.call_id());
  EXPECT_THAT(ViolationFields(Call(&v1::ContactCenter::Stub::ReportFault, early, &response)),
              ElementsAre("reported_at"));
  EXPECT_EQ(Rows("SELECT COUNT(*) FROM cc_fault_reports"), 0);
  EXPECT_EQ(Rows("SELECT COUNT(*) FROM outbox WHERE topic = 'repair.dispatch'"), 0);

  // The last moment the skew allows, and a time during the call: accepted,
  // the clock runs from the time given.
  v1::ReportFaultRequest at_edge = UtilityFault("f-3", ended + absl::Minutes(5));
  at_edge.set_call_id(call.call_id());
  response = CallAndRetry(&v1::ContactCenter::Stub::ReportFault, at_edge);
  v1::ReportFaultRequest during = UtilityFault("f-4", began + absl::Seconds(30));
  during.set_call_id(call.call_id());
  response = CallAndRetry(&v1::ContactCenter::Stub::ReportFault, during);
  ASSERT_EQ(response.fault_report().slas_size(), 1);
  EXPECT_EQ(FromProto(response.fault_report().slas(0).due_at()), began + absl::Seconds(30) + absl::Minutes(5));
}

// CC-2 / CC-5: the callback and reply clocks start at opened_at / received_at,
// bounded by a linked call alike.
TEST_F(ContactCenterServiceTest, Cc2Cc5OpenedAtAndReceivedAtOnALinkedCallMustLieWithinTheCall) {
  const v1::Call call = RecordOk(AnsweredCall("r-1", 1));
  const absl::Time ended = FromProto(call.ended_at());
  clock_.Advance(absl::Hours(1));

  v1::OpenConsultationRequest consultation = Deferred("c-1", clock_.Now());
  consultation.set_call_id(call.call_id());
  v1::OpenConsultationResponse opened;
  EXPECT_THAT(ViolationFields(Call(&v1::ContactCenter::Stub::OpenConsultation, consultation, &opened)),
              ElementsAre("opened_at"));
  v1::RecordCaseRequest complaint = Complaint("k-1", clock_.Now());
  complaint.set_call_id(call.call_id());
  v1::RecordCaseResponse recorded;
  EXPECT_THAT(ViolationFields(Call(&v1::ContactCenter::Stub::RecordCase, complaint, &recorded)),
              ElementsAre("received_at"));
  EXPECT_EQ(Rows("SELECT COUNT(*) FROM cc_consultations"), 0);
  EXPECT_EQ(Rows("SELECT COUNT(*) FROM cc_cases"), 0);

  *consultation.mutable_opened_at() = ToProto(ended);
  EXPECT_EQ(FromProto(CallAndRetry(&v1::ContactCenter::Stub::OpenConsultation, consultation).consultation().opened_at()),
            ended);
  *complaint.mutable_received_at() = ToProto(ended);
  EXPECT_EQ(FromProto(CallAndRetry(&v1::ContactCenter::Stub::RecordCase, complaint).customer_case().received_at()),
            ended);
}

// ---------------------------------------------------------------------------
// CC-5: complaints and tip-offs

TEST_F(ContactCenterServiceTest, Cc5ComplaintRepliedExactlyAtDueIsMet) {
  v1::RecordCaseResponse recorded;
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::RecordCase, Complaint("k-1", kStart), &recorded).ok());
  const v1::CustomerCase& c = recorded.customer_case();
  EXPECT_EQ(c.state(), v1::CASE_STATE_OPEN);
  EXPECT_TRUE(c.thanked());
  EXPECT_EQ(c.breaches_size(), 0);
  ASSERT_EQ(c.slas_size(), 1);
  EXPECT_EQ(c.slas(0).sla(), "complaint_reply");
  EXPECT_EQ(FromProto(c.slas(0).due_at()), kStart + absl::Hours(24 * 5));

  clock_.Set(kStart + absl::Hours(24 * 5));
  Sweep();
  v1::ReplyCaseRequest reply;
  reply.set_request_id("kr-1");
  reply.set_case_id(c.case_id());
  reply.set_reply_text("crew retrained");
  *reply.mutable_replied_at() = ToProto(clock_.Now());
  v1::ReplyCaseResponse replied;
  replied = CallAndRetry(&v1::ContactCenter::Stub::ReplyCase, reply);
  EXPECT_EQ(replied.customer_case().state(), v1::CASE_STATE_REPLIED);
  EXPECT_EQ(replied.customer_case().slas(0).state(), v1::SLA_STATUS_MET);
  EXPECT_EQ(SlaTotal("complaint_reply", "met"), 1);
  EXPECT_EQ(Breaches("CC-5", "repair"), 0);
  // The reply time: a bucket exactly at the 5-day limit; a retry of the same
  // request answers the same and counts nothing twice.
  CallAndRetry(&v1::ContactCenter::Stub::ReplyCase, reply);
  const std::map<std::string, std::string> complaint{{"kind", "complaint"}};
  EXPECT_EQ(Sample(*metrics_.registry(), "gridserve_contact_center_reply_seconds", complaint), 1);
  EXPECT_EQ(Sample(*metrics_.registry(), "gridserve_contact_center_reply_seconds", complaint, 5 * 86400), 1);
  EXPECT_EQ(Sample(*metrics_.registry(), "gridserve_contact_center_reply_seconds", complaint, 3 * 86400), 0);
  EXPECT_EQ(Sample(*metrics_.registry(), "gridserve_contact_center_reply_seconds", {{"kind", "tip_off"}}), 0);
  ASSERT_TRUE(parts_.background_pass[0]().ok());  // the case moved from open to replied
  EXPECT_EQ(Sample(*metrics_.registry(), "gridserve_contact_center_cases", {{"kind", "complaint"}, {"state", "open"}}), 0);
  EXPECT_EQ(Sample(*metrics_.registry(), "gridserve_contact_center_cases", {{"kind", "complaint"}, {"state", "replied"}}),
            1);
  reply.set_request_id("kr-2");
  EXPECT_EQ(Call(&v1::ContactCenter::Stub::ReplyCase, reply, &replied).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(ContactCenterServiceTest, Cc5ComplaintBackdatedPastDueIsBreachedByTheSweep) {
  v1::RecordCaseResponse recorded;
  const absl::Time received = kStart - absl::Hours(24 * 5) - absl::Microseconds(1);
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::RecordCase, Complaint("k-1", received), &recorded).ok());
  Sweep();
  EXPECT_EQ(Breaches("CC-5", "repair"), 1);
  EXPECT_EQ(SlaTotal("complaint_reply", "breached"), 1);
  ASSERT_TRUE(parts_.background_pass[0]().ok());
  EXPECT_EQ(Sample(*metrics_.registry(), "gridserve_contact_center_cases", {{"kind", "complaint"}, {"state", "open"}}), 1);
  EXPECT_EQ(Sample(*metrics_.registry(), "gridserve_contact_center_cases_overdue", {{"kind", "complaint"}}), 1);
}

// An anonymous tip-off takes no reporter: sent with one, it is refused, and
// nothing of it is stored (not even the request kept for replays).
TEST_F(ContactCenterServiceTest, Cc5AnonymousCaseWithReporterIsRefused) {
  v1::RecordCaseRequest request = Complaint("k-1", kStart);
  request.set_kind(v1::CASE_KIND_TIP_OFF);
  request.set_anonymous(true);
  v1::RecordCaseResponse recorded;
  const grpc::Status status = Call(&v1::ContactCenter::Stub::RecordCase, request, &recorded);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolationFields(status), ElementsAre("reporter"));
  request.mutable_reporter()->clear_name();  // a phone number alone is personal data too
  EXPECT_THAT(ViolationFields(Call(&v1::ContactCenter::Stub::RecordCase, request, &recorded)),
              ElementsAre("reporter"));
  EXPECT_EQ(Rows("SELECT COUNT(*) FROM idempotency_keys"), 0);
  EXPECT_EQ(Rows("SELECT COUNT(*) FROM cc_cases"), 0);

  request.clear_reporter();
  recorded = CallAndRetry(&v1::ContactCenter::Stub::RecordCase, request);
  EXPECT_TRUE(recorded.customer_case().anonymous());
  EXPECT_FALSE(recorded.customer_case().has_reporter());
}

TEST_F(ContactCenterServiceTest, Cc5TipOffDueInTenDaysAndRedLineGoesToRisk) {
  v1::RecordCaseRequest request = Complaint("k-1", kStart);
  request.set_kind(v1::CASE_KIND_TIP_OFF);
  request.set_anonymous(true);
  request.clear_reporter();  // anonymous: no reporter is taken
  request.set_red_line_rule("RK-8");
  request.mutable_accused_staff()->set_staff_id("S-9");
  request.mutable_accused_staff()->set_department("repair");
  v1::RecordCaseResponse recorded;
  recorded = CallAndRetry(&v1::ContactCenter::Stub::RecordCase, request);
  const v1::CustomerCase& c = recorded.customer_case();
  EXPECT_EQ(c.slas(0).sla(), "tipoff_reply");
  EXPECT_EQ(FromProto(c.slas(0).due_at()), kStart + absl::Hours(24 * 10));
  EXPECT_FALSE(c.has_reporter());  // anonymous
  EXPECT_FALSE(c.red_line_forwarded());
  std::string payload;
  ASSERT_TRUE(db_->InTransaction([&](Transaction& txn) -> absl::Status {
                   auto rows = txn.Query("SELECT payload FROM outbox WHERE topic = 'risk.redline'");
                   if (!rows.ok()) return rows.status();
                   if (rows->size() != 1) return absl::InternalError("expected one red-line message");
                   payload = (*rows)[0].Text(0);
                   return absl::OkStatus();
                 }).ok());
  v1::ReportRedLineRequest report;
  ASSERT_TRUE(report.ParseFromString(payload));
  EXPECT_EQ(report.rule(), "RK-8");
  EXPECT_EQ(report.source(), v1::RED_LINE_SOURCE_TIP_OFF);
  EXPECT_EQ(report.staff().staff_id(), "S-9");
  EXPECT_EQ(report.source_reference(), "case/" + c.case_id());

  // Once risk accepts it (here: a stand-in handler), the case shows it.
  outbox_.RegisterHandler(kTopicRiskRedLine, [](const OutboxMessage&) { return absl::OkStatus(); });
  ASSERT_TRUE(outbox_.DeliverDue().ok());
  v1::GetCaseRequest get;
  get.set_case_id(c.case_id());
  v1::GetCaseResponse got;
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::GetCase, get, &got).ok());
  EXPECT_TRUE(got.customer_case().red_line_forwarded());

  clock_.Set(kStart + absl::Hours(24 * 10) + absl::Microseconds(1));
  Sweep();
  EXPECT_EQ(SlaTotal("tipoff_reply", "breached"), 1);
  EXPECT_EQ(Breaches("CC-5", "repair"), 1);
}

TEST_F(ContactCenterServiceTest, Cc5NotThankedIsACheckBreachOfTheRecordingAgent) {
  v1::RecordCaseRequest request = Complaint("k-1", kStart);
  request.set_thanked(false);
  v1::RecordCaseResponse recorded;
  recorded = CallAndRetry(&v1::ContactCenter::Stub::RecordCase, request);
  ASSERT_EQ(recorded.customer_case().breaches_size(), 1);
  EXPECT_EQ(recorded.customer_case().breaches(0).rule(), "CC-5");
  EXPECT_EQ(recorded.customer_case().breaches(0).staff_id(), "S-2");
  EXPECT_EQ(Breaches("CC-5", "customer-service"), 1);
}

TEST_F(ContactCenterServiceTest, RecordCaseValidation) {
  v1::RecordCaseRequest request;
  request.set_request_id("k-1");
  request.set_red_line_rule("RK-12");
  v1::RecordCaseResponse recorded;
  EXPECT_THAT(ViolationFields(Call(&v1::ContactCenter::Stub::RecordCase, request, &recorded)),
              UnorderedElementsAre("kind", "department", "summary", "red_line_rule", "received_at"));
  v1::ReplyCaseRequest reply;
  reply.set_request_id("kr-1");
  reply.set_case_id("CASE-missing");
  reply.set_reply_text("x");
  *reply.mutable_replied_at() = ToProto(clock_.Now());
  v1::ReplyCaseResponse replied;
  EXPECT_EQ(Call(&v1::ContactCenter::Stub::ReplyCase, reply, &replied).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::RecordCaseResponse ok;
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::RecordCase, Complaint("k-2", kStart), &ok).ok());
  reply.set_case_id(ok.customer_case().case_id());
  *reply.mutable_replied_at() = ToProto(kStart - absl::Seconds(1));
  EXPECT_THAT(ViolationFields(Call(&v1::ContactCenter::Stub::ReplyCase, reply, &replied)), ElementsAre("replied_at"));
}

// Risk takes "RK-5" and nothing like it; a case naming "RK-5 " would queue a
// report risk refuses on every retry, the allegation never reaching it.
TEST_F(ContactCenterServiceTest, Cc5RedLineRuleMustBeExactlyAClauseIdRiskAccepts) {
  for (const char* bad : {"RK-5 ", "RK- 5", "RK-+5"}) {
    v1::RecordCaseRequest request = Complaint(absl::StrCat("k-", bad), kStart);
    request.set_red_line_rule(bad);
    v1::RecordCaseResponse recorded;
    const grpc::Status status = Call(&v1::ContactCenter::Stub::RecordCase, request, &recorded);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_THAT(ViolationFields(status), ElementsAre("red_line_rule")) << bad;
  }
  EXPECT_EQ(Rows("SELECT COUNT(*) FROM cc_cases"), 0);
  EXPECT_EQ(Rows("SELECT COUNT(*) FROM outbox WHERE topic = 'risk.redline'"), 0);
}

TEST_F(ContactCenterServiceTest, ListCasesByDueDepartmentAndState) {
  v1::RecordCaseResponse early, late, other;
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::RecordCase, Complaint("k-1", kStart), &late).ok());
  ASSERT_TRUE(
      Call(&v1::ContactCenter::Stub::RecordCase, Complaint("k-2", kStart - absl::Hours(30)), &early).ok());
  v1::RecordCaseRequest metering = Complaint("k-3", kStart);
  metering.set_department("metering");
  other = CallAndRetry(&v1::ContactCenter::Stub::RecordCase, metering);

  v1::ListCasesRequest list;
  list.set_department("repair");
  v1::ListCasesResponse listed;
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::ListCases, list, &listed).ok());
  ASSERT_EQ(listed.cases_size(), 2);
  EXPECT_EQ(listed.cases(0).case_id(), early.customer_case().case_id());  // due first
  EXPECT_EQ(listed.cases(1).case_id(), late.customer_case().case_id());

  list.clear_department();
  *list.mutable_due_before() = ToProto(kStart + absl::Hours(24 * 4));
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::ListCases, list, &listed).ok());
  ASSERT_EQ(listed.cases_size(), 1);
  EXPECT_EQ(listed.cases(0).case_id(), early.customer_case().case_id());

  v1::ReplyCaseRequest reply;
  reply.set_request_id("kr-1");
  reply.set_case_id(other.customer_case().case_id());
  reply.set_reply_text("meter replaced");
  *reply.mutable_replied_at() = ToProto(clock_.Now());
  v1::ReplyCaseResponse replied;
  replied = CallAndRetry(&v1::ContactCenter::Stub::ReplyCase, reply);
  v1::ListCasesRequest open;
  open.set_state(v1::CASE_STATE_OPEN);
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::ListCases, open, &listed).ok());
  EXPECT_EQ(listed.cases_size(), 2);
  open.set_state(v1::CASE_STATE_REPLIED);
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::ListCases, open, &listed).ok());
  ASSERT_EQ(listed.cases_size(), 1);
  EXPECT_EQ(listed.cases(0).case_id(), other.customer_case().case_id());
  v1::ListCasesRequest red;
  red.set_red_line_only(true);
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::ListCases, red, &listed).ok());
  EXPECT_EQ(listed.cases_size(), 0);

  ASSERT_TRUE(parts_.background_pass[0]().ok());
  EXPECT_EQ(Sample(*metrics_.registry(), "gridserve_contact_center_cases", {{"kind", "complaint"}, {"state", "open"}}), 2);
  EXPECT_EQ(Sample(*metrics_.registry(), "gridserve_contact_center_cases", {{"kind", "complaint"}, {"state", "replied"}}),
            1);
}

// ---------------------------------------------------------------------------
// WatchBreaches

TEST_F(ContactCenterServiceTest, WatchBreachesStreamsFromTheCursor) {
  RecordOk(AnsweredCall("r-1", 5));                        // CC-1
  v1::RecordCallRequest agent_hung_up = AnsweredCall("r-2", 1);
  agent_hung_up.set_hang_up_party(v1::HANG_UP_PARTY_AGENT);  // CC-8
  RecordOk(agent_hung_up);

  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::ContactCenterWatchBreachesRequest request;
  request.set_after_sequence(1);
  auto reader = stub_->WatchBreaches(&ctx, request);
  v1::BreachEvent event;
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.sequence(), 2);
  EXPECT_EQ(event.breach().rule(), "CC-8");
  ctx.TryCancel();
  while (reader->Read(&event)) {
  }
  reader->Finish();

  grpc::ClientContext bad_ctx;
  request.set_after_sequence(-1);
  auto bad = stub_->WatchBreaches(&bad_ctx, request);
  EXPECT_FALSE(bad->Read(&event));
  const grpc::Status refused = bad->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolationFields(refused), ::testing::Contains("after_sequence"));
}

// ---------------------------------------------------------------------------
// Input checks shared with the other services

// due_before is a list bound like time_range's (CheckFilterBound): a
// timestamp that means no time is the client's mistake, not an empty page.
TEST_F(ContactCenterServiceTest, DueBeforeMustBeAValidBound) {
  google::protobuf::Timestamp year_10000;
  year_10000.set_seconds(253402300800);
  google::protobuf::Timestamp negative_nanos = ToProto(kStart);
  negative_nanos.set_nanos(-1);
  for (const auto& bad : {year_10000, negative_nanos}) {
    v1::ListCasesRequest cases;
    *cases.mutable_due_before() = bad;
    v1::ListCasesResponse cases_listed;
    const grpc::Status status = Call(&v1::ContactCenter::Stub::ListCases, cases, &cases_listed);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(ViolationFields(status), ElementsAre("due_before"));
    v1::ListConsultationsRequest consultations;
    *consultations.mutable_due_before() = bad;
    v1::ListConsultationsResponse consultations_listed;
    EXPECT_THAT(
        ViolationFields(Call(&v1::ContactCenter::Stub::ListConsultations, consultations, &consultations_listed)),
        ElementsAre("due_before"));
  }
  // The epoch is a bound ("due before the beginning"): nothing is.
  v1::RecordCaseResponse recorded;
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::RecordCase, Complaint("k-1", kStart), &recorded).ok());
  v1::ListCasesRequest epoch;
  epoch.mutable_due_before();
  v1::ListCasesResponse listed;
  ASSERT_TRUE(Call(&v1::ContactCenter::Stub::ListCases, epoch, &listed).ok());
  EXPECT_EQ(listed.cases_size(), 0);
}

// A filter value outside its enum matches nothing by accident; it is a
// client's bug, named like every other service names it.
TEST_F(ContactCenterServiceTest, ListFiltersRefuseUnknownEnumValues) {
  v1::ListCallsRequest calls;
  calls.set_outcome(static_cast<v1::CallOutcome>(99));
  calls.set_disposition(static_cast<v1::CallDisposition>(99));
  v1::ListCallsResponse calls_listed;
  const grpc::Status status = Call(&v1::ContactCenter::Stub::ListCalls, calls, &calls_listed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolationFields(status), UnorderedElementsAre("outcome", "disposition"));

  v1::ListConsultationsRequest consultations;
  consultations.set_state(static_cast<v1::ConsultationState>(99));
  v1::ListConsultationsResponse consultations_listed;
  EXPECT_THAT(ViolationFields(Call(&v1::ContactCenter::Stub::ListConsultations, consultations, &consultations_listed)),
              ElementsAre("state"));

  v1::ListFaultReportsRequest faults;
  faults.set_classification(static_cast<v1::FaultClassification>(99));
  faults.set_dispatch_status(static_cast<v1::DispatchStatus>(99));
  v1::ListFaultReportsResponse faults_listed;
  EXPECT_THAT(ViolationFields(Call(&v1::ContactCenter::Stub::ListFaultReports, faults, &faults_listed)),
              UnorderedElementsAre("classification", "dispatch_status"));

  v1::ListCasesRequest cases;
  cases.set_kind(static_cast<v1::CaseKind>(99));
  cases.set_state(static_cast<v1::CaseState>(99));
  v1::ListCasesResponse cases_listed;
  EXPECT_THAT(ViolationFields(Call(&v1::ContactCenter::Stub::ListCases, cases, &cases_listed)),
              UnorderedElementsAre("kind", "state"));
}

TEST_F(ContactCenterServiceTest, RecordCallRefusesUnknownPurposeDispositionAndHangUpParty) {
  v1::RecordCallRequest request = AnsweredCall("r-1", 1);
  request.set_purpose(static_cast<v1::CallPurpose>(99));
  request.set_disposition(static_cast<v1::CallDisposition>(99));
  v1::RecordCallResponse response;
  const grpc::Status status = Call(&v1::ContactCenter::Stub::RecordCall, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolationFields(status), UnorderedElementsAre("purpose", "disposition"));

  // An abandoned call needs no hang-up party, but one given must be a known one.
  v1::RecordCallRequest abandoned = AnsweredCall("r-2", 0);
  abandoned.set_outcome(v1::CALL_OUTCOME_ABANDONED);
  abandoned.clear_answered_at();
  abandoned.set_hang_up_party(static_cast<v1::HangUpParty>(42));
  EXPECT_THAT(ViolationFields(Call(&v1::ContactCenter::Stub::RecordCall, abandoned, &response)),
              ElementsAre("hang_up_party"));
  EXPECT_EQ(Rows("SELECT COUNT(*) FROM cc_calls"), 0);
}

// Every phone number contact-center takes follows the suite's one rule
// (IsPhoneNumber): optional ones may be empty, none may be just any text.
TEST_F(ContactCenterServiceTest, EveryPhoneNumberTakenMustBeAPhoneNumber) {
  v1::OpenConsultationRequest consultation = Deferred("c-1", clock_.Now());
  consultation.mutable_customer()->set_phone("12345");
  v1::OpenConsultationResponse consultation_response;
  EXPECT_THAT(
      ViolationFields(Call(&v1::ContactCenter::Stub::OpenConsultation, consultation, &consultation_response)),
      ElementsAre("customer.phone"));

  v1::RecordCaseRequest complaint = Complaint("k-1", kStart);
  complaint.mutable_reporter()->set_phone("139 0000 0000");
  v1::RecordCaseResponse case_response;
  EXPECT_THAT(ViolationFields(Call(&v1::ContactCenter::Stub::RecordCase, complaint, &case_response)),
              ElementsAre("reporter.phone"));

  // CC-3: repair is given this number to reach the reporter, and refuses a dispatch without a real one.
  v1::ReportFaultRequest fault = UtilityFault("f-1", clock_.Now());
  fault.mutable_reporter()->set_phone("137-0000-0000");
  v1::ReportFaultResponse fault_response;
  EXPECT_THAT(ViolationFields(Call(&v1::ContactCenter::Stub::ReportFault, fault, &fault_response)),
              ElementsAre("reporter.phone"));

  EXPECT_EQ(Rows("SELECT COUNT(*) FROM cc_consultations"), 0);
  EXPECT_EQ(Rows("SELECT COUNT(*) FROM cc_cases"), 0);
  EXPECT_EQ(Rows("SELECT COUNT(*) FROM cc_fault_reports"), 0);
  EXPECT_EQ(Rows("SELECT COUNT(*) FROM outbox"), 0);

  // Optional numbers may be left out (a customer who gave none).
  consultation.mutable_customer()->clear_phone();
  CallAndRetry(&v1::ContactCenter::Stub::OpenConsultation, consultation);
}

// The caller id is the switch's, in whatever form it presents it: the call
// record (which CC-1 counts) is kept whatever it says, and the number as given.
TEST_F(ContactCenterServiceTest, ACallIsRecordedWhateverFormItsCallerIdTakes) {
  int n = 0;
  for (const char* caller_id : {"+8613800000000", "withheld", "", "13800000000"}) {
    v1::RecordCallRequest call = AnsweredCall(absl::StrCat("caller-id-", n++), 1);
    call.set_caller_phone(caller_id);
    v1::RecordCallResponse recorded;
    ASSERT_TRUE(Call(&v1::ContactCenter::Stub::RecordCall, call, &recorded).ok()) << caller_id;
    EXPECT_EQ(recorded.call().caller_phone(), caller_id);
  }
}

// An empty id is a request missing its one required field, not a record
// that does not exist: INVALID_ARGUMENT naming it, as in every service.
TEST_F(ContactCenterServiceTest, AGetWithoutAnIdNamesTheField) {
  v1::GetCallResponse call;
  EXPECT_THAT(ViolationFields(Call(&v1::ContactCenter::Stub::GetCall, v1::GetCallRequest(), &call)),
              ElementsAre("call_id"));
  v1::GetCaseResponse customer_case;
  EXPECT_THAT(ViolationFields(Call(&v1::ContactCenter::Stub::GetCase, v1::GetCaseRequest(), &customer_case)),
              ElementsAre("case_id"));
  v1::GetConsultationResponse consultation;
  EXPECT_THAT(ViolationFields(Call(&v1::ContactCenter::Stub::GetConsultation, v1::GetConsultationRequest(),
                                   &consultation)),
              ElementsAre("consultation_id"));
  v1::GetFaultReportResponse fault;
  EXPECT_THAT(ViolationFields(Call(&v1::ContactCenter::Stub::GetFaultReport, v1::GetFaultReportRequest(), &fault)),
              ElementsAre("fault_report_id"));
}

}  // namespace
}  // namespace gridserve::contact_center
