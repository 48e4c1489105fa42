#ifndef GRIDSERVE_SERVICES_COUNTER_METRICS_COUNTER_METRICS_H_
#define GRIDSERVE_SERVICES_COUNTER_METRICS_COUNTER_METRICS_H_

#include <map>
#include <string>

#include "absl/time/time.h"
#include "gridserve/v1/config.pb.h"
#include "gridserve/v1/counter.pb.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace gridserve::counter {

// The counter's domain metrics. Labels are bounded enums only (no hall,
// staff or customer ids); every series exists at zero from start-up.
//   gridserve_hall_ticket_wait_seconds          histogram, buckets at the CT-6 and CT-4 thresholds (600 s, 900 s)
//   gridserve_hall_tickets_waiting              gauge
//   gridserve_hall_tickets_overdue              gauge (waiting beyond ticket_wait_limit, CT-4)
//   gridserve_hall_counters{state}              gauge (in_service, back_office, closed)
//   gridserve_hall_system_failures_open         gauge (CT-7)
//   gridserve_hall_appointments_booked          gauge (CT-7, booked and not yet kept)
//   gridserve_hall_home_services_open           gauge (CT-9)
//   gridserve_hall_forms_total{status,filled_by_staff}  counter (CT-3, CT-9)
//   gridserve_hall_escalations_total{reason}    counter (CT-8)
//   gridserve_hall_reviews_total{source}        counter (CT-2, CT-5)
class CounterMetrics {
 public:
  CounterMetrics(prometheus::Registry& registry, const v1::CounterConfig& config);

  void ObserveWait(absl::Duration waited);
  void CountForm(v1::FormStatus status, bool filled_by_staff);
  void CountEscalation(v1::EscalationReason reason);
  void CountReview(v1::ReviewSource source);

  struct Snapshot {
    double waiting = 0, overdue = 0, failures_open = 0, appointments_booked = 0, home_services_open = 0;
    std::map<v1::CounterState, double> counters;
  };
  void SetGauges(const Snapshot& snapshot);

 private:
  prometheus::Histogram& wait_;
  prometheus::Gauge& waiting_;
  prometheus::Gauge& overdue_;
  std::map<v1::CounterState, prometheus::Gauge*> counters_;
  prometheus::Gauge& failures_open_;
  prometheus::Gauge& appointments_booked_;
  prometheus::Gauge& home_services_open_;
  prometheus::Family<prometheus::Counter>& forms_;
  prometheus::Family<prometheus::Counter>& escalations_;
  prometheus::Family<prometheus::Counter>& reviews_;
};

}  // namespace gridserve::counter

#endif  // GRIDSERVE_SERVICES_COUNTER_METRICS_COUNTER_METRICS_H_
