// CC-3: classification, the dispatch gate and the dispatch due time.
#include "services/contact_center/domain/fault_rules.h"

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

TEST(FaultRulesTest, OnlyUtilitySideAndUnknownAreDispatched) {
  EXPECT_FALSE(NeedsDispatch(v1::FAULT_CLASSIFICATION_CUSTOMER_INTERNAL));
  EXPECT_TRUE(NeedsDispatch(v1::FAULT_CLASSIFICATION_UTILITY_SIDE));
  EXPECT_TRUE(NeedsDispatch(v1::FAULT_CLASSIFICATION_UNKNOWN));
  EXPECT_FALSE(NeedsDispatch(v1::FAULT_CLASSIFICATION_UNSPECIFIED));
}

TEST(FaultRulesTest, DispatchNeedsNamePhoneAndAddress) {
  const v1::SuiteConfig config = DefaultConfig();
  for (auto classification : {v1::FAULT_CLASSIFICATION_UTILITY_SIDE, v1::FAULT_CLASSIFICATION_UNKNOWN}) {
    v1::ReportFaultRequest request;
    request.set_classification(classification);
    request.mutable_reporter()->set_name("  ");  // blank is missing
    Validator v;
    CheckFaultReport(v, request, config);
    EXPECT_THAT(Fields(v), ::testing::ElementsAre("reporter.name", "reporter.phone", "location.address",
                                                  "location.area_class"));
    EXPECT_THAT(std::string(v.status().message()), ::testing::HasSubstr("CC-3"));

    request.mutable_reporter()->set_name("Wang");
    request.mutable_reporter()->set_phone("13800000000");
    request.mutable_location()->set_address("1 Road");
    request.mutable_location()->set_area_class("rural");
    Validator ok;
    CheckFaultReport(ok, request, config);
    EXPECT_TRUE(ok.empty()) << ok.status();
  }
}

TEST(FaultRulesTest, AreaClassMustBeConfigured) {
  v1::ReportFaultRequest request;
  request.set_classification(v1::FAULT_CLASSIFICATION_UTILITY_SIDE);
  request.mutable_reporter()->set_name("Wang");
  request.mutable_reporter()->set_phone("13800000000");
  request.mutable_location()->set_address("1 Road");
  request.mutable_location()->set_area_class("suburban");
  Validator v;
  CheckFaultReport(v, request, DefaultConfig());
  EXPECT_THAT(Fields(v), ::testing::ElementsAre("location.area_class"));
}

TEST(FaultRulesTest, CustomerInternalNeedsGuidanceNotContactDetails) {
  v1::ReportFaultRequest request;
  request.set_classification(v1::FAULT_CLASSIFICATION_CUSTOMER_INTERNAL);
  Validator v;
  CheckFaultReport(v, request, DefaultConfig());
  EXPECT_THAT(Fields(v), ::testing::ElementsAre("guidance_given"));
  request.set_guidance_given(true);
  Validator ok;
  CheckFaultReport(ok, request, DefaultConfig());
  EXPECT_TRUE(ok.empty());
}

TEST(FaultRulesTest, UnspecifiedClassificationIsRefused) {
  Validator v;
  CheckFaultReport(v, v1::ReportFaultRequest(), DefaultConfig());
  EXPECT_THAT(Fields(v), ::testing::ElementsAre("classification"));
}

TEST(FaultRulesTest, DispatchDueIsFiveMinutesAfterTheReportByDefault) {
  v1::ContactCenterConfig config = DefaultConfig().contact_center();
  const absl::Time reported = absl::FromUnixSeconds(1800000000);
  EXPECT_EQ(DispatchDue(reported, config), reported + absl::Minutes(5));
  config.mutable_dispatch_due()->set_seconds(60);
  EXPECT_EQ(DispatchDue(reported, config), reported + absl::Minutes(1));
}

}  // namespace
}  // namespace gridserve::contact_center
