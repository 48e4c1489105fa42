// CN-4 feedback as review, review items by clause, RK-5 designated-supplier reports.
#include "services/construction/domain/feedback_rules.h"

#include "tests/construction/domain_fixture.h"

namespace gridserve::construction::testing {
namespace {

class FeedbackTest : public DomainTest {
 protected:
  FeedbackTest() : project_(NewProject(v1::PROJECT_TYPE_RESIDENTIAL)) {}

  v1::Feedback Opinion() {
    v1::Feedback f;
    f.set_satisfaction(2);
    *f.mutable_collected_at() = ToProto(kFriday + absl::Hours(1));
    return f;
  }

  v1::Project project_;
};

TEST_F(FeedbackTest, Cn4RespectedSiteRulesAndCustomsIsNoBreach) {
  auto e = RecordSiteFeedback(rules_, project_, Opinion(), true, true, v1::QualityReview());
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->breaches.empty());
  EXPECT_EQ(project_.feedback_size(), 1);
}

TEST_F(FeedbackTest, Cn4EachDisrespectIsAReviewBreach) {
  auto e = RecordSiteFeedback(rules_, project_, Opinion(), false, false, v1::QualityReview());
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->breaches.size(), 2u);
  for (const auto& b : e->breaches) {
    EXPECT_EQ(b.rule(), "CN-4");
    EXPECT_EQ(b.mechanism(), v1::MECHANISM_REVIEW);
  }
  EXPECT_EQ(e->breaches[0].breach_id(), "construction/CN-4/project/PRJ-1/feedback/1/site_rules");
  EXPECT_EQ(e->breaches[1].breach_id(), "construction/CN-4/project/PRJ-1/feedback/1/local_customs");
  // A second feedback gets its own ids.
  auto second = RecordSiteFeedback(rules_, project_, Opinion(), false, true, v1::QualityReview());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->breaches[0].breach_id(), "construction/CN-4/project/PRJ-1/feedback/2/site_rules");
}

// A customer who declined the survey said nothing about the site rules or
// customs: the unset flags read false, but they are no CN-4 finding.
TEST_F(FeedbackTest, Cn4DeclinedFeedbackIsNoFinding) {
  v1::Feedback declined = Opinion();
  declined.set_satisfaction(0);
  declined.set_declined(true);
  auto e = RecordSiteFeedback(rules_, project_, declined, false, false, v1::QualityReview());
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_TRUE(e->breaches.empty());
  EXPECT_EQ(project_.feedback_size(), 1);  // still the opinion asked (CN-8)
}

TEST_F(FeedbackTest, FailedReviewItemsAreBreachesOfTheirClause) {
  v1::QualityReview review;
  review.set_reviewer_staff_id("S-7");
  auto* pass = review.add_items();
  pass->set_clause("CN-8");
  pass->set_result(v1::REVIEW_RESULT_PASS);
  auto* fail = review.add_items();
  fail->set_clause("CN-7");
  fail->set_item("courtesy_sign");
  fail->set_result(v1::REVIEW_RESULT_FAIL);
  auto e = RecordSiteFeedback(rules_, project_, Opinion(), true, true, review);
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->breaches.size(), 1u);
  EXPECT_EQ(e->breaches[0].rule(), "CN-7");
  EXPECT_EQ(e->breaches[0].staff_id(), "S-7");
  EXPECT_EQ(e->breaches[0].mechanism(), v1::MECHANISM_REVIEW);
}

TEST_F(FeedbackTest, ReviewItemsMustNameAConstructionClause) {
  v1::QualityReview review;
  review.add_items()->set_clause("CC-1");
  auto e = RecordSiteFeedback(rules_, project_, Opinion(), true, true, review);
  EXPECT_TRUE(HasViolation(e.status(), "review.items[0].clause"));
  EXPECT_TRUE(project_.feedback().empty());
}

TEST_F(FeedbackTest, Rk5ReportBecomesARedLineRequestForRisk) {
  v1::SupplierPressureReport r;
  r.set_report_id("SPR-1");
  r.set_supplier_kind(v1::SUPPLIER_KIND_CONTRACTOR);
  r.set_supplier_name("Acme Electrical");
  r.set_description("told the customer only Acme may build the room");
  r.mutable_accused_staff()->set_staff_id("S-13");
  r.mutable_accused_staff()->set_department("business-expansion");
  *r.mutable_occurred_at() = ToProto(kFriday);
  *r.mutable_reported_at() = ToProto(kFriday + absl::Hours(1));
  auto e = ReportDesignatedSupplierPressure(rules_, project_, r);
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->red_line_reports.size(), 1u);
  const v1::ReportRedLineRequest& red = e->red_line_reports[0];
  EXPECT_EQ(red.request_id(), "construction/RK-5/SPR-1");
  EXPECT_EQ(red.rule(), "RK-5");
  EXPECT_EQ(red.source(), v1::RED_LINE_SOURCE_CONSTRUCTION);
  EXPECT_EQ(red.staff().staff_id(), "S-13");
  EXPECT_EQ(red.department(), "business-expansion");
  EXPECT_EQ(red.source_service(), "construction");
  EXPECT_EQ(red.source_reference(), "project/PRJ-1/supplier_pressure/SPR-1");
  EXPECT_EQ(FromProto(red.occurred_at()), kFriday);
  EXPECT_NE(red.description().find("designated contractor"), std::string::npos);
  EXPECT_TRUE(e->breaches.empty());  // risk keeps the RK ledger
  EXPECT_EQ(project_.supplier_pressure_reports_size(), 1);
}

TEST_F(FeedbackTest, Rk5ReportedBeforeItHappenedIsInvalid) {
  v1::SupplierPressureReport r;
  r.set_report_id("SPR-1");
  r.set_description("x");
  *r.mutable_occurred_at() = ToProto(kFriday);
  *r.mutable_reported_at() = ToProto(kFriday - absl::Hours(1));
  EXPECT_TRUE(HasViolation(ReportDesignatedSupplierPressure(rules_, project_, r).status(), "reported_at"));
}

}  // namespace
}  // namespace gridserve::construction::testing
