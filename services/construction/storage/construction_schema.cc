#include "services/construction/storage/construction_schema.h"

namespace gridserve::construction {

const std::vector<Migration>& ConstructionMigrations() {
  static const auto* kMigrations = new std::vector<Migration>{};
  return *kMigrations;
}

}  // namespace gridserve::construction
