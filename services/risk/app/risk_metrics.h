#ifndef GRIDSERVE_SERVICES_RISK_APP_RISK_METRICS_H_
#define GRIDSERVE_SERVICES_RISK_APP_RISK_METRICS_H_

// risk's own series (design.md, "Metrics (contract)"), every one present at
// zero from start-up; labels are bounded (clause IDs, the five services,
// configured departments + "other"); staff ids never appear.
//   gridserve_redline_reports_total{rule,department,status}
//   gridserve_ledger_entries_total{service,rule}
//   gridserve_risk_warning_level{department}      0 green, 1 yellow, 2 red
//   gridserve_redline_open_investigations{rule}
// The investigation SLA is counted by the platform in gridserve_sla_total.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "gridserve/v1/risk.pb.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "services/common/service_metrics.h"

namespace gridserve::risk {

class RiskMetrics {
 public:
  RiskMetrics(ServiceMetrics& base, const v1::SuiteConfig& config);

  // A red-line report entered `state`.
  void CountReport(const std::string& rule, const std::string& department, v1::RedLineState state);
  void CountLedgerEntry(const std::string& service, const std::string& rule);
  // Current department levels (any department; unconfigured ones are "other",
  // the highest level wins); configured departments not listed are green.
  void SetWarningLevels(const std::vector<std::pair<std::string, v1::RiskLevel>>& levels);
  void SetOpenInvestigations(const std::map<std::string, int64_t>& open_by_rule);

  std::string ServiceLabel(const std::string& service) const;
  std::string RuleLabel(const std::string& rule) const;

 private:
  ServiceMetrics& base_;
  std::vector<std::string> department_labels_;  // configured + "other"
  prometheus::Family<prometheus::Counter>& reports_total_;
  prometheus::Family<prometheus::Counter>& ledger_entries_total_;
  prometheus::Family<prometheus::Gauge>& warning_level_;
  prometheus::Family<prometheus::Gauge>& open_investigations_;
};

}  // namespace gridserve::risk

#endif  // GRIDSERVE_SERVICES_RISK_APP_RISK_METRICS_H_
