#include "services/construction/grpc/construction_service.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/breach_watch.h"
#include "services/common/config.h"
#include "services/common/feedback_check.h"
#include "services/common/idempotency.h"
#include "services/common/log.h"
#include "services/common/phone_number.h"
#include "services/common/rpc_util.h"
#include "services/common/status_util.h"
#include "services/common/watch_stream.h"
#include "services/construction/domain/damage_rules.h"
#include "services/construction/domain/feedback_rules.h"
#include "services/construction/domain/inspection_rules.h"
#include "services/construction/domain/project_rules.h"
#include "services/construction/domain/site_work_rules.h"
#include "services/construction/grpc/project_tx.h"
#include "services/construction/grpc/request_checks.h"
#include "services/construction/storage/project_store.h"

namespace gridserve::construction {
namespace {

std::string Method(absl::string_view name) { return absl::StrCat("gridserve.v1.Construction/", name); }

// The clause ID a FAILED_PRECONDITION names ("CN-2: ..."), for the refusal counter.
std::string RefusingRule(const absl::Status& status) {
  absl::string_view message = status.message();
  const auto colon = message.find(':');
  return colon == absl::string_view::npos ? "" : std::string(message.substr(0, colon));
}

template <typename Entity>
const Entity* FindById(const google::protobuf::RepeatedPtrField<Entity>& entities, const std::string& id,
                       const std::string& (Entity::*get_id)() const) {
  for (const auto& e : entities) {
    if ((e.*get_id)() == id) return &e;
  }
  return nullptr;
}

}  // namespace

ConstructionService::ConstructionService(ServiceContext& context)
    : context_(context),
      metrics_(std::make_unique<ConstructionMetrics>(*context.metrics.registry(), context.config.construction())) {}

absl::Duration ConstructionService::max_skew() const { return ToAbsl(context_.config.platform().max_event_skew()); }

absl::Status ConstructionService::RefreshGauges() {
  std::map<std::pair<int, int>, int64_t> counts;
  std::map<int, int64_t> open_damages;
  absl::Status status = context_.db.InReadTransaction([&](Transaction& txn) -> absl::Status {
    auto c = ProjectStore::CountByStageAndType(txn, context_.db.dialect());
    if (!c.ok()) return c.status();
    counts = *std::move(c);
    auto d = ProjectStore::OpenDamagesByStage(txn);
    if (!d.ok()) return d.status();
    open_damages = *std::move(d);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  metrics_->SetProjectCounts(counts);
  metrics_->SetOpenDamages(open_damages);
  return absl::OkStatus();
}

absl::StatusOr<int> ConstructionService::EndClocksOfEndedProjects() {
  int repaired = 0;
  absl::Status status = context_.db.InTransaction([&](Transaction& txn) -> absl::Status {
    repaired = 0;
    auto ids = ProjectStore::EndedWithOpenClocks(txn);
    if (!ids.ok()) return ids.status();
    for (const std::string& id : *ids) {
      auto project = ProjectStore::Load(txn, id);
      if (!project.ok()) return project.status();
      if (auto s = ApplyEffects(txn, context_, *metrics_, *project, EndedProjectClocks(*project)); !s.ok()) return s;
      ++repaired;
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (repaired > 0) LogInfo("ended_project_clocks_closed", {{"projects", absl::StrCat(repaired)}});
  return repaired;
}

template <typename Response>
absl::StatusOr<Response> ConstructionService::Change(absl::string_view method, const std::string& request_id,
                                                     const google::protobuf::Message& request,
                                                     const std::string& project_id, Rule rule, Fill<Response> fill) {
  auto result = RunOnce<Response>(
      context_.db, context_.clock, method, request_id, request, [&](Transaction& txn) -> absl::StatusOr<Response> {
        auto project = ProjectStore::Load(txn, project_id);
        if (!project.ok()) return project.status();
        auto effects = rule(*project);
        if (!effects.ok()) return effects.status();
        if (auto s = ApplyEffects(txn, context_, *metrics_, *project, *effects); !s.ok()) return s;
        if (auto s = ProjectStore::Update(txn, *project, context_.clock.Now()); !s.ok()) return s;
        auto view = ProjectView(txn, context_, *std::move(project));
        if (!view.ok()) return view.status();
        Response response;
        fill(*view, response);
        return response;
      });
  if (absl::IsFailedPrecondition(result.status())) metrics_->CountGateRefusal(RefusingRule(result.status()));
  return result;
}

// ---------------------------------------------------------------------------
// Projects and guidance (CN-1), stages (CN-3, CN-5), coordinated plan (CN-3).

grpc::ServerUnaryReactor* ConstructionService::CreateProject(Ctx* ctx, const v1::CreateProjectRequest* req,
                                                             v1::CreateProjectResponse* resp) {
  auto run = [&]() -> absl::StatusOr<v1::CreateProjectResponse> {
    const absl::Time now = context_.clock.Now();
    Validator v;
    v.Check(req->project_type() != v1::PROJECT_TYPE_UNSPECIFIED && v1::ProjectType_IsValid(req->project_type()),
            "project_type", "is required: residential, low-voltage non-residential, high-voltage single or dual");
    CheckPerson(v, "customer", req->customer(), /*require_phone=*/true);
    RequireText(v, "site.address", req->site().address(), 500);
    RequireText(v, "department", req->department(), 100);
    v.Check(req->requested_capacity_kva() >= 0, "requested_capacity_kva", "must not be negative");
    CheckEventTime(v, "applied_at", req->applied_at(), req->has_applied_at(), now, max_skew());
    if (!v.empty()) return v.status();

    v1::Project project;
    project.set_project_id(NewId("PRJ"));
    project.set_project_type(req->project_type());
    *project.mutable_customer() = req->customer();
    *project.mutable_site() = req->site();
    project.set_department(req->department());
    *project.mutable_manager() = req->manager();
    project.set_requested_capacity_kva(req->requested_capacity_kva());
    project.set_description(req->description());
    *project.mutable_applied_at() = req->applied_at();
    return RunOnce<v1::CreateProjectResponse>(
        context_.db, context_.clock, Method("CreateProject"), req->request_id(), *req,
        [&](Transaction& txn) -> absl::StatusOr<v1::CreateProjectResponse> {
          v1::Project p = project;
          Effects effects = OpenProject(rules(), p);
          if (auto s = ProjectStore::Insert(txn, p, context_.clock.Now()); !s.ok()) return s;
          if (auto s = ApplyEffects(txn, context_, *metrics_, p, effects); !s.ok()) return s;
          auto view = ProjectView(txn, context_, std::move(p));
          if (!view.ok()) return view.status();
          v1::CreateProjectResponse response;
          *response.mutable_project() = *std::move(view);
          LogInfo("project_created", {{"project_id", response.project().project_id()}});
          return response;
        });
  };
  return Reply(ctx, resp, run());
}

grpc::ServerUnaryReactor* ConstructionService::RecordGuidanceContact(Ctx* ctx,
                                                                     const v1::RecordGuidanceContactRequest* req,
                                                                     v1::RecordGuidanceContactResponse* resp) {
  auto run = [&]() -> absl::StatusOr<v1::RecordGuidanceContactResponse> {
    Validator v;
    RequireText(v, "project_id", req->project_id(), 128);
    RequireStaff(v, "staff", req->staff(), req->has_staff());
    v.Check(req->channel() != v1::GUIDANCE_CHANNEL_UNSPECIFIED && v1::GuidanceChannel_IsValid(req->channel()),
            "channel", "is required");
    CheckEventTime(v, "contacted_at", req->contacted_at(), req->has_contacted_at(), context_.clock.Now(), max_skew());
    if (!v.empty()) return v.status();
    v1::GuidanceContact contact;
    contact.set_contact_id(NewId("GC"));
    *contact.mutable_staff() = req->staff();
    contact.set_channel(req->channel());
    contact.set_summary(req->summary());
    *contact.mutable_preparations() = req->preparations();
    *contact.mutable_contacted_at() = req->contacted_at();
    return Change<v1::RecordGuidanceContactResponse>(
        Method("RecordGuidanceContact"), req->request_id(), *req, req->project_id(),
        [&](v1::Project& p) { return construction::RecordGuidanceContact(rules(), p, contact); },
        [](const v1::Project& p, v1::RecordGuidanceContactResponse& r) { *r.mutable_project() = p; });
  };
  return Reply(ctx, resp, run());
}

grpc::ServerUnaryReactor* ConstructionService::AdvanceStage(Ctx* ctx, const v1::AdvanceStageRequest* req,
                                                            v1::AdvanceStageResponse* resp) {
  auto run = [&]() -> absl::StatusOr<v1::AdvanceStageResponse> {
    Validator v;
    RequireText(v, "project_id", req->project_id(), 128);
    v.Check(req->to_stage() != v1::PROJECT_STAGE_UNSPECIFIED && v1::ProjectStage_IsValid(req->to_stage()),
            "to_stage", "is required");
    CheckEventTime(v, "advanced_at", req->advanced_at(), req->has_advanced_at(), context_.clock.Now(), max_skew());
    if (!v.empty()) return v.status();
    v1::StageTransition change;
    change.set_to_stage(req->to_stage());
    *change.mutable_staff() = req->staff();
    change.set_note(req->note());
    *change.mutable_at() = req->advanced_at();
    return Change<v1::AdvanceStageResponse>(
        Method("AdvanceStage"), req->request_id(), *req, req->project_id(),
        [&](v1::Project& p) { return construction::AdvanceStage(rules(), p, change); },
        [](const v1::Project& p, v1::AdvanceStageResponse& r) { *r.mutable_project() = p; });
  };
  return Reply(ctx, resp, run());
}

grpc::ServerUnaryReactor* ConstructionService::RecordCoordinatedPlan(Ctx* ctx,
                                                                     const v1::RecordCoordinatedPlanRequest* req,
                                                                     v1::RecordCoordinatedPlanResponse* resp) {
  auto run = [&]() -> absl::StatusOr<v1::RecordCoordinatedPlanResponse> {
    Validator v;
    RequireText(v, "project_id", req->project_id(), 128);
    RequireText(v, "description", req->description());
    RequireStaff(v, "planned_by", req->planned_by(), req->has_planned_by());
    CheckEventTime(v, "planned_at", req->planned_at(), req->has_planned_at(), context_.clock.Now(), max_skew());
    if (!v.empty()) return v.status();
    v1::CoordinatedPlan plan;
    plan.set_plan_id(NewId("PLAN"));
    plan.set_description(req->description());
    plan.set_supply_works_ref(req->supply_works_ref());
    plan.set_no_duplicate_building(req->no_duplicate_building());
    plan.set_customer_agreed(req->customer_agreed());
    *plan.mutable_planned_by() = req->planned_by();
    *plan.mutable_planned_at() = req->planned_at();
    plan.set_document_ref(req->document_ref());
    return Change<v1::RecordCoordinatedPlanResponse>(
        Method("RecordCoordinatedPlan"), req->request_id(), *req, req->project_id(),
        [&](v1::Project& p) { return construction::RecordCoordinatedPlan(rules(), p, plan); },
        [](const v1::Project& p, v1::RecordCoordinatedPlanResponse& r) { *r.mutable_project() = p; });
  };
  return Reply(ctx, resp, run());
}

// ---------------------------------------------------------------------------
// Appointments (CN-2), safety checklist (CN-7), site work.

grpc::ServerUnaryReactor* ConstructionService::ScheduleAppointment(Ctx* ctx, const v1::ScheduleAppointmentRequest* req,
                                                                   v1::ScheduleAppointmentResponse* resp) {
  auto run = [&]() -> absl::StatusOr<v1::ScheduleAppointmentResponse> {
    const absl::Time now = context_.clock.Now();
    Validator v;
    RequireText(v, "project_id", req->project_id(), 128);
    RequireText(v, "work_content", req->work_content());
    RequireText(v, "place", req->place(), 500);
    bool times = v.Check(req->has_starts_at(), "starts_at", "is required");
    times &= v.Check(req->has_ends_at(), "ends_at", "is required");
    CheckTimestamp(v, "starts_at", req->starts_at(), req->has_starts_at());
    CheckTimestamp(v, "ends_at", req->ends_at(), req->has_ends_at());
    if (times && v.empty()) {
      v.Check(FromProto(req->ends_at()) > FromProto(req->starts_at()), "ends_at", "must be after starts_at");
    }
    CheckEventTime(v, "scheduled_at", req->scheduled_at(), req->has_scheduled_at(), now, max_skew(),
                   /*required=*/false);
    if (!v.empty()) return v.status();
    v1::SiteAppointment appointment;
    appointment.set_appointment_id(NewId("APT"));
    appointment.set_work_content(req->work_content());
    appointment.set_place(req->place());
    *appointment.mutable_starts_at() = req->starts_at();
    *appointment.mutable_ends_at() = req->ends_at();
    appointment.set_cooperation_requested(req->cooperation_requested());
    appointment.set_traffic_affecting(req->traffic_affecting());
    *appointment.mutable_scheduled_by() = req->scheduled_by();
    *appointment.mutable_scheduled_at() = req->has_scheduled_at() ? req->scheduled_at() : ToProto(now);
    const std::string id = appointment.appointment_id();
    return Change<v1::ScheduleAppointmentResponse>(
        Method("ScheduleAppointment"), req->request_id(), *req, req->project_id(),
        [&](v1::Project& p) { return construction::ScheduleAppointment(rules(), p, appointment); },
        [&](const v1::Project& p, v1::ScheduleAppointmentResponse& r) {
          *r.mutable_project() = p;
          if (auto* a = FindById(p.appointments(), id, &v1::SiteAppointment::appointment_id)) {
            *r.mutable_appointment() = *a;
          }
        });
  };
  return Reply(ctx, resp, run());
}

grpc::ServerUnaryReactor* ConstructionService::ConfirmAppointment(Ctx* ctx, const v1::ConfirmAppointmentRequest* req,
                                                                  v1::ConfirmAppointmentResponse* resp) {
  auto run = [&]() -> absl::StatusOr<v1::ConfirmAppointmentResponse> {
    Validator v;
    RequireText(v, "project_id", req->project_id(), 128);
    RequireText(v, "appointment_id", req->appointment_id(), 128);
    CheckPerson(v, "confirmed_by", req->confirmed_by(), /*require_phone=*/false);
    CheckEventTime(v, "confirmed_at", req->confirmed_at(), req->has_confirmed_at(), context_.clock.Now(), max_skew());
    if (!v.empty()) return v.status();
    return Change<v1::ConfirmAppointmentResponse>(
        Method("ConfirmAppointment"), req->request_id(), *req, req->project_id(),
        [&](v1::Project& p) {
          return construction::ConfirmAppointment(rules(), p, req->appointment_id(), req->confirmed_by(),
                                                  FromProto(req->confirmed_at()));
        },
        [&](const v1::Project& p, v1::ConfirmAppointmentResponse& r) {
          *r.mutable_project() = p;
          if (auto* a = FindById(p.appointments(), req->appointment_id(), &v1::SiteAppointment::appointment_id)) {
            *r.mutable_appointment() = *a;
          }
        });
  };
  return Reply(ctx, resp, run());
}

grpc::ServerUnaryReactor* ConstructionService::StartSiteWork(Ctx* ctx, const v1::StartSiteWorkRequest* req,
                                                             v1::StartSiteWorkResponse* resp) {
  auto run = [&]() -> absl::StatusOr<v1::StartSiteWorkResponse> {
    Validator v;
    RequireText(v, "project_id", req->project_id(), 128);
    // An emergency may start without an appointment (recorded as a CN-2 breach).
    if (!req->force()) RequireText(v, "appointment_id", req->appointment_id(), 128);
    if (req->force()) RequireText(v, "force_reason", req->force_reason());
    for (int i = 0; i < req->crew_size(); ++i) {
      RequireText(v, absl::StrCat("crew[", i, "].staff_id"), req->crew(i).staff_id(), 128);
    }
    CheckEventTime(v, "started_at", req->started_at(), req->has_started_at(), context_.clock.Now(), max_skew());
    if (!v.empty()) return v.status();
    v1::WorkSession work;
    work.set_work_session_id(NewId("WS"));
    work.set_appointment_id(req->appointment_id());
    *work.mutable_crew() = req->crew();
    *work.mutable_started_at() = req->started_at();
    work.set_forced(req->force());
    work.set_force_reason(req->force_reason());
    work.set_traffic_affecting(req->traffic_affecting());
    const std::string id = work.work_session_id();
    return Change<v1::StartSiteWorkResponse>(
        Method("StartSiteWork"), req->request_id(), *req, req->project_id(),
        [&](v1::Project& p) { return construction::StartSiteWork(rules(), p, work); },
        [&](const v1::Project& p, v1::StartSiteWorkResponse& r) {
          *r.mutable_project() = p;
          if (auto* w = FindById(p.work_sessions(), id, &v1::WorkSession::work_session_id)) *r.mutable_work_session() = *w;
        });
  };
  return Reply(ctx, resp, run());
}

grpc::ServerUnaryReactor* ConstructionService::EndSiteWork(Ctx* ctx, const v1::EndSiteWorkRequest* req,
                                                           v1::EndSiteWorkResponse* resp) {
  auto run = [&]() -> absl::StatusOr<v1::EndSiteWorkResponse> {
    Validator v;
    RequireText(v, "project_id", req->project_id(), 128);
    RequireText(v, "work_session_id", req->work_session_id(), 128);
    CheckEventTime(v, "ended_at", req->ended_at(), req->has_ended_at(), context_.clock.Now(), max_skew());
    if (!v.empty()) return v.status();
    return Change<v1::EndSiteWorkResponse>(
        Method("EndSiteWork"), req->request_id(), *req, req->project_id(),
        [&](v1::Project& p) {
          return construction::EndSiteWork(rules(), p, req->work_session_id(), FromProto(req->ended_at()));
        },
        [](const v1::Project& p, v1::EndSiteWorkResponse& r) { *r.mutable_project() = p; });
  };
  return Reply(ctx, resp, run());
}

grpc::ServerUnaryReactor* ConstructionService::RecordSafetyChecklist(Ctx* ctx,
                                                                     const v1::RecordSafetyChecklistRequest* req,
                                                                     v1::RecordSafetyChecklistResponse* resp) {
  auto run = [&]() -> absl::StatusOr<v1::RecordSafetyChecklistResponse> {
    Validator v;
    RequireText(v, "project_id", req->project_id(), 128);
    RequireText(v, "appointment_id", req->appointment_id(), 128);
    RequireStaff(v, "recorded_by", req->recorded_by(), req->has_recorded_by());
    CheckEventTime(v, "recorded_at", req->recorded_at(), req->has_recorded_at(), context_.clock.Now(), max_skew());
    for (int i = 0; i < req->measures().items_size(); ++i) {
      RequireText(v, absl::StrCat("measures.items[", i, "].item"), req->measures().items(i).item(), 200);
    }
    if (!v.empty()) return v.status();
    v1::SafetyChecklist checklist;
    checklist.set_checklist_id(NewId("SC"));
    checklist.set_appointment_id(req->appointment_id());
    *checklist.mutable_measures() = req->measures();
    checklist.set_contractor_sign(req->contractor_sign());
    checklist.set_safety_sign(req->safety_sign());
    checklist.set_courtesy_sign(req->courtesy_sign());
    *checklist.mutable_recorded_by() = req->recorded_by();
    *checklist.mutable_recorded_at() = req->recorded_at();
    const bool complete = SafetyChecklistComplete(checklist);
    return Change<v1::RecordSafetyChecklistResponse>(
        Method("RecordSafetyChecklist"), req->request_id(), *req, req->project_id(),
        [&](v1::Project& p) { return construction::RecordSafetyChecklist(rules(), p, checklist); },
        [&](const v1::Project& p, v1::RecordSafetyChecklistResponse& r) {
          *r.mutable_project() = p;
          r.set_complete(complete);
        });
  };
  return Reply(ctx, resp, run());
}

// ---------------------------------------------------------------------------
// Inspections (CN-5), damages (CN-6), completion (CN-8), feedback (CN-4), RK-5.

grpc::ServerUnaryReactor* ConstructionService::RecordInspection(Ctx* ctx, const v1::RecordInspectionRequest* req,
                                                                v1::RecordInspectionResponse* resp) {
  auto run = [&]() -> absl::StatusOr<v1::RecordInspectionResponse> {
    const absl::Time now = context_.clock.Now();
    Validator v;
    RequireText(v, "project_id", req->project_id(), 128);
    v.Check(req->result() != v1::INSPECTION_RESULT_UNSPECIFIED && v1::InspectionResult_IsValid(req->result()),
            "result", "is required: passed or failed");
    CheckEventTime(v, "inspected_at", req->inspected_at(), req->has_inspected_at(), now, max_skew());
    // The notice's own completeness is the CN-5 gate (domain); its time must be sane.
    CheckEventTime(v, "notice.delivered_at", req->notice().delivered_at(), req->notice().has_delivered_at(), now,
                   max_skew(), /*required=*/false);
    CheckPhoneField(v, "notice.delivered_to.phone", req->notice().delivered_to().phone(), /*required=*/false);
    if (!v.empty()) return v.status();
    v1::Inspection inspection;
    inspection.set_inspection_id(NewId("INS"));
    inspection.set_result(req->result());
    *inspection.mutable_inspector() = req->inspector();
    *inspection.mutable_inspected_at() = req->inspected_at();
    if (req->has_notice()) *inspection.mutable_notice() = req->notice();
    inspection.set_previous_inspection_id(req->previous_inspection_id());
    const std::string id = inspection.inspection_id();
    return Change<v1::RecordInspectionResponse>(
        Method("RecordInspection"), req->request_id(), *req, req->project_id(),
        [&](v1::Project& p) { return construction::RecordInspection(rules(), p, inspection); },
        [&](const v1::Project& p, v1::RecordInspectionResponse& r) {
          *r.mutable_project() = p;
          if (auto* i = FindById(p.inspections(), id, &v1::Inspection::inspection_id)) *r.mutable_inspection() = *i;
        });
  };
  return Reply(ctx, resp, run());
}

grpc::ServerUnaryReactor* ConstructionService::RecordDamage(Ctx* ctx, const v1::RecordDamageRequest* req,
                                                            v1::RecordDamageResponse* resp) {
  auto run = [&]() -> absl::StatusOr<v1::RecordDamageResponse> {
    Validator v;
    RequireText(v, "project_id", req->project_id(), 128);
    RequireText(v, "description", req->description());
    CheckEventTime(v, "discovered_at", req->discovered_at(), req->has_discovered_at(), context_.clock.Now(),
                   max_skew());
    if (!v.empty()) return v.status();
    v1::Damage damage;
    damage.set_damage_id(NewId("DMG"));
    damage.set_description(req->description());
    *damage.mutable_reported_by() = req->reported_by();
    *damage.mutable_discovered_at() = req->discovered_at();
    const std::string id = damage.damage_id();
    return Change<v1::RecordDamageResponse>(
        Method("RecordDamage"), req->request_id(), *req, req->project_id(),
        [&](v1::Project& p) { return construction::RecordDamage(rules(), p, damage); },
        [&](const v1::Project& p, v1::RecordDamageResponse& r) {
          *r.mutable_project() = p;
          if (auto* d = FindById(p.damages(), id, &v1::Damage::damage_id)) *r.mutable_damage() = *d;
        });
  };
  return Reply(ctx, resp, run());
}

grpc::ServerUnaryReactor* ConstructionService::RecordDamageRemedy(Ctx* ctx, const v1::RecordDamageRemedyRequest* req,
                                                                  v1::RecordDamageRemedyResponse* resp) {
  auto run = [&]() -> absl::StatusOr<v1::RecordDamageRemedyResponse> {
    Validator v;
    RequireText(v, "project_id", req->project_id(), 128);
    RequireText(v, "damage_id", req->damage_id(), 128);
    v.Check(req->kind() != v1::REMEDY_KIND_UNSPECIFIED && v1::RemedyKind_IsValid(req->kind()), "kind",
            "is required: restored or compensated");
    RequireText(v, "description", req->description());
    v.Check(req->compensation_fen() >= 0, "compensation_fen", "must not be negative");
    CheckEventTime(v, "remedied_at", req->remedied_at(), req->has_remedied_at(), context_.clock.Now(), max_skew());
    if (!v.empty()) return v.status();
    v1::DamageRemedy remedy;
    remedy.set_kind(req->kind());
    remedy.set_description(req->description());
    remedy.set_compensation_fen(req->compensation_fen());
    *remedy.mutable_remedied_by() = req->remedied_by();
    *remedy.mutable_remedied_at() = req->remedied_at();
    return Change<v1::RecordDamageRemedyResponse>(
        Method("RecordDamageRemedy"), req->request_id(), *req, req->project_id(),
        [&](v1::Project& p) { return construction::RecordDamageRemedy(rules(), p, req->damage_id(), remedy); },
        [&](const v1::Project& p, v1::RecordDamageRemedyResponse& r) {
          *r.mutable_project() = p;
          if (auto* d = FindById(p.damages(), req->damage_id(), &v1::Damage::damage_id)) *r.mutable_damage() = *d;
        });
  };
  return Reply(ctx, resp, run());
}

grpc::ServerUnaryReactor* ConstructionService::ConfirmDamageRemedy(Ctx* ctx, const v1::ConfirmDamageRemedyRequest* req,
                                                                   v1::ConfirmDamageRemedyResponse* resp) {
  auto run = [&]() -> absl::StatusOr<v1::ConfirmDamageRemedyResponse> {
    Validator v;
    RequireText(v, "project_id", req->project_id(), 128);
    RequireText(v, "damage_id", req->damage_id(), 128);
    CheckEventTime(v, "confirmed_at", req->confirmed_at(), req->has_confirmed_at(), context_.clock.Now(), max_skew());
    if (!v.empty()) return v.status();
    return Change<v1::ConfirmDamageRemedyResponse>(
        Method("ConfirmDamageRemedy"), req->request_id(), *req, req->project_id(),
        [&](v1::Project& p) {
          return construction::ConfirmDamageRemedy(rules(), p, req->damage_id(), req->customer_satisfied(),
                                                   req->customer_comment(), FromProto(req->confirmed_at()));
        },
        [&](const v1::Project& p, v1::ConfirmDamageRemedyResponse& r) {
          *r.mutable_project() = p;
          if (auto* d = FindById(p.damages(), req->damage_id(), &v1::Damage::damage_id)) *r.mutable_damage() = *d;
        });
  };
  return Reply(ctx, resp, run());
}

grpc::ServerUnaryReactor* ConstructionService::CompleteProject(Ctx* ctx, const v1::CompleteProjectRequest* req,
                                                               v1::CompleteProjectResponse* resp) {
  auto run = [&]() -> absl::StatusOr<v1::CompleteProjectResponse> {
    const absl::Time now = context_.clock.Now();
    Validator v;
    RequireText(v, "project_id", req->project_id(), 128);
    CheckEventTime(v, "completed_at", req->completed_at(), req->has_completed_at(), now, max_skew());
    if (req->has_feedback()) CheckFeedback(v, "feedback", req->feedback(), now, max_skew());
    if (!v.empty()) return v.status();
    v1::ProjectCompletion completion;
    *completion.mutable_checklist() = req->checklist();
    completion.set_contact_number_left(req->contact_number_left());
    *completion.mutable_completed_by() = req->completed_by();
    *completion.mutable_completed_at() = req->completed_at();
    return Change<v1::CompleteProjectResponse>(
        Method("CompleteProject"), req->request_id(), *req, req->project_id(),
        [&](v1::Project& p) {
          return construction::CompleteProject(rules(), p, completion, req->has_feedback() ? &req->feedback() : nullptr);
        },
        [](const v1::Project& p, v1::CompleteProjectResponse& r) { *r.mutable_project() = p; });
  };
  return Reply(ctx, resp, run());
}

grpc::ServerUnaryReactor* ConstructionService::RecordSiteFeedback(Ctx* ctx, const v1::RecordSiteFeedbackRequest* req,
                                                                  v1::RecordSiteFeedbackResponse* resp) {
  auto run = [&]() -> absl::StatusOr<v1::RecordSiteFeedbackResponse> {
    const absl::Time now = context_.clock.Now();
    Validator v;
    RequireText(v, "project_id", req->project_id(), 128);
    CheckFeedback(v, "feedback", req->feedback(), now, max_skew());
    for (int i = 0; i < req->review().items_size(); ++i) {
      const auto& item = req->review().items(i);
      v.Check(item.result() != v1::REVIEW_RESULT_UNSPECIFIED && v1::ReviewResult_IsValid(item.result()),
              absl::StrCat("review.items[", i, "].result"), "is required");
    }
    CheckEventTime(v, "review.reviewed_at", req->review().reviewed_at(), req->review().has_reviewed_at(), now,
                   max_skew(), /*required=*/false);
    if (!v.empty()) return v.status();
    return Change<v1::RecordSiteFeedbackResponse>(
        Method("RecordSiteFeedback"), req->request_id(), *req, req->project_id(),
        [&](v1::Project& p) {
          return construction::RecordSiteFeedback(rules(), p, req->feedback(), req->site_rules_respected(),
                                                  req->local_customs_respected(), req->review());
        },
        [](const v1::Project& p, v1::RecordSiteFeedbackResponse& r) { *r.mutable_project() = p; });
  };
  return Reply(ctx, resp, run());
}

grpc::ServerUnaryReactor* ConstructionService::ReportDesignatedSupplierPressure(
    Ctx* ctx, const v1::ReportDesignatedSupplierPressureRequest* req,
    v1::ReportDesignatedSupplierPressureResponse* resp) {
  auto run = [&]() -> absl::StatusOr<v1::ReportDesignatedSupplierPressureResponse> {
    const absl::Time now = context_.clock.Now();
    Validator v;
    RequireText(v, "project_id", req->project_id(), 128);
    RequireText(v, "description", req->description());
    v.Check(v1::SupplierKind_IsValid(req->supplier_kind()), "supplier_kind", "is not a known kind");
    CheckEventTime(v, "occurred_at", req->occurred_at(), req->has_occurred_at(), now, max_skew(), /*required=*/false);
    CheckEventTime(v, "reported_at", req->reported_at(), req->has_reported_at(), now, max_skew());
    CheckPhoneField(v, "reporter.phone", req->reporter().phone(), /*required=*/false);
    if (!v.empty()) return v.status();
    v1::SupplierPressureReport report;
    report.set_report_id(NewId("SPR"));
    report.set_supplier_kind(req->supplier_kind());
    report.set_supplier_name(req->supplier_name());
    report.set_description(req->description());
    *report.mutable_reporter() = req->reporter();
    *report.mutable_accused_staff() = req->accused_staff();
    if (req->has_occurred_at()) *report.mutable_occurred_at() = req->occurred_at();
    *report.mutable_reported_at() = req->reported_at();
    const std::string id = report.report_id();
    return Change<v1::ReportDesignatedSupplierPressureResponse>(
        Method("ReportDesignatedSupplierPressure"), req->request_id(), *req, req->project_id(),
        [&](v1::Project& p) { return construction::ReportDesignatedSupplierPressure(rules(), p, report); },
        [&](const v1::Project& p, v1::ReportDesignatedSupplierPressureResponse& r) {
          if (auto* s = FindById(p.supplier_pressure_reports(), id, &v1::SupplierPressureReport::report_id)) {
            *r.mutable_report() = *s;
          }
        });
  };
  return Reply(ctx, resp, run());
}

// ---------------------------------------------------------------------------
// Reads.

grpc::ServerUnaryReactor* ConstructionService::GetProject(Ctx* ctx, const v1::GetProjectRequest* req,
                                                          v1::GetProjectResponse* resp) {
  auto run = [&]() -> absl::StatusOr<v1::GetProjectResponse> {
    Validator v;
    RequireText(v, "project_id", req->project_id(), 128);
    if (!v.empty()) return v.status();
    v1::GetProjectResponse response;
    absl::Status status = context_.db.InReadTransaction([&](Transaction& txn) -> absl::Status {
      auto project = ProjectStore::Load(txn, req->project_id());
      if (!project.ok()) return project.status();
      auto view = ProjectView(txn, context_, *std::move(project));
      if (!view.ok()) return view.status();
      *response.mutable_project() = *std::move(view);
      return absl::OkStatus();
    });
    if (!status.ok()) return status;
    return response;
  };
  return Reply(ctx, resp, run());
}

grpc::ServerUnaryReactor* ConstructionService::ListProjects(Ctx* ctx, const v1::ListProjectsRequest* req,
                                                            v1::ListProjectsResponse* resp) {
  auto run = [&]() -> absl::StatusOr<v1::ListProjectsResponse> {
    Validator v;
    const int page_size = CheckPageSize(v, req->page_size());
    const int64_t offset = DecodePageToken(v, req->page_token());
    v.Check(v1::ProjectType_IsValid(req->project_type()), "project_type", "is not a known type");
    v.Check(v1::ProjectStage_IsValid(req->stage()), "stage", "is not a known stage");
    const std::optional<absl::Time> due_before =
        CheckFilterBound(v, "due_before", req->due_before(), req->has_due_before());
    const TimeBounds applied = CheckTimeRange(v, req->time_range());
    if (!v.empty()) return v.status();
    ProjectStore::Filter filter;
    filter.project_type = req->project_type();
    filter.stage = req->stage();
    filter.department = req->department();
    filter.due_before = due_before;
    filter.applied_from = applied.start;
    filter.applied_until = applied.end;
    filter.open_damage_only = req->open_damage_only();
    v1::ListProjectsResponse response;
    absl::Status status = context_.db.InReadTransaction([&](Transaction& txn) -> absl::Status {
      // One more than the page tells whether another page follows.
      auto ids = ProjectStore::List(txn, filter, offset, page_size + 1);
      if (!ids.ok()) return ids.status();
      for (size_t i = 0; i < ids->size() && i < static_cast<size_t>(page_size); ++i) {
        auto project = ProjectStore::Load(txn, (*ids)[i]);
        if (!project.ok()) return project.status();
        auto view = ProjectView(txn, context_, *std::move(project));
        if (!view.ok()) return view.status();
        *response.add_projects() = *std::move(view);
      }
      if (ids->size() > static_cast<size_t>(page_size)) response.set_next_page_token(EncodePageToken(offset + page_size));
      return absl::OkStatus();
    });
    if (!status.ok()) return status;
    return response;
  };
  return Reply(ctx, resp, run());
}

grpc::ServerWriteReactor<v1::BreachEvent>* ConstructionService::WatchBreaches(
    Ctx*, const v1::ConstructionWatchBreachesRequest* req) {
  return WatchBreachEvents(context_.db, context_.breaches, req->after_sequence(), req->rule());
}

absl::StatusOr<ServiceParts> BuildConstruction(ServiceContext& context) {
  auto service = std::make_unique<ConstructionService>(context);
  ConstructionService* raw = service.get();
  // Projects completed before completion ended their clocks: end them now.
  if (auto repaired = raw->EndClocksOfEndedProjects(); !repaired.ok()) return repaired.status();
  ServiceParts parts;
  parts.Serve<v1::Construction>(std::move(service));
  parts.background_pass.push_back([raw] { return raw->RefreshGauges(); });
  return parts;
}

}  // namespace gridserve::construction
