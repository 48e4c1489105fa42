#include "services/risk/app/risk_metrics.h"

#include <algorithm>

#include "services/common/catalogue.h"
#include "services/risk/domain/ledger_rules.h"
#include "services/risk/domain/redline.h"
#include "services/risk/domain/risk_score.h"

namespace gridserve::risk {

RiskMetrics::RiskMetrics(ServiceMetrics& base, const v1::SuiteConfig& config)
    : base_(base),
      reports_total_(prometheus::BuildCounter()
                         .Name("gridserve_redline_reports_total")
                         .Help("Red-line reports (RK-1..RK-11) entering each investigation status "
                               "(reported, investigating, confirmed, dismissed), by clause and department.")
                         .Register(*base.registry())),
      ledger_entries_total_(prometheus::BuildCounter()
                                .Name("gridserve_ledger_entries_total")
                                .Help("Entries appended to the risk ledger (breaches, red-line reports, status "
                                      "changes, corrections), by sending service and clause ID.")
                                .Register(*base.registry())),
      warning_level_(prometheus::BuildGauge()
                         .Name("gridserve_risk_warning_level")
                         .Help("Early-warning level of a department: 0 green, 1 yellow, 2 red.")
                         .Register(*base.registry())),
      open_investigations_(prometheus::BuildGauge()
                               .Name("gridserve_redline_open_investigations")
                               .Help("Red-line reports reported or under investigation (not yet decided), by clause.")
                               .Register(*base.registry())) {
  department_labels_.assign(config.departments().begin(), config.departments().end());
  department_labels_.push_back("other");
  for (const std::string& rule : RedLineRules()) {
    for (const std::string& department : department_labels_) {
      for (v1::RedLineState state : RedLineStates()) {
        reports_total_.Add({{"rule", rule}, {"department", department}, {"status", StateLabel(state)}});
      }
    }
    open_investigations_.Add({{"rule", rule}}).Set(0);
  }
  for (const v1::Clause& clause : Catalogue().clauses()) {
    ledger_entries_total_.Add({{"service", clause.service()}, {"rule", clause.id()}});
    // Red lines also arrive from the services that detect or receive them.
    if (IsRedLineRule(clause.id())) {
      for (const std::string& service : KnownServices()) {
        ledger_entries_total_.Add({{"service", service}, {"rule", clause.id()}});
      }
    }
  }
  for (const std::string& department : department_labels_) warning_level_.Add({{"department", department}}).Set(0);
}

std::string RiskMetrics::ServiceLabel(const std::string& service) const {
  return IsKnownService(service) ? service : "other";
}

std::string RiskMetrics::RuleLabel(const std::string& rule) const {
  return FindClause(rule) != nullptr ? rule : "other";
}

void RiskMetrics::CountReport(const std::string& rule, const std::string& department, v1::RedLineState state) {
  reports_total_.Add({{"rule", RuleLabel(rule)}, {"department", base_.DepartmentLabel(department)},
                      {"status", StateLabel(state)}})
      .Increment();
}

void RiskMetrics::CountLedgerEntry(const std::string& service, const std::string& rule) {
  ledger_entries_total_.Add({{"service", ServiceLabel(service)}, {"rule", RuleLabel(rule)}}).Increment();
}

void RiskMetrics::SetWarningLevels(const std::vector<std::pair<std::string, v1::RiskLevel>>& levels) {
  std::map<std::string, int> by_label;
  for (const std::string& department : department_labels_) by_label[department] = 0;
  for (const auto& [department, level] : levels) {
    int& value = by_label[base_.DepartmentLabel(department)];
    value = std::max(value, LevelGaugeValue(level));
  }
  for (const auto& [label, value] : by_label) warning_level_.Add({{"department", label}}).Set(value);
}

void RiskMetrics::SetOpenInvestigations(const std::map<std::string, int64_t>& open_by_rule) {
  for (const std::string& rule : RedLineRules()) {
    auto it = open_by_rule.find(rule);
    open_investigations_.Add({{"rule", rule}}).Set(it == open_by_rule.end() ? 0 : static_cast<double>(it->second));
  }
}

}  // namespace gridserve::risk
