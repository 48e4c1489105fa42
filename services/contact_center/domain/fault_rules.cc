#include "services/contact_center/domain/fault_rules.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/common/config.h"
#include "services/common/phone_number.h"

namespace gridserve::contact_center {
namespace {

bool Blank(const std::string& s) { return absl::StripAsciiWhitespace(s).empty(); }

}  // namespace

bool NeedsDispatch(v1::FaultClassification classification) {
  return classification == v1::FAULT_CLASSIFICATION_UTILITY_SIDE ||
         classification == v1::FAULT_CLASSIFICATION_UNKNOWN;
}

void CheckFaultReport(Validator& v, const v1::ReportFaultRequest& request, const v1::SuiteConfig& config) {
  switch (request.classification()) {
    case v1::FAULT_CLASSIFICATION_CUSTOMER_INTERNAL:
      v.Check(request.guidance_given(), "guidance_given",
              "CC-3: a fault inside the customer's premises is guided by phone; record the guidance");
      CheckPhoneField(v, "reporter.phone", request.reporter().phone(), /*required=*/false);
      break;
    case v1::FAULT_CLASSIFICATION_UTILITY_SIDE:
    case v1::FAULT_CLASSIFICATION_UNKNOWN:
      v.Check(!Blank(request.reporter().name()), "reporter.name", "CC-3: a dispatch needs the reporter's name");
      // Repair gets only this number to reach the reporter: one that cannot be dialled is as good as none.
      if (v.Check(!Blank(request.reporter().phone()), "reporter.phone",
                  "CC-3: a dispatch needs the reporter's phone")) {
        v.Check(IsPhoneNumber(request.reporter().phone()), "reporter.phone",
                absl::StrCat("CC-3: the reporter's phone ", kPhoneNumberProblem));
      }
      v.Check(!Blank(request.location().address()), "location.address", "CC-3: a dispatch needs the address");
      // Repair's arrival promise (RP-1) is set by the area class: a dispatch without
      // one could never be accepted, so it is refused here, where the caller can fix it.
      v.Check(FindAreaClass(config, request.location().area_class()).ok(), "location.area_class",
              "CC-3/RP-1: a dispatch needs a configured area class (e.g. urban, rural, remote)");
      break;
    default:
      v.Add("classification", "must be CUSTOMER_INTERNAL, UTILITY_SIDE or UNKNOWN");
  }
}

absl::Time DispatchDue(absl::Time reported_at, const v1::ContactCenterConfig& config) {
  return reported_at + ToAbsl(config.dispatch_due());
}

}  // namespace gridserve::contact_center
