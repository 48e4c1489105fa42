#include "services/repair/storage/work_order_store.h"

#include "absl/strings/str_cat.h"
#include "services/common/clock.h"
#include "services/common/rpc_util.h"
#include "services/repair/domain/effects.h"
#include "services/repair/storage/repair_schema.h"

namespace gridserve::repair {
namespace {

// What is stored: the order without its derived read-model fields.
std::string Body(const v1::WorkOrder& order) {
  v1::WorkOrder stored = order;
  stored.clear_slas();
  stored.clear_breaches();
  return stored.SerializeAsString();
}

SqlValue FaultReportColumn(const v1::WorkOrder& order) {
  if (order.fault_report_id().empty()) return nullptr;
  return order.fault_report_id();
}

absl::StatusOr<std::vector<v1::WorkOrder>> Parse(const std::vector<Row>& rows) {
  std::vector<v1::WorkOrder> out;
  for (const Row& row : rows) {
    v1::WorkOrder order;
    if (!order.ParseFromString(row.Text(0))) return absl::DataLossError("a stored work order cannot be parsed");
    out.push_back(std::move(order));
  }
  return out;
}

absl::StatusOr<std::optional<v1::WorkOrder>> FindOne(Transaction& txn, const std::string& column,
                                                     const std::string& value) {
  auto rows = txn.Query(absl::StrCat("SELECT body FROM repair_work_orders WHERE ", column, " = ?"), {value});
  if (!rows.ok()) return rows.status();
  auto orders = Parse(*rows);
  if (!orders.ok()) return orders.status();
  if (orders->empty()) return std::optional<v1::WorkOrder>();
  return std::optional<v1::WorkOrder>(std::move(orders->front()));
}

}  // namespace

absl::Status WorkOrderStore::Insert(Transaction& txn, const v1::WorkOrder& order) {
  return txn
      .Execute(
          "INSERT INTO repair_work_orders (work_order_id, subject, fault_report_id, department, state, area_class,"
          " outage_id, dispatched_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {order.work_order_id(), WorkOrderSubject(order.work_order_id()), FaultReportColumn(order),
           order.department(), static_cast<int64_t>(order.state()), order.location().area_class(), order.outage_id(),
           ToMicros(FromProto(order.dispatched_at())), Blob{Body(order)}})
      .status();
}

absl::Status WorkOrderStore::Update(Transaction& txn, const v1::WorkOrder& order) {
  auto changed = txn.Execute("UPDATE repair_work_orders SET state = ?, body = ? WHERE work_order_id = ?",
                             {static_cast<int64_t>(order.state()), Blob{Body(order)}, order.work_order_id()});
  if (!changed.ok()) return changed.status();
  if (*changed != 1) return absl::NotFoundError(absl::StrCat("work order ", order.work_order_id(), " not found"));
  return absl::OkStatus();
}

absl::StatusOr<std::optional<v1::WorkOrder>> WorkOrderStore::Find(Transaction& txn, const std::string& work_order_id) {
  return FindOne(txn, "work_order_id", work_order_id);
}

absl::StatusOr<std::optional<v1::WorkOrder>> WorkOrderStore::FindByFaultReport(Transaction& txn,
                                                                               const std::string& fault_report_id) {
  return FindOne(txn, "fault_report_id", fault_report_id);
}

