#ifndef GRIDSERVE_SERVICES_COUNTER_DOMAIN_BUSINESS_TYPES_H_
#define GRIDSERVE_SERVICES_COUNTER_DOMAIN_BUSINESS_TYPES_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "gridserve/v1/counter.pb.h"

namespace gridserve::counter::domain {

// What is wrong with one field value: a machine code ("format", "range") and
// a message. std::nullopt when the value is acceptable.
struct FieldProblem {
  std::string code;
  std::string message;
};
using FieldCheck = std::function<std::optional<FieldProblem>(absl::string_view value)>;

// One field of an application form (CT-3): whether it is required, how its
// value is checked, and the guidance staff give for the re-fill (pointing to
// the filled-in sample, as the clause asks).
struct FieldRule {
  std::string field;
  std::string label;
  bool required = true;
  FieldCheck check;  // may be empty: any non-empty value is fine
  std::string guidance;
};

// A business handled at the hall: its ticket letter and, when it needs one,
// its application form.
struct BusinessType {
  std::string name;           // e.g. "new_connection"
  std::string ticket_prefix;  // displayed ticket letter, e.g. "A"
  bool has_form = false;
  std::vector<FieldRule> form;
};

// The hall's business catalogue (the table below in business_types.cc).
const std::vector<BusinessType>& BusinessTypes();
const BusinessType* FindBusinessType(absl::string_view name);

// CT-3: validates a submitted form field by field. Every error carries its
// guidance; an empty result means the form is accepted. Fields not on the
// form are reported too ("unknown"), so nothing the customer wrote is lost.
std::vector<v1::FormFieldError> ValidateForm(const BusinessType& type,
                                             const std::map<std::string, std::string>& fields);

// Value checks, shared with other request validation (contact phone numbers).
std::optional<FieldProblem> CheckIdNumber(absl::string_view value);
std::optional<FieldProblem> CheckPhone(absl::string_view value);
std::optional<FieldProblem> CheckCapacityKva(absl::string_view value);
std::optional<FieldProblem> CheckAccountNumber(absl::string_view value);
std::optional<FieldProblem> CheckAddress(absl::string_view value);

}  // namespace gridserve::counter::domain

#endif  // GRIDSERVE_SERVICES_COUNTER_DOMAIN_BUSINESS_TYPES_H_
