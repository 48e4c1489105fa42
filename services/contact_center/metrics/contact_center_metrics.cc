#include "services/contact_center/metrics/contact_center_metrics.h"

#include <vector>

#include "services/common/config.h"

namespace gridserve::contact_center {
namespace {

constexpr v1::CallOutcome kOutcomes[] = {v1::CALL_OUTCOME_ANSWERED, v1::CALL_OUTCOME_ABANDONED};
constexpr v1::CaseKind kKinds[] = {v1::CASE_KIND_COMPLAINT, v1::CASE_KIND_TIP_OFF};
constexpr v1::CaseState kStates[] = {v1::CASE_STATE_OPEN, v1::CASE_STATE_REPLIED};
constexpr double kHour = 3600, kDay = 24 * kHour;

}  // namespace

ContactCenterMetrics::ContactCenterMetrics(ServiceMetrics& metrics, const v1::SuiteConfig& config)
    : metrics_(metrics),
      rings_(prometheus::BuildHistogram()
                 .Name("gridserve_contact_center_call_rings")
                 .Help("Rings before a call was answered or abandoned (CC-1: answer within answer_ring_limit rings).")
                 .Register(*metrics.registry())),
      calls_(prometheus::BuildCounter()
                 .Name("gridserve_contact_center_calls_total")
                 .Help("Calls recorded, by handling department and outcome (answered or abandoned).")
                 .Register(*metrics.registry())),
      cases_(prometheus::BuildGauge()
                 .Name("gridserve_contact_center_cases")
                 .Help("Complaints and tip-offs by kind and state (CC-5).")
                 .Register(*metrics.registry())),
      overdue_(prometheus::BuildGauge()
                   .Name("gridserve_contact_center_cases_overdue")
                   .Help("Open complaints and tip-offs past their reply due time (CC-5).")
                   .Register(*metrics.registry())),
      replies_(prometheus::BuildHistogram()
                   .Name("gridserve_contact_center_reply_seconds")
                   .Help("Seconds from receipt to reply: complaints and tip-offs (CC-5), deferred consultations' "
                         "callbacks (CC-2). Each limit is a bucket bound, in calendar time (N days = N x 24 h); "
                         "limits counted in working days are judged by the SLA clock, not by these buckets.")
                   .Register(*metrics.registry())),
      // A bucket exactly at the limit: "answered within the limit" is a bucket count.
      ring_buckets_(ThresholdBuckets({static_cast<double>(config.contact_center().answer_ring_limit())},
                                     {0, 1, 2, 3, 4, 5, 6, 8, 10, 15, 20})),
      reply_buckets_(ThresholdBuckets({absl::ToDoubleSeconds(ToAbsl(config.contact_center().callback_due())),
                                       config.contact_center().complaint_reply_days() * kDay,
                                       config.contact_center().tipoff_reply_days() * kDay},
                                      {kHour, 4 * kHour, 12 * kHour, kDay, 2 * kDay, 3 * kDay, 5 * kDay, 7 * kDay,
                                       10 * kDay, 15 * kDay, 30 * kDay})) {
  std::vector<std::string> departments(config.departments().begin(), config.departments().end());
  departments.push_back("other");
  for (const std::string& department : departments) {
    for (v1::CallOutcome outcome : kOutcomes) {
      const std::map<std::string, std::string> labels{
          {"service", metrics_.service()}, {"department", department}, {"outcome", OutcomeLabel(outcome)}};
      rings_.Add(labels, ring_buckets_);
      calls_.Add(labels);
    }
  }
  for (v1::CaseKind kind : kKinds) {
    for (v1::CaseState state : kStates) SetCases(kind, state, 0);
    SetOverdueCases(kind, 0);
    replies_.Add({{"service", metrics_.service()}, {"kind", KindLabel(kind)}}, reply_buckets_);
  }
  replies_.Add({{"service", metrics_.service()}, {"kind", kCallbackKind}}, reply_buckets_);
}

void ContactCenterMetrics::ObserveReply(const char* kind, absl::Duration took) {
  replies_.Add({{"service", metrics_.service()}, {"kind", kind}}, reply_buckets_).Observe(absl::ToDoubleSeconds(took));
}

void ContactCenterMetrics::ObserveCall(const std::string& department, v1::CallOutcome outcome, int rings) {
  const std::map<std::string, std::string> labels{{"service", metrics_.service()},
                                                  {"department", metrics_.DepartmentLabel(department)},
                                                  {"outcome", OutcomeLabel(outcome)}};
  rings_.Add(labels, ring_buckets_).Observe(rings);
  calls_.Add(labels).Increment();
}

void ContactCenterMetrics::SetCases(v1::CaseKind kind, v1::CaseState state, double value) {
  cases_.Add({{"service", metrics_.service()}, {"kind", KindLabel(kind)}, {"state", StateLabel(state)}}).Set(value);
}

void ContactCenterMetrics::SetOverdueCases(v1::CaseKind kind, double value) {
  overdue_.Add({{"service", metrics_.service()}, {"kind", KindLabel(kind)}}).Set(value);
}

const char* ContactCenterMetrics::OutcomeLabel(v1::CallOutcome outcome) {
  return outcome == v1::CALL_OUTCOME_ANSWERED ? "answered" : "abandoned";
}
const char* ContactCenterMetrics::KindLabel(v1::CaseKind kind) {
  return kind == v1::CASE_KIND_TIP_OFF ? "tip_off" : "complaint";
}
const char* ContactCenterMetrics::StateLabel(v1::CaseState state) {
  return state == v1::CASE_STATE_REPLIED ? "replied" : "open";
}

}  // namespace gridserve::contact_center
