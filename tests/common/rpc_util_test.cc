#include "services/common/rpc_util.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridserve {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> FieldsOf(const Validator& v) {
  std::vector<std::string> fields;
  for (const auto& violation : FieldViolationsOf(v.status())) fields.push_back(violation.field);
  return fields;
}

v1::TimeRange Range(std::optional<absl::Time> start, std::optional<absl::Time> end) {
  v1::TimeRange range;
  if (start) *range.mutable_start() = ToProto(*start);
  if (end) *range.mutable_end() = ToProto(*end);
  return range;
}

const absl::Time kMorning = absl::FromCivil(absl::CivilMinute(2026, 12, 1, 9, 0), absl::UTCTimeZone());

TEST(CheckTimeRangeTest, ReturnsTheBoundsGivenAndLeavesTheOthersOpen) {
  Validator v;
  const TimeBounds both = CheckTimeRange(v, Range(kMorning, kMorning + absl::Hours(1)));
  EXPECT_EQ(both.start, kMorning);
  EXPECT_EQ(both.end, kMorning + absl::Hours(1));
  const TimeBounds from_only = CheckTimeRange(v, Range(kMorning, std::nullopt));
  EXPECT_EQ(from_only.start, kMorning);
  EXPECT_FALSE(from_only.end.has_value());
  const TimeBounds none = CheckTimeRange(v, v1::TimeRange());
  EXPECT_FALSE(none.start.has_value() || none.end.has_value());
  // "From the beginning": the epoch itself is a bound a filter may use.
  EXPECT_EQ(CheckTimeRange(v, Range(absl::UnixEpoch(), kMorning)).start, absl::UnixEpoch());
  EXPECT_TRUE(v.empty());
}

TEST(CheckTimeRangeTest, AnEmptyOrBackwardRangeNamesTheRange) {
  for (const absl::Time end : {kMorning, kMorning - absl::Seconds(1)}) {
    Validator v;
    CheckTimeRange(v, Range(kMorning, end));
    EXPECT_THAT(FieldsOf(v), ElementsAre("time_range")) << end;
  }
}

TEST(CheckTimeRangeTest, ABadBoundNamesItsSideAndIsNotReturned) {
  v1::TimeRange range = Range(kMorning, kMorning + absl::Hours(1));
  range.mutable_end()->set_nanos(-1);
  Validator v;
  const TimeBounds bounds = CheckTimeRange(v, range, "period");
  EXPECT_THAT(FieldsOf(v), ElementsAre("period.end"));
  EXPECT_EQ(bounds.start, kMorning);
  EXPECT_FALSE(bounds.end.has_value());
}

TEST(CheckTimeRangeTest, ARequiredPeriodNeedsBothBounds) {
  Validator v;
  const TimeBounds bounds = CheckTimeRange(v, Range(kMorning, std::nullopt), "period", /*required=*/true);
  EXPECT_THAT(FieldsOf(v), ElementsAre("period.end"));
  EXPECT_EQ(bounds.start, kMorning);
  Validator neither;
  CheckTimeRange(neither, v1::TimeRange(), "period", /*required=*/true);
  EXPECT_THAT(FieldsOf(neither), ElementsAre("period.start", "period.end"));
  Validator open;
  CheckTimeRange(open, v1::TimeRange());
  EXPECT_THAT(FieldsOf(open), IsEmpty());
}

TEST(CheckFilterBoundTest, AbsentIsOpenAndAnInvalidBoundIsAViolation) {
  Validator v;
  EXPECT_FALSE(CheckFilterBound(v, "due_before", google::protobuf::Timestamp(), false).has_value());
  EXPECT_EQ(CheckFilterBound(v, "due_before", ToProto(kMorning), true), kMorning);
  EXPECT_TRUE(v.empty());
  google::protobuf::Timestamp beyond;
  beyond.set_seconds(253402300800);  // 10000-01-01
  EXPECT_FALSE(CheckFilterBound(v, "due_before", beyond, true).has_value());
  EXPECT_THAT(FieldsOf(v), ElementsAre("due_before"));
}

}  // namespace
}  // namespace gridserve
