// The gRPC adapter over an in-process server (127.0.0.1:0), an in-memory
// database and a fake clock: codes, field violations, idempotency, gates,
// SLA expiry edges, metrics, outbox to risk, lists and the breach stream.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/substitute.h"
#include "gmock/gmock.h"
#include "gridserve/v1/construction.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/common/config.h"
#include "services/common/migrations.h"
#include "services/common/outbox.h"
#include "services/common/rpc_util.h"
#include "services/common/status_util.h"
#include "services/construction/grpc/construction_service.h"
#include "services/construction/storage/construction_schema.h"
#include "services/construction/construction_spec.h"
#include "tests/common/registry_value.h"
#include "tests/common/retry_check.h"
#include "tests/common/text_proto.h"
#include "tests/construction/domain_fixture.h"
#include "tests/support/in_process_service.h"

namespace gridserve::construction::testing {

using ::gridserve::testing::ExpectRetryChangesNothing;
using ::gridserve::testing::Parse;

namespace {

std::vector<std::string> Fields(const grpc::Status& status) {
  std::vector<std::string> out;
  for (const FieldViolation& violation : FieldViolationsOf(FromGrpcStatus(status))) out.push_back(violation.field);
  return out;
}

// Walks a residential project through inspection and connection to
// completion at `at` (checklist, the department's number and feedback given),
// every step at `at`; the completion's answer.
grpc::Status CompleteResidential(v1::Construction::Stub& stub, const std::string& project_id, absl::Time at,
                                 v1::CompleteProjectResponse* completed) {
  auto call = [](auto method, const auto& req, auto* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return method(&ctx, req, resp);
  };
  for (auto stage : {v1::PROJECT_STAGE_INSPECTION, v1::PROJECT_STAGE_CONNECTION}) {
    if (stage == v1::PROJECT_STAGE_CONNECTION) {
      v1::RecordInspectionRequest inspection;
      inspection.set_request_id(project_id + "/inspection");
      inspection.set_project_id(project_id);
      inspection.set_result(v1::INSPECTION_RESULT_PASSED);
      *inspection.mutable_inspected_at() = ToProto(at);
      v1::RecordInspectionResponse inspected;
      auto s = call([&](auto* c, const auto& r, auto* o) { return stub.RecordInspection(c, r, o); }, inspection,
                    &inspected);
      if (!s.ok()) return s;
    }
    v1::AdvanceStageRequest advance;
    advance.set_request_id(absl::StrCat(project_id, "/stage/", stage));
    advance.set_project_id(project_id);
    advance.set_to_stage(stage);
    *advance.mutable_advanced_at() = ToProto(at);
    v1::AdvanceStageResponse advanced;
    auto s = call([&](auto* c, const auto& r, auto* o) { return stub.AdvanceStage(c, r, o); }, advance, &advanced);
    if (!s.ok()) return s;
  }
  v1::CompleteProjectRequest complete;
  complete.set_request_id(project_id + "/complete");
  complete.set_project_id(project_id);
  for (const char* item : {"site_cleaned", "no_residue"}) {
    auto* i = complete.mutable_checklist()->add_items();
    i->set_item(item);
    i->set_done(true);
  }
  complete.set_contact_number_left("0571-95598");
  complete.mutable_feedback()->set_satisfaction(5);
  *complete.mutable_feedback()->mutable_collected_at() = ToProto(at);
  *complete.mutable_completed_at() = ToProto(at);
  return call([&](auto* c, const auto& r, auto* o) { return stub.CompleteProject(c, r, o); }, complete, completed);
}

v1::RecordGuidanceContactRequest GuidanceContact(const std::string& request_id, const std::string& project_id,
                                                 absl::Time at) {
  v1::RecordGuidanceContactRequest req;
  req.set_request_id(request_id);
  req.set_project_id(project_id);
  req.mutable_staff()->set_staff_id("S-2");
  req.set_channel(v1::GUIDANCE_CHANNEL_PHONE);
  *req.mutable_contacted_at() = ToProto(at);
  return req;
}

class AdapterTest : public ::testing::Test {
 protected:
  AdapterTest()
      : harness_(::gridserve::testing::InProcessService::StartOrDie(ConstructionSpec(), StartingFriday())),
        clock_(harness_->clock()),
        db_(&harness_->db()),
        sla_(harness_->sla()),
        outbox_(harness_->outbox()),
        registry_(harness_->metrics().registry()),
        stub_(v1::Construction::NewStub(harness_->channel())) {}

  static ::gridserve::testing::InProcessService::Options StartingFriday() {
    ::gridserve::testing::InProcessService::Options options;
    options.start = kFriday;
    return options;
  }

