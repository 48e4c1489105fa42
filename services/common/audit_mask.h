#ifndef GRIDSERVE_SERVICES_COMMON_AUDIT_MASK_H_
#define GRIDSERVE_SERVICES_COMMON_AUDIT_MASK_H_

#include <string>

#include "absl/strings/string_view.h"

namespace gridserve {

// Masks personal data in free text (log field values, error messages):
//  - phone and ID numbers: a standalone run of at least 7 digits (groups may
//    be joined by '-' or ' ' when the later groups have 3+ digits, a leading
//    '+' is kept, an ID number's final X counts): every digit but the first 3
//    (runs of 11+ digits) and the last 2 becomes '*', e.g.
//    "13812345678" -> "138******78";
//  - street addresses: "12 Jiefang Road" (number, capitalised words, a street
//    word) and Chinese addresses (…路/街/巷/弄/号/村/镇/小区/栋/单元/室…)
//    become "[address]".
// Digits inside identifiers ("WO-3f9a0c12345678ab") and short numbers
// (ports, counts, dates) are left alone.
std::string MaskPersonalData(absl::string_view text);

// A log field: the whole value is masked when the key names personal data
// (phone, mobile, address, id_number, id_card, or ends in _phone, _address,
// _id_number); otherwise MaskPersonalData.
std::string MaskLogField(absl::string_view key, absl::string_view value);

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_AUDIT_MASK_H_
