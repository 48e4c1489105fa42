// The real gridserve-construction binary on free loopback ports: a
// high-voltage project from application to completion, with its gates and a
// CN-1 breach visible on /metrics.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <thread>

#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "gridserve/v1/construction.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/support/suite_process.h"

namespace gridserve::testing {
namespace {

using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp At(absl::Time t) { return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t)); }
google::protobuf::Timestamp Now() { return At(absl::Now()); }

class ConstructionE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // No risk service here: breaches and the outbox wait for it (retried), which
    // is what production does while a peer is down.
    process_ = std::make_unique<ServiceProcess>("construction", MakeWorkDir("construction-e2e"),
                                                std::vector<std::string>{"--risk_target=127.0.0.1:1"});
    ASSERT_TRUE(process_->Start()) << process_->Log();
    stub_ = v1::Construction::NewStub(
        grpc::CreateChannel(process_->grpc_address(), grpc::InsecureChannelCredentials()));
  }

  template <typename Req, typename Resp>
  grpc::Status Call(grpc::Status (v1::Construction::Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                    const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return (stub_.get()->*method)(&ctx, req, resp);
  }

  // Polls /metrics (the 1 s sweep and gauge loops) until the sample reaches `want`.
  double WaitForMetric(const std::string& name, const std::map<std::string, std::string>& labels, double want) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    double value = -1;
    while (absl::Now() < deadline) {
      value = MetricValue(HttpGet(process_->metrics_url()), name, labels);
      if (value == want) return value;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return value;
  }

  grpc::Status Advance(const std::string& id, v1::ProjectStage stage, v1::Project* out = nullptr) {
    v1::AdvanceStageRequest req;
    req.set_request_id("advance-" + v1::ProjectStage_Name(stage));
    req.set_project_id(id);
    req.set_to_stage(stage);
    req.mutable_staff()->set_staff_id("S-1");
    *req.mutable_advanced_at() = Now();
    v1::AdvanceStageResponse resp;
    grpc::Status s = Call(&v1::Construction::Stub::AdvanceStage, req, &resp);
    if (out != nullptr) *out = resp.project();
    return s;
  }

  static const v1::SlaState* Sla(const v1::Project& p, const std::string& name) {
    for (const auto& s : p.slas()) {
      if (s.sla() == name) return &s;
    }
    return nullptr;
  }

  std::unique_ptr<ServiceProcess> process_;
  std::unique_ptr<v1::Construction::Stub> stub_;
};

