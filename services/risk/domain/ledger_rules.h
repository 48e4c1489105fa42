#ifndef GRIDSERVE_SERVICES_RISK_DOMAIN_LEDGER_RULES_H_
#define GRIDSERVE_SERVICES_RISK_DOMAIN_LEDGER_RULES_H_

// The ledger (norms.md part 五: "every breach, whatever its source, becomes
// one record in the risk service's ledger"; never deleted or rewritten):
// what a breach must carry to be recorded, and how corrections — new
// entries referring to the original — change the effective view.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gridserve/v1/risk.pb.h"

namespace gridserve::risk {

// The five services of the suite: the only values of the `service` label.
const std::vector<std::string>& KnownServices();
bool IsKnownService(const std::string& service);

// The longest breach_id accepted. A sender's outbox delivers a breach with
// request_id = breach_id, so ReportBreach takes request ids this long too.
inline constexpr size_t kMaxBreachIdSize = 256;

// A breach from a service's outbox: breach_id, a known service, a clause of
// the catalogue, occurred_at not in the future beyond the skew. `prefix` is
// the field path of the breach in the request ("breach", "breach" in a
// correction's replacement).
absl::Status ValidateBreach(const v1::Breach& breach, absl::Time now, absl::Duration max_skew,
                            const std::string& prefix = "breach");

// The request fields that do not depend on the corrected entry.
absl::Status ValidateCorrectionRequest(const v1::AddLedgerCorrectionRequest& request, absl::Time now,
                                       absl::Duration max_skew);

// Whether `entry` (voided or not) may take this correction: only BREACH and
// RED_LINE_REPORT entries are corrected (FAILED_PRECONDITION otherwise), a
// voided entry takes nothing more, corrected_at is not before the entry's
// recorded_at (INVALID_ARGUMENT), an AMEND replaces content of the same kind
// and keeps the breach_id / report_id.
absl::Status CheckCorrection(const v1::LedgerEntry& entry, bool voided, const v1::AddLedgerCorrectionRequest& request);

// One incident counts once (norms.md part 五: every breach is one record; RK
// reach the ledger "from reports and automatic detection"). An automatic
// red-line finding arrives twice: the breach its service recorded
// (ReportBreach, e.g. repair's "repair/RK-4/outage/OUT-1") and the red-line
// report that names it in related_breaches (ReportRedLine). The report is the
// incident: it is investigated, and weighs as a red line
// (redline_report_weight, + confirmed_redline_weight once CONFIRMED, 0 when
// DISMISSED); the breach stays in the ledger as recorded but counts through
// the report, not again as a norm breach (norm_breach_weight). These are the
// breach ids a report counts: its related breaches of its own clause. A
// related breach of another clause (the CC-6 behind an RK-1 report) is a
// breach of that clause and counts as one. A voided report counts none: its
// breaches count on their own again.
std::vector<std::string> SameIncidentBreaches(const v1::RedLineReport& report, bool voided);

// The content after an AMEND: a report keeps its workflow (state, investigator,
// decision, clocks, breaches) — only a status change moves it.
v1::RedLineReport AmendReport(const v1::RedLineReport& current, const v1::RedLineReport& replacement);

// The denormalised columns of a ledger entry from its content.
void Denormalise(v1::LedgerEntry& entry, const v1::Breach& breach);
void Denormalise(v1::LedgerEntry& entry, const v1::RedLineReport& report);
// The service a red-line report counts under: its source service, or "risk"
// for direct calls (audits, inspections).
std::string ReportService(const v1::RedLineReport& report);

}  // namespace gridserve::risk

#endif  // GRIDSERVE_SERVICES_RISK_DOMAIN_LEDGER_RULES_H_
