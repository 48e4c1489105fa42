// CC-2: the deferred-answer gate and the callback due time.
#include "services/contact_center/domain/consultation_rules.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/config.h"

namespace gridserve::contact_center {
namespace {

std::vector<std::string> Fields(const Validator& v) {
  std::vector<std::string> fields;
  for (const auto& f : FieldViolationsOf(v.status())) fields.push_back(f.field);
  return fields;
}

TEST(ConsultationRulesTest, DeferredNeedsApologyAndCallbackNumber) {
  v1::OpenConsultationRequest request;
  request.set_handling(v1::CONSULTATION_HANDLING_DEFERRED);
  Validator v;
  CheckConsultationHandling(v, request);
  EXPECT_THAT(Fields(v), ::testing::ElementsAre("apologised", "callback_number"));
  EXPECT_THAT(std::string(v.status().message()), ::testing::HasSubstr("CC-2"));

  request.set_apologised(true);
  request.set_callback_number("13800000000");
  Validator ok;
  CheckConsultationHandling(ok, request);
  EXPECT_TRUE(ok.empty());
  request.set_callback_number("010-12345678");  // a landline reaches the customer too
  Validator landline;
  CheckConsultationHandling(landline, request);
  EXPECT_TRUE(landline.empty());
}

// CC-2: the callback number must be one the callback can reach.
TEST(ConsultationRulesTest, DeferredCallbackNumberMustBeAPhoneNumber) {
  v1::OpenConsultationRequest request;
  request.set_handling(v1::CONSULTATION_HANDLING_DEFERRED);
  request.set_apologised(true);
  for (const char* bad : {"1", "12345", "not a number", "138-0000-0000"}) {
    request.set_callback_number(bad);
    Validator v;
    CheckConsultationHandling(v, request);
    EXPECT_THAT(Fields(v), ::testing::ElementsAre("callback_number")) << bad;
    EXPECT_THAT(std::string(v.status().message()), ::testing::HasSubstr("CC-2")) << bad;
  }
}

TEST(ConsultationRulesTest, AnsweredOnCallNeedsTheAnswer) {
  v1::OpenConsultationRequest request;
  request.set_handling(v1::CONSULTATION_HANDLING_ANSWERED_ON_CALL);
  Validator v;
  CheckConsultationHandling(v, request);
  EXPECT_THAT(Fields(v), ::testing::ElementsAre("answer"));
  Validator unspecified;
  CheckConsultationHandling(unspecified, v1::OpenConsultationRequest());
  EXPECT_THAT(Fields(unspecified), ::testing::ElementsAre("handling"));
}

TEST(ConsultationRulesTest, CallbackDueIsCallbackDueAfterOpening) {
  v1::ContactCenterConfig config = DefaultConfig().contact_center();
  const absl::Time opened = absl::FromUnixSeconds(1800000000);
  EXPECT_EQ(CallbackDue(opened, config), opened + absl::Hours(24));
  config.mutable_callback_due()->set_seconds(3600);
  EXPECT_EQ(CallbackDue(opened, config), opened + absl::Hours(1));
}

TEST(ConsultationRulesTest, OnlyAnAwaitedCallbackCanBeReplied) {
  v1::Consultation c;
  c.set_consultation_id("CONS-1");
  c.set_handling(v1::CONSULTATION_HANDLING_DEFERRED);
  c.set_state(v1::CONSULTATION_STATE_AWAITING_CALLBACK);
  EXPECT_TRUE(CheckCanReply(c).ok());
  c.set_state(v1::CONSULTATION_STATE_REPLIED);
  EXPECT_EQ(CheckCanReply(c).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(CheckCanReply(c).message()), ::testing::StartsWith("CC-2"));
  c.set_handling(v1::CONSULTATION_HANDLING_ANSWERED_ON_CALL);
  c.set_state(v1::CONSULTATION_STATE_ANSWERED);
  EXPECT_EQ(CheckCanReply(c).code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace gridserve::contact_center
