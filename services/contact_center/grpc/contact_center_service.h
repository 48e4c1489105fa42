#ifndef GRIDSERVE_SERVICES_CONTACT_CENTER_GRPC_CONTACT_CENTER_SERVICE_H_
#define GRIDSERVE_SERVICES_CONTACT_CENTER_GRPC_CONTACT_CENTER_SERVICE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gridserve/v1/contact_center.grpc.pb.h"
#include "services/common/service_context.h"
#include "services/common/status_util.h"
#include "services/contact_center/domain/finding.h"
#include "services/contact_center/domain/outage_directory.h"
#include "services/contact_center/metrics/contact_center_metrics.h"

namespace gridserve::contact_center {

// The gridserve.v1.ContactCenter callback service: validates requests,
// converts protos to the domain rules (domain/) and stores the results
// (storage/). Each RPC's body lives in the file of its area:
// call_rpcs.cc (CC-1/4/6/7/8), consultation_rpcs.cc (CC-2),
// fault_rpcs.cc (CC-3), case_rpcs.cc (CC-5); this file's .cc has the rest.
class ContactCenterService final : public v1::ContactCenter::CallbackService {
 public:
  ContactCenterService(ServiceContext& context, std::unique_ptr<OutageDirectory> outages);

  grpc::ServerUnaryReactor* RecordCall(grpc::CallbackServerContext* ctx, const v1::RecordCallRequest* request,
                                       v1::RecordCallResponse* response) override;
  grpc::ServerUnaryReactor* GetCall(grpc::CallbackServerContext* ctx, const v1::GetCallRequest* request,
                                    v1::GetCallResponse* response) override;
  grpc::ServerUnaryReactor* ListCalls(grpc::CallbackServerContext* ctx, const v1::ListCallsRequest* request,
                                      v1::ListCallsResponse* response) override;
  grpc::ServerUnaryReactor* RecordCallReview(grpc::CallbackServerContext* ctx,
                                             const v1::RecordCallReviewRequest* request,
                                             v1::RecordCallReviewResponse* response) override;
  grpc::ServerUnaryReactor* OpenConsultation(grpc::CallbackServerContext* ctx,
                                             const v1::OpenConsultationRequest* request,
                                             v1::OpenConsultationResponse* response) override;
  grpc::ServerUnaryReactor* ReplyConsultation(grpc::CallbackServerContext* ctx,
                                              const v1::ReplyConsultationRequest* request,
                                              v1::ReplyConsultationResponse* response) override;
  grpc::ServerUnaryReactor* GetConsultation(grpc::CallbackServerContext* ctx,
                                            const v1::GetConsultationRequest* request,
                                            v1::GetConsultationResponse* response) override;
  grpc::ServerUnaryReactor* ListConsultations(grpc::CallbackServerContext* ctx,
                                              const v1::ListConsultationsRequest* request,
                                              v1::ListConsultationsResponse* response) override;
  grpc::ServerUnaryReactor* ReportFault(grpc::CallbackServerContext* ctx, const v1::ReportFaultRequest* request,
                                        v1::ReportFaultResponse* response) override;
  grpc::ServerUnaryReactor* GetFaultReport(grpc::CallbackServerContext* ctx, const v1::GetFaultReportRequest* request,
                                           v1::GetFaultReportResponse* response) override;
  grpc::ServerUnaryReactor* ListFaultReports(grpc::CallbackServerContext* ctx,
                                             const v1::ListFaultReportsRequest* request,
                                             v1::ListFaultReportsResponse* response) override;
  grpc::ServerUnaryReactor* LookupOutage(grpc::CallbackServerContext* ctx,
                                         const v1::ContactCenterLookupOutageRequest* request,
                                         v1::ContactCenterLookupOutageResponse* response) override;
  grpc::ServerUnaryReactor* RecordCase(grpc::CallbackServerContext* ctx, const v1::RecordCaseRequest* request,
                                       v1::RecordCaseResponse* response) override;
  grpc::ServerUnaryReactor* ReplyCase(grpc::CallbackServerContext* ctx, const v1::ReplyCaseRequest* request,
                                      v1::ReplyCaseResponse* response) override;
  grpc::ServerUnaryReactor* GetCase(grpc::CallbackServerContext* ctx, const v1::GetCaseRequest* request,
                                    v1::GetCaseResponse* response) override;
  grpc::ServerUnaryReactor* ListCases(grpc::CallbackServerContext* ctx, const v1::ListCasesRequest* request,
                                      v1::ListCasesResponse* response) override;
  grpc::ServerWriteReactor<v1::BreachEvent>* WatchBreaches(
      grpc::CallbackServerContext* ctx, const v1::ContactCenterWatchBreachesRequest* request) override;

