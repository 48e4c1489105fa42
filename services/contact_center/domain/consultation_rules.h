#ifndef GRIDSERVE_SERVICES_CONTACT_CENTER_DOMAIN_CONSULTATION_RULES_H_
#define GRIDSERVE_SERVICES_CONTACT_CENTER_DOMAIN_CONSULTATION_RULES_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gridserve/v1/config.pb.h"
#include "gridserve/v1/contact_center.pb.h"
#include "services/common/status_util.h"

namespace gridserve::contact_center {

inline constexpr char kCallbackSla[] = "consultation_callback";

// CC-2 "answer patiently; if not answerable at once, apologise, take a
// callback number, research or escalate, reply as soon as possible":
// - ANSWERED_ON_CALL needs the answer given;
// - DEFERRED is a gate: it needs apologised = true and a callback_number that
//   is a phone number (services/common/phone_number.h).
// Adds one violation per missing item (descriptions name CC-2).
void CheckConsultationHandling(Validator& v, const v1::OpenConsultationRequest& request);

// CC-2 timer: the callback is due callback_due after the consultation opened.
absl::Time CallbackDue(absl::Time opened_at, const v1::ContactCenterConfig& config);

// CC-2: only a deferred consultation still awaiting its callback can be
// replied to (FAILED_PRECONDITION naming CC-2 otherwise).
absl::Status CheckCanReply(const v1::Consultation& consultation);

}  // namespace gridserve::contact_center

#endif  // GRIDSERVE_SERVICES_CONTACT_CENTER_DOMAIN_CONSULTATION_RULES_H_
