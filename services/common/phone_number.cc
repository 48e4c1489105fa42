#include "services/common/phone_number.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"

namespace gridserve {
namespace {

bool AllDigits(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return !s.empty();
}

bool IsMobile(absl::string_view value) { return value.size() == 11 && value[0] == '1' && AllDigits(value); }

// Area code, optional hyphen, number; 7 to 12 digits in all.
bool IsLandline(absl::string_view value) {
  std::string digits;
  int hyphens = 0;
  for (char c : value) {
    if (c == '-') {
      ++hyphens;
    } else {
      digits.push_back(c);
    }
  }
  return hyphens <= 1 && AllDigits(digits) && digits.size() >= 7 && digits.size() <= 12 && value.front() != '-' &&
         value.back() != '-';
}

}  // namespace

bool IsPhoneNumber(absl::string_view value) {
  // With mainland China's country code, as telephony presents caller ids
  // ("+8613800000000", "008613800000000", "8613800000000"), or a landline
  // after "+86" / "0086" without its trunk 0 ("+86-10-12345678" aside: one hyphen).
  absl::string_view national = value;
  if (absl::ConsumePrefix(&national, "+86") || absl::ConsumePrefix(&national, "0086")) {
    if (!absl::ConsumePrefix(&national, " ")) absl::ConsumePrefix(&national, "-");
    return IsMobile(national) || (!national.empty() && national[0] != '0' && IsLandline(national));
  }
  if (national.size() == 13 && absl::ConsumePrefix(&national, "86")) return IsMobile(national);
  return IsMobile(value) || IsLandline(value);
}

bool CheckPhoneField(Validator& v, absl::string_view field, absl::string_view phone, bool required) {
  if (phone.empty()) return v.Check(!required, field, "is required");
  return v.Check(IsPhoneNumber(phone), field, kPhoneNumberProblem);
}

}  // namespace gridserve