  // Domain gauges from the database (ServiceParts::background_pass).
  absl::Status RefreshGauges();

 private:
  absl::StatusOr<v1::RecordCallResponse> DoRecordCall(const v1::RecordCallRequest& request);
  absl::StatusOr<v1::GetCallResponse> DoGetCall(const v1::GetCallRequest& request);
  absl::StatusOr<v1::ListCallsResponse> DoListCalls(const v1::ListCallsRequest& request);
  absl::StatusOr<v1::RecordCallReviewResponse> DoRecordCallReview(const v1::RecordCallReviewRequest& request);
  absl::StatusOr<v1::OpenConsultationResponse> DoOpenConsultation(const v1::OpenConsultationRequest& request);
  absl::StatusOr<v1::ReplyConsultationResponse> DoReplyConsultation(const v1::ReplyConsultationRequest& request);
  absl::StatusOr<v1::GetConsultationResponse> DoGetConsultation(const v1::GetConsultationRequest& request);
  absl::StatusOr<v1::ListConsultationsResponse> DoListConsultations(const v1::ListConsultationsRequest& request);
  absl::StatusOr<v1::ReportFaultResponse> DoReportFault(const v1::ReportFaultRequest& request);
  absl::StatusOr<v1::GetFaultReportResponse> DoGetFaultReport(const v1::GetFaultReportRequest& request);
  absl::StatusOr<v1::ListFaultReportsResponse> DoListFaultReports(const v1::ListFaultReportsRequest& request);
  absl::StatusOr<v1::ContactCenterLookupOutageResponse> DoLookupOutage(
      const v1::ContactCenterLookupOutageRequest& request);
  absl::StatusOr<v1::RecordCaseResponse> DoRecordCase(const v1::RecordCaseRequest& request);
  absl::StatusOr<v1::ReplyCaseResponse> DoReplyCase(const v1::ReplyCaseRequest& request);
  absl::StatusOr<v1::GetCaseResponse> DoGetCase(const v1::GetCaseRequest& request);
  absl::StatusOr<v1::ListCasesResponse> DoListCases(const v1::ListCasesRequest& request);

  // Records each finding as a breach "contact-center/<rule>/<subject>/<key>";
  // appends what was newly recorded to `recorded` when given.
  absl::Status RecordFindings(Transaction& txn, const std::vector<Finding>& findings, const std::string& subject,
                              const std::string& department, const std::string& staff_id, absl::Time occurred_at,
                              std::vector<v1::Breach>* recorded = nullptr);
  // A department is taken as given, as in every service: a record of fact (a
  // call CC-1 counts) is never refused because the telephony or CRM names a
  // department the suite's config does not list; metrics count it as "other"
  // (ServiceMetrics::DepartmentLabel), so labels stay bounded.
  void CheckDepartment(Validator& v, const std::string& field, const std::string& department, bool required) const;
  // An imported event time: present, valid, not beyond now + max_event_skew.
  absl::Time EventTime(Validator& v, const std::string& field, const google::protobuf::Timestamp& t, bool present,
                       bool required = true) const;
  // NOT_FOUND unless `call_id` (when given) is a recorded call; INVALID_ARGUMENT
  // naming `field` when the event time `at` lies outside that call, where an
  // SLA clock started from it could be moved (CheckDuringCall).
  absl::Status CheckLinkedCall(Transaction& txn, const std::string& call_id, const std::string& field,
                               absl::Time at) const;

  ServiceContext& context_;
  std::unique_ptr<OutageDirectory> outages_;
  ContactCenterMetrics metrics_;
};

absl::StatusOr<ServiceParts> BuildContactCenter(ServiceContext& context);

}  // namespace gridserve::contact_center

#endif  // GRIDSERVE_SERVICES_CONTACT_CENTER_GRPC_CONTACT_CENTER_SERVICE_H_
