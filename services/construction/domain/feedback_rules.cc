#include "services/construction/domain/feedback_rules.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/rpc_util.h"
#include "services/common/status_util.h"
#include "services/construction/domain/project_helpers.h"

namespace gridserve::construction {

absl::StatusOr<Effects> RecordSiteFeedback(const Rules&, v1::Project& project, v1::Feedback feedback,
                                           bool site_rules_respected, bool local_customs_respected,
                                           const v1::QualityReview& review) {
  const absl::Time at = FromProto(feedback.collected_at());
  if (auto s = NotBefore(at, AppliedAt(project), "feedback.collected_at", "the application"); !s.ok()) return s;
  Validator v;
  for (int i = 0; i < review.items_size(); ++i) {
    const auto& item = review.items(i);
    v.Check(absl::StartsWith(item.clause(), "CN-") && item.clause().size() == 4 && item.clause()[3] >= '1' &&
                item.clause()[3] <= '8',
            absl::StrCat("review.items[", i, "].clause"), "must be a construction clause, CN-1 .. CN-8");
  }
  if (!v.empty()) return v.status();

  Effects effects;
  // Feedback entries are numbered in order: stable breach ids per entry.
  const std::string what = absl::StrCat("feedback/", project.feedback_size() + 1);
  const std::string& reviewer = review.reviewer_staff_id();
  // CN-4: obey the customer's site rules, respect local customs. The flags
  // are plain proto3 bools: a customer who declined the survey left them
  // unset (false) without saying anything about the crew, so no finding.
  const bool answered = !feedback.declined();
  if (answered && !site_rules_respected) {
    effects.breaches.push_back(ProjectBreach(project, "CN-4", what + "/site_rules",
                                             "the crew did not obey the customer's site rules", at,
                                             v1::MECHANISM_REVIEW));
  }
  if (answered && !local_customs_respected) {
    effects.breaches.push_back(ProjectBreach(project, "CN-4", what + "/local_customs",
                                             "the crew did not respect local customs", at, v1::MECHANISM_REVIEW));
  }
  for (int i = 0; i < review.items_size(); ++i) {
    const auto& item = review.items(i);
    if (item.result() != v1::REVIEW_RESULT_FAIL) continue;
    effects.breaches.push_back(ProjectBreach(
        project, item.clause(), absl::StrCat(what, "/review/", i + 1),
        absl::StrCat("review item failed: ", item.item().empty() ? item.clause() : item.item()),
        review.has_reviewed_at() ? FromProto(review.reviewed_at()) : at, v1::MECHANISM_REVIEW, reviewer));
  }
  *project.add_feedback() = std::move(feedback);
  return effects;
}

std::string RedLineMessageId(const std::string& report_id) { return absl::StrCat("construction/RK-5/", report_id); }

absl::StatusOr<Effects> ReportDesignatedSupplierPressure(const Rules&, v1::Project& project,
                                                         v1::SupplierPressureReport report) {
  const absl::Time reported = FromProto(report.reported_at());
  if (report.has_occurred_at()) {
    if (auto s = NotBefore(reported, FromProto(report.occurred_at()), "reported_at", "the occurrence"); !s.ok()) {
      return s;
    }
  }
  v1::ReportRedLineRequest red_line;
  red_line.set_request_id(RedLineMessageId(report.report_id()));
  red_line.set_rule("RK-5");
  red_line.set_source(v1::RED_LINE_SOURCE_CONSTRUCTION);
  red_line.set_department(report.accused_staff().department().empty() ? project.department()
                                                                       : report.accused_staff().department());
  *red_line.mutable_staff() = report.accused_staff();
  *red_line.mutable_reporter() = report.reporter();
  red_line.set_source_service("construction");
  red_line.set_source_reference(EntitySubject(project, "supplier_pressure", report.report_id()));
  *red_line.mutable_occurred_at() = report.has_occurred_at() ? report.occurred_at() : report.reported_at();
  const char* kind = report.supplier_kind() == v1::SUPPLIER_KIND_EQUIPMENT    ? "designated equipment"
                     : report.supplier_kind() == v1::SUPPLIER_KIND_CONTRACTOR ? "a designated contractor"
                                                                              : "a designated supplier";
  red_line.set_description(absl::StrCat("Customer forced to use ", kind,
                                        report.supplier_name().empty() ? "" : absl::StrCat(" (", report.supplier_name(), ")"),
                                        ": ", report.description()));
  Effects effects;
  effects.red_line_reports.push_back(std::move(red_line));
  report.set_forwarded_to_risk(false);  // set on read once risk accepted it
  *project.add_supplier_pressure_reports() = std::move(report);
  return effects;
}

}  // namespace gridserve::construction
