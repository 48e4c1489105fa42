#include "services/risk/storage/risk_schema.h"

namespace gridserve::risk {

const std::vector<Migration>& RiskMigrations() {
  static const auto* kMigrations = new std::vector<Migration>{};
  return *kMigrations;
}

}  // namespace gridserve::risk