  template <typename Req, typename Resp>
  grpc::Status Call(grpc::Status (v1::Construction::Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                    const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return (stub_.get()->*method)(&ctx, req, resp);
  }

  v1::CreateProjectRequest NewProject(const std::string& request_id, v1::ProjectType type,
                                      absl::Time applied = kFriday, const std::string& department = "business-expansion") {
    v1::CreateProjectRequest req;
    req.set_request_id(request_id);
    req.set_project_type(type);
    req.mutable_customer()->set_name("Customer");
    req.mutable_customer()->set_phone("13800000000");
    req.mutable_site()->set_address("1 Road");
    req.set_department(department);
    req.mutable_manager()->set_staff_id("S-1");
    *req.mutable_applied_at() = ToProto(applied);
    return req;
  }

  v1::Project Create(const std::string& request_id, v1::ProjectType type, absl::Time applied = kFriday,
                     const std::string& department = "business-expansion") {
    // Created, and its retry changes nothing.
    return CallAndRetry(&v1::Construction::Stub::CreateProject, NewProject(request_id, type, applied, department))
        .project();
  }

  // A failed inspection on Friday with its written notice delivered (CN-5).
  static v1::RecordInspectionRequest FailedInspection(const std::string& request_id, const std::string& project_id) {
    v1::RecordInspectionRequest req;
    req.set_request_id(request_id);
    req.set_project_id(project_id);
    req.set_result(v1::INSPECTION_RESULT_FAILED);
    *req.mutable_inspected_at() = ToProto(kFriday);
    req.mutable_notice()->add_items("meter box unsealed");
    req.mutable_notice()->set_text("Seal the meter box.");
    req.mutable_notice()->set_explained(true);
    *req.mutable_notice()->mutable_delivered_at() = ToProto(kFriday);
    return req;
  }

  // Calls `method` and retries it with the same request id: the retry must
  // answer the same and write nothing more (tests/common/retry_check.h).
  template <typename Req, typename Resp>
  Resp CallAndRetry(grpc::Status (v1::Construction::Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                    const Req& req) {
    return ExpectRetryChangesNothing<Resp>(*db_, req.request_id(), [&](Resp* r) { return Call(method, req, r); },
                                           [&] { clock_.Advance(absl::Seconds(1)); });
  }

  v1::Project Get(const std::string& id) {
    v1::GetProjectRequest req;
    req.set_project_id(id);
    v1::GetProjectResponse resp;
    EXPECT_TRUE(Call(&v1::Construction::Stub::GetProject, req, &resp).ok());
    return resp.project();
  }

  int64_t Count(const std::string& sql) {
    int64_t n = -1;
    EXPECT_TRUE(db_->InTransaction([&](Transaction& txn) -> absl::Status {
                     auto rows = txn.Query(sql);
                     if (!rows.ok()) return rows.status();
                     n = (*rows)[0].Int(0);
                     return absl::OkStatus();
                   }).ok());
    return n;
  }

  // A sample's value (counter, gauge, or histogram count / bucket at `le`).
  double Metric(const std::string& name, const std::map<std::string, std::string>& labels, double le = -1) {
    return ::gridserve::testing::RegistryValue(*registry_, name, labels, le);
  }

  const v1::SlaState* Sla(const v1::Project& p, const std::string& name) {
    for (const auto& s : p.slas()) {
      if (s.sla() == name) return &s;
    }
    return nullptr;
  }

  void Sweep() { ASSERT_TRUE(sla_.Sweep(*db_).ok()); }

  std::unique_ptr<::gridserve::testing::InProcessService> harness_;
  FakeClock& clock_;
  Database* db_;
  SlaClock& sla_;
  OutboxRelay& outbox_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<v1::Construction::Stub> stub_;
};

TEST_F(AdapterTest, CreateProjectNamesEveryMissingField) {
  v1::CreateProjectRequest req;
  req.set_request_id("r1");
  v1::CreateProjectResponse resp;
  grpc::Status s = Call(&v1::Construction::Stub::CreateProject, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(s), ::testing::IsSupersetOf({"project_type", "customer.name", "customer.phone", "site.address",
                                                  "department", "applied_at"}));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM construction_projects"), 0);
}

TEST_F(AdapterTest, CreateProjectRefusesAFutureApplicationAndABadPhone) {
  v1::CreateProjectRequest req = NewProject("r1", v1::PROJECT_TYPE_RESIDENTIAL, kFriday + absl::Minutes(6));
  req.mutable_customer()->set_phone("call me");
  v1::CreateProjectResponse resp;
  grpc::Status s = Call(&v1::Construction::Stub::CreateProject, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(s), ::testing::UnorderedElementsAre("applied_at", "customer.phone"));
}

// Construction takes the numbers every service takes (the shared
// IsPhoneNumber): its old 3-to-20-character rule took "123" and spaced or
// international forms that repair and contact-center refuse.
TEST_F(AdapterTest, CreateProjectTakesTheSharedPhoneNumbers) {
  v1::CreateProjectResponse resp;
  int n = 0;
  for (const std::string phone : {"123", "+86 138 0000 0000", "138-0000-0000"}) {
    v1::CreateProjectRequest req = NewProject(absl::StrCat("bad-", ++n), v1::PROJECT_TYPE_RESIDENTIAL);
    req.mutable_customer()->set_phone(phone);
    grpc::Status s = Call(&v1::Construction::Stub::CreateProject, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << phone;
    EXPECT_THAT(Fields(s), ::testing::ElementsAre("customer.phone")) << phone;
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM construction_projects"), 0);
  v1::CreateProjectRequest landline = NewProject("landline", v1::PROJECT_TYPE_RESIDENTIAL);
  landline.mutable_customer()->set_phone("010-62345678");
  EXPECT_TRUE(Call(&v1::Construction::Stub::CreateProject, landline, &resp).ok());
}

// Every other person a construction request names: a phone, when given, is
// checked by the same rule (before the project is looked up).
TEST_F(AdapterTest, AGivenPhoneOfAnyPersonIsCheckedTheSameWay) {
  auto confirm = Parse<v1::ConfirmAppointmentRequest>(R"pb(
    request_id: "confirm" project_id: "PRJ-none" appointment_id: "AP-none"
    confirmed_by { name: "Customer" phone: "12345" })pb");
  *confirm.mutable_confirmed_at() = ToProto(kFriday);
  v1::ConfirmAppointmentResponse confirmed;
  grpc::Status s = Call(&v1::Construction::Stub::ConfirmAppointment, confirm, &confirmed);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(s), ::testing::ElementsAre("confirmed_by.phone"));
  confirm.mutable_confirmed_by()->clear_phone();  // optional here
  EXPECT_EQ(Call(&v1::Construction::Stub::ConfirmAppointment, confirm, &confirmed).error_code(),
            grpc::StatusCode::NOT_FOUND);

  auto report = Parse<v1::ReportDesignatedSupplierPressureRequest>(R"pb(
    request_id: "report" project_id: "PRJ-none" supplier_kind: SUPPLIER_KIND_EQUIPMENT
    description: "told to buy the meter box from a named vendor" reporter { name: "Customer" phone: "n/a" })pb");
  *report.mutable_reported_at() = ToProto(kFriday);
  v1::ReportDesignatedSupplierPressureResponse reported;
  s = Call(&v1::Construction::Stub::ReportDesignatedSupplierPressure, report, &reported);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(s), ::testing::ElementsAre("reporter.phone"));

  auto inspection = Parse<v1::RecordInspectionRequest>(R"pb(
    request_id: "inspection" project_id: "PRJ-none" result: INSPECTION_RESULT_FAILED
    notice { items: "earthing" text: "fit the earthing" delivered_to { name: "Customer" phone: "138 0000 0000" } })pb");
  *inspection.mutable_inspected_at() = ToProto(kFriday);
  *inspection.mutable_notice()->mutable_delivered_at() = ToProto(kFriday);
  v1::RecordInspectionResponse inspected;
  s = Call(&v1::Construction::Stub::RecordInspection, inspection, &inspected);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(s), ::testing::ElementsAre("notice.delivered_to.phone"));
}

TEST_F(AdapterTest, CreateProjectIsIdempotent) {
  v1::Project first = Create("r1", v1::PROJECT_TYPE_RESIDENTIAL);
  v1::Project again = Create("r1", v1::PROJECT_TYPE_RESIDENTIAL);
  EXPECT_EQ(first.project_id(), again.project_id());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM construction_projects"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM sla_timers"), 2);
  // The same request id with another payload is a client bug.
  v1::CreateProjectResponse resp;
  grpc::Status s = Call(&v1::Construction::Stub::CreateProject, NewProject("r1", v1::PROJECT_TYPE_HIGH_VOLTAGE_DUAL), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(AdapterTest, NewProjectShowsItsClocksAcrossTheWeekend) {
  v1::Project p = Create("r1", v1::PROJECT_TYPE_RESIDENTIAL);
  EXPECT_EQ(p.stage(), v1::PROJECT_STAGE_APPLICATION);
  const v1::SlaState* guidance = Sla(p, "first_guidance");
  ASSERT_NE(guidance, nullptr);
  EXPECT_EQ(guidance->clause(), "CN-1");
  EXPECT_EQ(guidance->state(), v1::SLA_STATUS_OPEN);
  EXPECT_EQ(FromProto(guidance->due_at()), Local(2026, 12, 2));
  const v1::SlaState* limit = Sla(p, "project_time_limit");
  ASSERT_NE(limit, nullptr);
  EXPECT_EQ(FromProto(limit->due_at()), Local(2026, 12, 5));
}

TEST_F(AdapterTest, Cn1GuidanceExactlyAtTheDueTimeIsMet) {
  v1::Project p = Create("r1", v1::PROJECT_TYPE_RESIDENTIAL);
  const absl::Time due = Local(2026, 12, 2);
  clock_.Set(due);
  Sweep();  // exactly at due: not yet late
  v1::RecordGuidanceContactRequest req;
  req.set_request_id("g1");
  req.set_project_id(p.project_id());
  req.mutable_staff()->set_staff_id("S-2");
  req.set_channel(v1::GUIDANCE_CHANNEL_PHONE);
  *req.mutable_contacted_at() = ToProto(due);
  v1::RecordGuidanceContactResponse resp;
  resp = CallAndRetry(&v1::Construction::Stub::RecordGuidanceContact, req);
  EXPECT_EQ(Sla(resp.project(), "first_guidance")->state(), v1::SLA_STATUS_MET);
  EXPECT_EQ(Metric("gridserve_sla_total", {{"sla", "first_guidance"}, {"outcome", "met"}}), 1);
  EXPECT_EQ(Metric("gridserve_norm_breaches_total", {{"rule", "CN-1"}, {"department", "business-expansion"}}), 0);
}

// A late contact recorded first closed the clock as breached; the on-time
// contact synced after it is judged as the platform judges any fact synced
// after the expiry: the breach stands (the ledger is append-only) and the
// late fact is counted once, for an auditor to review.
TEST_F(AdapterTest, Cn1AnOnTimeContactSyncedAfterALateOneIsALateFact) {
  v1::Project p = Create("r1", v1::PROJECT_TYPE_RESIDENTIAL);  // due Wednesday 2 Dec 00:00
  clock_.Set(Local(2026, 12, 3, 12));
  auto contact = [&](const std::string& request_id, absl::Time at) {
    v1::RecordGuidanceContactRequest req;
    req.set_request_id(request_id);
    req.set_project_id(p.project_id());
    req.mutable_staff()->set_staff_id("S-2");
    req.set_channel(v1::GUIDANCE_CHANNEL_PHONE);
    *req.mutable_contacted_at() = ToProto(at);
    return CallAndRetry(&v1::Construction::Stub::RecordGuidanceContact, req);
  };
  v1::RecordGuidanceContactResponse late = contact("g-late", Local(2026, 12, 3, 10));
  EXPECT_EQ(Sla(late.project(), "first_guidance")->state(), v1::SLA_STATUS_BREACHED);
  EXPECT_EQ(Metric("gridserve_norm_breaches_total", {{"rule", "CN-1"}, {"department", "business-expansion"}}), 1);
  EXPECT_EQ(Metric("gridserve_sla_late_facts_total", {{"sla", "first_guidance"}}), 0);

  v1::RecordGuidanceContactResponse on_time = contact("g-on-time", Local(2026, 11, 30, 10));
  EXPECT_EQ(Sla(on_time.project(), "first_guidance")->state(), v1::SLA_STATUS_BREACHED);
  EXPECT_EQ(Metric("gridserve_sla_late_facts_total", {{"sla", "first_guidance"}}), 1);
  EXPECT_EQ(Metric("gridserve_sla_total", {{"sla", "first_guidance"}, {"outcome", "breached"}}), 1);
  EXPECT_EQ(Metric("gridserve_norm_breaches_total", {{"rule", "CN-1"}, {"department", "business-expansion"}}), 1);

  contact("g-earlier", Local(2026, 11, 27, 15));  // the verdict's fact is already known
  EXPECT_EQ(Metric("gridserve_sla_late_facts_total", {{"sla", "first_guidance"}}), 1);
  EXPECT_EQ(Get(p.project_id()).guidance_contacts_size(), 3);
}

TEST_F(AdapterTest, Cn1NoGuidanceBreachesOneMicrosecondAfterTheDueTime) {
  v1::Project p = Create("r1", v1::PROJECT_TYPE_RESIDENTIAL);
  clock_.Set(Local(2026, 12, 2));
  Sweep();
  EXPECT_EQ(Metric("gridserve_sla_total", {{"sla", "first_guidance"}, {"outcome", "breached"}}), 0);
  clock_.Advance(absl::Microseconds(1));
  Sweep();
  EXPECT_EQ(Metric("gridserve_sla_total", {{"sla", "first_guidance"}, {"outcome", "breached"}}), 1);
  EXPECT_EQ(Metric("gridserve_norm_breaches_total", {{"rule", "CN-1"}, {"department", "business-expansion"}}), 1);
  v1::Project now = Get(p.project_id());
  EXPECT_EQ(Sla(now, "first_guidance")->state(), v1::SLA_STATUS_BREACHED);
  EXPECT_EQ(FromProto(Sla(now, "first_guidance")->breached_at()), Local(2026, 12, 2));
  ASSERT_EQ(now.breaches_size(), 1);
  EXPECT_EQ(now.breaches(0).rule(), "CN-1");
  EXPECT_EQ(now.breaches(0).sla(), "first_guidance");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM outbox WHERE topic = 'risk.breach'"), 1);
}

TEST_F(AdapterTest, WholeProcessLimitBreachesAtExpiryNotAtCompletion) {
  // Residential, applied Friday: 5 working days → due at the end of Friday 4 Dec.
  v1::Project p = Create("r1", v1::PROJECT_TYPE_RESIDENTIAL);
  clock_.Set(Local(2026, 12, 5));
  Sweep();
  EXPECT_EQ(Metric("gridserve_sla_total", {{"sla", "project_time_limit"}, {"outcome", "breached"}}), 0);
  clock_.Advance(absl::Microseconds(1));
  Sweep();
  EXPECT_EQ(Metric("gridserve_sla_total", {{"sla", "project_time_limit"}, {"outcome", "breached"}}), 1);
  v1::Project now = Get(p.project_id());
  EXPECT_EQ(Sla(now, "project_time_limit")->state(), v1::SLA_STATUS_BREACHED);
  // Both CN-1 clocks expired (guidance on Wednesday, the whole process now).
  EXPECT_EQ(Metric("gridserve_norm_breaches_total", {{"rule", "CN-1"}, {"department", "business-expansion"}}), 2);
}

TEST_F(AdapterTest, Cn5ReinspectionClockBreachesWhenTheNoticeIsNotFollowedUp) {
  v1::Project p = Create("r1", v1::PROJECT_TYPE_RESIDENTIAL);
  v1::AdvanceStageRequest advance;
  advance.set_request_id("s1");
  advance.set_project_id(p.project_id());
  advance.set_to_stage(v1::PROJECT_STAGE_INSPECTION);
  *advance.mutable_advanced_at() = ToProto(kFriday);
  v1::AdvanceStageResponse advanced;
  advanced = CallAndRetry(&v1::Construction::Stub::AdvanceStage, advance);
  const v1::RecordInspectionRequest req = FailedInspection("i1", p.project_id());
  v1::RecordInspectionResponse resp;
  resp = CallAndRetry(&v1::Construction::Stub::RecordInspection, req);
  clock_.Set(Local(2026, 12, 12) + absl::Microseconds(1));
  Sweep();
  EXPECT_EQ(Metric("gridserve_sla_total", {{"sla", "reinspection"}, {"outcome", "breached"}}), 1);
  EXPECT_EQ(Metric("gridserve_norm_breaches_total", {{"rule", "CN-5"}, {"department", "business-expansion"}}), 1);
  v1::Project now = Get(p.project_id());
  EXPECT_EQ(Sla(now, "reinspection")->state(), v1::SLA_STATUS_BREACHED);
  bool found = false;
  for (const auto& b : now.breaches()) found |= (b.rule() == "CN-5" && b.sla() == "reinspection");
  EXPECT_TRUE(found);
}

// Retries of steps that record a breach (CN-3 at design approval without a
// plan) or start a clock (CN-5 re-inspection) do nothing twice.
TEST_F(AdapterTest, RetriedStepsRecordTheirBreachesAndClocksOnce) {
  v1::Project p = Create("r1", v1::PROJECT_TYPE_HIGH_VOLTAGE_SINGLE);
  const auto advance_to = [&](const std::string& request_id, v1::ProjectStage stage) {
    v1::AdvanceStageRequest advance;
    advance.set_request_id(request_id);
    advance.set_project_id(p.project_id());
    advance.set_to_stage(stage);
    *advance.mutable_advanced_at() = ToProto(kFriday);
    return CallAndRetry(&v1::Construction::Stub::AdvanceStage, advance);
  };
  advance_to("s1", v1::PROJECT_STAGE_SURVEY);
  const v1::AdvanceStageResponse approval = advance_to("s2", v1::PROJECT_STAGE_DESIGN_APPROVAL);
  bool cn3 = false;
  for (const auto& b : approval.project().breaches()) cn3 |= b.rule() == "CN-3";
  EXPECT_TRUE(cn3);
  advance_to("s3", v1::PROJECT_STAGE_CONSTRUCTION);
  advance_to("s4", v1::PROJECT_STAGE_INSPECTION);

  const v1::RecordInspectionRequest req = FailedInspection("i1", p.project_id());
  CallAndRetry(&v1::Construction::Stub::RecordInspection, req);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM sla_timers WHERE sla = 'reinspection'"), 1);
  EXPECT_EQ(Metric("gridserve_norm_breaches_total", {{"rule", "CN-3"}, {"department", "business-expansion"}}), 1);
}

// The steps of a project not retried elsewhere, each retried with its
// request id: the same answer, nothing written twice.
TEST_F(AdapterTest, EveryStepOfAProjectRetriedChangesNothing) {
  const v1::Project p = Create("create", v1::PROJECT_TYPE_LOW_VOLTAGE_NON_RESIDENTIAL);
  // A request in text format about this project ($0) and, where given, an
  // appointment, work session or damage ($1).
  const auto request = [&](const std::string& text, const std::string& id = "") {
    return absl::Substitute(text, p.project_id(), id);
  };
  // An event happens at the server's now; planned times may lie ahead.
  const auto at = [&](absl::Duration after) {
    clock_.Set(kFriday + after);
    return ToProto(kFriday + after);
  };
  auto plan = Parse<v1::RecordCoordinatedPlanRequest>(request(R"pb(
    request_id: "plan" project_id: "$0" description: "meter room beside the ring main unit"
    no_duplicate_building: true customer_agreed: true planned_by { staff_id: "S-1" })pb"));
  *plan.mutable_planned_at() = at(absl::Hours(1));
  CallAndRetry(&v1::Construction::Stub::RecordCoordinatedPlan, plan);

  // CN-2, CN-7: an agreed appointment, its safety checklist, the work itself.
  auto schedule = Parse<v1::ScheduleAppointmentRequest>(request(R"pb(
    request_id: "schedule" project_id: "$0" work_content: "meter installation" place: "basement meter room"
    cooperation_requested: true)pb"));
  *schedule.mutable_starts_at() = ToProto(kFriday + absl::Hours(2));
  *schedule.mutable_ends_at() = ToProto(kFriday + absl::Hours(6));
  const std::string appointment =
      CallAndRetry(&v1::Construction::Stub::ScheduleAppointment, schedule).appointment().appointment_id();
  auto confirm = Parse<v1::ConfirmAppointmentRequest>(request(R"pb(
    request_id: "confirm" project_id: "$0" appointment_id: "$1"
    confirmed_by { name: "Customer" phone: "13800000000" })pb", appointment));
  *confirm.mutable_confirmed_at() = at(absl::Hours(2));
  CallAndRetry(&v1::Construction::Stub::ConfirmAppointment, confirm);
  auto checklist = Parse<v1::RecordSafetyChecklistRequest>(request(R"pb(
    request_id: "checklist" project_id: "$0" appointment_id: "$1"
    contractor_sign: true safety_sign: true courtesy_sign: true
    measures { items { item: "barrier" done: true } } recorded_by { staff_id: "S-1" })pb", appointment));
  *checklist.mutable_recorded_at() = at(absl::Hours(3));
  CallAndRetry(&v1::Construction::Stub::RecordSafetyChecklist, checklist);
  auto start = Parse<v1::StartSiteWorkRequest>(
      request(R"pb(request_id: "start" project_id: "$0" appointment_id: "$1")pb", appointment));
  *start.mutable_started_at() = at(absl::Hours(3));
  const std::string session =
      CallAndRetry(&v1::Construction::Stub::StartSiteWork, start).work_session().work_session_id();
  auto end = Parse<v1::EndSiteWorkRequest>(
      request(R"pb(request_id: "end" project_id: "$0" work_session_id: "$1")pb", session));
  *end.mutable_ended_at() = at(absl::Hours(5));
  CallAndRetry(&v1::Construction::Stub::EndSiteWork, end);

  // CN-6: a damage, its remedy, the customer's confirmation.
  auto damage = Parse<v1::RecordDamageRequest>(request(
      R"pb(request_id: "damage" project_id: "$0" description: "garden fence bent" reported_by { staff_id: "S-1" })pb"));
  *damage.mutable_discovered_at() = at(absl::Hours(5));
  const std::string damage_id = CallAndRetry(&v1::Construction::Stub::RecordDamage, damage).damage().damage_id();
  auto remedy = Parse<v1::RecordDamageRemedyRequest>(request(R"pb(
    request_id: "remedy" project_id: "$0" damage_id: "$1" kind: REMEDY_KIND_RESTORED
    description: "fence straightened" remedied_by { staff_id: "S-1" })pb", damage_id));
  *remedy.mutable_remedied_at() = at(absl::Hours(6));
  CallAndRetry(&v1::Construction::Stub::RecordDamageRemedy, remedy);
  auto satisfied = Parse<v1::ConfirmDamageRemedyRequest>(request(
      R"pb(request_id: "satisfied" project_id: "$0" damage_id: "$1" customer_satisfied: true)pb", damage_id));
  *satisfied.mutable_confirmed_at() = at(absl::Hours(7));
  CallAndRetry(&v1::Construction::Stub::ConfirmDamageRemedy, satisfied);

  // CN-4, CN-8: the customer's feedback on the site.
  auto feedback = Parse<v1::RecordSiteFeedbackRequest>(request(R"pb(
    request_id: "feedback" project_id: "$0" feedback { satisfaction: 5 }
    site_rules_respected: true local_customs_respected: true)pb"));
  *feedback.mutable_feedback()->mutable_collected_at() = at(absl::Hours(8));
  CallAndRetry(&v1::Construction::Stub::RecordSiteFeedback, feedback);
}

TEST_F(AdapterTest, UnknownProjectIsNotFound) {
  v1::RecordDamageRequest req;
  req.set_request_id("d1");
  req.set_project_id("PRJ-nope");
  req.set_description("fence");
  *req.mutable_discovered_at() = ToProto(kFriday);
  v1::RecordDamageResponse resp;
  EXPECT_EQ(Call(&v1::Construction::Stub::RecordDamage, req, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::GetProjectRequest get;
  get.set_project_id("PRJ-nope");
  v1::GetProjectResponse got;
  EXPECT_EQ(Call(&v1::Construction::Stub::GetProject, get, &got).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(AdapterTest, Cn2GateRefusesThenForcedStartIsABreachRecordedOnce) {
  v1::Project p = Create("r1", v1::PROJECT_TYPE_LOW_VOLTAGE_NON_RESIDENTIAL);
  v1::ScheduleAppointmentRequest schedule;
  schedule.set_request_id("a1");
  schedule.set_project_id(p.project_id());
  schedule.set_work_content("meter installation");
  schedule.set_place("basement meter room");
  *schedule.mutable_starts_at() = ToProto(kFriday);
  *schedule.mutable_ends_at() = ToProto(kFriday + absl::Hours(4));
  v1::ScheduleAppointmentResponse scheduled;
  scheduled = CallAndRetry(&v1::Construction::Stub::ScheduleAppointment, schedule);
  EXPECT_EQ(scheduled.appointment().state(), v1::SITE_APPOINTMENT_STATE_PROPOSED);

  v1::StartSiteWorkRequest start;
  start.set_request_id("w1");
  start.set_project_id(p.project_id());
  start.set_appointment_id(scheduled.appointment().appointment_id());
  *start.mutable_started_at() = ToProto(kFriday);
  v1::StartSiteWorkResponse started;
  grpc::Status refused = Call(&v1::Construction::Stub::StartSiteWork, start, &started);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(refused.error_message(), ::testing::StartsWith("CN-2:"));
  EXPECT_EQ(Metric("gridserve_construction_gate_refusals_total", {{"rule", "CN-2"}}), 1);

  start.set_request_id("w2");
  start.set_force(true);
  EXPECT_THAT(Fields(Call(&v1::Construction::Stub::StartSiteWork, start, &started)),
              ::testing::ElementsAre("force_reason"));
  start.set_request_id("w3");
  start.set_force_reason("customer's supply at risk");
  started = CallAndRetry(&v1::Construction::Stub::StartSiteWork, start);
  v1::StartSiteWorkResponse again;
  again = CallAndRetry(&v1::Construction::Stub::StartSiteWork, start);
  EXPECT_EQ(again.work_session().work_session_id(), started.work_session().work_session_id());
  EXPECT_TRUE(started.work_session().forced());
  ASSERT_EQ(started.project().breaches_size(), 1);
  EXPECT_EQ(started.project().breaches(0).rule(), "CN-2");
  EXPECT_TRUE(started.project().breaches(0).forced());
  EXPECT_EQ(Metric("gridserve_norm_breaches_total", {{"rule", "CN-2"}, {"department", "business-expansion"}}), 1);
  EXPECT_EQ(Get(p.project_id()).work_sessions_size(), 1);

  // Emergency work without an appointment that impedes traffic: no checklist
  // could exist, so CN-7 is breached besides CN-2.
  v1::StartSiteWorkRequest emergency;
  emergency.set_request_id("w4");
  emergency.set_project_id(p.project_id());
  *emergency.mutable_started_at() = ToProto(kFriday);
  emergency.set_force(true);
  emergency.set_force_reason("cable fault endangering the public");
  emergency.set_traffic_affecting(true);
  const grpc::Status emergency_started = Call(&v1::Construction::Stub::StartSiteWork, emergency, &started);
  ASSERT_TRUE(emergency_started.ok()) << emergency_started.error_message();
  EXPECT_TRUE(started.work_session().traffic_affecting());
  EXPECT_EQ(Metric("gridserve_norm_breaches_total", {{"rule", "CN-7"}, {"department", "business-expansion"}}), 1);
  EXPECT_EQ(Metric("gridserve_norm_breaches_total", {{"rule", "CN-2"}, {"department", "business-expansion"}}), 2);
}

TEST_F(AdapterTest, Cn5FailedInspectionWithoutNoticeIsInvalid) {
  v1::Project p = Create("r1", v1::PROJECT_TYPE_RESIDENTIAL);
  v1::AdvanceStageRequest advance;
  advance.set_request_id("s1");
  advance.set_project_id(p.project_id());
  advance.set_to_stage(v1::PROJECT_STAGE_INSPECTION);
  *advance.mutable_advanced_at() = ToProto(kFriday);
  v1::AdvanceStageResponse advanced;
  advanced = CallAndRetry(&v1::Construction::Stub::AdvanceStage, advance);

  v1::RecordInspectionRequest req;
  req.set_request_id("i1");
  req.set_project_id(p.project_id());
  req.set_result(v1::INSPECTION_RESULT_FAILED);
  *req.mutable_inspected_at() = ToProto(kFriday);
  v1::RecordInspectionResponse resp;
  grpc::Status s = Call(&v1::Construction::Stub::RecordInspection, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(s), ::testing::UnorderedElementsAre("notice.items", "notice.text", "notice.delivered_at"));

  req.mutable_notice()->add_items("cable trench too shallow");
  req.mutable_notice()->set_text("Deepen the trench to 0.7 m.");
  req.mutable_notice()->set_explained(true);
  *req.mutable_notice()->mutable_delivered_at() = ToProto(kFriday);
  resp = CallAndRetry(&v1::Construction::Stub::RecordInspection, req);
  const v1::SlaState* reinspection = Sla(resp.project(), "reinspection");
  ASSERT_NE(reinspection, nullptr);
  EXPECT_EQ(reinspection->clause(), "CN-5");
  EXPECT_EQ(FromProto(reinspection->due_at()), Local(2026, 12, 12));

  advance.set_request_id("s2");
  advance.set_to_stage(v1::PROJECT_STAGE_CONNECTION);
  grpc::Status gate = Call(&v1::Construction::Stub::AdvanceStage, advance, &advanced);
  EXPECT_EQ(gate.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(gate.error_message(), ::testing::StartsWith("CN-5:"));
}

TEST_F(AdapterTest, WithdrawalCancelsClocksSoNothingBreaches) {
  v1::Project p = Create("r1", v1::PROJECT_TYPE_RESIDENTIAL);
  v1::AdvanceStageRequest cancel;
  cancel.set_request_id("c1");
  cancel.set_project_id(p.project_id());
  cancel.set_to_stage(v1::PROJECT_STAGE_CANCELLED);
  *cancel.mutable_advanced_at() = ToProto(kFriday);
  v1::AdvanceStageResponse resp;
  resp = CallAndRetry(&v1::Construction::Stub::AdvanceStage, cancel);
  EXPECT_EQ(Sla(resp.project(), "first_guidance")->state(), v1::SLA_STATUS_CANCELLED);
  EXPECT_EQ(Sla(resp.project(), "project_time_limit")->state(), v1::SLA_STATUS_CANCELLED);
  clock_.Advance(absl::Hours(24 * 30));
  Sweep();
  EXPECT_EQ(Get(p.project_id()).breaches_size(), 0);
}

// Withdrawn after the first-guidance limit (end of Tuesday) but before the
// sweep ran: CN-1 stays breached; the project's time limit (Friday) had not
// passed, so that clock is withdrawn.
TEST_F(AdapterTest, WithdrawalAfterADueTimeKeepsThatBreach) {
  v1::Project p = Create("r1", v1::PROJECT_TYPE_RESIDENTIAL);
  clock_.Set(kFriday + absl::Hours(24 * 5));  // Wednesday 10:00
  v1::AdvanceStageRequest cancel;
  cancel.set_request_id("c1");
  cancel.set_project_id(p.project_id());
  cancel.set_to_stage(v1::PROJECT_STAGE_CANCELLED);
  *cancel.mutable_advanced_at() = ToProto(clock_.Now());
  v1::AdvanceStageResponse resp;
  resp = CallAndRetry(&v1::Construction::Stub::AdvanceStage, cancel);
  EXPECT_EQ(Sla(resp.project(), "first_guidance")->state(), v1::SLA_STATUS_BREACHED);
  EXPECT_EQ(Sla(resp.project(), "project_time_limit")->state(), v1::SLA_STATUS_CANCELLED);
  clock_.Advance(absl::Hours(24 * 30));
  Sweep();
  const v1::Project stored = Get(p.project_id());
  ASSERT_EQ(stored.breaches_size(), 1);
  EXPECT_EQ(stored.breaches(0).rule(), "CN-1");
}

// CN-1: a project completed before its first-guidance due time with no
// contact recorded ends that clock with it (withdrawn: nothing is left to
// guide, and the promise was not yet broken): it is no longer open, listed as
// due or counted, and never breaches after completion. A contact made before
// completion but synced after it is still recorded; one dated after the
// completion is refused.
TEST_F(AdapterTest, Cn1CompletionEndsAFirstGuidanceClockStillRunning) {
  const v1::Project p = Create("r1", v1::PROJECT_TYPE_RESIDENTIAL);  // first guidance due Wednesday 2 Dec 00:00
  const absl::Time completed_at = Local(2026, 11, 30, 10);
  clock_.Set(completed_at);
  v1::CompleteProjectResponse completed;
  ASSERT_TRUE(CompleteResidential(*stub_, p.project_id(), completed_at, &completed).ok());
  EXPECT_EQ(Sla(completed.project(), "first_guidance")->state(), v1::SLA_STATUS_CANCELLED);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM sla_timers WHERE state = 'open'"), 0);
  v1::ListProjectsRequest due;
  *due.mutable_due_before() = ToProto(Local(2027, 1, 1));
  v1::ListProjectsResponse listed;
  ASSERT_TRUE(Call(&v1::Construction::Stub::ListProjects, due, &listed).ok());
  EXPECT_EQ(listed.projects_size(), 0);

  clock_.Set(Local(2026, 12, 3, 12));
  const v1::RecordGuidanceContactResponse synced = CallAndRetry(
      &v1::Construction::Stub::RecordGuidanceContact, GuidanceContact("g-synced", p.project_id(), Local(2026, 11, 28, 9)));
  EXPECT_EQ(synced.project().guidance_contacts_size(), 1);
  EXPECT_EQ(Sla(synced.project(), "first_guidance")->state(), v1::SLA_STATUS_CANCELLED);
  v1::RecordGuidanceContactResponse refused;
  const grpc::Status after = Call(&v1::Construction::Stub::RecordGuidanceContact,
                                  GuidanceContact("g-after", p.project_id(), completed_at + absl::Minutes(1)), &refused);
  EXPECT_EQ(after.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(after.error_message(), ::testing::StartsWith("PROJECT_STATE:"));

  clock_.Advance(absl::Hours(24 * 30));
  Sweep();
  EXPECT_EQ(Get(p.project_id()).breaches_size(), 0);
  EXPECT_EQ(Metric("gridserve_norm_breaches_total", {{"rule", "CN-1"}, {"department", "business-expansion"}}), 0);
}

// CN-1: completed after the first-guidance due time with no contact recorded
// (the sweep had not run yet): the breach is recorded at completion, dated at
// the due time. An on-time contact synced afterwards is a late fact: the
// breach stands (risk's ledger is append-only) and is counted for an auditor.
TEST_F(AdapterTest, Cn1CompletionAfterTheDueTimeKeepsTheBreachAndTakesALateSyncedContact) {
  const v1::Project p = Create("r1", v1::PROJECT_TYPE_RESIDENTIAL);
  const absl::Time completed_at = Local(2026, 12, 3, 10);
  clock_.Set(completed_at);
  v1::CompleteProjectResponse completed;
  ASSERT_TRUE(CompleteResidential(*stub_, p.project_id(), completed_at, &completed).ok());
  EXPECT_EQ(Sla(completed.project(), "first_guidance")->state(), v1::SLA_STATUS_BREACHED);
  EXPECT_EQ(FromProto(Sla(completed.project(), "first_guidance")->breached_at()), Local(2026, 12, 2));
  EXPECT_EQ(Metric("gridserve_norm_breaches_total", {{"rule", "CN-1"}, {"department", "business-expansion"}}), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM sla_timers WHERE state = 'open'"), 0);

  CallAndRetry(&v1::Construction::Stub::RecordGuidanceContact,
               GuidanceContact("g-on-time", p.project_id(), Local(2026, 11, 30, 10)));
  EXPECT_EQ(Metric("gridserve_sla_late_facts_total", {{"sla", "first_guidance"}}), 1);
  EXPECT_EQ(Metric("gridserve_norm_breaches_total", {{"rule", "CN-1"}, {"department", "business-expansion"}}), 1);
  Sweep();
  EXPECT_EQ(Get(p.project_id()).breaches_size(), 1);
}

// CN-6 outlives the works: a damage found after completion (or withdrawal) is
// recorded and remedied; the project keeps its stage, ListProjects finds it by
// open_damage_only and the open-damage gauge counts it under its stage until
// the customer confirms the remedy.
TEST_F(AdapterTest, Cn6ADamageFoundAfterTheProjectEndedIsOwedAndCounted) {
  const v1::Project p = Create("r1", v1::PROJECT_TYPE_RESIDENTIAL);
  const v1::Project withdrawn = Create("r2", v1::PROJECT_TYPE_RESIDENTIAL);
  clock_.Set(kFriday + absl::Hours(1));
  v1::CompleteProjectResponse completed;
  ASSERT_TRUE(CompleteResidential(*stub_, p.project_id(), kFriday + absl::Hours(1), &completed).ok());
  v1::AdvanceStageRequest cancel;
  cancel.set_request_id("cancel");
  cancel.set_project_id(withdrawn.project_id());
  cancel.set_to_stage(v1::PROJECT_STAGE_CANCELLED);
  *cancel.mutable_advanced_at() = ToProto(kFriday + absl::Hours(1));
  CallAndRetry(&v1::Construction::Stub::AdvanceStage, cancel);
  clock_.Set(kFriday + absl::Hours(24 * 7));
  auto damage = [&](const std::string& project_id) {
    v1::RecordDamageRequest req;
    req.set_request_id("damage/" + project_id);
    req.set_project_id(project_id);
    req.set_description("garden fence bent, found by the customer a week later");
    *req.mutable_discovered_at() = ToProto(clock_.Now());
    return CallAndRetry(&v1::Construction::Stub::RecordDamage, req);
  };
  const v1::RecordDamageResponse found = damage(p.project_id());
  EXPECT_EQ(found.project().stage(), v1::PROJECT_STAGE_COMPLETED);
  EXPECT_EQ(found.damage().state(), v1::DAMAGE_STATE_OPEN);
  damage(withdrawn.project_id());
  v1::ListProjectsRequest owing;
  owing.set_open_damage_only(true);
  v1::ListProjectsResponse listed;
  ASSERT_TRUE(Call(&v1::Construction::Stub::ListProjects, owing, &listed).ok());
  EXPECT_EQ(listed.projects_size(), 2);
  ASSERT_TRUE(harness_->RefreshDomainGauges().ok());
  EXPECT_EQ(Metric("gridserve_construction_open_damages", {{"stage", "completed"}}), 1);
  EXPECT_EQ(Metric("gridserve_construction_open_damages", {{"stage", "cancelled"}}), 1);
  EXPECT_EQ(Metric("gridserve_construction_open_damages", {{"stage", "application"}}), 0);

  v1::RecordDamageRemedyRequest remedy;
  remedy.set_request_id("remedy");
  remedy.set_project_id(p.project_id());
  remedy.set_damage_id(found.damage().damage_id());
  remedy.set_kind(v1::REMEDY_KIND_RESTORED);
  remedy.set_description("fence straightened");
  *remedy.mutable_remedied_at() = ToProto(clock_.Now());
  CallAndRetry(&v1::Construction::Stub::RecordDamageRemedy, remedy);
  v1::ConfirmDamageRemedyRequest satisfied;
  satisfied.set_request_id("satisfied");
  satisfied.set_project_id(p.project_id());
  satisfied.set_damage_id(found.damage().damage_id());
  satisfied.set_customer_satisfied(true);
  *satisfied.mutable_confirmed_at() = ToProto(clock_.Now());
  CallAndRetry(&v1::Construction::Stub::ConfirmDamageRemedy, satisfied);
  ASSERT_TRUE(harness_->RefreshDomainGauges().ok());
  EXPECT_EQ(Metric("gridserve_construction_open_damages", {{"stage", "completed"}}), 0);
  EXPECT_EQ(Metric("gridserve_construction_open_damages", {{"stage", "cancelled"}}), 1);
}

TEST_F(AdapterTest, Rk5ReportGoesToRiskThroughTheOutboxOnce) {
  v1::Project p = Create("r1", v1::PROJECT_TYPE_HIGH_VOLTAGE_SINGLE);
  v1::ReportDesignatedSupplierPressureRequest req;
  req.set_request_id("rk1");
  req.set_project_id(p.project_id());
  req.set_supplier_kind(v1::SUPPLIER_KIND_EQUIPMENT);
  req.set_description("only brand X transformers accepted");
  req.mutable_accused_staff()->set_staff_id("S-13");
  *req.mutable_reported_at() = ToProto(kFriday);
  v1::ReportDesignatedSupplierPressureResponse resp, retried;
  ASSERT_TRUE(Call(&v1::Construction::Stub::ReportDesignatedSupplierPressure, req, &resp).ok());
  ASSERT_TRUE(Call(&v1::Construction::Stub::ReportDesignatedSupplierPressure, req, &retried).ok());
  EXPECT_EQ(retried.SerializeAsString(), resp.SerializeAsString());  // the same answer, and one report below
  EXPECT_FALSE(resp.report().forwarded_to_risk());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM outbox WHERE topic = 'risk.redline'"), 1);

  std::vector<v1::ReportRedLineRequest> delivered;
  outbox_.RegisterHandler(kTopicRiskRedLine, [&](const OutboxMessage& m) {
    v1::ReportRedLineRequest r;
    EXPECT_TRUE(r.ParseFromString(m.payload));
    EXPECT_EQ(m.message_id, r.request_id());
    delivered.push_back(r);
    return absl::OkStatus();
  });
  ASSERT_TRUE(outbox_.DeliverDue().ok());
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(delivered[0].rule(), "RK-5");
  EXPECT_EQ(delivered[0].source(), v1::RED_LINE_SOURCE_CONSTRUCTION);
  EXPECT_EQ(delivered[0].request_id(), "construction/RK-5/" + resp.report().report_id());
  EXPECT_TRUE(Get(p.project_id()).supplier_pressure_reports(0).forwarded_to_risk());
}

TEST_F(AdapterTest, ListProjectsFiltersAndPages) {
  const std::string a = Create("r1", v1::PROJECT_TYPE_RESIDENTIAL).project_id();
  const std::string b = Create("r2", v1::PROJECT_TYPE_HIGH_VOLTAGE_DUAL, kFriday + absl::Minutes(1), "operations").project_id();
  const std::string c = Create("r3", v1::PROJECT_TYPE_HIGH_VOLTAGE_DUAL, kFriday + absl::Minutes(2)).project_id();
  auto list = [&](v1::ListProjectsRequest req) {
    v1::ListProjectsResponse resp;
    EXPECT_TRUE(Call(&v1::Construction::Stub::ListProjects, req, &resp).ok());
    std::vector<std::string> ids;
    for (const auto& p : resp.projects()) ids.push_back(p.project_id());
    return std::make_pair(ids, resp.next_page_token());
  };
  v1::ListProjectsRequest by_type;
  by_type.set_project_type(v1::PROJECT_TYPE_HIGH_VOLTAGE_DUAL);
  EXPECT_THAT(list(by_type).first, ::testing::ElementsAre(b, c));
  v1::ListProjectsRequest by_department;
  by_department.set_department("operations");
  EXPECT_THAT(list(by_department).first, ::testing::ElementsAre(b));
  v1::ListProjectsRequest by_stage;
  by_stage.set_stage(v1::PROJECT_STAGE_SURVEY);
  EXPECT_TRUE(list(by_stage).first.empty());
  // Due before the residential project's first-guidance due + 1 µs: only clocks due by then.
  v1::ListProjectsRequest due;
  *due.mutable_due_before() = ToProto(Local(2026, 12, 2) + absl::Microseconds(1));
  EXPECT_THAT(list(due).first, ::testing::UnorderedElementsAre(a, b, c));  // first_guidance of all three
  *due.mutable_due_before() = ToProto(Local(2026, 12, 2));
  EXPECT_TRUE(list(due).first.empty());

  v1::ListProjectsRequest page;
  page.set_page_size(2);
  auto first = list(page);
  EXPECT_THAT(first.first, ::testing::ElementsAre(a, b));
  ASSERT_FALSE(first.second.empty());
  page.set_page_token(first.second);
  auto second = list(page);
  EXPECT_THAT(second.first, ::testing::ElementsAre(c));
  EXPECT_TRUE(second.second.empty());

  page.set_page_token("garbage");
  v1::ListProjectsResponse resp;
  grpc::Status bad = Call(&v1::Construction::Stub::ListProjects, page, &resp);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(bad), ::testing::ElementsAre("page_token"));

  // A backward range is the client's mistake (it used to list nothing), as in every service.
  v1::ListProjectsRequest backward;
  *backward.mutable_time_range()->mutable_start() = ToProto(kFriday + absl::Minutes(2));
  *backward.mutable_time_range()->mutable_end() = ToProto(kFriday);
  bad = Call(&v1::Construction::Stub::ListProjects, backward, &resp);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(bad), ::testing::ElementsAre("time_range"));
}

TEST_F(AdapterTest, WatchBreachesStreamsTheCn3Check) {
  v1::ConstructionWatchBreachesRequest bad;
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
  v1::Project p = Create("r1", v1::PROJECT_TYPE_HIGH_VOLTAGE_SINGLE);
  for (auto [rid, stage] : {std::make_pair("s1", v1::PROJECT_STAGE_SURVEY),
                            std::make_pair("s2", v1::PROJECT_STAGE_DESIGN_APPROVAL)}) {
    v1::AdvanceStageRequest advance;
    advance.set_request_id(rid);
    advance.set_project_id(p.project_id());
    advance.set_to_stage(stage);
    *advance.mutable_advanced_at() = ToProto(kFriday);
    v1::AdvanceStageResponse resp;
    resp = CallAndRetry(&v1::Construction::Stub::AdvanceStage, advance);
  }
  v1::ConstructionWatchBreachesRequest req;
  req.set_rule("CN-3");
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto reader = stub_->WatchBreaches(&ctx, req);
  v1::BreachEvent event;
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.sequence(), 1);
  EXPECT_EQ(event.breach().rule(), "CN-3");
  EXPECT_EQ(event.breach().subject(), "project/" + p.project_id());
  ctx.TryCancel();
  reader->Finish();
}

TEST_F(AdapterTest, MetricsExistAtZeroWithBucketsAtEachLimit) {
  for (const char* type : {"residential", "low_voltage_non_residential", "high_voltage_single", "high_voltage_dual"}) {
    for (double le : {5.0, 6.0, 22.0, 32.0}) {
      EXPECT_EQ(Metric("gridserve_construction_project_workdays", {{"project_type", type}}, le), 0)
          << type << " " << le;
    }
    EXPECT_EQ(Metric("gridserve_construction_projects", {{"stage", "application"}, {"project_type", type}}), 0);
  }
  for (const char* sla : {"first_guidance", "project_time_limit", "reinspection"}) {
    EXPECT_EQ(Metric("gridserve_sla_total", {{"sla", sla}, {"outcome", "breached"}}), 0) << sla;
  }
  for (const char* rule : {"CN-1", "CN-2", "CN-3", "CN-4", "CN-5", "CN-6", "CN-7", "CN-8"}) {
    EXPECT_EQ(Metric("gridserve_norm_breaches_total", {{"rule", rule}, {"department", "other"}}), 0) << rule;
  }
  Create("r1", v1::PROJECT_TYPE_RESIDENTIAL);
  ASSERT_TRUE(harness_->RefreshDomainGauges().ok());
  EXPECT_EQ(Metric("gridserve_construction_projects", {{"stage", "application"}, {"project_type", "residential"}}), 1);
}

TEST_F(AdapterTest, CompletionObservesTheDurationInWorkingDays) {
  v1::Project p = Create("r1", v1::PROJECT_TYPE_RESIDENTIAL);
  clock_.Set(Local(2026, 12, 4, 16));  // the following Friday: 5 working days
  int n = 0;
  for (auto stage : {v1::PROJECT_STAGE_INSPECTION}) {
    v1::AdvanceStageRequest advance;
    advance.set_request_id("s" + std::to_string(++n));
    advance.set_project_id(p.project_id());
    advance.set_to_stage(stage);
    *advance.mutable_advanced_at() = ToProto(clock_.Now());
    v1::AdvanceStageResponse resp;
    resp = CallAndRetry(&v1::Construction::Stub::AdvanceStage, advance);
  }
  v1::RecordInspectionRequest inspection;
  inspection.set_request_id("i1");
  inspection.set_project_id(p.project_id());
  inspection.set_result(v1::INSPECTION_RESULT_PASSED);
  *inspection.mutable_inspected_at() = ToProto(clock_.Now());
  v1::RecordInspectionResponse inspected;
  inspected = CallAndRetry(&v1::Construction::Stub::RecordInspection, inspection);
  v1::AdvanceStageRequest connect;
  connect.set_request_id("s9");
  connect.set_project_id(p.project_id());
  connect.set_to_stage(v1::PROJECT_STAGE_CONNECTION);
  *connect.mutable_advanced_at() = ToProto(clock_.Now());
  v1::AdvanceStageResponse connected;
  connected = CallAndRetry(&v1::Construction::Stub::AdvanceStage, connect);

  v1::CompleteProjectRequest complete;
  complete.set_request_id("done");
  complete.set_project_id(p.project_id());
  for (const char* item : {"site_cleaned", "no_residue"}) {
    auto* i = complete.mutable_checklist()->add_items();
    i->set_item(item);
    i->set_done(true);
  }
  *complete.mutable_completed_at() = ToProto(clock_.Now());
  v1::CompleteProjectResponse resp;
  grpc::Status missing = Call(&v1::Construction::Stub::CompleteProject, complete, &resp);
  EXPECT_THAT(Fields(missing), ::testing::ElementsAre("contact_number_left"));
  complete.set_contact_number_left("95598");  // CN-8: the department's own number, not the hotline
  EXPECT_THAT(Fields(Call(&v1::Construction::Stub::CompleteProject, complete, &resp)),
              ::testing::ElementsAre("contact_number_left"));
  complete.set_contact_number_left("0571-95598");
  grpc::Status no_feedback = Call(&v1::Construction::Stub::CompleteProject, complete, &resp);
  EXPECT_EQ(no_feedback.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(no_feedback.error_message(), ::testing::StartsWith("CN-8:"));
  complete.mutable_feedback()->set_satisfaction(9);
  *complete.mutable_feedback()->mutable_collected_at() = ToProto(clock_.Now());
  EXPECT_THAT(Fields(Call(&v1::Construction::Stub::CompleteProject, complete, &resp)),
              ::testing::ElementsAre("feedback.satisfaction"));
  complete.mutable_feedback()->set_satisfaction(5);
  resp = CallAndRetry(&v1::Construction::Stub::CompleteProject, complete);
  EXPECT_EQ(resp.project().stage(), v1::PROJECT_STAGE_COMPLETED);
  EXPECT_EQ(Sla(resp.project(), "project_time_limit")->state(), v1::SLA_STATUS_MET);
  EXPECT_EQ(Metric("gridserve_construction_project_workdays", {{"project_type", "residential"}}, 5.0), 1);
  EXPECT_EQ(Metric("gridserve_construction_project_workdays", {{"project_type", "residential"}}, 4.0), 0);
}

// A project completed before completion ended its clocks (its CN-1 first
// guidance left running) is repaired when the service starts: the clock ends
// as the completion would have ended it.
TEST(ConstructionUpgradeTest, StartUpEndsTheClocksLeftRunningOnCompletedProjects) {
  const std::string url = "sqlite://" + ::gridserve::testing::TempDbPath("construction_ended_clocks");
  ::gridserve::testing::InProcessService::Options options;
  options.start = kFriday + absl::Hours(1);
  options.database_url = url;
  std::string project_id;
  {
    auto service = ::gridserve::testing::InProcessService::Start(ConstructionSpec(), options);
    ASSERT_TRUE(service.ok()) << service.status();
    auto stub = v1::Construction::NewStub((*service)->channel());
    v1::CreateProjectRequest create;
    create.set_request_id("create");
    create.set_project_type(v1::PROJECT_TYPE_RESIDENTIAL);
    create.mutable_customer()->set_name("Customer");
    create.mutable_customer()->set_phone("13800000000");
    create.mutable_site()->set_address("1 Road");
    create.set_department("business-expansion");
    *create.mutable_applied_at() = ToProto(kFriday);
    v1::CreateProjectResponse created;
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub->CreateProject(&ctx, create, &created).ok());
    project_id = created.project().project_id();
    v1::CompleteProjectResponse completed;
    ASSERT_TRUE(CompleteResidential(*stub, project_id, kFriday + absl::Hours(1), &completed).ok());
    // As the store was before: completion left the first-guidance clock open.
    ASSERT_TRUE((*service)->db().InTransaction([](Transaction& txn) {
                                  return txn
                                      .Execute("UPDATE sla_timers SET state = 'open', closed_at = NULL"
                                               " WHERE sla = 'first_guidance'")
                                      .status();
                                }).ok());
  }
  options.start = kFriday + absl::Hours(2);
  auto restarted = ::gridserve::testing::InProcessService::Start(ConstructionSpec(), options);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  auto stub = v1::Construction::NewStub((*restarted)->channel());
  v1::GetProjectRequest get;
  get.set_project_id(project_id);
  v1::GetProjectResponse got;
  grpc::ClientContext ctx;
  ASSERT_TRUE(stub->GetProject(&ctx, get, &got).ok());
  bool seen = false;
  for (const auto& sla : got.project().slas()) {
    if (sla.sla() != "first_guidance") continue;
    seen = true;
    EXPECT_EQ(sla.state(), v1::SLA_STATUS_CANCELLED);
    EXPECT_EQ(FromProto(sla.closed_at()), kFriday + absl::Hours(1));
  }
  EXPECT_TRUE(seen);
}

}  // namespace
}  // namespace gridserve::construction::testing
