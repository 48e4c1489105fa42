#ifndef GRIDSERVE_SERVICES_REPAIR_DOMAIN_EFFECTS_H_
#define GRIDSERVE_SERVICES_REPAIR_DOMAIN_EFFECTS_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gridserve/v1/common.pb.h"
#include "gridserve/v1/risk.pb.h"
#include "services/common/sla_clock.h"

namespace gridserve::repair {

// RP-1 SLA names (norms/catalogue.json).
inline constexpr char kArrivalSla[] = "repair_arrival";
inline constexpr char kRestorationSla[] = "repair_restoration";

// Stop an SLA clock of the step's subject at `at` (the goal's event time).
struct ClockStop {
  std::string sla;
  absl::Time at;
};

// What a domain step decided beyond the entity itself: the breaches it found,
// the clocks to start and stop, the red-line reports for risk. The adapter
// applies all of it in the step's transaction.
struct StepEffects {
  std::vector<v1::Breach> breaches;
  std::vector<SlaTimer> start;
  std::vector<ClockStop> stop;
  // Clocks whose case ended without the goal (SlaClock::Withdraw).
  std::vector<ClockStop> withdraw;
  // RK-3 / RK-4 reports (each also in `breaches`, linked by related_breaches).
  std::vector<v1::ReportRedLineRequest> red_lines;
};

// "work_order/WO-1", "outage/OUT-1": the subject of breaches and clocks.
std::string WorkOrderSubject(const std::string& work_order_id);
std::string OutageSubject(const std::string& outage_id);

}  // namespace gridserve::repair

#endif  // GRIDSERVE_SERVICES_REPAIR_DOMAIN_EFFECTS_H_
