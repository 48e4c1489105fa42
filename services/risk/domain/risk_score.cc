#include "services/risk/domain/risk_score.h"

#include "services/common/config.h"

namespace gridserve::risk {

double EntryWeight(v1::LedgerEntryKind kind, const std::string& rule, v1::RedLineState state,
                   const v1::RiskConfig& config) {
  auto override_weight = config.rule_weights().find(rule);
  const bool overridden = override_weight != config.rule_weights().end();
  if (kind == v1::LEDGER_ENTRY_KIND_BREACH) {
    return overridden ? override_weight->second : config.norm_breach_weight();
  }
  if (kind != v1::LEDGER_ENTRY_KIND_RED_LINE_REPORT || state == v1::RED_LINE_STATE_DISMISSED) return 0;
  double weight = overridden ? override_weight->second : config.redline_report_weight();
  if (state == v1::RED_LINE_STATE_CONFIRMED) weight += config.confirmed_redline_weight();
  return weight;
}

v1::RiskLevel LevelFor(double score, const v1::RiskConfig& config) {
  if (score >= config.red_threshold()) return v1::RISK_LEVEL_RED;
  if (score >= config.yellow_threshold()) return v1::RISK_LEVEL_YELLOW;
  return v1::RISK_LEVEL_GREEN;
}

ScoreResult Score(const std::vector<ScoreInput>& inputs, const v1::RiskConfig& config) {
  ScoreResult result;
  for (const ScoreInput& in : inputs) {
    result.score += static_cast<double>(in.count) * EntryWeight(in.kind, in.rule, in.state, config);
    if (in.kind == v1::LEDGER_ENTRY_KIND_BREACH) {
      result.breach_count += in.count;
    } else if (in.kind == v1::LEDGER_ENTRY_KIND_RED_LINE_REPORT && in.state != v1::RED_LINE_STATE_DISMISSED) {
      result.red_line_report_count += in.count;
      if (in.state == v1::RED_LINE_STATE_CONFIRMED) result.confirmed_red_line_count += in.count;
    }
  }
  result.level = LevelFor(result.score, config);
  return result;
}

absl::Time WindowStart(absl::Time now, const v1::RiskConfig& config) { return now - ToAbsl(config.score_window()); }

std::optional<v1::WarningDirection> DirectionOf(v1::RiskLevel previous, v1::RiskLevel level) {
  if (level == previous) return std::nullopt;
  return level > previous ? v1::WARNING_DIRECTION_RISING : v1::WARNING_DIRECTION_FALLING;
}

int LevelGaugeValue(v1::RiskLevel level) {
  switch (level) {
    case v1::RISK_LEVEL_YELLOW: return 1;
    case v1::RISK_LEVEL_RED: return 2;
    default: return 0;
  }
}

}  // namespace gridserve::risk
