#ifndef GRIDSERVE_SERVICES_CONTACT_CENTER_DOMAIN_CALL_RULES_H_
#define GRIDSERVE_SERVICES_CONTACT_CENTER_DOMAIN_CALL_RULES_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gridserve/v1/config.pb.h"
#include "gridserve/v1/contact_center.pb.h"
#include "services/common/status_util.h"
#include "services/contact_center/domain/finding.h"

namespace gridserve::contact_center {

// CC-1: rings from the alerting time, "alerting seconds ÷ ring cycle" rounded
// up (a ring that has started counts). Exactly N cycles is N rings.
int RingsFromAlerting(absl::Duration alerting, absl::Duration ring_cycle);

// How long the call was alerting: as reported, else ended_at − alerting_started_at
// (an abandoned call ends when the caller hangs up), else rings × ring cycle.
absl::Duration AlertingTime(const v1::Call& call, absl::Duration ring_cycle);

// The checks run on every recorded call (norms.md):
// - CC-1: answered past answer_ring_limit rings without apologising first;
//         answered without a greeting; answered without stating the unit name.
// - CC-4: the caller is inside a known outage (lookup COVERED) and the agent
//         did not apologise unprompted, or did not tell the ETR when repair
//         had one (OutageSummary.etr set; no ETR known → only the apology).
// - CC-8: the agent hung up first on an answered call.
// Abandoned calls have no conversation, so only the answer SLA judges them.
std::vector<Finding> CheckCall(const v1::Call& call, const v1::ContactCenterConfig& config);

// CC-4: a location sent to repair's outage lookup. Repair matches outages on
// feeder_id or area_code, never on the address, and refuses a lookup with
// neither; contact-center cannot tell that refusal from repair being down, so
// an address-only lookup would always answer UNKNOWN and skip the CC-4 check.
// Refused here instead, naming "<field>.area_code".
void CheckOutageLookupLocation(Validator& v, absl::string_view field, const v1::Location& location);

// CC-1 answer SLA ("answer_within_rings"), judged the moment the call is
// recorded: met when answered within answer_ring_limit rings (exactly at the
// limit is met); an abandoned call counts as breached, whatever its rings
// (norms.md: "abandoned calls count against it").
// The one exception is short_abandon_threshold: when above 0, an abandon that
// alerted for less than it is kNotCounted (neither met nor breached), so it
// lowers the SLA's volume, not its share. norms.md grants no such exclusion;
// 0 disables it and every abandon counts.
enum class AnswerSla { kMet, kBreached, kNotCounted };
AnswerSla JudgeAnswerSla(const v1::Call& call, const v1::ContactCenterConfig& config);

// CC-1: when the answer SLA falls due — alerting start + answer_ring_limit
// ring cycles.
absl::Time AnswerDue(const v1::Call& call, const v1::ContactCenterConfig& config);

// CC-1: when a breached answer SLA was breached. A call still ringing at the
// due time breaches then. A caller who hangs up unanswered before it can no
// longer be answered within the limit, so the breach is the hang-up (ended_at,
// else alerting start + AlertingTime), never a time after the call ended.
absl::Time AnswerSlaBreachedAt(const v1::Call& call, const v1::ContactCenterConfig& config);

// CC-2 / CC-3 / CC-5: a consultation opened, a fault reported or a case
// received on a call (call_id given) happened during that call, and its SLA
// clock starts at that client time. A time outside the call would move the
// clock (a fault told at 10:00 but recorded as 10:30 would meet the 5-minute
// dispatch SLA), so it is refused as INVALID_ARGUMENT naming `field`, not
// clamped: the suite's convention is that event times are "in order with the
// record's earlier events" or refused (common.proto), and a corrected time
// would leave a wrong record stored. The window runs from alerting_started_at
// to the call's end (ended_at; else recorded_at, as a call is recorded once
// over) plus max_event_skew, for the clocks of different source systems.
absl::Status CheckDuringCall(const v1::Call& call, absl::string_view field, absl::Time at, absl::Duration max_skew);

}  // namespace gridserve::contact_center

#endif  // GRIDSERVE_SERVICES_CONTACT_CENTER_DOMAIN_CALL_RULES_H_
