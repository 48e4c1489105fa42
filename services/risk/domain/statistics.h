#ifndef GRIDSERVE_SERVICES_RISK_DOMAIN_STATISTICS_H_
#define GRIDSERVE_SERVICES_RISK_DOMAIN_STATISTICS_H_

// Counts per clause and department over a period (the violation dashboard
// and monthly reports): every clause of the catalogue × configured
// department, zeros included; voided entries excluded, amendments applied;
// an RK breach its red-line report names counts once, as the report
// (red_line_*), not also in breach_count.

#include <cstdint>
#include <string>
#include <vector>

#include "gridserve/v1/common.pb.h"
#include "gridserve/v1/risk.pb.h"

namespace gridserve::risk {

// One group of effective entries in the period.
struct StatisticsRow {
  std::string rule;
  std::string department;
  std::string service;
  v1::LedgerEntryKind kind = v1::LEDGER_ENTRY_KIND_BREACH;
  v1::RedLineState state = v1::RED_LINE_STATE_UNSPECIFIED;
  bool forced = false;
  int64_t count = 0;
};

struct StatisticsFilter {
  std::string department;
  std::string rule;
  std::string service;
};

// Rows keyed by (rule, department, service); the zero rows use each
// clause's owning service. Sorted by rule (catalogue order), department,
// service.
std::vector<v1::ClauseStatistic> BuildStatistics(const std::vector<StatisticsRow>& rows,
                                                 const v1::NormCatalogue& catalogue,
                                                 const std::vector<std::string>& departments,
                                                 const StatisticsFilter& filter);

}  // namespace gridserve::risk

#endif  // GRIDSERVE_SERVICES_RISK_DOMAIN_STATISTICS_H_
