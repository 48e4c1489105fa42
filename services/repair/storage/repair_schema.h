#ifndef GRIDSERVE_SERVICES_REPAIR_STORAGE_REPAIR_SCHEMA_H_
#define GRIDSERVE_SERVICES_REPAIR_STORAGE_REPAIR_SCHEMA_H_

#include <vector>

#include "services/common/migrations.h"

namespace gridserve::repair {

// The repair service's own tables, applied at start-up after the platform's.
const std::vector<Migration>& RepairMigrations();

}  // namespace gridserve::repair

#endif  // GRIDSERVE_SERVICES_REPAIR_STORAGE_REPAIR_SCHEMA_H_
