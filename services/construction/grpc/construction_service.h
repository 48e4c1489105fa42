#ifndef GRIDSERVE_SERVICES_CONSTRUCTION_GRPC_CONSTRUCTION_SERVICE_H_
#define GRIDSERVE_SERVICES_CONSTRUCTION_GRPC_CONSTRUCTION_SERVICE_H_

#include <memory>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "gridserve/v1/construction.grpc.pb.h"
#include "services/common/service_context.h"
#include "services/construction/domain/effects.h"
#include "services/construction/metrics/construction_metrics.h"

namespace gridserve::construction {

// The gridserve.v1.Construction callback service: validates requests,
// converts them to the domain's records, runs the rule (domain/) in one
// idempotent transaction, applies its effects and answers with the project.
class ConstructionService final : public v1::Construction::CallbackService {
 public:
  explicit ConstructionService(ServiceContext& context);

  // Refreshes gridserve_construction_projects and _open_damages from the database.
  absl::Status RefreshGauges();

  // Ends the clocks still open on completed or withdrawn projects (stored
  // before completion ended them, which left CN-1 first guidance running):
  // each as the project's end would have (EndedProjectClocks). Run at
  // start-up; returns how many projects it repaired.
  absl::StatusOr<int> EndClocksOfEndedProjects();

  using Unary = grpc::ServerUnaryReactor;
  using Ctx = grpc::CallbackServerContext;

  Unary* CreateProject(Ctx*, const v1::CreateProjectRequest*, v1::CreateProjectResponse*) override;
  Unary* RecordGuidanceContact(Ctx*, const v1::RecordGuidanceContactRequest*,
                               v1::RecordGuidanceContactResponse*) override;
  Unary* AdvanceStage(Ctx*, const v1::AdvanceStageRequest*, v1::AdvanceStageResponse*) override;
  Unary* RecordCoordinatedPlan(Ctx*, const v1::RecordCoordinatedPlanRequest*,
                               v1::RecordCoordinatedPlanResponse*) override;
  Unary* ScheduleAppointment(Ctx*, const v1::ScheduleAppointmentRequest*, v1::ScheduleAppointmentResponse*) override;
  Unary* ConfirmAppointment(Ctx*, const v1::ConfirmAppointmentRequest*, v1::ConfirmAppointmentResponse*) override;
  Unary* StartSiteWork(Ctx*, const v1::StartSiteWorkRequest*, v1::StartSiteWorkResponse*) override;
  Unary* EndSiteWork(Ctx*, const v1::EndSiteWorkRequest*, v1::EndSiteWorkResponse*) override;
  Unary* RecordSafetyChecklist(Ctx*, const v1::RecordSafetyChecklistRequest*,
                               v1::RecordSafetyChecklistResponse*) override;
  Unary* RecordInspection(Ctx*, const v1::RecordInspectionRequest*, v1::RecordInspectionResponse*) override;
  Unary* RecordDamage(Ctx*, const v1::RecordDamageRequest*, v1::RecordDamageResponse*) override;
  Unary* RecordDamageRemedy(Ctx*, const v1::RecordDamageRemedyRequest*, v1::RecordDamageRemedyResponse*) override;
  Unary* ConfirmDamageRemedy(Ctx*, const v1::ConfirmDamageRemedyRequest*, v1::ConfirmDamageRemedyResponse*) override;
  Unary* CompleteProject(Ctx*, const v1::CompleteProjectRequest*, v1::CompleteProjectResponse*) override;
  Unary* RecordSiteFeedback(Ctx*, const v1::RecordSiteFeedbackRequest*, v1::RecordSiteFeedbackResponse*) override;
  Unary* ReportDesignatedSupplierPressure(Ctx*, const v1::ReportDesignatedSupplierPressureRequest*,
                                          v1::ReportDesignatedSupplierPressureResponse*) override;
  Unary* GetProject(Ctx*, const v1::GetProjectRequest*, v1::GetProjectResponse*) override;
  Unary* ListProjects(Ctx*, const v1::ListProjectsRequest*, v1::ListProjectsResponse*) override;
  grpc::ServerWriteReactor<v1::BreachEvent>* WatchBreaches(Ctx*,
                                                           const v1::ConstructionWatchBreachesRequest*) override;

 private:
  // A rule applied to a stored project: changes it and returns its effects.
  using Rule = absl::FunctionRef<absl::StatusOr<Effects>(v1::Project&)>;
  // Fills the response from the changed project (already in its read form).
  template <typename Response>
  using Fill = absl::FunctionRef<void(const v1::Project&, Response&)>;

  // The common shape of every state-changing call on an existing project:
  // once per request_id, load → rule → effects → store → answer.
  template <typename Response>
  absl::StatusOr<Response> Change(absl::string_view method, const std::string& request_id,
                                  const google::protobuf::Message& request, const std::string& project_id, Rule rule,
                                  Fill<Response> fill);

  Rules rules() const { return Rules{context_.config.construction(), context_.calendar, context_.clock}; }
  absl::Duration max_skew() const;

  ServiceContext& context_;
  std::unique_ptr<ConstructionMetrics> metrics_;
};

absl::StatusOr<ServiceParts> BuildConstruction(ServiceContext& context);

}  // namespace gridserve::construction

#endif  // GRIDSERVE_SERVICES_CONSTRUCTION_GRPC_CONSTRUCTION_SERVICE_H_
