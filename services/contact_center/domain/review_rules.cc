#include "services/contact_center/domain/review_rules.h"

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace gridserve::contact_center {

bool IsContactCenterClause(absl::string_view clause) {
  if (!absl::ConsumePrefix(&clause, "CC-")) return false;
  int n = 0;
  return clause.size() == 1 && absl::SimpleAtoi(clause, &n) && n >= 1 && n <= 8;
}

void CheckReview(Validator& v, const v1::QualityReview& review) {
  v.Check(!review.reviewer_staff_id().empty(), "review.reviewer_staff_id", "is required");
  for (int i = 0; i < review.items_size(); ++i) {
    const v1::ReviewItem& item = review.items(i);
    const std::string at = absl::StrCat("review.items[", i, "]");
    v.Check(IsContactCenterClause(item.clause()), at + ".clause", "must be a contact-center clause CC-1..CC-8");
    v.Check(!item.item().empty(), at + ".item", "is required (what was checked)");
    // An unknown result is neither a pass nor a FAIL: it would be stored and never counted.
    v.Check(item.result() != v1::REVIEW_RESULT_UNSPECIFIED && v1::ReviewResult_IsValid(item.result()), at + ".result",
            "must be PASS, FAIL or NOT_APPLICABLE");
  }
}

std::vector<Finding> ReviewFindings(const v1::QualityReview& review, bool abusive_language, int number) {
  std::vector<Finding> found;
  for (int i = 0; i < review.items_size(); ++i) {
    const v1::ReviewItem& item = review.items(i);
    if (item.result() != v1::REVIEW_RESULT_FAIL) continue;
    found.push_back({item.clause(), absl::StrCat("review/", number, "/item/", i),
                     absl::StrCat("quality review failed item ", item.item()), v1::MECHANISM_REVIEW});
  }
  if (abusive_language) {
    found.push_back({"CC-6", absl::StrCat("review/", number, "/abusive_language"),
                     "quality review found abusive or foul language", v1::MECHANISM_REVIEW});
  }
  return found;
}

v1::ReportRedLineRequest AbusiveLanguageReport(const v1::Call& call, const v1::QualityReview& review) {
  v1::ReportRedLineRequest report;
  report.set_rule("RK-1");
  report.set_source(v1::RED_LINE_SOURCE_QUALITY_REVIEW);
  report.set_department(call.agent().department().empty() ? call.department() : call.agent().department());
  *report.mutable_staff() = call.agent();
  report.set_source_service("contact-center");
  report.set_source_reference(absl::StrCat("call/", call.call_id()));
  *report.mutable_occurred_at() = review.reviewed_at();
  report.set_description("abusive or foul language found in a quality review of a call");
  return report;
}

}  // namespace gridserve::contact_center
