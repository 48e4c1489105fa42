#include "services/risk/domain/statistics.h"

#include <map>
#include <tuple>

namespace gridserve::risk {

std::vector<v1::ClauseStatistic> BuildStatistics(const std::vector<StatisticsRow>& rows,
                                                 const v1::NormCatalogue& catalogue,
                                                 const std::vector<std::string>& departments,
                                                 const StatisticsFilter& filter) {
  std::map<std::string, int> clause_order;
  for (int i = 0; i < catalogue.clauses_size(); ++i) clause_order[catalogue.clauses(i).id()] = i;
  // Key: (catalogue position, rule, department, service).
  using Key = std::tuple<int, std::string, std::string, std::string>;
  std::map<Key, v1::ClauseStatistic> out;
  auto slot = [&](const std::string& rule, const std::string& department, const std::string& service) {
    auto pos = clause_order.find(rule);
    Key key{pos == clause_order.end() ? catalogue.clauses_size() : pos->second, rule, department, service};
    auto [it, inserted] = out.try_emplace(key);
    if (inserted) {
      it->second.set_rule(rule);
      it->second.set_department(department);
      it->second.set_service(service);
    }
    return &it->second;
  };
  auto wanted = [&](const std::string& rule, const std::string& department, const std::string& service) {
    return (filter.rule.empty() || filter.rule == rule) && (filter.department.empty() || filter.department == department) &&
           (filter.service.empty() || filter.service == service);
  };
  for (const v1::Clause& clause : catalogue.clauses()) {
    for (const std::string& department : departments) {
      if (wanted(clause.id(), department, clause.service())) slot(clause.id(), department, clause.service());
    }
  }
  for (const StatisticsRow& row : rows) {
    if (!wanted(row.rule, row.department, row.service)) continue;
    v1::ClauseStatistic* s = slot(row.rule, row.department, row.service);
    if (row.kind == v1::LEDGER_ENTRY_KIND_BREACH) {
      s->set_breach_count(s->breach_count() + row.count);
      if (row.forced) s->set_forced_count(s->forced_count() + row.count);
      continue;
    }
    switch (row.state) {
      case v1::RED_LINE_STATE_REPORTED: s->set_red_line_reported(s->red_line_reported() + row.count); break;
      case v1::RED_LINE_STATE_INVESTIGATING: s->set_red_line_investigating(s->red_line_investigating() + row.count); break;
      case v1::RED_LINE_STATE_CONFIRMED: s->set_red_line_confirmed(s->red_line_confirmed() + row.count); break;
      case v1::RED_LINE_STATE_DISMISSED: s->set_red_line_dismissed(s->red_line_dismissed() + row.count); break;
      default: break;
    }
  }
  std::vector<v1::ClauseStatistic> result;
  result.reserve(out.size());
  for (auto& [key, stat] : out) result.push_back(std::move(stat));
  return result;
}

}  // namespace gridserve::risk
