// End to end with the real gridserve-counter binary: a day at the hall.
// Event times are imported, so the story backdates some of them (a ticket
// issued 16 minutes ago, a system failure that began 35 minutes ago) and the
// clocks resolve within the 1 s sweep; each breach is then read on /metrics.
#include <grpcpp/grpcpp.h>

#include <fstream>
#include <functional>
#include <map>
#include <type_traits>
#include <memory>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "gmock/gmock.h"
#include "gridserve/v1/counter.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/support/suite_process.h"

namespace gridserve::testing {
namespace {

using google::protobuf::util::TimeUtil;
using ::testing::HasSubstr;

google::protobuf::Timestamp Ago(absl::Duration d) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(absl::Now() - d));
}
google::protobuf::Timestamp Now() { return Ago(absl::ZeroDuration()); }

// Write calls carry a request_id; reads do not.
template <typename T, typename = void>
struct HasRequestId : std::false_type {};
template <typename T>
struct HasRequestId<T, std::void_t<decltype(std::declval<T&>().set_request_id(""))>> : std::true_type {};

v1::StaffRef Staff(const std::string& id) {
  v1::StaffRef s;
  s.set_staff_id(id);
  s.set_department("business-hall");
  return s;
}

class CounterE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = MakeWorkDir("counter-e2e");
    // A utility offset that puts the local time near noon, so the default
    // closing time (17:30) is hours away whenever the test runs (CT-10).
    const int utc_hour = absl::ToCivilHour(absl::Now(), absl::UTCTimeZone()).hour();
    const int offset = 12 - utc_hour;
    const std::string config_path = dir + "/config.json";
    std::ofstream(config_path) << absl::StrFormat(
        R"({"calendar": {"utcOffset": "%c%02d:00"}, "platform": {"gaugeRefreshInterval": "1s"}})",
        offset < 0 ? '-' : '+', offset < 0 ? -offset : offset);
    process_ = std::make_unique<ServiceProcess>(
        "counter", dir, std::vector<std::string>{"--config=" + config_path, "--risk_target=127.0.0.1:1"});
    ASSERT_TRUE(process_->Start()) << process_->Log();
    stub_ = v1::Counter::NewStub(grpc::CreateChannel(process_->grpc_address(), grpc::InsecureChannelCredentials()));
  }

  template <typename Req, typename Resp>
  grpc::Status Call(grpc::Status (v1::Counter::Stub::*method)(grpc::ClientContext*, const Req&, Resp*), Req req,
                    Resp* resp) {
    if constexpr (HasRequestId<Req>::value) {
      req.set_request_id("r" + std::to_string(++request_counter_));
    }
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return (stub_.get()->*method)(&ctx, req, resp);
  }

  double Metric(const std::string& name, const std::map<std::string, std::string>& labels) {
    return MetricValue(HttpGet(process_->metrics_url()), name, labels);
  }
  double Breaches(const std::string& rule) {
    return Metric("gridserve_norm_breaches_total", {{"rule", rule}, {"department", "business-hall"}});
  }
  double Sla(const std::string& sla, const std::string& outcome) {
    return Metric("gridserve_sla_total", {{"sla", sla}, {"outcome", outcome}});
  }
  // Polls /metrics until `value()` reaches `want` (the sweep runs every second).
  bool Eventually(const std::function<double()>& value, double want) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (absl::Now() < deadline) {
      if (value() == want) return true;
      absl::SleepFor(absl::Milliseconds(200));
    }
    return false;
  }

  std::unique_ptr<ServiceProcess> process_;
  std::unique_ptr<v1::Counter::Stub> stub_;
  int request_counter_ = 0;
  std::map<std::string, std::string> sessions_;
};

