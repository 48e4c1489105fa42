#ifndef GRIDSERVE_SERVICES_CONTACT_CENTER_DOMAIN_OUTAGE_DIRECTORY_H_
#define GRIDSERVE_SERVICES_CONTACT_CENTER_DOMAIN_OUTAGE_DIRECTORY_H_

#include "absl/time/time.h"
#include "gridserve/v1/common.pb.h"

namespace gridserve::contact_center {

// CC-4: the outage (owned by repair) covering a caller's location.
struct OutageAnswer {
  // COVERED, NOT_COVERED, or UNKNOWN when repair could not be asked in time.
  v1::OutageLookupStatus status = v1::OUTAGE_LOOKUP_STATUS_UNKNOWN;
  v1::OutageSummary outage;
};

// Where outages are looked up. Never fails: an unreachable or slow owner is
// an UNKNOWN answer, and UNKNOWN means no CC-4 check.
class OutageDirectory {
 public:
  virtual ~OutageDirectory() = default;
  virtual OutageAnswer Lookup(const v1::Location& location, absl::Time at) = 0;
};

}  // namespace gridserve::contact_center

#endif  // GRIDSERVE_SERVICES_CONTACT_CENTER_DOMAIN_OUTAGE_DIRECTORY_H_
