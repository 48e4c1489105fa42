#include "services/repair/storage/repair_schema.h"

namespace gridserve::repair {

const std::vector<Migration>& RepairMigrations() {
  static const auto* kMigrations = new std::vector<Migration>{};
  return *kMigrations;
}

}  // namespace gridserve::repair
