// CC-6 / CC-7 quality reviews and the RK-1 report for abusive language.
#include "services/contact_center/domain/review_rules.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridserve::contact_center {
namespace {

using ::testing::IsEmpty;
using ::testing::SizeIs;

v1::ReviewItem Item(const std::string& clause, const std::string& item, v1::ReviewResult result) {
  v1::ReviewItem i;
  i.set_clause(clause);
  i.set_item(item);
  i.set_result(result);
  return i;
}

TEST(ReviewRulesTest, OnlyContactCenterClauses) {
  EXPECT_TRUE(IsContactCenterClause("CC-1"));
  EXPECT_TRUE(IsContactCenterClause("CC-8"));
  EXPECT_FALSE(IsContactCenterClause("CC-9"));
  EXPECT_FALSE(IsContactCenterClause("CC-0"));
  EXPECT_FALSE(IsContactCenterClause("RP-1"));
  EXPECT_FALSE(IsContactCenterClause("CC-"));
  EXPECT_FALSE(IsContactCenterClause("CC-10"));
}

TEST(ReviewRulesTest, CheckReviewNamesEachBadField) {
  v1::QualityReview review;
  *review.add_items() = Item("CC-7", "confirmed_key_content", v1::REVIEW_RESULT_PASS);
  *review.add_items() = Item("RP-4", "", v1::REVIEW_RESULT_UNSPECIFIED);
  Validator v;
  CheckReview(v, review);
  std::vector<std::string> fields;
  for (const auto& f : FieldViolationsOf(v.status())) fields.push_back(f.field);
  EXPECT_THAT(fields, ::testing::UnorderedElementsAre("review.reviewer_staff_id", "review.items[1].clause",
                                                      "review.items[1].item", "review.items[1].result"));
}

// A result outside the enum is neither PASS nor FAIL: kept, it would never be counted.
TEST(ReviewRulesTest, UnknownResultIsRefusedLikeAnUnsetOne) {
  v1::QualityReview review;
  review.set_reviewer_staff_id("SUP-1");
  *review.add_items() = Item("CC-7", "confirmed_key_content", v1::REVIEW_RESULT_NOT_APPLICABLE);
  *review.add_items() = Item("CC-6", "polite_and_firm", static_cast<v1::ReviewResult>(999));
  Validator v;
  CheckReview(v, review);
  std::vector<std::string> fields;
  for (const auto& f : FieldViolationsOf(v.status())) fields.push_back(f.field);
  EXPECT_THAT(fields, ::testing::ElementsAre("review.items[1].result"));
}

TEST(ReviewRulesTest, Cc7FailedItemIsAReviewBreachOfItsClause) {
  v1::QualityReview review;
  *review.add_items() = Item("CC-7", "active_listening", v1::REVIEW_RESULT_PASS);
  *review.add_items() = Item("CC-7", "confirmed_key_content", v1::REVIEW_RESULT_FAIL);
  *review.add_items() = Item("CC-6", "wrong_number_explained", v1::REVIEW_RESULT_NOT_APPLICABLE);
  const auto found = ReviewFindings(review, /*abusive_language=*/false, 2);
  ASSERT_THAT(found, SizeIs(1));
  EXPECT_EQ(found[0].rule, "CC-7");
  EXPECT_EQ(found[0].key, "review/2/item/1");
  EXPECT_EQ(found[0].mechanism, v1::MECHANISM_REVIEW);
}

TEST(ReviewRulesTest, Cc6AbusiveLanguageIsABreachAndAnRk1Report) {
  const auto found = ReviewFindings(v1::QualityReview(), /*abusive_language=*/true, 1);
  ASSERT_THAT(found, SizeIs(1));
  EXPECT_EQ(found[0].rule, "CC-6");
  v1::Call call;
  call.set_call_id("CALL-1");
  call.set_department("customer-service");
  call.mutable_agent()->set_staff_id("S-1");
  const v1::ReportRedLineRequest report = AbusiveLanguageReport(call, v1::QualityReview());
  EXPECT_EQ(report.rule(), "RK-1");
  EXPECT_EQ(report.source(), v1::RED_LINE_SOURCE_QUALITY_REVIEW);
  EXPECT_EQ(report.staff().staff_id(), "S-1");
  EXPECT_EQ(report.department(), "customer-service");
  EXPECT_EQ(report.source_reference(), "call/CALL-1");
}

TEST(ReviewRulesTest, AllPassedReviewFindsNothing) {
  v1::QualityReview review;
  *review.add_items() = Item("CC-6", "harassment_met_firmly", v1::REVIEW_RESULT_PASS);
  EXPECT_THAT(ReviewFindings(review, false, 1), IsEmpty());
}

}  // namespace
}  // namespace gridserve::contact_center
