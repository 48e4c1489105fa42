#include "services/contact_center/storage/contact_center_schema.h"

namespace gridserve::contact_center {

const std::vector<Migration>& ContactCenterMigrations() {
  static const auto* kMigrations = new std::vector<Migration>{};
  return *kMigrations;
}

}  // namespace gridserve::contact_center
