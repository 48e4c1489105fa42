#include "services/construction/domain/time_limits.h"

#include "absl/strings/str_cat.h"

namespace gridserve::construction {

std::string ProjectSubject(const std::string& project_id) { return absl::StrCat("project/", project_id); }

std::string ReinspectionSubject(const std::string& project_id, const std::string& inspection_id) {
  return absl::StrCat("project/", project_id, "/inspection/", inspection_id);
}

int WholeProcessLimitWorkingDays(const v1::ConstructionConfig& config, v1::ProjectType type) {
  switch (type) {
    case v1::PROJECT_TYPE_RESIDENTIAL: return config.residential_limit_working_days();
    case v1::PROJECT_TYPE_LOW_VOLTAGE_NON_RESIDENTIAL: return config.low_voltage_non_residential_limit_working_days();
    case v1::PROJECT_TYPE_HIGH_VOLTAGE_SINGLE: return config.high_voltage_single_limit_working_days();
    case v1::PROJECT_TYPE_HIGH_VOLTAGE_DUAL: return config.high_voltage_dual_limit_working_days();
    default: return 0;
  }
}

absl::Time ProjectDue(const Rules& rules, v1::ProjectType type, absl::Time applied_at) {
  return rules.calendar.AddWorkingDays(applied_at, WholeProcessLimitWorkingDays(rules.config, type));
}

absl::Time FirstGuidanceDue(const Rules& rules, absl::Time applied_at) {
  return rules.calendar.AddWorkingDays(applied_at, rules.config.first_guidance_working_days());
}

absl::Time ReinspectionDue(const Rules& rules, absl::Time notice_delivered_at) {
  return rules.calendar.AddWorkingDays(notice_delivered_at, rules.config.reinspection_working_days());
}

bool IsHighVoltage(v1::ProjectType type) {
  return type == v1::PROJECT_TYPE_HIGH_VOLTAGE_SINGLE || type == v1::PROJECT_TYPE_HIGH_VOLTAGE_DUAL;
}

}  // namespace gridserve::construction
