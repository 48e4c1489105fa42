#ifndef GRIDSERVE_SERVICES_RISK_STORAGE_RISK_SCHEMA_H_
#define GRIDSERVE_SERVICES_RISK_STORAGE_RISK_SCHEMA_H_

#include <vector>

#include "services/common/migrations.h"

namespace gridserve::risk {

// The risk service's own tables, applied at start-up after the platform's.
const std::vector<Migration>& RiskMigrations();

}  // namespace gridserve::risk

#endif  // GRIDSERVE_SERVICES_RISK_STORAGE_RISK_SCHEMA_H_
