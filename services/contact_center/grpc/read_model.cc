#include "services/contact_center/grpc/read_model.h"

#include "absl/strings/str_cat.h"
#include "services/common/catalogue.h"
#include "services/common/rpc_util.h"
#include "services/contact_center/domain/case_rules.h"
#include "services/contact_center/domain/consultation_rules.h"
#include "services/contact_center/domain/fault_rules.h"
#include "services/contact_center/storage/contact_center_store.h"

namespace gridserve::contact_center {
namespace {

absl::Status AttachBreaches(Transaction& txn, ServiceContext& context, const std::string& subject,
                            google::protobuf::RepeatedPtrField<v1::Breach>* out) {
  auto breaches = context.breaches.ListForSubject(txn, subject);
  if (!breaches.ok()) return breaches.status();
  out->Clear();
  for (auto& breach : *breaches) *out->Add() = std::move(breach);
  return absl::OkStatus();
}

absl::Status AttachSla(Transaction& txn, ServiceContext& context, const std::string& sla, const std::string& subject,
                       google::protobuf::RepeatedPtrField<v1::SlaState>* out) {
  out->Clear();
  auto status = context.sla.Get(txn, sla, subject);
  if (!status.ok()) return status.status();
  if (status->has_value()) *out->Add() = ToProtoSlaState(**status);
  return absl::OkStatus();
}

}  // namespace

std::string CallSubject(const std::string& id) { return absl::StrCat("call/", id); }
std::string ConsultationSubject(const std::string& id) { return absl::StrCat("consultation/", id); }
std::string FaultReportSubject(const std::string& id) { return absl::StrCat("fault_report/", id); }
std::string CaseSubject(const std::string& id) { return absl::StrCat("case/", id); }
std::string DispatchMessageId(const std::string& fault_report_id) {
  return absl::StrCat("contact-center/dispatch/", fault_report_id);
}
std::string CaseRedLineMessageId(const std::string& case_id) {
  return absl::StrCat("contact-center/redline/case/", case_id);
}

absl::Status CompleteCall(Transaction& txn, ServiceContext& context, v1::Call& call) {
  // The call's answer SLA is judged at once and kept in the record itself.
  return AttachBreaches(txn, context, CallSubject(call.call_id()), call.mutable_breaches());
}

absl::Status CompleteConsultation(Transaction& txn, ServiceContext& context, v1::Consultation& consultation) {
  const std::string subject = ConsultationSubject(consultation.consultation_id());
  if (auto s = AttachSla(txn, context, kCallbackSla, subject, consultation.mutable_slas()); !s.ok()) return s;
  return AttachBreaches(txn, context, subject, consultation.mutable_breaches());
}

absl::Status CompleteFaultReport(Transaction& txn, ServiceContext& context, v1::FaultReport& report) {
  const std::string subject = FaultReportSubject(report.fault_report_id());
  if (auto s = AttachSla(txn, context, kDispatchSla, subject, report.mutable_slas()); !s.ok()) return s;
  return AttachBreaches(txn, context, subject, report.mutable_breaches());
}

absl::Status CompleteCase(Transaction& txn, ServiceContext& context, v1::CustomerCase& customer_case) {
  const std::string subject = CaseSubject(customer_case.case_id());
  const std::string sla = customer_case.kind() == v1::CASE_KIND_TIP_OFF ? kTipOffSla : kComplaintSla;
  if (auto s = AttachSla(txn, context, sla, subject, customer_case.mutable_slas()); !s.ok()) return s;
  if (!customer_case.red_line_rule().empty()) {
    auto forwarded = OutboxDelivered(txn, CaseRedLineMessageId(customer_case.case_id()));
    if (!forwarded.ok()) return forwarded.status();
    customer_case.set_red_line_forwarded(*forwarded);
  }
  return AttachBreaches(txn, context, subject, customer_case.mutable_breaches());
}

}  // namespace gridserve::contact_center
