#ifndef GRIDSERVE_SERVICES_CONSTRUCTION_DOMAIN_EFFECTS_H_
#define GRIDSERVE_SERVICES_CONSTRUCTION_DOMAIN_EFFECTS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gridserve/v1/common.pb.h"
#include "gridserve/v1/risk.pb.h"
#include "services/common/business_calendar.h"
#include "services/common/clock.h"
#include "services/common/sla_clock.h"
#include "gridserve/v1/config.pb.h"

namespace gridserve::construction {

// What the rules need besides the project itself: thresholds, the working-day
// calendar and the clock.
struct Rules {
  const v1::ConstructionConfig& config;
  const BusinessCalendar& calendar;
  const Clock& clock;
};

// A clock to stop (met / late) or cancel (no longer applicable).
struct SlaEnd {
  std::string sla;
  std::string subject;
  absl::Time at;
};

// What a rule decided beyond the change to the project: the adapter applies
// these in the same transaction as the project update.
struct Effects {
  std::vector<SlaTimer> start_clocks;
  std::vector<SlaEnd> stop_clocks;
  std::vector<SlaEnd> cancel_clocks;
  std::vector<v1::Breach> breaches;
  // RK-5 reports for risk (outbox, message id = request_id).
  std::vector<v1::ReportRedLineRequest> red_line_reports;
  // Set when the project completed: whole-process duration in working days.
  std::optional<int> completed_in_working_days;
};

// SLA names (norms/catalogue.json).
inline constexpr char kSlaFirstGuidance[] = "first_guidance";       // CN-1
inline constexpr char kSlaProjectTimeLimit[] = "project_time_limit";  // CN-1 (whole process)
inline constexpr char kSlaReinspection[] = "reinspection";          // CN-5

// Subjects: "project/<id>" for the project's own clocks and breaches,
// "project/<id>/inspection/<inspection id>" for a re-inspection clock.
std::string ProjectSubject(const std::string& project_id);
std::string ReinspectionSubject(const std::string& project_id, const std::string& inspection_id);

}  // namespace gridserve::construction

#endif  // GRIDSERVE_SERVICES_CONSTRUCTION_DOMAIN_EFFECTS_H_
