#include "services/common/audit_mask.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "re2/re2.h"

namespace gridserve {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsWordChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}

bool IsJoiner(char c) { return c == '-' || c == '_' || c == '.' || c == '/'; }

// Masks standalone digit runs that look like phone or ID numbers.
std::string MaskNumbers(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    const bool starts_number = IsDigit(c) || (c == '+' && i + 1 < text.size() && IsDigit(text[i + 1]));
    // Digits right after "WO-", "req_" etc. belong to an identifier.
    const bool in_identifier = i >= 2 && IsJoiner(text[i - 1]) && absl::ascii_isalpha(static_cast<unsigned char>(text[i - 2]));
    const bool at_boundary = (i == 0 || !IsWordChar(text[i - 1])) && !in_identifier;
    if (!starts_number || !at_boundary) {
      // Skip a whole word so digits inside identifiers stay as they are.
      if (IsWordChar(c)) {
        while (i < text.size() && IsWordChar(text[i])) out += text[i++];
      } else {
        out += text[i++];
      }
      continue;
    }
    // Collect the candidate: [+]digits ( [- ]digits{3,} )* [Xx]
    size_t end = i + (c == '+' ? 1 : 0);
    int digits = 0;
    while (end < text.size() && IsDigit(text[end])) ++end, ++digits;
    while (end + 1 < text.size() && (text[end] == '-' || text[end] == ' ')) {
      size_t next = end + 1;
      int group = 0;
      while (next < text.size() && IsDigit(text[next])) ++next, ++group;
      if (group < 3) break;
      end = next;
      digits += group;
    }
    if (digits == 17 && end < text.size() && (text[end] == 'X' || text[end] == 'x')) ++end, ++digits;
    const bool at_end_boundary =
        end == text.size() ||
        (!IsWordChar(text[end]) &&
         !(IsJoiner(text[end]) && end + 1 < text.size() && absl::ascii_isalpha(static_cast<unsigned char>(text[end + 1]))));
    if (digits < 7 || !at_end_boundary) {
      // Not a number to mask: copy the run (and the rest of its word).
      while (i < end) out += text[i++];
      while (i < text.size() && IsWordChar(text[i])) out += text[i++];
      continue;
    }
    const int keep_front = digits >= 11 ? 3 : 0;
    const int keep_back = 2;
    int seen = 0;
    for (; i < end; ++i) {
      const char d = text[i];
      const bool is_digit = IsDigit(d) || d == 'X' || d == 'x';
      if (is_digit) {
        out += (seen < keep_front || seen >= digits - keep_back) ? d : '*';
        ++seen;
      } else {
        out += d;
      }
    }
  }
  return out;
}

const RE2& StreetAddress() {
  static const RE2* re = new RE2(
      "\\b[0-9]+[A-Za-z]?,?\\s+(?:[A-Z][A-Za-z'.-]*\\s+){1,4}"
      "(?:Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Court|Ct|Place|Pl|Alley|Highway|Hwy)"
      "\\b\\.?(?:,\\s*[A-Z][A-Za-z]+)*");
  return *re;
}

const RE2& ChineseAddress() {
  static const RE2* re = new RE2(
      "[\\p{Han}0-9A-Za-z]*[\\p{Han}0-9]"
      "(?:路|街|大道|巷|弄|胡同|号|村|镇|乡|小区|栋|幢|单元|室|楼)"
      "[\\p{Han}0-9A-Za-z#-]*");
  return *re;
}

}  // namespace

std::string MaskPersonalData(absl::string_view text) {
  std::string out(text);
  // Addresses first: their house numbers are short and the number rule
  // would leave them.
  if (RE2::GlobalReplace(&out, StreetAddress(), "[address]") < 0) return "[masked]";
  // Only text with non-ASCII bytes can hold a Chinese address.
  bool non_ascii = false;
  for (char c : out) non_ascii |= static_cast<unsigned char>(c) >= 0x80;
  if (non_ascii && RE2::GlobalReplace(&out, ChineseAddress(), "[address]") < 0) return "[masked]";
  return MaskNumbers(out);
}

std::string MaskLogField(absl::string_view key, absl::string_view value) {
  const std::string k = absl::AsciiStrToLower(key);
  for (const char* exact : {"phone", "mobile", "address", "id_number", "id_card", "phone_number"}) {
    if (k == exact) return value.empty() ? "" : "[masked]";
  }
  for (const char* suffix : {"_phone", "_address", "_id_number", "_mobile"}) {
    if (absl::EndsWith(k, suffix)) return value.empty() ? "" : "[masked]";
  }
  return MaskPersonalData(value);
}

}  // namespace gridserve
