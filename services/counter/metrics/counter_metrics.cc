#include "services/counter/metrics/counter_metrics.h"

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"
#include "prometheus/family.h"
#include "services/common/config.h"
#include "services/common/service_metrics.h"

namespace gridserve::counter {
namespace {

// "ESCALATION_REASON_POLICY_REQUEST" -> "policy_request".
std::string EnumLabel(const std::string& name, absl::string_view prefix) {
  absl::string_view rest = name;
  absl::ConsumePrefix(&rest, prefix);
  return absl::AsciiStrToLower(rest);
}

}  // namespace

CounterMetrics::CounterMetrics(prometheus::Registry& registry, const v1::CounterConfig& config)
    : wait_(prometheus::BuildHistogram()
                .Name("gridserve_hall_ticket_wait_seconds")
                .Help("Queue ticket wait from issue to call, seconds (CT-6 apology threshold and CT-4 wait limit "
                      "are bucket bounds)")
                .Register(registry)
                .Add({}, ThresholdBuckets({absl::ToDoubleSeconds(ToAbsl(config.apology_wait_threshold())),
                                           absl::ToDoubleSeconds(ToAbsl(config.ticket_wait_limit()))},
                                          {60, 120, 300, 450, 1200, 1800, 3600}))),
      waiting_(prometheus::BuildGauge()
                   .Name("gridserve_hall_tickets_waiting")
                   .Help("Queue tickets waiting to be called")
                   .Register(registry)
                   .Add({})),
      overdue_(prometheus::BuildGauge()
                   .Name("gridserve_hall_tickets_overdue")
                   .Help("Queue tickets waiting beyond the ticket wait limit (CT-4)")
                   .Register(registry)
                   .Add({})),
      failures_open_(prometheus::BuildGauge()
                         .Name("gridserve_hall_system_failures_open")
                         .Help("System-failure periods still open (CT-7)")
                         .Register(registry)
                         .Add({})),
      appointments_booked_(prometheus::BuildGauge()
                               .Name("gridserve_hall_appointments_booked")
                               .Help("Appointments booked and not yet kept (CT-7)")
                               .Register(registry)
                               .Add({})),
      home_services_open_(prometheus::BuildGauge()
                              .Name("gridserve_hall_home_services_open")
                              .Help("Home-service cases not yet completed (CT-9)")
                              .Register(registry)
                              .Add({})),
      forms_(prometheus::BuildCounter()
                 .Name("gridserve_hall_forms_total")
                 .Help("Application form submissions by validation result (CT-3) and whether staff filled them (CT-9)")
                 .Register(registry)),
      escalations_(prometheus::BuildCounter()
                       .Name("gridserve_hall_escalations_total")
                       .Help("Escalations recorded at the counter, by reason (CT-8)")
                       .Register(registry)),
      reviews_(prometheus::BuildCounter()
                   .Name("gridserve_hall_reviews_total")
                   .Help("Counter quality reviews and customer evaluations recorded, by source (CT-2, CT-5)")
                   .Register(registry)) {
  auto& counters = prometheus::BuildGauge()
                       .Name("gridserve_hall_counters")
                       .Help("Counters by state (CT-4: back office while customers wait is a breach)")
                       .Register(registry);
  counters_[v1::COUNTER_STATE_IN_SERVICE] = &counters.Add({{"state", "in_service"}});
  counters_[v1::COUNTER_STATE_BACK_OFFICE] = &counters.Add({{"state", "back_office"}});
  counters_[v1::COUNTER_STATE_CLOSED] = &counters.Add({{"state", "closed"}});
  for (auto status : {v1::FORM_STATUS_ACCEPTED, v1::FORM_STATUS_NEEDS_REFILL}) {
    for (bool staff : {false, true}) {
      forms_.Add({{"status", EnumLabel(v1::FormStatus_Name(status), "FORM_STATUS_")},
                  {"filled_by_staff", staff ? "true" : "false"}});
    }
  }
  for (int r = 1; r <= v1::EscalationReason_MAX; ++r) {
    escalations_.Add({{"reason", EnumLabel(
                                     v1::EscalationReason_Name(static_cast<v1::EscalationReason>(r)),
                                     "ESCALATION_REASON_")}});
  }
  for (int s = 1; s <= v1::ReviewSource_MAX; ++s) {
    reviews_.Add({{"source", EnumLabel(v1::ReviewSource_Name(static_cast<v1::ReviewSource>(s)),
                                                         "REVIEW_SOURCE_")}});
  }
}

void CounterMetrics::ObserveWait(absl::Duration waited) { wait_.Observe(absl::ToDoubleSeconds(waited)); }

void CounterMetrics::CountForm(v1::FormStatus status, bool filled_by_staff) {
  forms_.Add({{"status", EnumLabel(v1::FormStatus_Name(status), "FORM_STATUS_")},
              {"filled_by_staff", filled_by_staff ? "true" : "false"}})
      .Increment();
}

void CounterMetrics::CountEscalation(v1::EscalationReason reason) {
  escalations_.Add({{"reason", EnumLabel(v1::EscalationReason_Name(reason), "ESCALATION_REASON_")}})
      .Increment();
}

void CounterMetrics::CountReview(v1::ReviewSource source) {
  reviews_.Add({{"source", EnumLabel(v1::ReviewSource_Name(source), "REVIEW_SOURCE_")}})
      .Increment();
}

void CounterMetrics::SetGauges(const Snapshot& s) {
  waiting_.Set(s.waiting);
  overdue_.Set(s.overdue);
  failures_open_.Set(s.failures_open);
  appointments_booked_.Set(s.appointments_booked);
  home_services_open_.Set(s.home_services_open);
  for (auto& [state, gauge] : counters_) {
    auto it = s.counters.find(state);
    gauge->Set(it == s.counters.end() ? 0 : it->second);
  }
}

}  // namespace gridserve::counter
