// The one customer-feedback check repair, counter and construction share.
#include "services/common/feedback_check.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/rpc_util.h"

namespace gridserve {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kNow = absl::FromCivil(absl::CivilMinute(2026, 12, 1, 9, 0), absl::UTCTimeZone());
constexpr absl::Duration kSkew = absl::Minutes(5);

std::vector<std::string> FieldsOf(const v1::Feedback& feedback, absl::string_view field = "feedback") {
  Validator v;
  CheckFeedback(v, field, feedback, kNow, kSkew);
  std::vector<std::string> fields;
  for (const auto& violation : FieldViolationsOf(v.status())) fields.push_back(violation.field);
  return fields;
}

v1::Feedback Rated(int satisfaction, absl::Time collected_at = kNow) {
  v1::Feedback f;
  f.set_satisfaction(satisfaction);
  *f.mutable_collected_at() = ToProto(collected_at);
  return f;
}

TEST(CheckFeedbackTest, AScoreOneToFiveIsTaken) {
  for (int score = 1; score <= 5; ++score) EXPECT_THAT(FieldsOf(Rated(score)), IsEmpty()) << score;
  EXPECT_THAT(FieldsOf(Rated(0)), ElementsAre("feedback.satisfaction"));
  EXPECT_THAT(FieldsOf(Rated(6)), ElementsAre("feedback.satisfaction"));
  EXPECT_THAT(FieldsOf(Rated(-1)), ElementsAre("feedback.satisfaction"));
}

// A declined survey carries no score: 0 and only 0 (counter used to take a
// declined 4, which the other services refused).
TEST(CheckFeedbackTest, ADeclinedSurveyHasNoScore) {
  v1::Feedback declined = Rated(0);
  declined.set_declined(true);
  EXPECT_THAT(FieldsOf(declined), IsEmpty());
  declined.set_satisfaction(4);
  EXPECT_THAT(FieldsOf(declined), ElementsAre("feedback.satisfaction"));
}

// collected_at dates the findings: required (counter used to make it
// optional), a real time, not later than now + the allowed skew.
TEST(CheckFeedbackTest, CollectedAtIsARequiredEventTime) {
  v1::Feedback undated = Rated(5);
  undated.clear_collected_at();
  EXPECT_THAT(FieldsOf(undated), ElementsAre("feedback.collected_at"));
  EXPECT_THAT(FieldsOf(Rated(5, kNow + kSkew)), IsEmpty());
  EXPECT_THAT(FieldsOf(Rated(5, kNow + kSkew + absl::Seconds(1))), ElementsAre("feedback.collected_at"));
  v1::Feedback garbled = Rated(5);
  garbled.mutable_collected_at()->set_nanos(-1);
  EXPECT_THAT(FieldsOf(garbled), ElementsAre("feedback.collected_at"));
}

TEST(CheckFeedbackTest, ViolationsNameTheRequestsOwnField) {
  v1::Feedback bad = Rated(9);
  bad.clear_collected_at();
  EXPECT_THAT(FieldsOf(bad, "completion.feedback"),
              ElementsAre("completion.feedback.satisfaction", "completion.feedback.collected_at"));
}

}  // namespace
}  // namespace gridserve