TEST_F(ConstructionE2eTest, HighVoltageProjectFromApplicationToCompletion) {
  const std::string metrics0 = HttpGet(process_->metrics_url());
  EXPECT_EQ(MetricValue(metrics0, "gridserve_sla_total", {{"sla", "first_guidance"}, {"outcome", "breached"}}), 0);
  EXPECT_EQ(MetricValue(metrics0, "gridserve_construction_project_workdays_bucket",
                        {{"project_type", "high_voltage_single"}, {"le", "22"}}),
            0);

  // 1. The application, imported a week late: the 2-working-day CN-1 guidance
  //    clock has already run out, so the sweep breaches it at once.
  v1::CreateProjectRequest create;
  create.set_request_id("create-1");
  create.set_project_type(v1::PROJECT_TYPE_HIGH_VOLTAGE_SINGLE);
  create.mutable_customer()->set_name("Factory");
  create.mutable_customer()->set_phone("13800000000");
  create.mutable_site()->set_address("8 Industrial Road");
  create.set_department("business-expansion");
  create.mutable_manager()->set_staff_id("S-1");
  create.set_requested_capacity_kva(800);
  *create.mutable_applied_at() = At(absl::Now() - absl::Hours(24 * 7));
  v1::CreateProjectResponse created;
  ASSERT_TRUE(Call(&v1::Construction::Stub::CreateProject, create, &created).ok());
  const std::string id = created.project().project_id();
  EXPECT_EQ(WaitForMetric("gridserve_sla_total", {{"sla", "first_guidance"}, {"outcome", "breached"}}, 1), 1);
  EXPECT_EQ(WaitForMetric("gridserve_norm_breaches_total", {{"rule", "CN-1"}, {"department", "business-expansion"}}, 1),
            1);

  v1::RecordGuidanceContactRequest guidance;
  guidance.set_request_id("guidance-1");
  guidance.set_project_id(id);
  guidance.mutable_staff()->set_staff_id("S-2");
  guidance.set_channel(v1::GUIDANCE_CHANNEL_ON_SITE);
  *guidance.mutable_contacted_at() = Now();
  v1::RecordGuidanceContactResponse guided;
  ASSERT_TRUE(Call(&v1::Construction::Stub::RecordGuidanceContact, guidance, &guided).ok());
  ASSERT_NE(Sla(guided.project(), "first_guidance"), nullptr);
  EXPECT_EQ(Sla(guided.project(), "first_guidance")->state(), v1::SLA_STATUS_BREACHED);

  // 2. CN-3: the coordinated plan before design approval.
  v1::RecordCoordinatedPlanRequest plan;
  plan.set_request_id("plan-1");
  plan.set_project_id(id);
  plan.set_description("customer's 10 kV room shares the supply works' cable trench");
  plan.set_no_duplicate_building(true);
  plan.set_customer_agreed(true);
  plan.mutable_planned_by()->set_staff_id("S-3");
  *plan.mutable_planned_at() = Now();
  v1::RecordCoordinatedPlanResponse planned;
  ASSERT_TRUE(Call(&v1::Construction::Stub::RecordCoordinatedPlan, plan, &planned).ok());
  ASSERT_TRUE(Advance(id, v1::PROJECT_STAGE_SURVEY).ok());
  ASSERT_TRUE(Advance(id, v1::PROJECT_STAGE_DESIGN_APPROVAL).ok());
  ASSERT_TRUE(Advance(id, v1::PROJECT_STAGE_CONSTRUCTION).ok());

  // 3. CN-2 / CN-7: no work without a confirmed appointment and the safety checklist.
  v1::ScheduleAppointmentRequest schedule;
  schedule.set_request_id("appointment-1");
  schedule.set_project_id(id);
  schedule.set_work_content("lay the 10 kV cable along the access road");
  schedule.set_place("access road to the distribution room");
  *schedule.mutable_starts_at() = At(absl::Now() - absl::Hours(1));
  *schedule.mutable_ends_at() = At(absl::Now() + absl::Hours(8));
  schedule.set_cooperation_requested(true);
  schedule.set_traffic_affecting(true);
  v1::ScheduleAppointmentResponse scheduled;
  ASSERT_TRUE(Call(&v1::Construction::Stub::ScheduleAppointment, schedule, &scheduled).ok());
  const std::string appointment = scheduled.appointment().appointment_id();

  v1::StartSiteWorkRequest start;
  start.set_request_id("start-1");
  start.set_project_id(id);
  start.set_appointment_id(appointment);
  start.add_crew()->set_staff_id("S-9");
  *start.mutable_started_at() = Now();
  v1::StartSiteWorkResponse started;
  grpc::Status refused = Call(&v1::Construction::Stub::StartSiteWork, start, &started);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(refused.error_message().rfind("CN-2:", 0), 0u) << refused.error_message();

  v1::ConfirmAppointmentRequest confirm;
  confirm.set_request_id("confirm-1");
  confirm.set_project_id(id);
  confirm.set_appointment_id(appointment);
  confirm.mutable_confirmed_by()->set_name("Site manager");
  *confirm.mutable_confirmed_at() = Now();
  v1::ConfirmAppointmentResponse confirmed;
  ASSERT_TRUE(Call(&v1::Construction::Stub::ConfirmAppointment, confirm, &confirmed).ok());
  EXPECT_EQ(confirmed.appointment().state(), v1::SITE_APPOINTMENT_STATE_CONFIRMED);

  start.set_request_id("start-2");
  *start.mutable_started_at() = Now();
  refused = Call(&v1::Construction::Stub::StartSiteWork, start, &started);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(refused.error_message().rfind("CN-7:", 0), 0u) << refused.error_message();

  v1::RecordSafetyChecklistRequest safety;
  safety.set_request_id("safety-1");
  safety.set_project_id(id);
  safety.set_appointment_id(appointment);
  for (const char* measure : {"fencing", "traffic_guide", "night_lighting"}) {
    auto* item = safety.mutable_measures()->add_items();
    item->set_item(measure);
    item->set_done(true);
  }
  safety.set_contractor_sign(true);
  safety.set_safety_sign(true);
  safety.set_courtesy_sign(true);
  safety.mutable_recorded_by()->set_staff_id("S-9");
  *safety.mutable_recorded_at() = Now();
  v1::RecordSafetyChecklistResponse checked;
  ASSERT_TRUE(Call(&v1::Construction::Stub::RecordSafetyChecklist, safety, &checked).ok());
  EXPECT_TRUE(checked.complete());

  start.set_request_id("start-3");
  *start.mutable_started_at() = Now();
  ASSERT_TRUE(Call(&v1::Construction::Stub::StartSiteWork, start, &started).ok());
  EXPECT_FALSE(started.work_session().forced());

  // 4. CN-6: a damaged garden wall, restored.
  v1::RecordDamageRequest damage;
  damage.set_request_id("damage-1");
  damage.set_project_id(id);
  damage.set_description("garden wall cracked by the trencher");
  damage.mutable_reported_by()->set_staff_id("S-9");
  *damage.mutable_discovered_at() = Now();
  v1::RecordDamageResponse damaged;
  ASSERT_TRUE(Call(&v1::Construction::Stub::RecordDamage, damage, &damaged).ok());
  const std::string damage_id = damaged.damage().damage_id();
  v1::RecordDamageRemedyRequest remedy;
  remedy.set_request_id("remedy-1");
  remedy.set_project_id(id);
  remedy.set_damage_id(damage_id);
  remedy.set_kind(v1::REMEDY_KIND_RESTORED);
  remedy.set_description("wall rebuilt with the same bricks");
  *remedy.mutable_remedied_at() = Now();
  v1::RecordDamageRemedyResponse remedied;
  ASSERT_TRUE(Call(&v1::Construction::Stub::RecordDamageRemedy, remedy, &remedied).ok());
  EXPECT_EQ(remedied.damage().state(), v1::DAMAGE_STATE_REMEDIED);

  v1::EndSiteWorkRequest end;
  end.set_request_id("end-1");
  end.set_project_id(id);
  end.set_work_session_id(started.work_session().work_session_id());
  *end.mutable_ended_at() = Now();
  v1::EndSiteWorkResponse ended;
  ASSERT_TRUE(Call(&v1::Construction::Stub::EndSiteWork, end, &ended).ok());

  // 5. CN-5: a failed inspection needs the written notice; re-inspection passes.
  ASSERT_TRUE(Advance(id, v1::PROJECT_STAGE_INSPECTION).ok());
  v1::RecordInspectionRequest inspection;
  inspection.set_request_id("inspection-1");
  inspection.set_project_id(id);
  inspection.set_result(v1::INSPECTION_RESULT_FAILED);
  inspection.mutable_inspector()->set_staff_id("S-5");
  *inspection.mutable_inspected_at() = Now();
  v1::RecordInspectionResponse inspected;
  EXPECT_EQ(Call(&v1::Construction::Stub::RecordInspection, inspection, &inspected).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  inspection.mutable_notice()->add_items("earthing resistance 6 ohm, limit 4 ohm");
  inspection.mutable_notice()->set_text("Add two earthing rods and re-measure.");
  inspection.mutable_notice()->set_explained(true);
  *inspection.mutable_notice()->mutable_delivered_at() = Now();
  ASSERT_TRUE(Call(&v1::Construction::Stub::RecordInspection, inspection, &inspected).ok());
  ASSERT_NE(Sla(inspected.project(), "reinspection"), nullptr);
  EXPECT_EQ(Sla(inspected.project(), "reinspection")->state(), v1::SLA_STATUS_OPEN);
  grpc::Status gate = Advance(id, v1::PROJECT_STAGE_CONNECTION);
  EXPECT_EQ(gate.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(gate.error_message().rfind("CN-5:", 0), 0u) << gate.error_message();

  v1::RecordInspectionRequest reinspection;
  reinspection.set_request_id("inspection-2");
  reinspection.set_project_id(id);
  reinspection.set_result(v1::INSPECTION_RESULT_PASSED);
  reinspection.mutable_inspector()->set_staff_id("S-5");
  *reinspection.mutable_inspected_at() = Now();
  ASSERT_TRUE(Call(&v1::Construction::Stub::RecordInspection, reinspection, &inspected).ok());
  EXPECT_EQ(inspected.inspection().previous_inspection_id(), inspected.project().inspections(0).inspection_id());
  EXPECT_EQ(Sla(inspected.project(), "reinspection")->state(), v1::SLA_STATUS_MET);
  // The earlier refusal stored nothing: the same request id now succeeds.
  ASSERT_TRUE(Advance(id, v1::PROJECT_STAGE_CONNECTION).ok());

  // 6. Completion: CN-6 refuses until the customer confirms; CN-8 checklist.
  v1::CompleteProjectRequest complete;
  complete.set_request_id("complete-1");
  complete.set_project_id(id);
  auto* cleaned = complete.mutable_checklist()->add_items();
  cleaned->set_item("site_cleaned");
  cleaned->set_done(true);
  complete.set_contact_number_left("0571-95598");
  complete.mutable_completed_by()->set_staff_id("S-1");
  *complete.mutable_completed_at() = Now();
  v1::CompleteProjectResponse completed;
  grpc::Status open_damage = Call(&v1::Construction::Stub::CompleteProject, complete, &completed);
  EXPECT_EQ(open_damage.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(open_damage.error_message().rfind("CN-6:", 0), 0u) << open_damage.error_message();

  v1::ConfirmDamageRemedyRequest satisfied;
  satisfied.set_request_id("confirm-damage-1");
  satisfied.set_project_id(id);
  satisfied.set_damage_id(damage_id);
  satisfied.set_customer_satisfied(true);
  *satisfied.mutable_confirmed_at() = Now();
  v1::ConfirmDamageRemedyResponse closed;
  ASSERT_TRUE(Call(&v1::Construction::Stub::ConfirmDamageRemedy, satisfied, &closed).ok());
  EXPECT_EQ(closed.damage().state(), v1::DAMAGE_STATE_CONFIRMED);

  complete.set_request_id("complete-2");
  *complete.mutable_completed_at() = Now();
  grpc::Status residue = Call(&v1::Construction::Stub::CompleteProject, complete, &completed);
  EXPECT_EQ(residue.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(residue.error_message().rfind("CN-8:", 0), 0u) << residue.error_message();

  v1::RecordSiteFeedbackRequest feedback;
  feedback.set_request_id("feedback-1");
  feedback.set_project_id(id);
  feedback.mutable_feedback()->set_satisfaction(5);
  feedback.mutable_feedback()->set_channel(v1::FEEDBACK_CHANNEL_ON_SITE);
  *feedback.mutable_feedback()->mutable_collected_at() = Now();
  feedback.set_site_rules_respected(true);
  feedback.set_local_customs_respected(true);
  v1::RecordSiteFeedbackResponse fed;
  ASSERT_TRUE(Call(&v1::Construction::Stub::RecordSiteFeedback, feedback, &fed).ok());

  auto* no_residue = complete.mutable_checklist()->add_items();
  no_residue->set_item("no_residue");
  no_residue->set_done(true);
  complete.set_request_id("complete-3");
  *complete.mutable_completed_at() = Now();
  ASSERT_TRUE(Call(&v1::Construction::Stub::CompleteProject, complete, &completed).ok());
  EXPECT_EQ(completed.project().stage(), v1::PROJECT_STAGE_COMPLETED);
  EXPECT_EQ(Sla(completed.project(), "project_time_limit")->state(), v1::SLA_STATUS_MET);
  v1::CompleteProjectResponse replay;
  ASSERT_TRUE(Call(&v1::Construction::Stub::CompleteProject, complete, &replay).ok());
  EXPECT_EQ(replay.project().SerializeAsString(), completed.project().SerializeAsString());

  // Only the CN-1 breach: the gates refused, nothing was forced.
  v1::GetProjectRequest get;
  get.set_project_id(id);
  v1::GetProjectResponse got;
  ASSERT_TRUE(Call(&v1::Construction::Stub::GetProject, get, &got).ok());
  ASSERT_EQ(got.project().breaches_size(), 1);
  EXPECT_EQ(got.project().breaches(0).rule(), "CN-1");

  // 7. The story on /metrics.
  const std::string metrics = HttpGet(process_->metrics_url());
  EXPECT_EQ(MetricValue(metrics, "gridserve_sla_total", {{"sla", "first_guidance"}, {"outcome", "breached"}}), 1);
  EXPECT_EQ(MetricValue(metrics, "gridserve_sla_total", {{"sla", "reinspection"}, {"outcome", "met"}}), 1);
  EXPECT_EQ(MetricValue(metrics, "gridserve_sla_total", {{"sla", "project_time_limit"}, {"outcome", "met"}}), 1);
  EXPECT_EQ(MetricValue(metrics, "gridserve_norm_breaches_total", {{"rule", "CN-1"}, {"department", "business-expansion"}}),
            1);
  EXPECT_EQ(MetricValue(metrics, "gridserve_construction_gate_refusals_total", {{"rule", "CN-2"}}), 1);
  EXPECT_EQ(MetricValue(metrics, "gridserve_construction_gate_refusals_total", {{"rule", "CN-7"}}), 1);
  EXPECT_EQ(MetricValue(metrics, "gridserve_construction_gate_refusals_total", {{"rule", "CN-5"}}), 1);
  EXPECT_EQ(MetricValue(metrics, "gridserve_construction_project_workdays_count",
                        {{"project_type", "high_voltage_single"}}),
            1);
  EXPECT_EQ(MetricValue(metrics, "gridserve_construction_project_workdays_bucket",
                        {{"project_type", "high_voltage_single"}, {"le", "22"}}),
            1);
  EXPECT_EQ(MetricValue(metrics, "grpc_server_handled_total",
                        {{"grpc_method", "StartSiteWork"}, {"grpc_code", "FailedPrecondition"}}),
            2);
  EXPECT_EQ(WaitForMetric("gridserve_construction_projects", {{"stage", "completed"}, {"project_type", "high_voltage_single"}},
                          1),
            1);
  EXPECT_EQ(process_->Stop(), 0);
}

}  // namespace
}  // namespace gridserve::testing
