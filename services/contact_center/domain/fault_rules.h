#ifndef GRIDSERVE_SERVICES_CONTACT_CENTER_DOMAIN_FAULT_RULES_H_
#define GRIDSERVE_SERVICES_CONTACT_CENTER_DOMAIN_FAULT_RULES_H_

#include "absl/time/time.h"
#include "gridserve/v1/config.pb.h"
#include "gridserve/v1/contact_center.pb.h"
#include "services/common/status_util.h"

namespace gridserve::contact_center {

inline constexpr char kDispatchSla[] = "fault_dispatch";

// CC-3: a fault on the utility's side, or of unknown location, goes to repair
// at once; a fault inside the customer's premises is guided by phone.
bool NeedsDispatch(v1::FaultClassification classification);

// CC-3 gate:
// - CUSTOMER_INTERNAL: the phone guidance must have been given;
// - UTILITY_SIDE / UNKNOWN: "record name, phone, address" before the dispatch
//   (the phone a number IsPhoneNumber accepts), and always a configured
//   location.area_class: repair's RP-1 arrival promise depends on it, so a
//   dispatch without one could never be accepted.
// A reporter.phone given on a customer-internal fault must be a phone number too.
void CheckFaultReport(Validator& v, const v1::ReportFaultRequest& request, const v1::SuiteConfig& config);

// CC-3 timer: the dispatch must be accepted by repair within dispatch_due of
// the report (exactly at the due time is on time).
absl::Time DispatchDue(absl::Time reported_at, const v1::ContactCenterConfig& config);

}  // namespace gridserve::contact_center

#endif  // GRIDSERVE_SERVICES_CONTACT_CENTER_DOMAIN_FAULT_RULES_H_
