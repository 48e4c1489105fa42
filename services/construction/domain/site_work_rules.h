#ifndef GRIDSERVE_SERVICES_CONSTRUCTION_DOMAIN_SITE_WORK_RULES_H_
#define GRIDSERVE_SERVICES_CONSTRUCTION_DOMAIN_SITE_WORK_RULES_H_

#include <string>

#include "absl/status/statusor.h"
#include "gridserve/v1/construction.pb.h"
#include "services/construction/domain/effects.h"

namespace gridserve::construction {

// Site appointments (CN-2), the site safety checklist (CN-7) and site work.

// CN-2: proposes an appointment (content, place, date explained to the customer).
absl::StatusOr<Effects> ScheduleAppointment(const Rules& rules, v1::Project& project, v1::SiteAppointment appointment);

// CN-2: the customer confirms a proposed appointment.
absl::StatusOr<Effects> ConfirmAppointment(const Rules& rules, v1::Project& project,
                                           const std::string& appointment_id, const v1::Person& confirmed_by,
                                           absl::Time confirmed_at);

// CN-7: the safety checklist for an appointment's work.
absl::StatusOr<Effects> RecordSafetyChecklist(const Rules& rules, v1::Project& project, v1::SafetyChecklist checklist);

// CN-7: every measure done (at least one) and all three signs up.
bool SafetyChecklistComplete(const v1::SafetyChecklist& checklist);

// Starts site work under an appointment. Gates: CN-2 (the appointment is
// confirmed at or before started_at, states content and place, records that
// the customer's cooperation was asked, and its agreed time [starts_at,
// ends_at) holds started_at) and CN-7 (a traffic-affecting appointment has a complete
// safety checklist recorded at or before started_at).
// With `force` (emergency; work.force_reason set) the work starts anyway and
// each failed gate is recorded as a forced breach.
absl::StatusOr<Effects> StartSiteWork(const Rules& rules, v1::Project& project, v1::WorkSession work);

absl::StatusOr<Effects> EndSiteWork(const Rules& rules, v1::Project& project, const std::string& work_session_id,
                                    absl::Time ended_at);

}  // namespace gridserve::construction

#endif  // GRIDSERVE_SERVICES_CONSTRUCTION_DOMAIN_SITE_WORK_RULES_H_
