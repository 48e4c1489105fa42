#ifndef GRIDSERVE_SERVICES_REPAIR_STORAGE_REPAIR_SCHEMA_H_
#define GRIDSERVE_SERVICES_REPAIR_STORAGE_REPAIR_SCHEMA_H_

#include <vector>

#include "services/common/kept_counts.h"
#include "services/common/migrations.h"

namespace gridserve::repair {

// The repair service's own tables, applied at start-up after the platform's.
const std::vector<Migration>& RepairMigrations();

// Work orders not completed, by area class, for the open-orders gauge.
const KeptCount& OpenOrdersByAreaClass();

}  // namespace gridserve::repair

#endif  // GRIDSERVE_SERVICES_REPAIR_STORAGE_REPAIR_SCHEMA_H_