absl::StatusOr<std::vector<v1::WorkOrder>> WorkOrderStore::List(Transaction& txn, const WorkOrderFilter& filter) {
  std::string sql = "SELECT w.body FROM repair_work_orders w";
  std::vector<SqlValue> params;
  if (filter.due_before.has_value()) {
    // Each order has at most one open RP-1 clock at a time (arrival, then
    // restoration). Naming the SLAs lets the (sla, due time) index find them.
    sql += " JOIN sla_timers t ON t.subject = w.subject AND t.state = 'open' AND t.sla IN (?, ?) AND t.due_at < ?";
    params.push_back(std::string(kArrivalSla));
    params.push_back(std::string(kRestorationSla));
    params.push_back(ToMicros(*filter.due_before));
  }
  sql += " WHERE 1 = 1";
  auto add = [&](const char* clause, SqlValue value) {
    sql += clause;
    params.push_back(std::move(value));
  };
  if (!filter.department.empty()) add(" AND w.department = ?", filter.department);
  if (filter.state != v1::WORK_ORDER_STATE_UNSPECIFIED) add(" AND w.state = ?", static_cast<int64_t>(filter.state));
  if (!filter.area_class.empty()) add(" AND w.area_class = ?", filter.area_class);
  if (filter.dispatched_from.has_value()) add(" AND w.dispatched_at >= ?", ToMicros(*filter.dispatched_from));
  if (filter.dispatched_to.has_value()) add(" AND w.dispatched_at < ?", ToMicros(*filter.dispatched_to));
  if (!filter.outage_id.empty()) add(" AND w.outage_id = ?", filter.outage_id);
  if (!filter.fault_report_id.empty()) add(" AND w.fault_report_id = ?", filter.fault_report_id);
  if (filter.breached_only) sql += " AND EXISTS (SELECT 1 FROM breaches b WHERE b.subject = w.subject)";
  sql += filter.due_before.has_value() ? " ORDER BY t.due_at, w.work_order_id" : " ORDER BY w.dispatched_at, w.work_order_id";
  sql += " LIMIT ? OFFSET ?";
  params.push_back(static_cast<int64_t>(filter.limit));
  params.push_back(filter.offset);
  auto rows = txn.Query(sql, params);
  if (!rows.ok()) return rows.status();
  return Parse(*rows);
}

absl::StatusOr<std::vector<OrderTimes>> WorkOrderStore::ArrivalTimes(Transaction& txn, absl::Time from, absl::Time to,
                                                                     const std::string& department) {
  // The clocks hold the RP-1 facts: arrival closed_at = arrived_at (of a
  // cancelled order: cancelled_at), restoration closed_at = restored_at; a
  // clock's state says whether it recorded a breach (it keeps it when an
  // in-time fact is synced after the expiry).
  auto rows = txn.Query(
      "SELECT w.area_class, w.dispatched_at, a.due_at, a.closed_at, r.due_at, r.closed_at, w.state, a.state, r.state"
      " FROM repair_work_orders w"
      " JOIN sla_timers a ON a.sla = ? AND a.subject = w.subject"
      " LEFT JOIN sla_timers r ON r.sla = ? AND r.subject = w.subject"
      " WHERE w.dispatched_at >= ? AND w.dispatched_at < ? AND (? = '' OR w.department = ?)",
      {std::string(kArrivalSla), std::string(kRestorationSla), ToMicros(from), ToMicros(to), department,
       department});
  if (!rows.ok()) return rows.status();
  std::vector<OrderTimes> out;
  for (const Row& row : *rows) {
    OrderTimes t;
    t.area_class = row.Text(0);
    t.dispatched_at = FromMicros(row.Int(1));
    t.arrival_due = FromMicros(row.Int(2));
    if (!row.IsNull(3)) {
      (row.Int(6) == v1::WORK_ORDER_STATE_CANCELLED ? t.cancelled_at : t.arrived_at) = FromMicros(row.Int(3));
    }
    if (!row.IsNull(4)) t.restoration_due = FromMicros(row.Int(4));
    if (!row.IsNull(5)) t.restored_at = FromMicros(row.Int(5));
    t.arrival_clock_breached = row.Text(7) == "breached";
    t.restoration_clock_breached = !row.IsNull(8) && row.Text(8) == "breached";
    out.push_back(std::move(t));
  }
  return out;
}

absl::StatusOr<std::map<std::string, int64_t>> WorkOrderStore::OpenByAreaClass(Transaction& txn,
                                                                               absl::string_view dialect) {
  return ReadKeptCount(txn, dialect, OpenOrdersByAreaClass());
}

}  // namespace gridserve::repair
