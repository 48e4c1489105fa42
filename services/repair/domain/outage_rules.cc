#include "services/repair/domain/outage_rules.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/common/config.h"
#include "services/common/rpc_util.h"
#include "services/common/status_util.h"

namespace gridserve::repair {
namespace {

// PreconditionFailed prefixes the clause itself ("RK-4: outage cancelled").
absl::Status Refuse(const v1::Outage& outage, const std::string& clause, const std::string& why) {
  return PreconditionFailed(clause, OutageSubject(outage.outage_id()), why);
}

bool Closed(const v1::Outage& outage) {
  return outage.state() == v1::OUTAGE_STATE_RESTORED || outage.state() == v1::OUTAGE_STATE_CANCELLED;
}

std::string ClosedWord(const v1::Outage& outage) {
  return outage.state() == v1::OUTAGE_STATE_RESTORED ? "outage already restored" : "outage cancelled";
}

std::string Hours(absl::Duration d) { return absl::FormatDuration(d); }

// An automatic red-line finding: one breach on the outage (local record,
// metric, WatchBreaches) and one report to risk that refers to it. Both ids
// are stable per (rule, outage): evaluating twice reports once.
void AddRedLine(StepEffects& effects, const v1::Outage& outage, const std::string& rule, absl::Time occurred_at,
                const std::string& description) {
  const std::string subject = OutageSubject(outage.outage_id());
  v1::Breach breach;
  breach.set_breach_id(absl::StrCat("repair/", rule, "/", subject));
  breach.set_rule(rule);
  breach.set_department(outage.department());
  breach.set_subject(subject);
  breach.set_detail(description);
  *breach.mutable_occurred_at() = ToProto(occurred_at);
  breach.set_mechanism(v1::MECHANISM_CHECK);

  v1::ReportRedLineRequest report;
  report.set_request_id(absl::StrCat("repair/redline/", rule, "/", subject));
  report.set_rule(rule);
  report.set_source(v1::RED_LINE_SOURCE_AUTOMATIC);
  report.set_department(outage.department());
  report.set_source_service("repair");
  report.set_source_reference(subject);
  *report.mutable_occurred_at() = ToProto(occurred_at);
  report.set_description(description);
  auto* ref = report.add_related_breaches();
  ref->set_breach_id(breach.breach_id());
  ref->set_service("repair");
  ref->set_rule(rule);

  effects.breaches.push_back(std::move(breach));
  effects.red_lines.push_back(std::move(report));
}

// RK-4 for a planned / temporary-maintenance outage: planned_end is the end
// announced to the customers (RK-3 notices), so any ETR beyond it delays that
// promise, however early the update is made; without this an update a minute
// before planned_end could push the end out silently and a late restoration
// would never be "after the planned end with no recorded cause". An ETR no
// later than one already in force (itself explained, or within planned_end)
// delays nothing further.
bool ExtendsAnnouncedEnd(const v1::Outage& outage, absl::Time etr) {
  if (outage.kind() == v1::OUTAGE_KIND_FAULT || !outage.has_planned_end()) return false;
  absl::Time explained = FromProto(outage.planned_end());
  if (const std::optional<absl::Time> in_force = OutageRules::EtrInForce(outage)) {
    explained = std::max(explained, *in_force);
  }
  return etr > explained;
}

}  // namespace

void OutageRules::Open(v1::Outage& outage, absl::Time now) const {
  *outage.mutable_created_at() = ToProto(now);
  if (outage.kind() == v1::OUTAGE_KIND_FAULT) {
    outage.set_state(v1::OUTAGE_STATE_ACTIVE);
  } else {
    outage.set_state(v1::OUTAGE_STATE_SCHEDULED);
  }
  if (!outage.has_etr() && outage.has_planned_end()) *outage.mutable_etr() = outage.planned_end();
  for (auto& customer : *outage.mutable_important_customers()) customer.clear_first_noticed_at();
}

absl::Status OutageRules::AddNotice(v1::Outage& outage, v1::OutageNotice notice) const {
  if (Closed(outage)) return Refuse(outage, "RK-3", ClosedWord(outage));
  if (notice.audience() == v1::NOTICE_AUDIENCE_IMPORTANT_CUSTOMER) {
    auto& customers = *outage.mutable_important_customers();
    auto it = std::find_if(customers.begin(), customers.end(), [&](const v1::ImportantCustomer& c) {
      return c.customer_id() == notice.important_customer_id();
    });
    if (it == customers.end()) {
      return InvalidField("important_customer_id", "is not an important customer of this outage");
    }
    if (!it->has_first_noticed_at() || FromProto(notice.sent_at()) < FromProto(it->first_noticed_at())) {
      *it->mutable_first_noticed_at() = notice.sent_at();
    }
  } else {
    notice.clear_important_customer_id();
  }
  *outage.add_notices() = std::move(notice);
  return absl::OkStatus();
}

std::optional<absl::Time> OutageRules::NoticeDeadline(const v1::Outage& outage) const {
  if (!outage.has_planned_start()) return std::nullopt;
  absl::Duration lead;
  switch (outage.kind()) {
    case v1::OUTAGE_KIND_PLANNED:
      lead = ToAbsl(config_.repair().planned_outage_notice_lead());
      break;
    case v1::OUTAGE_KIND_TEMPORARY_MAINTENANCE:
      lead = ToAbsl(config_.repair().temporary_maintenance_notice_lead());
      break;
    default:
      return std::nullopt;  // a fault outage cannot be announced
  }
  // RK-3 protects the customer from the actual cut: a supply cut earlier than
  // planned_start needs the full lead time before the cut, not before the plan.
  absl::Time cut = FromProto(outage.planned_start());
  if (outage.has_started_at()) cut = std::min(cut, FromProto(outage.started_at()));
  return cut - lead;
}

absl::StatusOr<StepEffects> OutageRules::Start(v1::Outage& outage, absl::Time at) const {
  if (Closed(outage)) return Refuse(outage, "RK-3", ClosedWord(outage));
  if (outage.state() != v1::OUTAGE_STATE_SCHEDULED) return Refuse(outage, "RK-3", "outage already started");
  *outage.mutable_started_at() = ToProto(at);
  outage.set_state(v1::OUTAGE_STATE_ACTIVE);

  StepEffects effects;
  // Measured back from min(at, planned_start) now that started_at is set.
  const std::optional<absl::Time> deadline = NoticeDeadline(outage);
  if (!deadline.has_value()) return effects;
  // RK-3: every important customer notified at or before the deadline
  // (exactly at the deadline is in time).
  int late = 0;
  int never = 0;
  for (const auto& customer : outage.important_customers()) {
    if (!customer.has_first_noticed_at()) {
      ++never;
    } else if (FromProto(customer.first_noticed_at()) > *deadline) {
      ++late;
    }
  }
  if (late + never == 0) return effects;
  const absl::Time cut = std::min(at, FromProto(outage.planned_start()));
  AddRedLine(effects, outage, "RK-3", *deadline,
             absl::StrCat("outage started without the ", Hours(cut - *deadline),
                          " advance notice to important customers: ", never, " not notified, ", late,
                          " notified late, of ", outage.important_customers_size(),
                          at < FromProto(outage.planned_start()) ? " (supply cut before planned_start)" : ""));
  return effects;
}

absl::Status OutageRules::UpdateEtr(v1::Outage& outage, absl::Time etr, absl::Time updated_at,
                                    const std::string& reason) const {
  if (Closed(outage)) return Refuse(outage, "RK-4", ClosedWord(outage));
  if (etr < updated_at) return InvalidField("etr", "is before updated_at (an estimate must lie ahead)");
  // Updates come in the order they were made: one dated before the last would
  // be judged (below) against an ETR that was not yet in force.
  if (outage.etr_updates_size() > 0 &&
      updated_at < FromProto(outage.etr_updates(outage.etr_updates_size() - 1).updated_at())) {
    return InvalidField("updated_at", "is before the previous ETR update's updated_at");
  }
  // RK-4 is "restored after the planned end or ETR with no recorded cause".
  // Once the ETR in force has passed, the delay has begun: moving the ETR
  // then must record its cause (the reason), or a late restoration could be
  // hidden by re-estimating after the fact.
  const std::optional<absl::Time> in_force = EtrInForce(outage);
  const bool no_reason = absl::StripAsciiWhitespace(reason).empty();
  if (in_force.has_value() && updated_at > *in_force && no_reason) {
    return InvalidField("reason",
                        absl::StrCat("RK-4: the ETR in force (", absl::FormatTime(*in_force),
                                     ") has passed; a later ETR must record the cause of the delay"));
  }
  if (no_reason && ExtendsAnnouncedEnd(outage, etr)) {
    return InvalidField("reason", absl::StrCat("RK-4: an ETR after the planned end (",
                                               absl::FormatTime(FromProto(outage.planned_end())),
                                               ") delays the announced restoration and must record its cause"));
  }
  *outage.mutable_etr() = ToProto(etr);
  auto* update = outage.add_etr_updates();
  *update->mutable_etr() = ToProto(etr);
  *update->mutable_updated_at() = ToProto(updated_at);
  update->set_reason(reason);
  return absl::OkStatus();
}

std::optional<absl::Time> OutageRules::EtrInForce(const v1::Outage& outage) {
  // The latest UpdateEtr (each one made late, or reaching past a planned end,
  // carries its cause, see UpdateEtr).
  if (outage.etr_updates_size() > 0) return FromProto(outage.etr_updates(outage.etr_updates_size() - 1).etr());
  // A planned or temporary-maintenance outage promised its planned_end to the
  // customers; an ETR given at creation does not replace that promise.
  if (outage.kind() != v1::OUTAGE_KIND_FAULT && outage.has_planned_end()) return FromProto(outage.planned_end());
  // A fault outage: the first estimate, when one was given.
  if (outage.has_etr()) return FromProto(outage.etr());
  return std::nullopt;
}

std::optional<absl::Time> OutageRules::RestorationDeadline(const v1::Outage& outage) const {
  const std::optional<absl::Time> reference = EtrInForce(outage);
  if (!reference.has_value()) return std::nullopt;
  return *reference + ToAbsl(config_.repair().restoration_grace());
}

absl::StatusOr<StepEffects> OutageRules::Restore(v1::Outage& outage, absl::Time at,
                                                 const std::string& delay_cause) const {
  if (Closed(outage)) return Refuse(outage, "RK-4", ClosedWord(outage));
  if (outage.state() != v1::OUTAGE_STATE_ACTIVE) {
    return Refuse(outage, "RK-4", "outage not started (RecordOutageStart first)");
  }
  if (at < FromProto(outage.started_at())) return InvalidField("restored_at", "is before started_at");
  // RK-4: a blank cause records nothing (as a blank reason in UpdateEtr), so
  // "  " neither excuses a late restoration nor is kept as if it were a cause.
  const absl::string_view cause = absl::StripAsciiWhitespace(delay_cause);
  *outage.mutable_restored_at() = ToProto(at);
  outage.set_delay_cause(std::string(cause));
  outage.set_state(v1::OUTAGE_STATE_RESTORED);

  StepEffects effects;
  // RK-4: late restoration without a recorded cause (exactly at the deadline is in time).
  const std::optional<absl::Time> deadline = RestorationDeadline(outage);
  if (deadline.has_value() && at > *deadline && cause.empty()) {
    AddRedLine(effects, outage, "RK-4", *deadline,
               absl::StrCat("supply restored ", absl::FormatDuration(at - *deadline),
                            " after the ETR / planned end (plus grace) with no recorded cause"));
  }
  return effects;
}

absl::Status OutageRules::Cancel(v1::Outage& outage, const std::string& reason, absl::Time at) const {
  if (outage.state() == v1::OUTAGE_STATE_CANCELLED) return Refuse(outage, "RK-4", "outage already cancelled");
  if (outage.state() != v1::OUTAGE_STATE_SCHEDULED) return Refuse(outage, "RK-4", "outage already started");
  outage.set_state(v1::OUTAGE_STATE_CANCELLED);
  outage.set_cancel_reason(reason);
  *outage.mutable_cancelled_at() = ToProto(at);
  return absl::OkStatus();
}

OutageMatch OutageRules::Covers(const v1::Outage& outage, const v1::Location& location, absl::Time at) {
  if (!outage.has_started_at() || FromProto(outage.started_at()) > at) return OutageMatch::kNone;
  if (outage.state() == v1::OUTAGE_STATE_CANCELLED) return OutageMatch::kNone;
  if (outage.has_restored_at() && FromProto(outage.restored_at()) <= at) return OutageMatch::kNone;
  const auto contains = [](const auto& list, const std::string& value) {
    return !value.empty() && std::find(list.begin(), list.end(), value) != list.end();
  };
  if (contains(outage.feeder_ids(), location.feeder_id())) return OutageMatch::kFeeder;
  if (contains(outage.area_codes(), location.area_code())) return OutageMatch::kArea;
  return OutageMatch::kNone;
}

}  // namespace gridserve::repair
