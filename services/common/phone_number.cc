#include "services/common/phone_number.h"

#include <string>

#include "absl/strings/ascii.h"

namespace gridserve {
namespace {

bool AllDigits(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return !s.empty();
}

}  // namespace

bool IsPhoneNumber(absl::string_view value) {
  if (value.size() == 11 && value[0] == '1' && AllDigits(value)) return true;  // mobile
  // Landline: area code, optional hyphen, number; 7 to 12 digits in all.
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

bool CheckPhoneField(Validator& v, absl::string_view field, absl::string_view phone, bool required) {
  if (phone.empty()) return v.Check(!required, field, "is required");
  return v.Check(IsPhoneNumber(phone), field, kPhoneNumberProblem);
}

}  // namespace gridserve
