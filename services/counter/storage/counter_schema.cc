#include "services/counter/storage/counter_schema.h"

namespace gridserve::counter {

const std::vector<Migration>& CounterMigrations() {
  static const auto* kMigrations = new std::vector<Migration>{};
  return *kMigrations;
}

}  // namespace gridserve::counter
