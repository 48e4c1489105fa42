#include "services/repair/storage/repair_schema.h"

#include "absl/strings/str_cat.h"
#include "gridserve/v1/repair.pb.h"

namespace gridserve::repair {
namespace {

// The open-orders count as migration 3 first kept it (before CANCELLED).
const KeptCount& OpenOrdersBeforeCancel() {
  static const auto* kCount = new KeptCount{
      "repair_open_orders_by_area", "repair_work_orders",
      absl::StrCat("CASE WHEN NEW.state <> ", v1::WORK_ORDER_STATE_COMPLETED, " THEN NEW.area_class END")};
  return *kCount;
}

}  // namespace

const std::vector<Migration>& RepairMigrations() {
  static const auto* kMigrations = new std::vector<Migration>{
      {1, "work_orders",
       // One row per work order: the indexed columns the lists filter on, and
       // the order itself (without its clocks and breaches, which are read
       // from sla_timers / breaches) as a serialized gridserve.v1.WorkOrder.
       // fault_report_id is UNIQUE: a redelivered dispatch cannot make a
       // second order (NULL for repair-desk orders).
       "CREATE TABLE repair_work_orders ("
       " work_order_id TEXT PRIMARY KEY, subject TEXT NOT NULL, fault_report_id TEXT UNIQUE,"
       " department TEXT NOT NULL, state INTEGER NOT NULL, area_class TEXT NOT NULL,"
       " outage_id TEXT NOT NULL, dispatched_at INTEGER NOT NULL, body BLOB NOT NULL);"
       "CREATE INDEX repair_work_orders_dispatched ON repair_work_orders (dispatched_at, work_order_id);"
       "CREATE INDEX repair_work_orders_state ON repair_work_orders (state, area_class);"
       "CREATE INDEX repair_work_orders_subject ON repair_work_orders (subject);"
       "CREATE INDEX repair_work_orders_outage ON repair_work_orders (outage_id);"},
      {2, "outages",
       // start_at = started_at or planned_start; end_at = restored_at, NULL
       // while active, else planned_end: the interval ListOutages overlaps.
       // started_at / restored_at drive the CC-4 lookup.
       "CREATE TABLE repair_outages ("
       " outage_id TEXT PRIMARY KEY, kind INTEGER NOT NULL, state INTEGER NOT NULL, department TEXT NOT NULL,"
       " start_at INTEGER NOT NULL, end_at INTEGER, started_at INTEGER, restored_at INTEGER,"
       " created_at INTEGER NOT NULL, body BLOB NOT NULL);"
       "CREATE INDEX repair_outages_state ON repair_outages (state, start_at);"
       "CREATE INDEX repair_outages_start ON repair_outages (start_at, outage_id);"
       // Where an outage applies: kind 'feeder' or 'area', the code.
       "CREATE TABLE repair_outage_locations ("
       " kind TEXT NOT NULL, code TEXT NOT NULL, outage_id TEXT NOT NULL, PRIMARY KEY (kind, code, outage_id));"
       "CREATE INDEX repair_outage_locations_outage ON repair_outage_locations (outage_id);"},
      // The open-orders gauge reads this instead of counting open orders (kept_counts.h).
      KeptCountMigration(3, OpenOrdersBeforeCancel()),
      // A cancelled order is no longer open: the count is redefined.
      DropKeptCountMigration(4, OpenOrdersBeforeCancel().name),
      KeptCountMigration(5, OpenOrdersByAreaClass()),
  };
  return *kMigrations;
}

const KeptCount& OpenOrdersByAreaClass() {
  static const auto* kCount = new KeptCount{
      "repair_open_orders", "repair_work_orders",
      absl::StrCat("CASE WHEN NEW.state NOT IN (", v1::WORK_ORDER_STATE_COMPLETED, ", ",
                   v1::WORK_ORDER_STATE_CANCELLED, ") THEN NEW.area_class END")};
  return *kCount;
}

}  // namespace gridserve::repair
