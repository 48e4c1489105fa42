#include "services/repair/domain/effects.h"

#include "absl/strings/str_cat.h"

namespace gridserve::repair {

std::string WorkOrderSubject(const std::string& work_order_id) { return absl::StrCat("work_order/", work_order_id); }
std::string OutageSubject(const std::string& outage_id) { return absl::StrCat("outage/", outage_id); }

}  // namespace gridserve::repair
