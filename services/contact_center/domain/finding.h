#ifndef GRIDSERVE_SERVICES_CONTACT_CENTER_DOMAIN_FINDING_H_
#define GRIDSERVE_SERVICES_CONTACT_CENTER_DOMAIN_FINDING_H_

#include <string>

#include "gridserve/v1/common.pb.h"

namespace gridserve::contact_center {

// A norm breach found by a rule, before it is attributed to a department,
// staff member and subject and recorded (BreachRecorder).
struct Finding {
  std::string rule;    // clause ID, e.g. "CC-1"
  std::string key;     // unique among the findings of one subject, stable: "late_answer"
  std::string detail;  // human-readable, free of personal data
  v1::Mechanism mechanism = v1::MECHANISM_CHECK;
};

}  // namespace gridserve::contact_center

#endif  // GRIDSERVE_SERVICES_CONTACT_CENTER_DOMAIN_FINDING_H_
