#include "services/construction/metrics/construction_metrics.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "services/common/service_metrics.h"
#include "services/construction/domain/time_limits.h"

namespace gridserve::construction {
namespace {

constexpr v1::ProjectType kTypes[] = {v1::PROJECT_TYPE_RESIDENTIAL, v1::PROJECT_TYPE_LOW_VOLTAGE_NON_RESIDENTIAL,
                                      v1::PROJECT_TYPE_HIGH_VOLTAGE_SINGLE, v1::PROJECT_TYPE_HIGH_VOLTAGE_DUAL};
constexpr const char* kGatedRules[] = {"CN-2", "CN-3", "CN-5", "CN-6", "CN-7", "CN-8"};

std::string EnumLabel(const std::string& name, absl::string_view prefix) {
  absl::string_view view = name;
  if (absl::StartsWith(view, prefix)) view.remove_prefix(prefix.size());
  return absl::AsciiStrToLower(view);
}

}  // namespace

ConstructionMetrics::ConstructionMetrics(prometheus::Registry& registry, const v1::ConstructionConfig& config)
    : projects_(prometheus::BuildGauge()
                    .Name("gridserve_construction_projects")
                    .Help("Construction projects by current stage and project type.")
                    .Register(registry)),
      duration_(prometheus::BuildHistogram()
                    .Name("gridserve_construction_project_workdays")
                    .Help("Whole-process duration of completed projects in working days (application to "
                          "completion), with a bucket at each type's limit.")
                    .Register(registry)),
      refusals_(prometheus::BuildCounter()
                    .Name("gridserve_construction_gate_refusals_total")
                    .Help("Steps refused by a construction gate (FAILED_PRECONDITION), by clause ID.")
                    .Register(registry)),
      open_damages_(prometheus::BuildGauge()
                        .Name("gridserve_construction_open_damages")
                        .Help("Damages to customer facilities not yet confirmed remedied (CN-6), by the stage of "
                              "their project; completed and cancelled projects still owe theirs.")
                        .Register(registry)) {
  std::vector<double> limits;
  for (v1::ProjectType type : kTypes) limits.push_back(WholeProcessLimitWorkingDays(config, type));
  buckets_ = ThresholdBuckets(limits, {1, 2, 3, 4, 10, 15, 40, 60});
  for (v1::ProjectType type : kTypes) {
    duration_.Add({{"project_type", TypeLabel(type)}}, buckets_);
  }
  SetProjectCounts({});
  SetOpenDamages({});
  for (const char* rule : kGatedRules) refusals_.Add({{"rule", rule}});
}

std::string ConstructionMetrics::TypeLabel(v1::ProjectType type) {
  return EnumLabel(v1::ProjectType_Name(type), "PROJECT_TYPE_");
}

std::string ConstructionMetrics::StageLabel(v1::ProjectStage stage) {
  return EnumLabel(v1::ProjectStage_Name(stage), "PROJECT_STAGE_");
}

void ConstructionMetrics::ObserveDuration(v1::ProjectType type, double working_days) {
  duration_.Add({{"project_type", TypeLabel(type)}}, buckets_).Observe(working_days);
}

void ConstructionMetrics::SetProjectCounts(const std::map<std::pair<int, int>, int64_t>& counts) {
  for (int stage = v1::PROJECT_STAGE_APPLICATION; stage <= v1::PROJECT_STAGE_CANCELLED; ++stage) {
    for (v1::ProjectType type : kTypes) {
      auto it = counts.find({stage, static_cast<int>(type)});
      projects_
          .Add({{"stage", StageLabel(static_cast<v1::ProjectStage>(stage))}, {"project_type", TypeLabel(type)}})
          .Set(it == counts.end() ? 0 : static_cast<double>(it->second));
    }
  }
}

void ConstructionMetrics::SetOpenDamages(const std::map<int, int64_t>& counts) {
  for (int stage = v1::PROJECT_STAGE_APPLICATION; stage <= v1::PROJECT_STAGE_CANCELLED; ++stage) {
    auto it = counts.find(stage);
    open_damages_.Add({{"stage", StageLabel(static_cast<v1::ProjectStage>(stage))}})
        .Set(it == counts.end() ? 0 : static_cast<double>(it->second));
  }
}

void ConstructionMetrics::CountGateRefusal(const std::string& rule) {
  for (const char* known : kGatedRules) {
    if (rule == known) refusals_.Add({{"rule", rule}}).Increment();
  }
}

}  // namespace gridserve::construction
