#ifndef GRIDSERVE_SERVICES_CONTACT_CENTER_DOMAIN_PHONE_RULES_H_
#define GRIDSERVE_SERVICES_CONTACT_CENTER_DOMAIN_PHONE_RULES_H_

#include "absl/strings/string_view.h"
#include "services/common/status_util.h"

namespace gridserve::contact_center {

// A phone number the contact centre takes where the proto leaves it optional
// (the caller's number, a customer's or reporter's Person.phone): empty is
// fine, anything else must pass the suite's one phone rule
// (services/common/phone_number.h), else a violation naming `field`. A number
// stored once is dialled later (callbacks, repair crews), so a typo is
// refused while the caller is still on the line.
void CheckPhoneIfGiven(Validator& v, absl::string_view field, absl::string_view phone);

}  // namespace gridserve::contact_center

#endif  // GRIDSERVE_SERVICES_CONTACT_CENTER_DOMAIN_PHONE_RULES_H_
