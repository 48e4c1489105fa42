#include "services/common/phone_number.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridserve {
namespace {

TEST(IsPhoneNumberTest, MobileAndLandlineNumbersAsCustomersGiveThem) {
  // Landlines are loose on purpose: area code, optional hyphen, number, 7 to
  // 12 digits in all, so a hall's "0571-95598" is a number too.
  for (const char* number : {"13800000000", "010-12345678", "02112345678", "0571-95598", "62345678"}) {
    EXPECT_TRUE(IsPhoneNumber(number)) << number;
  }
  // With the country code, as telephony presents caller ids (copied into contact details).
  for (const char* number : {"+8613800000000", "+86 13800000000", "+86-13800000000", "008613800000000",
                             "8613800000000", "+86-1012345678", "+86 571-95598"}) {
    EXPECT_TRUE(IsPhoneNumber(number)) << number;
  }
  for (const char* number : {"", "n/a", "138-0000-0000", "138 0000 0000", "+86", "+86 010-12345678", "+1 2025550123",
                             "8623800000000", "86138000000001", "12345", "95598", "-0123456789",
                             "0123456789012"}) {
    EXPECT_FALSE(IsPhoneNumber(number)) << number;
  }
}

TEST(CheckPhoneFieldTest, EmptyIsAViolationOnlyWhenRequired) {
  Validator optional;
  EXPECT_TRUE(CheckPhoneField(optional, "customer.phone", "", /*required=*/false));
  EXPECT_TRUE(optional.empty());
  Validator required;
  EXPECT_FALSE(CheckPhoneField(required, "reporter.phone", "", /*required=*/true));
  ASSERT_EQ(FieldViolationsOf(required.status()).size(), 1u);
  EXPECT_EQ(FieldViolationsOf(required.status())[0].field, "reporter.phone");
}

TEST(CheckPhoneFieldTest, AGivenNumberMustBeAPhoneNumber) {
  Validator v;
  EXPECT_TRUE(CheckPhoneField(v, "customer.phone", "13800000000", /*required=*/false));
  EXPECT_FALSE(CheckPhoneField(v, "customer.phone", "n/a", /*required=*/false));
  const auto violations = FieldViolationsOf(v.status());
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "customer.phone");
  EXPECT_EQ(violations[0].description, kPhoneNumberProblem);
}

}  // namespace
}  // namespace gridserve
