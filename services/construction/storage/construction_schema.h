#ifndef GRIDSERVE_SERVICES_CONSTRUCTION_STORAGE_CONSTRUCTION_SCHEMA_H_
#define GRIDSERVE_SERVICES_CONSTRUCTION_STORAGE_CONSTRUCTION_SCHEMA_H_

#include <vector>

#include "services/common/kept_counts.h"
#include "services/common/migrations.h"

namespace gridserve::construction {

// The construction service's own tables, applied at start-up after the platform's.
const std::vector<Migration>& ConstructionMigrations();

// Projects by (stage, type) for the project gauge (PairKey of stage and project_type).
const KeptCount& ProjectsByStageAndType();

}  // namespace gridserve::construction

#endif  // GRIDSERVE_SERVICES_CONSTRUCTION_STORAGE_CONSTRUCTION_SCHEMA_H_
