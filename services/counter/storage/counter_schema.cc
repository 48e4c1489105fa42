#include "services/counter/storage/counter_schema.h"

namespace gridserve::counter {

// Each entity: an id, the columns its queries filter and sort on (times as
// microseconds since the epoch, enums as their numbers), and the entity
// itself as a serialized proto in `body`.
const std::vector<Migration>& CounterMigrations() {
  static const auto* kMigrations = new std::vector<Migration>{
      {1, "counter tables",
       "CREATE TABLE counter_tickets (id TEXT PRIMARY KEY, hall_id TEXT NOT NULL, state INTEGER NOT NULL,"
       " priority INTEGER NOT NULL, business_type TEXT NOT NULL, accessible INTEGER NOT NULL,"
       " issued_at INTEGER NOT NULL, wait_due_at INTEGER NOT NULL, counter_id TEXT NOT NULL, body BLOB NOT NULL);"
       "CREATE INDEX counter_tickets_queue ON counter_tickets (hall_id, state, priority, issued_at);"
       "CREATE INDEX counter_tickets_state ON counter_tickets (state, wait_due_at);"
       "CREATE TABLE counter_counters (id TEXT PRIMARY KEY, hall_id TEXT NOT NULL, state INTEGER NOT NULL,"
       " body BLOB NOT NULL);"
       "CREATE INDEX counter_counters_hall ON counter_counters (hall_id, state);"
       "CREATE INDEX counter_counters_state ON counter_counters (state);"
       "CREATE TABLE counter_sessions (id TEXT PRIMARY KEY, hall_id TEXT NOT NULL, counter_id TEXT NOT NULL,"
       " staff_id TEXT NOT NULL, state INTEGER NOT NULL, body BLOB NOT NULL);"
       "CREATE INDEX counter_sessions_hall ON counter_sessions (hall_id, state);"
       "CREATE TABLE counter_visits (id TEXT PRIMARY KEY, hall_id TEXT NOT NULL, ticket_id TEXT NOT NULL,"
       " owner_staff_id TEXT NOT NULL, department TEXT NOT NULL, state INTEGER NOT NULL, outcome INTEGER NOT NULL,"
       " started_at INTEGER NOT NULL, body BLOB NOT NULL);"
       "CREATE INDEX counter_visits_hall ON counter_visits (hall_id, state, started_at);"
       "CREATE INDEX counter_visits_owner ON counter_visits (owner_staff_id, state);"
       "CREATE TABLE counter_forms (id TEXT PRIMARY KEY, visit_id TEXT NOT NULL, body BLOB NOT NULL);"
       "CREATE INDEX counter_forms_visit ON counter_forms (visit_id);"
       "CREATE TABLE counter_failures (id TEXT PRIMARY KEY, hall_id TEXT NOT NULL, state INTEGER NOT NULL,"
       " started_at INTEGER NOT NULL, body BLOB NOT NULL);"
       "CREATE INDEX counter_failures_hall ON counter_failures (hall_id, state);"
       "CREATE INDEX counter_failures_state ON counter_failures (state);"
       "CREATE TABLE counter_appointments (id TEXT PRIMARY KEY, hall_id TEXT NOT NULL, visit_id TEXT NOT NULL,"
       " failure_id TEXT NOT NULL, state INTEGER NOT NULL, scheduled_at INTEGER NOT NULL, body BLOB NOT NULL);"
       "CREATE INDEX counter_appointments_hall ON counter_appointments (hall_id, state, scheduled_at);"
       "CREATE TABLE counter_home_services (id TEXT PRIMARY KEY, hall_id TEXT NOT NULL, state INTEGER NOT NULL,"
       " opened_at INTEGER NOT NULL, due_at INTEGER NOT NULL, body BLOB NOT NULL);"
       "CREATE INDEX counter_home_services_hall ON counter_home_services (hall_id, state, due_at);"
       "CREATE TABLE counter_hall_closings (id TEXT PRIMARY KEY, hall_id TEXT NOT NULL, closed_at INTEGER NOT NULL,"
       " body BLOB NOT NULL);"},
      // Ticket numbers count the hall's tickets of the day: without this the
      // count read every ticket the hall ever issued.
      {2, "ticket numbering index", "CREATE INDEX counter_tickets_issued ON counter_tickets (hall_id, issued_at);"},
      // The hall gauges read these instead of counting the tables (kept_counts.h).
      KeptCountMigration(3, TicketsByState()),
      KeptCountMigration(4, AppointmentsByState()),
      KeptCountMigration(5, HomeServicesByState()),
      // A counter is (hall_id, counter_id): one instance serves several halls
      // and each numbers its counters 1..N. Before, counter_id alone was the
      // key (unique across halls), and the subject of a counter's breaches was
      // "counter/<id>": each stored counter keeps that subject (its breaches
      // still read back, a CT-4 episode recorded before keeps its breach id),
      // counters new from here on are "counter/<hall>/<id>" (CounterSubject).
      {6, "counters keyed by hall",
       "CREATE TABLE counter_counters_by_hall (hall_id TEXT NOT NULL, counter_id TEXT NOT NULL,"
       " subject TEXT NOT NULL, state INTEGER NOT NULL, body BLOB NOT NULL, PRIMARY KEY (hall_id, counter_id));"
       "INSERT INTO counter_counters_by_hall (hall_id, counter_id, subject, state, body)"
       " SELECT hall_id, id, 'counter/' || id, state, body FROM counter_counters;"
       "DROP TABLE counter_counters;"
       "ALTER TABLE counter_counters_by_hall RENAME TO counter_counters;"
       "CREATE INDEX counter_counters_state ON counter_counters (state);"
       "CREATE INDEX counter_counters_number ON counter_counters (counter_id);"},
  };
  return *kMigrations;
}

const KeptCount& TicketsByState() {
  static const auto* kCount = new KeptCount{"counter_tickets_by_state", "counter_tickets", "NEW.state"};
  return *kCount;
}

const KeptCount& AppointmentsByState() {
  static const auto* kCount = new KeptCount{"counter_appointments_by_state", "counter_appointments", "NEW.state"};
  return *kCount;
}

const KeptCount& HomeServicesByState() {
  static const auto* kCount = new KeptCount{"counter_home_services_by_state", "counter_home_services", "NEW.state"};
  return *kCount;
}

}  // namespace gridserve::counter
