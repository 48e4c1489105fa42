#include "services/contact_center/domain/consultation_rules.h"

#include "absl/strings/str_cat.h"
#include "services/common/config.h"
#include "services/common/phone_number.h"

namespace gridserve::contact_center {

void CheckConsultationHandling(Validator& v, const v1::OpenConsultationRequest& request) {
  switch (request.handling()) {
    case v1::CONSULTATION_HANDLING_ANSWERED_ON_CALL:
      v.Check(!request.answer().empty(), "answer", "is required when the question was answered on the call");
      break;
    case v1::CONSULTATION_HANDLING_DEFERRED:
      v.Check(request.apologised(), "apologised",
              "CC-2: a deferred answer needs an apology for not answering at once");
      if (v.Check(!request.callback_number().empty(), "callback_number",
                  "CC-2: a deferred answer needs the customer's callback number")) {
        // CC-2: the callback must be able to reach the customer.
        v.Check(IsPhoneNumber(request.callback_number()), "callback_number",
                absl::StrCat("CC-2: the callback number ", kPhoneNumberProblem));
      }
      break;
    default:
      v.Add("handling", "must be ANSWERED_ON_CALL or DEFERRED");
  }
}

absl::Time CallbackDue(absl::Time opened_at, const v1::ContactCenterConfig& config) {
  return opened_at + ToAbsl(config.callback_due());
}

absl::Status CheckCanReply(const v1::Consultation& consultation) {
  const std::string subject = absl::StrCat("consultation/", consultation.consultation_id());
  if (consultation.handling() != v1::CONSULTATION_HANDLING_DEFERRED) {
    return PreconditionFailed("CC-2", subject, "the question was answered on the call; there is no callback to reply");
  }
  if (consultation.state() != v1::CONSULTATION_STATE_AWAITING_CALLBACK) {
    return PreconditionFailed("CC-2", subject, "the callback has already been replied");
  }
  return absl::OkStatus();
}

}  // namespace gridserve::contact_center
