#ifndef GRIDSERVE_SERVICES_COMMON_PHONE_NUMBER_H_
#define GRIDSERVE_SERVICES_COMMON_PHONE_NUMBER_H_

#include "absl/strings/string_view.h"
#include "services/common/status_util.h"

namespace gridserve {

// A contact phone number as customers give it: an 11-digit mobile number
// starting with 1, also after the country code ("+86", "0086", "86":
// telephony's caller ids are copied into contact details), or a landline
// (area code, optional hyphen, number; 7 to 12 digits in all), also after
// "+86" / "0086" without its trunk 0. Shared by every service that takes
// contact details, so a number one service accepts is accepted by all.
bool IsPhoneNumber(absl::string_view value);

// What a rejected number is told (a field-violation description).
inline constexpr char kPhoneNumberProblem[] =
    "is not a mobile number (11 digits starting with 1, optionally after +86) or a landline number";

// A contact number taken under `field`, the same in every service: empty is a
// violation ("is required") only when `required`; anything else must pass
// IsPhoneNumber. A number stored once is dialled later (callbacks, crews), so
// a typo is refused while the caller is still there. Returns whether it passed.
bool CheckPhoneField(Validator& v, absl::string_view field, absl::string_view phone, bool required);

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_PHONE_NUMBER_H_
