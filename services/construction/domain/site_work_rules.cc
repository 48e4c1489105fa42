#include "services/construction/domain/site_work_rules.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "services/common/rpc_util.h"
#include "services/common/status_util.h"
#include "services/construction/domain/project_helpers.h"

namespace gridserve::construction {
namespace {

absl::Status AppointmentNotFound(const std::string& id) {
  return absl::NotFoundError(absl::StrCat("appointment ", id, " not found in this project"));
}

// CN-2: why `appointment` does not allow work at `at`, or nullopt.
std::optional<std::string> Cn2Problem(const v1::SiteAppointment* appointment, absl::Time at) {
  if (appointment == nullptr) return "no confirmed appointment: site work needs one";
  if (appointment->state() != v1::SITE_APPOINTMENT_STATE_CONFIRMED) {
    return absl::StrCat("no confirmed appointment: appointment ", appointment->appointment_id(),
                        " is not confirmed by the customer");
  }
  // The confirmation must precede the work: one back-filled after started_at
  // was not there when the crew started.
  if (FromProto(appointment->confirmed_at()) > at) {
    return absl::StrCat("no confirmed appointment: appointment ", appointment->appointment_id(),
                        " was confirmed only after the work started");
  }
  if (appointment->work_content().empty() || appointment->place().empty()) {
    return absl::StrCat("no confirmed appointment: appointment ", appointment->appointment_id(),
                        " does not state the work content and place");
  }
  // The clause's third duty: the customer was asked to cooperate (seed
  // part 三 2, "请客户予以配合"), as part of agreeing the appointment.
  if (!appointment->cooperation_requested()) {
    return absl::StrCat("no confirmed appointment: appointment ", appointment->appointment_id(),
                        " does not record that the customer's cooperation was asked");
  }
  // The customer agreed a time (预约时间), not a day: work at 23:00 under an
  // appointment ending at 12:00 is not what was agreed. Half-open: work
  // starting as the agreed time ends is outside it.
  if (at < FromProto(appointment->starts_at()) || at >= FromProto(appointment->ends_at())) {
    return absl::StrCat("no confirmed appointment for that time: appointment ", appointment->appointment_id(),
                        " does not cover the start of work");
  }
  return std::nullopt;
}

// CN-7: why traffic-affecting work may not start at `at`, or nullopt. The
// work impedes traffic if its appointment or the work itself says so. Only a
// checklist recorded at or before `at` counts: "the safety checklist first";
// checklists are recorded against an appointment, so work without one has none.
// Of those, the one with the latest recorded_at is in force (the latest in
// record order on a tie): recorded_at is imported, so a back-filled older
// checklist synced last must not override a newer one.
std::optional<std::string> Cn7Problem(const v1::Project& project, const v1::SiteAppointment* appointment,
                                      const v1::WorkSession& work, absl::Time at) {
  const bool traffic_affecting = work.traffic_affecting() || (appointment != nullptr && appointment->traffic_affecting());
  if (!traffic_affecting) return std::nullopt;
  if (appointment == nullptr) return "safety checklist missing: the work impedes traffic and has no appointment";
  const v1::SafetyChecklist* latest = nullptr;
  bool recorded_later = false;
  for (const auto& c : project.safety_checklists()) {
    if (c.appointment_id() != appointment->appointment_id()) continue;
    const absl::Time recorded = FromProto(c.recorded_at());
    if (recorded > at) {
      recorded_later = true;
    } else if (latest == nullptr || recorded >= FromProto(latest->recorded_at())) {
      latest = &c;
    }
  }
  if (latest == nullptr) {
    return recorded_later ? "safety checklist missing: the work impedes traffic and the checklist was recorded only "
                            "after the work started"
                          : "safety checklist missing: the work impedes traffic";
  }
  if (!SafetyChecklistComplete(*latest)) {
    return "safety checklist incomplete: safety measures and the contractor, safety and courtesy signs are needed";
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<Effects> ScheduleAppointment(const Rules&, v1::Project& project, v1::SiteAppointment appointment) {
  if (auto s = RequireOpen(project); !s.ok()) return s;
  if (auto s = NotBefore(FromProto(appointment.scheduled_at()), AppliedAt(project), "scheduled_at", "the application");
      !s.ok()) {
    return s;
  }
  appointment.set_state(v1::SITE_APPOINTMENT_STATE_PROPOSED);
  *project.add_appointments() = std::move(appointment);
  return Effects{};
}

absl::StatusOr<Effects> ConfirmAppointment(const Rules&, v1::Project& project, const std::string& appointment_id,
                                           const v1::Person& confirmed_by, absl::Time confirmed_at) {
  v1::SiteAppointment* appointment = FindAppointment(project, appointment_id);
  if (appointment == nullptr) return AppointmentNotFound(appointment_id);
  if (auto s = RequireOpen(project); !s.ok()) return s;
  if (appointment->state() != v1::SITE_APPOINTMENT_STATE_PROPOSED) {
    return PreconditionFailed("CN-2", EntitySubject(project, "appointment", appointment_id),
                              "the appointment is already confirmed");
  }
  if (auto s = NotBefore(confirmed_at, FromProto(appointment->scheduled_at()), "confirmed_at",
                         "the appointment was scheduled");
      !s.ok()) {
    return s;
  }
  appointment->set_state(v1::SITE_APPOINTMENT_STATE_CONFIRMED);
  *appointment->mutable_confirmed_by() = confirmed_by;
  *appointment->mutable_confirmed_at() = ToProto(confirmed_at);
  return Effects{};
}

bool SafetyChecklistComplete(const v1::SafetyChecklist& checklist) {
  bool measures_done = !checklist.measures().items().empty();
  for (const auto& item : checklist.measures().items()) measures_done &= item.done();
  return measures_done && checklist.contractor_sign() && checklist.safety_sign() && checklist.courtesy_sign();
}

absl::StatusOr<Effects> RecordSafetyChecklist(const Rules&, v1::Project& project, v1::SafetyChecklist checklist) {
  if (FindAppointment(project, checklist.appointment_id()) == nullptr) {
    return AppointmentNotFound(checklist.appointment_id());
  }
  if (auto s = RequireOpen(project); !s.ok()) return s;
  if (auto s = NotBefore(FromProto(checklist.recorded_at()), AppliedAt(project), "recorded_at", "the application");
      !s.ok()) {
    return s;
  }
  *project.add_safety_checklists() = std::move(checklist);
  return Effects{};
}

absl::StatusOr<Effects> StartSiteWork(const Rules&, v1::Project& project, v1::WorkSession work) {
  const v1::SiteAppointment* appointment = nullptr;
  if (!work.appointment_id().empty()) {
    appointment = FindAppointment(project, work.appointment_id());
    if (appointment == nullptr) return AppointmentNotFound(work.appointment_id());
  }
  if (auto s = RequireOpen(project); !s.ok()) return s;
  const absl::Time at = FromProto(work.started_at());
  if (auto s = NotBefore(at, AppliedAt(project), "started_at", "the application"); !s.ok()) return s;

  const std::string subject = EntitySubject(project, "appointment", work.appointment_id());
  const auto cn2 = Cn2Problem(appointment, at);
  const auto cn7 = Cn7Problem(project, appointment, work, at);
  Effects effects;
  if (!work.forced()) {
    if (cn2.has_value()) return PreconditionFailed("CN-2", subject, *cn2);
    if (cn7.has_value()) return PreconditionFailed("CN-7", subject, *cn7);
  } else {
    // An emergency may go on; each gate it passed by force is a breach.
    const std::string what = absl::StrCat("work_session/", work.work_session_id());
    const std::string staff = work.crew().empty() ? "" : work.crew(0).staff_id();
    if (cn2.has_value()) {
      effects.breaches.push_back(ProjectBreach(project, "CN-2", what, absl::StrCat("site work forced: ", *cn2), at,
                                               v1::MECHANISM_GATE, staff, /*forced=*/true));
    }
    if (cn7.has_value()) {
      effects.breaches.push_back(ProjectBreach(project, "CN-7", what, absl::StrCat("site work forced: ", *cn7), at,
                                               v1::MECHANISM_GATE, staff, /*forced=*/true));
    }
  }
  *project.add_work_sessions() = std::move(work);
  return effects;
}

absl::StatusOr<Effects> EndSiteWork(const Rules&, v1::Project& project, const std::string& work_session_id,
                                    absl::Time ended_at) {
  v1::WorkSession* work = nullptr;
  for (auto& w : *project.mutable_work_sessions()) {
    if (w.work_session_id() == work_session_id) work = &w;
  }
  if (work == nullptr) return absl::NotFoundError(absl::StrCat("work session ", work_session_id, " not found"));
  if (work->has_ended_at()) {
    return PreconditionFailed("PROJECT_STATE", EntitySubject(project, "work_session", work_session_id),
                              "the site work has already ended");
  }
  if (auto s = NotBefore(ended_at, FromProto(work->started_at()), "ended_at", "the work started"); !s.ok()) return s;
  *work->mutable_ended_at() = ToProto(ended_at);
  return Effects{};
}

}  // namespace gridserve::construction
