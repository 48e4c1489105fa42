#include "services/contact_center/domain/call_rules.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "services/common/config.h"
#include "services/common/status_util.h"

namespace gridserve::contact_center {
namespace {

absl::Duration FromProtoDuration(const google::protobuf::Duration& d) { return ToAbsl(d); }

absl::Time FromProtoTime(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

}  // namespace

int RingsFromAlerting(absl::Duration alerting, absl::Duration ring_cycle) {
  if (alerting <= absl::ZeroDuration()) return 0;
  const int64_t whole = absl::IDivDuration(alerting, ring_cycle, &alerting);
  const int64_t rings = whole + (alerting > absl::ZeroDuration() ? 1 : 0);
  // Saturated, never wrapped: 10737418240 s of ringing is not "within 3 rings".
  return static_cast<int>(std::min<int64_t>(rings, std::numeric_limits<int32_t>::max()));
}

absl::Duration AlertingTime(const v1::Call& call, absl::Duration ring_cycle) {
  if (call.has_alerting_duration()) return FromProtoDuration(call.alerting_duration());
  if (call.outcome() == v1::CALL_OUTCOME_ABANDONED && call.has_ended_at()) {
    return FromProtoTime(call.ended_at()) - FromProtoTime(call.alerting_started_at());
  }
  if (call.outcome() == v1::CALL_OUTCOME_ANSWERED && call.has_answered_at()) {
    return FromProtoTime(call.answered_at()) - FromProtoTime(call.alerting_started_at());
  }
  return ring_cycle * call.rings();
}

void CheckOutageLookupLocation(Validator& v, absl::string_view field, const v1::Location& location) {
  v.Check(!location.area_code().empty() || !location.feeder_id().empty(), absl::StrCat(field, ".area_code"),
          absl::StrCat("is required unless ", field,
                       ".feeder_id is given: repair matches outages on them, not on the address (CC-4)"));
}

std::vector<Finding> CheckCall(const v1::Call& call, const v1::ContactCenterConfig& config) {
  std::vector<Finding> found;
  if (call.outcome() != v1::CALL_OUTCOME_ANSWERED) return found;
  const int limit = config.answer_ring_limit();
  // CC-1: "answer within 3 rings; past 3 rings apologise first".
  if (call.rings() > limit && !call.apologised()) {
    found.push_back({"CC-1", "late_answer",
                     absl::StrCat("answered at ring ", call.rings(), " (limit ", limit, ") without an apology"),
                     v1::MECHANISM_CHECK});
  }
  // CC-1: "greet, then state the unit name" — one breach whichever is missing.
  if (!call.greeted() || !call.unit_named()) {
    found.push_back({"CC-1", "greeting",
                     !call.greeted() && !call.unit_named() ? "answered without a greeting or the unit name"
                     : !call.greeted()                     ? "answered without a greeting"
                                                           : "answered without stating the unit name",
                     v1::MECHANISM_CHECK});
  }
  // CC-4: outage from line maintenance → apologise unprompted and give the ETR.
  // The ETR is repair's to know: when the lookup returned none there is nothing
  // the agent could have told, so only the apology is owed.
  if (call.outage_lookup_status() == v1::OUTAGE_LOOKUP_STATUS_COVERED) {
    const bool etr_missed = call.outage().has_etr() && !call.etr_told();
    if (!call.apologised_for_outage() || etr_missed) {
      found.push_back({"CC-4", "outage_answer",
                       absl::StrCat("caller inside outage ", call.outage().outage_id(), ":",
                                    call.apologised_for_outage() ? "" : " no apology",
                                    etr_missed ? " no estimated restoration time told" : ""),
                       v1::MECHANISM_CHECK});
    }
  }
  // CC-8: let the customer hang up first.
  if (call.hang_up_party() == v1::HANG_UP_PARTY_AGENT) {
    found.push_back({"CC-8", "agent_hung_up", "the agent hung up before the customer", v1::MECHANISM_CHECK});
  }
  return found;
}

AnswerSla JudgeAnswerSla(const v1::Call& call, const v1::ContactCenterConfig& config) {
  if (call.outcome() == v1::CALL_OUTCOME_ANSWERED) {
    return call.rings() <= config.answer_ring_limit() ? AnswerSla::kMet : AnswerSla::kBreached;
  }
  // Abandoned. Excluding short abandons is an operator's choice, not the
  // norm's: only a threshold above 0 excludes anything.
  const absl::Duration threshold = ToAbsl(config.short_abandon_threshold());
  if (threshold > absl::ZeroDuration() && AlertingTime(call, ToAbsl(config.ring_cycle())) < threshold) {
    return AnswerSla::kNotCounted;
  }
  return AnswerSla::kBreached;
}

absl::Time AnswerDue(const v1::Call& call, const v1::ContactCenterConfig& config) {
  return FromProtoTime(call.alerting_started_at()) + ToAbsl(config.ring_cycle()) * config.answer_ring_limit();
}

absl::Time AnswerSlaBreachedAt(const v1::Call& call, const v1::ContactCenterConfig& config) {
  const absl::Time due = AnswerDue(call, config);
  if (call.outcome() != v1::CALL_OUTCOME_ABANDONED) return due;
  const absl::Time hung_up = call.has_ended_at()
                                 ? FromProtoTime(call.ended_at())
                                 : FromProtoTime(call.alerting_started_at()) + AlertingTime(call, ToAbsl(config.ring_cycle()));
  return std::min(due, hung_up);
}

absl::Status CheckDuringCall(const v1::Call& call, absl::string_view field, absl::Time at, absl::Duration max_skew) {
  if (at < FromProtoTime(call.alerting_started_at())) {
    return InvalidField(field, "is before the linked call began (its alerting_started_at)");
  }
  const absl::Time ended = FromProtoTime(call.has_ended_at() ? call.ended_at() : call.recorded_at());
  if (at > ended + max_skew) {
    return InvalidField(field, absl::StrCat("is after the linked call ended (more than ", absl::FormatDuration(max_skew),
                                            " past its end): the SLA clock starts during the call"));
  }
  return absl::OkStatus();
}

}  // namespace gridserve::contact_center
