#ifndef GRIDSERVE_SERVICES_CONTACT_CENTER_STORAGE_CONTACT_CENTER_SCHEMA_H_
#define GRIDSERVE_SERVICES_CONTACT_CENTER_STORAGE_CONTACT_CENTER_SCHEMA_H_

#include <vector>

#include "services/common/kept_counts.h"
#include "services/common/migrations.h"

namespace gridserve::contact_center {

// The contact-center service's own tables, applied at start-up after the platform's.
const std::vector<Migration>& ContactCenterMigrations();

// Cases by (kind, state) for the case gauges (PairKey of kind and state).
const KeptCount& CasesByKindAndState();

}  // namespace gridserve::contact_center

#endif  // GRIDSERVE_SERVICES_CONTACT_CENTER_STORAGE_CONTACT_CENTER_SCHEMA_H_
