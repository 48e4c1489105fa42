#ifndef GRIDSERVE_SERVICES_COUNTER_STORAGE_COUNTER_SCHEMA_H_
#define GRIDSERVE_SERVICES_COUNTER_STORAGE_COUNTER_SCHEMA_H_

#include <vector>

#include "services/common/kept_counts.h"
#include "services/common/migrations.h"

namespace gridserve::counter {

// The counter service's own tables, applied at start-up after the platform's.
const std::vector<Migration>& CounterMigrations();

// Tickets, appointments and home services by state, for the hall gauges.
const KeptCount& TicketsByState();
const KeptCount& AppointmentsByState();
const KeptCount& HomeServicesByState();

}  // namespace gridserve::counter

#endif  // GRIDSERVE_SERVICES_COUNTER_STORAGE_COUNTER_SCHEMA_H_
