#include "services/counter/domain/business_types.h"

#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/phone_number.h"

namespace gridserve::counter::domain {
namespace {

bool AllDigits(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return !s.empty();
}

// UTF-8 code points (addresses are usually written in Chinese characters).
int CodePoints(absl::string_view s) {
  int n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::optional<FieldProblem> CheckTariff(absl::string_view value) {
  for (const char* t : {"residential", "commercial", "industrial", "agricultural"}) {
    if (value == t) return std::nullopt;
  }
  return FieldProblem{"format", "is not a tariff category of the published price list"};
}

const char kSample[] = "; see the filled-in sample at the counter";

// The rules table, one entry per business. Field keys are what kiosks and
// counter terminals send in SubmitApplicationFormRequest.fields.
std::vector<BusinessType> BuildTable() {
  const FieldRule applicant_name{"applicant_name", "applicant's name", true, nullptr,
                                 absl::StrCat("write the name exactly as on the identity card", kSample)};
  const FieldRule id_number{"id_number", "identity card number", true, CheckIdNumber,
                            absl::StrCat("copy the 18-character number from the identity card; the last "
                                         "character may be X",
                                         kSample)};
  const FieldRule phone{"phone", "contact phone", true, CheckPhone,
                        absl::StrCat("an 11-digit mobile number or a landline with area code", kSample)};
  const FieldRule address{"address", "supply address", true, CheckAddress,
                          absl::StrCat("the full address where electricity is needed: district, street, "
                                       "number, building and room",
                                       kSample)};
  const FieldRule capacity{"requested_capacity_kva", "requested capacity (kVA)", true, CheckCapacityKva,
                           absl::StrCat("a number of kVA between 1 and 100000, e.g. 8 for a home", kSample)};
  const FieldRule account{"account_number", "customer account number", true, CheckAccountNumber,
                          absl::StrCat("the 10-digit account number printed on the electricity bill", kSample)};
  return {
      {"new_connection", "A", true, {applicant_name, id_number, phone, address, capacity}},
      {"capacity_change", "B", true, {account, id_number, phone, capacity}},
      {"name_transfer",
       "C",
       true,
       {account,
        {"new_holder_name", "new account holder's name", true, nullptr,
         absl::StrCat("the name of the new holder as on the identity card", kSample)},
        {"new_holder_id_number", "new account holder's identity card number", true, CheckIdNumber,
         absl::StrCat("the new holder's 18-character identity card number", kSample)},
        {"property_certificate_number", "property certificate number", true, nullptr,
         absl::StrCat("the number on the property ownership certificate", kSample)},
        phone}},
      {"tariff_change",
       "D",
       true,
       {account, id_number,
        {"requested_tariff", "requested tariff category", true, CheckTariff,
         absl::StrCat("one of: residential, commercial, industrial, agricultural", kSample)}}},
      {"meter_check",
       "E",
       true,
       {account, phone,
        {"reason", "reason for the check", true, nullptr,
         absl::StrCat("describe in a few words what seems wrong with the meter", kSample)}}},
      {"payment", "F", false, {}},
      {"consultation", "G", false, {}},
  };
}

}  // namespace

std::optional<FieldProblem> CheckIdNumber(absl::string_view value) {
  // Resident identity card: 17 digits and a check character (ISO 7064 MOD 11-2).
  if (value.size() != 18 || !AllDigits(value.substr(0, 17)) ||
      !(absl::ascii_isdigit(static_cast<unsigned char>(value[17])) || value[17] == 'X' || value[17] == 'x')) {
    return FieldProblem{"format", "must be 17 digits followed by a digit or X"};
  }
  static const int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static const char kCheck[] = "10X98765432";
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (value[i] - '0') * kWeights[i];
  const char expected = kCheck[sum % 11];
  const char given = value[17] == 'x' ? 'X' : value[17];
  if (given != expected) return FieldProblem{"checksum", "the check character does not match the number"};
  return std::nullopt;
}

std::optional<FieldProblem> CheckPhone(absl::string_view value) {
  if (IsPhoneNumber(value)) return std::nullopt;
  return FieldProblem{"format", kPhoneNumberProblem};
}

std::optional<FieldProblem> CheckCapacityKva(absl::string_view value) {
  double kva = 0;
  if (!absl::SimpleAtod(value, &kva)) return FieldProblem{"format", "is not a number"};
  if (!(kva >= 1 && kva <= 100000)) return FieldProblem{"range", "must be between 1 and 100000 kVA"};
  return std::nullopt;
}

std::optional<FieldProblem> CheckAccountNumber(absl::string_view value) {
  if (value.size() == 10 && AllDigits(value)) return std::nullopt;
  return FieldProblem{"format", "must be the 10-digit account number"};
}

std::optional<FieldProblem> CheckAddress(absl::string_view value) {
  if (CodePoints(value) >= 5) return std::nullopt;
  return FieldProblem{"format", "is too short to locate the premises"};
}

const std::vector<BusinessType>& BusinessTypes() {
  static const auto* kTable = new std::vector<BusinessType>(BuildTable());
  return *kTable;
}

const BusinessType* FindBusinessType(absl::string_view name) {
  for (const BusinessType& type : BusinessTypes()) {
    if (type.name == name) return &type;
  }
  return nullptr;
}

std::vector<v1::FormFieldError> ValidateForm(const BusinessType& type,
                                             const std::map<std::string, std::string>& fields) {
  std::vector<v1::FormFieldError> errors;
  auto add = [&errors](const std::string& field, const std::string& code, const std::string& message,
                       const std::string& guidance) {
    v1::FormFieldError e;
    e.set_field(field);
    e.set_code(code);
    e.set_message(message);
    e.set_guidance(guidance);
    errors.push_back(std::move(e));
  };
  for (const FieldRule& rule : type.form) {
    auto it = fields.find(rule.field);
    const absl::string_view value =
        it == fields.end() ? absl::string_view() : absl::StripAsciiWhitespace(absl::string_view(it->second));
    if (value.empty()) {
      if (rule.required) add(rule.field, "required", absl::StrCat(rule.label, " is missing"), rule.guidance);
      continue;
    }
    if (rule.check) {
      if (auto problem = rule.check(value)) {
        add(rule.field, problem->code, absl::StrCat(rule.label, " ", problem->message), rule.guidance);
      }
    }
  }
  for (const auto& [key, value] : fields) {
    bool known = false;
    for (const FieldRule& rule : type.form) known |= rule.field == key;
    if (!known) {
      add(key, "unknown", absl::StrCat("\"", key, "\" is not a field of the ", type.name, " form"),
          "leave it out; the filled-in sample shows the fields of this form");
    }
  }
  return errors;
}

}  // namespace gridserve::counter::domain
