#ifndef GRIDSERVE_SERVICES_RISK_DOMAIN_RISK_SCORE_H_
#define GRIDSERVE_SERVICES_RISK_DOMAIN_RISK_SCORE_H_

// Early warning (norms.md part 五: a rolling risk score per department and
// per staff member that turns yellow or red *before* red lines are crossed).
//
// score = Σ over the entries of the window (not voided, amendments applied):
//   norm breach (any clause):  rule_weights[rule]  or norm_breach_weight
//   red-line report:           rule_weights[rule]  or redline_report_weight
//                              + confirmed_redline_weight once CONFIRMED
//   dismissed red-line report: 0 (the investigation found nothing)
//   RK breach its red-line report names (an automatic RK-3 / RK-4 finding
//   arrives as both): nothing of its own — one incident, counted as the
//   report (ledger_rules.h: SameIncidentBreaches)
// level = RED when score ≥ red_threshold, YELLOW when ≥ yellow_threshold,
// else GREEN. An entry is in the window while occurred_at ≥ now − score_window
// (exactly score_window old still counts; one microsecond more and it left).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gridserve/v1/config.pb.h"
#include "gridserve/v1/risk.pb.h"

namespace gridserve::risk {

// Entries of one kind, clause and (for reports) state within the window.
struct ScoreInput {
  v1::LedgerEntryKind kind = v1::LEDGER_ENTRY_KIND_BREACH;
  std::string rule;
  v1::RedLineState state = v1::RED_LINE_STATE_UNSPECIFIED;
  int64_t count = 0;
};

struct ScoreResult {
  double score = 0;
  v1::RiskLevel level = v1::RISK_LEVEL_GREEN;
  int64_t breach_count = 0;
  int64_t red_line_report_count = 0;
  int64_t confirmed_red_line_count = 0;
};

// The weight of one entry of this kind, clause and state.
double EntryWeight(v1::LedgerEntryKind kind, const std::string& rule, v1::RedLineState state,
                   const v1::RiskConfig& config);

v1::RiskLevel LevelFor(double score, const v1::RiskConfig& config);

ScoreResult Score(const std::vector<ScoreInput>& inputs, const v1::RiskConfig& config);

// The oldest occurred_at still inside the window at `now`.
absl::Time WindowStart(absl::Time now, const v1::RiskConfig& config);

// RISING when the level went up, FALLING when down; nullopt when unchanged.
std::optional<v1::WarningDirection> DirectionOf(v1::RiskLevel previous, v1::RiskLevel level);

// gridserve_risk_warning_level: 0 green, 1 yellow, 2 red.
int LevelGaugeValue(v1::RiskLevel level);

}  // namespace gridserve::risk

#endif  // GRIDSERVE_SERVICES_RISK_DOMAIN_RISK_SCORE_H_
