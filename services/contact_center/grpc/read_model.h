#ifndef GRIDSERVE_SERVICES_CONTACT_CENTER_GRPC_READ_MODEL_H_
#define GRIDSERVE_SERVICES_CONTACT_CENTER_GRPC_READ_MODEL_H_

#include <string>

#include "absl/status/status.h"
#include "gridserve/v1/contact_center.pb.h"
#include "services/common/service_context.h"

namespace gridserve::contact_center {

// Subjects of breaches and SLA clocks ("call/CALL-…").
std::string CallSubject(const std::string& id);
std::string ConsultationSubject(const std::string& id);
std::string FaultReportSubject(const std::string& id);
std::string CaseSubject(const std::string& id);
// Outbox message ids (stable per subject: redeliveries are recognised).
std::string DispatchMessageId(const std::string& fault_report_id);
std::string CaseRedLineMessageId(const std::string& case_id);

// A platform SLA clock as the API's SlaState.
v1::SlaState ToSlaState(const SlaStatus& status);

// Fills in what lives outside the stored record: the breaches recorded about
// it, the SLA clocks (platform tables), and outbox delivery facts.
absl::Status CompleteCall(Transaction& txn, ServiceContext& context, v1::Call& call);
absl::Status CompleteConsultation(Transaction& txn, ServiceContext& context, v1::Consultation& consultation);
absl::Status CompleteFaultReport(Transaction& txn, ServiceContext& context, v1::FaultReport& report);
absl::Status CompleteCase(Transaction& txn, ServiceContext& context, v1::CustomerCase& customer_case);

}  // namespace gridserve::contact_center

#endif  // GRIDSERVE_SERVICES_CONTACT_CENTER_GRPC_READ_MODEL_H_
