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

// CC-3: repair is given only this number to reach the reporter, and refuses
// a dispatch whose number is not one: refused here, while the caller is on the line.
TEST(FaultRulesTest, DispatchNeedsAPhoneNumberNotJustSomeText) {
  v1::ReportFaultRequest request;
  request.set_classification(v1::FAULT_CLASSIFICATION_UTILITY_SIDE);
  request.mutable_reporter()->set_name("Wang");
  request.mutable_location()->set_address("1 Road");
  request.mutable_location()->set_area_class("urban");
  for (const char* bad : {"call me", "1380000000a", "138-0000-0000", "12345", "+86 call me"}) {
    request.mutable_reporter()->set_phone(bad);
    Validator v;
    CheckFaultReport(v, request, DefaultConfig());
    EXPECT_THAT(Fields(v), ::testing::ElementsAre("reporter.phone")) << bad;
    EXPECT_THAT(std::string(v.status().message()), ::testing::HasSubstr("CC-3")) << bad;
  }
  for (const char* ok : {"13800000000", "010-12345678", "0571-95598", "+86 13800000000"}) {
    request.mutable_reporter()->set_phone(ok);
    Validator v;
    CheckFaultReport(v, request, DefaultConfig());
    EXPECT_TRUE(v.empty()) << ok << ": " << v.status();
  }
}

TEST(FaultRulesTest, CustomerInternalPhoneIsOptionalButMustBeANumberWhenGiven) {
  v1::ReportFaultRequest request;
  request.set_classification(v1::FAULT_CLASSIFICATION_CUSTOMER_INTERNAL);
  request.set_guidance_given(true);
  request.mutable_reporter()->set_phone("ask at the desk");
  Validator v;
  CheckFaultReport(v, request, DefaultConfig());
  EXPECT_THAT(Fields(v), ::testing::ElementsAre("reporter.phone"));
  request.mutable_reporter()->set_phone("13800000000");
  Validator ok;
  CheckFaultReport(ok, request, DefaultConfig());
  EXPECT_TRUE(ok.empty()) << ok.status();
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