TEST_F(CounterE2eTest, ADayAtTheHall) {
  // Every clause and SLA series is there at zero before the first breach.
  for (const char* rule : {"CT-1", "CT-4", "CT-6", "CT-7", "CT-9", "CT-10"}) EXPECT_EQ(Breaches(rule), 0) << rule;
  EXPECT_EQ(Sla("ticket_wait", "breached"), 0);
  EXPECT_THAT(HttpGet(process_->metrics_url()), HasSubstr("gridserve_hall_ticket_wait_seconds_bucket{le=\"900\"}"));

  // Morning: two counters open.
  for (const auto& [counter, staff] : std::vector<std::pair<std::string, std::string>>{{"C1", "S1"}, {"C2", "S2"}}) {
    v1::OpenSessionRequest open;
    open.set_hall_id("H1");
    open.set_counter_id(counter);
    *open.mutable_staff() = Staff(staff);
    *open.mutable_opened_at() = Ago(absl::Minutes(30));
    v1::OpenSessionResponse session;
    ASSERT_TRUE(Call(&v1::Counter::Stub::OpenSession, open, &session).ok());
    sessions_[counter] = session.session().session_id();
  }

  // CT-4: a ticket issued 16 minutes ago (kiosk import) is already past its wait limit.
  v1::IssueTicketRequest issue;
  issue.set_hall_id("H1");
  issue.set_business_type("payment");
  *issue.mutable_issued_at() = Ago(absl::Minutes(16));
  v1::IssueTicketResponse late;
  ASSERT_TRUE(Call(&v1::Counter::Stub::IssueTicket, issue, &late).ok());
  ASSERT_TRUE(Eventually([&] { return Sla("ticket_wait", "breached"); }, 1));
  EXPECT_TRUE(Eventually([&] { return Breaches("CT-4"); }, 1));

  // CT-9: a customer in a wheelchair gets priority.
  issue.set_business_type("new_connection");
  issue.add_accessibility_needs(v1::ACCESSIBILITY_NEED_WHEELCHAIR);
  *issue.mutable_issued_at() = Now();
  v1::IssueTicketResponse disabled;
  ASSERT_TRUE(Call(&v1::Counter::Stub::IssueTicket, issue, &disabled).ok());
  EXPECT_EQ(disabled.queue_position(), 1);
  v1::CallTicketRequest call;
  call.set_counter_id("C1");
  *call.mutable_staff() = Staff("S1");
  *call.mutable_called_at() = Now();
  v1::CallTicketResponse called;
  ASSERT_TRUE(Call(&v1::Counter::Stub::CallTicket, call, &called).ok());
  ASSERT_EQ(called.ticket().ticket_id(), disabled.ticket().ticket_id());
  EXPECT_TRUE(Eventually([&] { return Sla("ticket_wait", "met"); }, 1));

  v1::StartVisitRequest start;
  start.set_hall_id("H1");
  start.set_ticket_id(disabled.ticket().ticket_id());
  *start.mutable_owner() = Staff("S1");
  start.mutable_customer()->set_name("Wang Wu");
  *start.mutable_started_at() = Now();
  v1::StartVisitResponse disabled_visit;
  ASSERT_TRUE(Call(&v1::Counter::Stub::StartVisit, start, &disabled_visit).ok());

  // CT-3 + CT-9: staff fill the form for the customer; one guided re-fill.
  v1::SubmitApplicationFormRequest form;
  form.set_visit_id(disabled_visit.visit().visit_id());
  form.set_business_type("new_connection");
  form.set_filled_by_staff(true);
  *form.mutable_filled_by() = Staff("S1");
  form.set_sample_shown(true);
  (*form.mutable_fields())["applicant_name"] = "Wang Wu";
  (*form.mutable_fields())["id_number"] = "11010519491231002X";
  (*form.mutable_fields())["phone"] = "13800000000";
  (*form.mutable_fields())["address"] = "5 Garden Road, Haidian";
  (*form.mutable_fields())["requested_capacity_kva"] = "0";
  v1::SubmitApplicationFormResponse submitted;
  ASSERT_TRUE(Call(&v1::Counter::Stub::SubmitApplicationForm, form, &submitted).ok());
  ASSERT_EQ(submitted.form().status(), v1::FORM_STATUS_NEEDS_REFILL);
  ASSERT_EQ(submitted.form().field_errors_size(), 1);
  EXPECT_EQ(submitted.form().field_errors(0).field(), "requested_capacity_kva");
  EXPECT_FALSE(submitted.form().field_errors(0).guidance().empty());
  form.set_form_id(submitted.form().form_id());
  (*form.mutable_fields())["requested_capacity_kva"] = "8";
  ASSERT_TRUE(Call(&v1::Counter::Stub::SubmitApplicationForm, form, &submitted).ok());
  EXPECT_EQ(submitted.form().status(), v1::FORM_STATUS_ACCEPTED);
  EXPECT_EQ(submitted.form().refill_count(), 1);
  EXPECT_TRUE(Eventually([&] { return Metric("gridserve_hall_forms_total",
                                             {{"status", "accepted"}, {"filled_by_staff", "true"}}); }, 1));

  // CT-9: the site survey continues at home, followed up within 3 working days.
  v1::OpenHomeServiceRequest home;
  home.set_hall_id("H1");
  home.set_visit_id(disabled_visit.visit().visit_id());
  home.mutable_contact()->set_name("Wang Wu");
  home.mutable_contact()->set_phone("13800000000");
  home.mutable_location()->set_address("5 Garden Road, Haidian");
  home.add_needs(v1::ACCESSIBILITY_NEED_WHEELCHAIR);
  *home.mutable_opened_by() = Staff("S1");
  *home.mutable_opened_at() = Now();
  v1::OpenHomeServiceResponse home_case;
  ASSERT_TRUE(Call(&v1::Counter::Stub::OpenHomeService, home, &home_case).ok());
  ASSERT_EQ(home_case.home_service().slas_size(), 1);
  EXPECT_EQ(home_case.home_service().slas(0).state(), v1::SLA_STATUS_OPEN);
  v1::CompleteHomeServiceRequest complete;
  complete.set_home_service_id(home_case.home_service().home_service_id());
  *complete.mutable_staff() = Staff("S1");
  *complete.mutable_completed_at() = Now();
  v1::CompleteHomeServiceResponse completed;
  ASSERT_TRUE(Call(&v1::Counter::Stub::CompleteHomeService, complete, &completed).ok());
  EXPECT_EQ(completed.home_service().slas(0).state(), v1::SLA_STATUS_MET);
  EXPECT_TRUE(Eventually([&] { return Sla("home_service_followup", "met"); }, 1));

  // CT-6: the 16-minute ticket is called without an apology.
  call.set_counter_id("C2");
  *call.mutable_staff() = Staff("S2");
  *call.mutable_called_at() = Now();
  ASSERT_TRUE(Call(&v1::Counter::Stub::CallTicket, call, &called).ok());
  ASSERT_EQ(called.ticket().ticket_id(), late.ticket().ticket_id());
  EXPECT_TRUE(Eventually([&] { return Breaches("CT-6"); }, 1));
  start.set_ticket_id(late.ticket().ticket_id());
  *start.mutable_owner() = Staff("S2");
  *start.mutable_started_at() = Now();
  v1::StartVisitResponse late_visit;
  ASSERT_TRUE(Call(&v1::Counter::Stub::StartVisit, start, &late_visit).ok());

  // A walk-in customer who has been at counter 1 for 40 minutes.
  start.clear_ticket_id();
  *start.mutable_owner() = Staff("S1");
  *start.mutable_started_at() = Ago(absl::Minutes(40));
  v1::StartVisitResponse walk_in;
  ASSERT_TRUE(Call(&v1::Counter::Stub::StartVisit, start, &walk_in).ok());

  // CT-7: the billing system went down 35 minutes ago; it turned long 20 minutes ago.
  v1::OpenSystemFailureRequest failure;
  failure.set_hall_id("H1");
  failure.set_description("billing system unavailable");
  *failure.mutable_opened_by() = Staff("S1");
  *failure.mutable_started_at() = Ago(absl::Minutes(35));
  v1::OpenSystemFailureResponse opened;
  ASSERT_TRUE(Call(&v1::Counter::Stub::OpenSystemFailure, failure, &opened).ok());
  EXPECT_TRUE(opened.system_failure().has_became_long_at());
  EXPECT_EQ(opened.system_failure().affected_visit_ids_size(), 2);
  // The walk-in's conversion was due 5 minutes ago: breached at once.
  EXPECT_TRUE(Eventually([&] { return Sla("failure_conversion", "breached"); }, 1));
  EXPECT_TRUE(Eventually([&] { return Breaches("CT-7"); }, 1));
  // A visit waiting in the long failure cannot simply be ended (CT-7 gate).
  v1::EndVisitRequest end;
  end.set_visit_id(late_visit.visit().visit_id());
  end.set_ended_by_staff_id("S2");
  end.set_outcome(v1::VISIT_OUTCOME_CUSTOMER_LEFT);
  *end.mutable_ended_at() = Now();
  v1::EndVisitResponse ended;
  grpc::Status gate = Call(&v1::Counter::Stub::EndVisit, end, &ended);
  EXPECT_EQ(gate.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(gate.error_message(), HasSubstr("CT-7"));
  // Converted in time, with apology and contact details: met.
  v1::ConvertVisitToAppointmentRequest convert;
  convert.set_visit_id(late_visit.visit().visit_id());
  convert.mutable_contact()->set_name("Zhao Liu");
  convert.mutable_contact()->set_phone("13900000000");
  convert.set_apologised(true);
  *convert.mutable_booked_by() = Staff("S2");
  *convert.mutable_booked_at() = Now();
  *convert.mutable_scheduled_at() = Ago(-absl::Hours(24));
  v1::ConvertVisitToAppointmentResponse appointment;
  ASSERT_TRUE(Call(&v1::Counter::Stub::ConvertVisitToAppointment, convert, &appointment).ok());
  EXPECT_EQ(appointment.visit().outcome(), v1::VISIT_OUTCOME_CONVERTED_TO_APPOINTMENT);
  EXPECT_TRUE(Eventually([&] { return Sla("failure_conversion", "met"); }, 1));
  convert.set_visit_id(walk_in.visit().visit_id());
  *convert.mutable_booked_by() = Staff("S1");
  ASSERT_TRUE(Call(&v1::Counter::Stub::ConvertVisitToAppointment, convert, &appointment).ok());
  v1::CloseSystemFailureRequest close_failure;
  close_failure.set_failure_id(opened.system_failure().failure_id());
  *close_failure.mutable_ended_at() = Now();
  v1::CloseSystemFailureResponse closed_failure;
  ASSERT_TRUE(Call(&v1::Counter::Stub::CloseSystemFailure, close_failure, &closed_failure).ok());
  EXPECT_EQ(closed_failure.system_failure().converted_visit_ids_size(), 2);
  v1::ListAppointmentsRequest booked;
  booked.set_hall_id("H1");
  booked.set_state(v1::APPOINTMENT_STATE_BOOKED);
  v1::ListAppointmentsResponse appointments;
  ASSERT_TRUE(Call(&v1::Counter::Stub::ListAppointments, booked, &appointments).ok());
  EXPECT_EQ(appointments.appointments_size(), 2);

  // Evening. A late customer is still waiting: closing the hall is refused (CT-10).
  issue.clear_accessibility_needs();
  issue.set_business_type("consultation");
  *issue.mutable_issued_at() = Now();
  v1::IssueTicketResponse last;
  ASSERT_TRUE(Call(&v1::Counter::Stub::IssueTicket, issue, &last).ok());
  v1::CloseHallRequest close_hall;
  close_hall.set_hall_id("H1");
  *close_hall.mutable_closed_by() = Staff("S1");
  *close_hall.mutable_closed_at() = Now();
  v1::CloseHallResponse hall;
  grpc::Status refused = Call(&v1::Counter::Stub::CloseHall, close_hall, &hall);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(refused.error_message(), HasSubstr("CT-10"));

  // Counter 2 calls the last customer, then its clerk leaves by force: a CT-10 breach.
  *call.mutable_called_at() = Now();
  ASSERT_TRUE(Call(&v1::Counter::Stub::CallTicket, call, &called).ok());
  v1::CloseSessionRequest close_session;
  close_session.set_session_id(sessions_["C2"]);
  *close_session.mutable_closed_at() = Now();
  v1::CloseSessionResponse session;
  EXPECT_EQ(Call(&v1::Counter::Stub::CloseSession, close_session, &session).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  close_session.set_force(true);
  close_session.set_force_reason("clerk taken ill");
  ASSERT_TRUE(Call(&v1::Counter::Stub::CloseSession, close_session, &session).ok());
  EXPECT_TRUE(session.session().forced());
  EXPECT_TRUE(Eventually([&] { return Breaches("CT-10"); }, 1));

  // The customer is served at counter 1 after all; then the hall closes normally.
  start.set_ticket_id(last.ticket().ticket_id());
  *start.mutable_started_at() = Now();
  v1::StartVisitResponse last_visit;
  ASSERT_TRUE(Call(&v1::Counter::Stub::StartVisit, start, &last_visit).ok());
  end.set_visit_id(last_visit.visit().visit_id());
  end.set_ended_by_staff_id("S1");
  end.set_outcome(v1::VISIT_OUTCOME_COMPLETED);
  *end.mutable_ended_at() = Now();
  ASSERT_TRUE(Call(&v1::Counter::Stub::EndVisit, end, &ended).ok());
  *close_hall.mutable_closed_at() = Now();
  grpc::Status allowed = Call(&v1::Counter::Stub::CloseHall, close_hall, &hall);
  ASSERT_TRUE(allowed.ok()) << allowed.error_message();
  EXPECT_FALSE(hall.forced());
  EXPECT_EQ(hall.closed_session_ids_size(), 1);

  // The ledger of the day, on /metrics: nothing counted twice.
  EXPECT_EQ(Breaches("CT-4"), 1);
  EXPECT_EQ(Breaches("CT-6"), 1);
  EXPECT_EQ(Breaches("CT-7"), 1);
  EXPECT_EQ(Breaches("CT-10"), 1);
  EXPECT_EQ(Breaches("CT-1"), 0);
  EXPECT_EQ(Sla("ticket_wait", "breached"), 1);
  EXPECT_EQ(Sla("failure_conversion", "met"), 1);
  EXPECT_EQ(Sla("failure_conversion", "breached"), 1);
  EXPECT_EQ(Metric("gridserve_hall_ticket_wait_seconds_bucket", {{"le", "600"}}), 2);
  EXPECT_EQ(Metric("gridserve_hall_ticket_wait_seconds_bucket", {{"le", "900"}}), 2);
  EXPECT_EQ(Metric("gridserve_hall_ticket_wait_seconds_count", {}), 3);
}

}  // namespace
}  // namespace gridserve::testing
