#ifndef GRIDSERVE_SERVICES_REPAIR_STORAGE_WORK_ORDER_STORE_H_
#define GRIDSERVE_SERVICES_REPAIR_STORAGE_WORK_ORDER_STORE_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gridserve/v1/repair.pb.h"
#include "services/common/database.h"
#include "services/repair/domain/arrival_statistics.h"

namespace gridserve::repair {

struct WorkOrderFilter {
  std::string department;
  v1::WorkOrderState state = v1::WORK_ORDER_STATE_UNSPECIFIED;
  std::string area_class;
  // Only orders with an open clock due before this, ordered by due time.
  std::optional<absl::Time> due_before;
  std::optional<absl::Time> dispatched_from;  // inclusive
  std::optional<absl::Time> dispatched_to;    // exclusive
  std::string outage_id;
  bool breached_only = false;
  std::string fault_report_id;
  int64_t offset = 0;
  int limit = 50;
};

// The repair_work_orders table. Stored orders carry no slas / breaches:
// those are read from the platform tables when an order is returned.
class WorkOrderStore {
 public:
  static absl::Status Insert(Transaction& txn, const v1::WorkOrder& order);
  static absl::Status Update(Transaction& txn, const v1::WorkOrder& order);
  static absl::StatusOr<std::optional<v1::WorkOrder>> Find(Transaction& txn, const std::string& work_order_id);
  static absl::StatusOr<std::optional<v1::WorkOrder>> FindByFaultReport(Transaction& txn,
                                                                         const std::string& fault_report_id);
  // At most filter.limit orders from filter.offset, by dispatched_at (or by
  // the open clock's due time when due_before is set).
  static absl::StatusOr<std::vector<v1::WorkOrder>> List(Transaction& txn, const WorkOrderFilter& filter);
  // RP-1 clock facts of the orders dispatched in [from, to), for statistics.
  static absl::StatusOr<std::vector<OrderTimes>> ArrivalTimes(Transaction& txn, absl::Time from, absl::Time to,
                                                              const std::string& department);
  // Orders neither completed nor cancelled, by area class (gauge); `dialect` is the database's (ReadKeptCount).
  static absl::StatusOr<std::map<std::string, int64_t>> OpenByAreaClass(Transaction& txn, absl::string_view dialect);
};

}  // namespace gridserve::repair

#endif  // GRIDSERVE_SERVICES_REPAIR_STORAGE_WORK_ORDER_STORE_H_
