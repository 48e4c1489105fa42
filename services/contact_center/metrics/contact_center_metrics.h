#ifndef GRIDSERVE_SERVICES_CONTACT_CENTER_METRICS_CONTACT_CENTER_METRICS_H_
#define GRIDSERVE_SERVICES_CONTACT_CENTER_METRICS_CONTACT_CENTER_METRICS_H_

#include <map>
#include <string>
#include <utility>

#include "absl/time/time.h"
#include "gridserve/v1/config.pb.h"
#include "gridserve/v1/contact_center.pb.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "services/common/service_metrics.h"

namespace gridserve::contact_center {

// The contact center's domain metrics, every series present at zero from
// start-up (labels: configured departments + "other", fixed outcomes/kinds):
//   gridserve_contact_center_call_rings{department,outcome}  histogram, a bucket at answer_ring_limit (CC-1)
//   gridserve_contact_center_calls_total{department,outcome} counter (answered|abandoned)
//   gridserve_contact_center_cases{kind,state}               gauge (complaint|tip_off × open|replied), CC-5
//   gridserve_contact_center_cases_overdue{kind}             gauge: open cases past their reply due time
//   gridserve_contact_center_reply_seconds{kind}             histogram: receipt to reply (complaint|tip_off,
//                                                            CC-5; callback, CC-2), a bucket at each limit
class ContactCenterMetrics {
 public:
  ContactCenterMetrics(ServiceMetrics& metrics, const v1::SuiteConfig& config);

  void ObserveCall(const std::string& department, v1::CallOutcome outcome, int rings);
  void SetCases(v1::CaseKind kind, v1::CaseState state, double value);
  void SetOverdueCases(v1::CaseKind kind, double value);
  // A reply's time from receipt: kind is KindLabel(case kind) or kCallbackKind.
  void ObserveReply(const char* kind, absl::Duration took);
  static constexpr char kCallbackKind[] = "callback";

  static const char* OutcomeLabel(v1::CallOutcome outcome);
  static const char* KindLabel(v1::CaseKind kind);
  static const char* StateLabel(v1::CaseState state);

 private:
  ServiceMetrics& metrics_;
  prometheus::Family<prometheus::Histogram>& rings_;
  prometheus::Family<prometheus::Counter>& calls_;
  prometheus::Family<prometheus::Gauge>& cases_;
  prometheus::Family<prometheus::Gauge>& overdue_;
  prometheus::Family<prometheus::Histogram>& replies_;
  const prometheus::Histogram::BucketBoundaries ring_buckets_;
  const prometheus::Histogram::BucketBoundaries reply_buckets_;
};

}  // namespace gridserve::contact_center

#endif  // GRIDSERVE_SERVICES_CONTACT_CENTER_METRICS_CONTACT_CENTER_METRICS_H_
