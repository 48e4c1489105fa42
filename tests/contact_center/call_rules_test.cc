// CC-1, CC-4, CC-8 checks and the CC-1 answer SLA, rule by rule.
#include "services/contact_center/domain/call_rules.h"

#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "google/protobuf/util/time_util.h"
#include "services/common/config.h"
#include "services/common/rpc_util.h"
#include "services/common/status_util.h"

namespace gridserve::contact_center {
namespace {

using google::protobuf::util::TimeUtil;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;

// A call answered correctly within the limit: no findings.
v1::Call GoodCall() {
  v1::Call call;
  call.set_outcome(v1::CALL_OUTCOME_ANSWERED);
  call.set_rings(2);
  call.set_greeted(true);
  call.set_unit_named(true);
  call.set_hang_up_party(v1::HANG_UP_PARTY_CUSTOMER);
  *call.mutable_alerting_started_at() = TimeUtil::SecondsToTimestamp(1800000000);
  return call;
}

std::vector<std::string> Keys(const std::vector<Finding>& found) {
  std::vector<std::string> keys;
  for (const auto& f : found) keys.push_back(f.rule + "/" + f.key);
  return keys;
}

class CallRulesTest : public ::testing::Test {
 protected:
  v1::ContactCenterConfig config_ = DefaultConfig().contact_center();
};

TEST(RingsFromAlertingTest, RoundsUpAndExactCyclesAreWholeRings) {
  const absl::Duration cycle = absl::Seconds(5);
  EXPECT_EQ(RingsFromAlerting(absl::ZeroDuration(), cycle), 0);
  EXPECT_EQ(RingsFromAlerting(absl::Microseconds(1), cycle), 1);
  EXPECT_EQ(RingsFromAlerting(absl::Seconds(5), cycle), 1);
  EXPECT_EQ(RingsFromAlerting(absl::Seconds(15), cycle), 3);
  EXPECT_EQ(RingsFromAlerting(absl::Seconds(15) + absl::Microseconds(1), cycle), 4);
  // A nanosecond past a ring is the next ring, as the contract's "rounded up" says.
  EXPECT_EQ(RingsFromAlerting(FromProto(TimeUtil::NanosecondsToDuration(5000000001)), cycle), 2);
  EXPECT_EQ(RingsFromAlerting(FromProto(TimeUtil::NanosecondsToDuration(1)), cycle), 1);
  // Saturated, never wrapped to a negative count "within 3 rings".
  EXPECT_EQ(RingsFromAlerting(absl::Seconds(int64_t{10737418240}), cycle), std::numeric_limits<int32_t>::max());
  EXPECT_EQ(RingsFromAlerting(absl::Seconds(int64_t{315576000000}), cycle), std::numeric_limits<int32_t>::max());
}

TEST_F(CallRulesTest, GoodCallHasNoFindings) { EXPECT_THAT(CheckCall(GoodCall(), config_), IsEmpty()); }

TEST_F(CallRulesTest, Cc1AnsweredAtTheLimitWithoutApologyIsFine) {
  v1::Call call = GoodCall();
  call.set_rings(3);
  EXPECT_THAT(CheckCall(call, config_), IsEmpty());
}

TEST_F(CallRulesTest, Cc1AnsweredAtRingFiveWithoutApologyIsABreach) {
  v1::Call call = GoodCall();
  call.set_rings(5);
  const auto found = CheckCall(call, config_);
  EXPECT_THAT(Keys(found), ElementsAre("CC-1/late_answer"));
  EXPECT_EQ(found[0].mechanism, v1::MECHANISM_CHECK);
  EXPECT_THAT(found[0].detail, ::testing::HasSubstr("ring 5"));
}

TEST_F(CallRulesTest, Cc1OneRingPastTheLimitNeedsTheApology) {
  v1::Call call = GoodCall();
  call.set_rings(4);
  EXPECT_THAT(Keys(CheckCall(call, config_)), ElementsAre("CC-1/late_answer"));
  call.set_apologised(true);
  EXPECT_THAT(CheckCall(call, config_), IsEmpty());
}

TEST_F(CallRulesTest, Cc1TheLimitComesFromConfig) {
  config_.set_answer_ring_limit(5);
  v1::Call call = GoodCall();
  call.set_rings(5);
  EXPECT_THAT(CheckCall(call, config_), IsEmpty());
}

TEST_F(CallRulesTest, Cc1MissingGreetingOrUnitNameIsOneBreach) {
  v1::Call call = GoodCall();
  call.set_greeted(false);
  EXPECT_THAT(Keys(CheckCall(call, config_)), ElementsAre("CC-1/greeting"));
  call.set_greeted(true);
  call.set_unit_named(false);
  EXPECT_THAT(Keys(CheckCall(call, config_)), ElementsAre("CC-1/greeting"));
  call.set_greeted(false);
  EXPECT_THAT(Keys(CheckCall(call, config_)), ElementsAre("CC-1/greeting"));
}

TEST_F(CallRulesTest, Cc8AgentHangingUpFirstIsABreach) {
  v1::Call call = GoodCall();
  call.set_hang_up_party(v1::HANG_UP_PARTY_AGENT);
  EXPECT_THAT(Keys(CheckCall(call, config_)), ElementsAre("CC-8/agent_hung_up"));
  call.set_hang_up_party(v1::HANG_UP_PARTY_SYSTEM);
  EXPECT_THAT(CheckCall(call, config_), IsEmpty());
}

TEST_F(CallRulesTest, Cc4CoveredCallerNeedsApologyAndEtr) {
  v1::Call call = GoodCall();
  call.set_outage_lookup_status(v1::OUTAGE_LOOKUP_STATUS_COVERED);
  call.mutable_outage()->set_outage_id("OUT-1");
  *call.mutable_outage()->mutable_etr() = TimeUtil::SecondsToTimestamp(1800007200);
  EXPECT_THAT(Keys(CheckCall(call, config_)), ElementsAre("CC-4/outage_answer"));
  call.set_apologised_for_outage(true);
  EXPECT_THAT(Keys(CheckCall(call, config_)), ElementsAre("CC-4/outage_answer"));
  call.set_etr_told(true);
  EXPECT_THAT(CheckCall(call, config_), IsEmpty());
  call.set_apologised_for_outage(false);
  EXPECT_THAT(Keys(CheckCall(call, config_)), ElementsAre("CC-4/outage_answer"));
}

// Repair knows no ETR yet: the agent cannot tell one, the apology is still owed.
TEST_F(CallRulesTest, Cc4CoveredWithoutAnEtrNeedsOnlyTheApology) {
  v1::Call call = GoodCall();
  call.set_outage_lookup_status(v1::OUTAGE_LOOKUP_STATUS_COVERED);
  call.mutable_outage()->set_outage_id("OUT-1");
  call.set_apologised_for_outage(true);
  EXPECT_THAT(CheckCall(call, config_), IsEmpty());
  call.set_apologised_for_outage(false);
  const auto found = CheckCall(call, config_);
  EXPECT_THAT(Keys(found), ElementsAre("CC-4/outage_answer"));
  EXPECT_THAT(found[0].detail, ::testing::Not(::testing::HasSubstr("restoration time")));
}

TEST_F(CallRulesTest, Cc4CoveredWithAnEtrNotToldIsABreach) {
  v1::Call call = GoodCall();
  call.set_outage_lookup_status(v1::OUTAGE_LOOKUP_STATUS_COVERED);
  call.mutable_outage()->set_outage_id("OUT-1");
  *call.mutable_outage()->mutable_etr() = TimeUtil::SecondsToTimestamp(1800007200);
  call.set_apologised_for_outage(true);
  const auto found = CheckCall(call, config_);
  EXPECT_THAT(Keys(found), ElementsAre("CC-4/outage_answer"));
  EXPECT_THAT(found[0].detail, ::testing::HasSubstr("no estimated restoration time told"));
}

TEST_F(CallRulesTest, Cc4NotCoveredOrUnknownIsNotChecked) {
  v1::Call call = GoodCall();
  call.set_outage_lookup_status(v1::OUTAGE_LOOKUP_STATUS_UNKNOWN);
  EXPECT_THAT(CheckCall(call, config_), IsEmpty());
  call.set_outage_lookup_status(v1::OUTAGE_LOOKUP_STATUS_NOT_COVERED);
  EXPECT_THAT(CheckCall(call, config_), IsEmpty());
}

// CC-4: repair matches outages on area_code / feeder_id and refuses a lookup
// with neither, a refusal read as "repair down" (UNKNOWN, no check).
TEST(CheckOutageLookupLocationTest, NeedsAreaCodeOrFeederIdAnAddressAloneIsNotMatched) {
  v1::Location location;
  location.set_address("8 Grid Road");
  Validator address_only;
  CheckOutageLookupLocation(address_only, "caller_location", location);
  const auto violations = FieldViolationsOf(address_only.status());
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "caller_location.area_code");
  EXPECT_THAT(violations[0].description, ::testing::HasSubstr("caller_location.feeder_id"));

  Validator empty;
  CheckOutageLookupLocation(empty, "location", v1::Location());
  EXPECT_EQ(FieldViolationsOf(empty.status()).at(0).field, "location.area_code");

  for (const auto& [area_code, feeder_id] : {std::pair{"A-1", ""}, std::pair{"", "F-1"}, std::pair{"A-1", "F-1"}}) {
    v1::Location ok = location;
    ok.set_area_code(area_code);
    ok.set_feeder_id(feeder_id);
    Validator v;
    CheckOutageLookupLocation(v, "caller_location", ok);
    EXPECT_TRUE(v.empty()) << area_code << "/" << feeder_id;
  }
}

TEST_F(CallRulesTest, AbandonedCallsHaveNoConversationChecks) {
  v1::Call call;
  call.set_outcome(v1::CALL_OUTCOME_ABANDONED);
  call.set_rings(9);
  call.set_hang_up_party(v1::HANG_UP_PARTY_AGENT);
  EXPECT_THAT(CheckCall(call, config_), IsEmpty());
}

TEST_F(CallRulesTest, AnswerSlaMetAtTheLimitBreachedOneRingLater) {
  v1::Call call = GoodCall();
  call.set_rings(3);
  EXPECT_EQ(JudgeAnswerSla(call, config_), AnswerSla::kMet);
  call.set_rings(4);
  call.set_apologised(true);  // an apology avoids the check breach, not the SLA miss
  EXPECT_EQ(JudgeAnswerSla(call, config_), AnswerSla::kBreached);
}

TEST_F(CallRulesTest, AnswerSlaAbandonedCountsUnlessShorterThanThreshold) {
  *config_.mutable_short_abandon_threshold() = TimeUtil::SecondsToDuration(5);  // opted in, not the norm's default
  v1::Call call = GoodCall();
  call.set_outcome(v1::CALL_OUTCOME_ABANDONED);
  *call.mutable_alerting_duration() = TimeUtil::MicrosecondsToDuration(5000000 - 1);
  EXPECT_EQ(JudgeAnswerSla(call, config_), AnswerSla::kNotCounted);
  *call.mutable_alerting_duration() = TimeUtil::SecondsToDuration(5);  // exactly the threshold counts
  EXPECT_EQ(JudgeAnswerSla(call, config_), AnswerSla::kBreached);
  call.set_rings(1);  // even within the ring limit, an abandon is a miss
  EXPECT_EQ(JudgeAnswerSla(call, config_), AnswerSla::kBreached);
}

// CC-1: "abandoned calls count against it" — with the threshold at 0 (off)
// even a caller who hung up after 2 s, or at once, is a miss.
TEST_F(CallRulesTest, Cc1AnswerSlaThresholdZeroCountsEveryAbandon) {
  config_.mutable_short_abandon_threshold()->Clear();
  v1::Call call = GoodCall();
  call.set_outcome(v1::CALL_OUTCOME_ABANDONED);
  *call.mutable_alerting_duration() = TimeUtil::SecondsToDuration(2);
  EXPECT_EQ(JudgeAnswerSla(call, config_), AnswerSla::kBreached);
  call.clear_alerting_duration();
  *call.mutable_ended_at() = TimeUtil::SecondsToTimestamp(1800000002);
  EXPECT_EQ(JudgeAnswerSla(call, config_), AnswerSla::kBreached);
  *call.mutable_ended_at() = call.alerting_started_at();  // hung up at once
  EXPECT_EQ(JudgeAnswerSla(call, config_), AnswerSla::kBreached);
}

// CC-1: a call still ringing at the due time (start + 3 rings x 5 s) breaches
// then; a caller who hung up unanswered before it breaches at the hang-up.
TEST_F(CallRulesTest, Cc1AnswerSlaBreachedAtTheDueTimeOrTheEarlierHangUp) {
  const absl::Time start = absl::FromUnixSeconds(1800000000);
  v1::Call late = GoodCall();
  late.set_rings(5);
  EXPECT_EQ(AnswerDue(late, config_), start + absl::Seconds(15));
  EXPECT_EQ(AnswerSlaBreachedAt(late, config_), start + absl::Seconds(15));

  v1::Call abandoned = GoodCall();
  abandoned.set_outcome(v1::CALL_OUTCOME_ABANDONED);
  *abandoned.mutable_ended_at() = TimeUtil::SecondsToTimestamp(1800000002);
  EXPECT_EQ(AnswerSlaBreachedAt(abandoned, config_), start + absl::Seconds(2));
  *abandoned.mutable_ended_at() = TimeUtil::SecondsToTimestamp(1800000020);  // rang past the limit
  EXPECT_EQ(AnswerSlaBreachedAt(abandoned, config_), start + absl::Seconds(15));
  // No ended_at: the alerting time as reported, else rings x cycle.
  abandoned.clear_ended_at();
  *abandoned.mutable_alerting_duration() = TimeUtil::SecondsToDuration(7);
  EXPECT_EQ(AnswerSlaBreachedAt(abandoned, config_), start + absl::Seconds(7));
  abandoned.clear_alerting_duration();
  abandoned.set_rings(2);
  EXPECT_EQ(AnswerSlaBreachedAt(abandoned, config_), start + absl::Seconds(10));
}

// CC-2 / CC-3 / CC-5: an event on a linked call starts its SLA clock, so it
// must lie within the call: from alerting start to the end + the skew.
TEST(CheckDuringCallTest, Cc3EventTimeOnALinkedCallMustLieWithinTheCall) {
  const absl::Time start = absl::FromUnixSeconds(1800000000);
  const absl::Duration skew = absl::Minutes(5);
  v1::Call call = GoodCall();
  *call.mutable_ended_at() = TimeUtil::SecondsToTimestamp(1800000600);  // a 10-minute call
  *call.mutable_recorded_at() = TimeUtil::SecondsToTimestamp(1800007200);
  EXPECT_TRUE(CheckDuringCall(call, "reported_at", start, skew).ok());
  EXPECT_TRUE(CheckDuringCall(call, "reported_at", start + absl::Minutes(10) + skew, skew).ok());

  const absl::Status before = CheckDuringCall(call, "reported_at", start - absl::Microseconds(1), skew);
  EXPECT_EQ(before.code(), absl::StatusCode::kInvalidArgument);
  ASSERT_EQ(FieldViolationsOf(before).size(), 1u);
  EXPECT_EQ(FieldViolationsOf(before)[0].field, "reported_at");
  // Told at 10:00, recorded as 10:30: the dispatch clock would start late.
  const absl::Status after = CheckDuringCall(call, "opened_at", start + absl::Minutes(30), skew);
  EXPECT_EQ(after.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolationsOf(after)[0].field, "opened_at");
  EXPECT_FALSE(CheckDuringCall(call, "x", start + absl::Minutes(15) + absl::Microseconds(1), skew).ok());

  // No ended_at: the call was over when it was recorded.
  call.clear_ended_at();
  EXPECT_TRUE(CheckDuringCall(call, "received_at", start + absl::Hours(2) + skew, skew).ok());
  EXPECT_FALSE(CheckDuringCall(call, "received_at", start + absl::Hours(2) + skew + absl::Microseconds(1), skew).ok());
}

TEST_F(CallRulesTest, AbandonedAlertingTimeFromEndedAtOrRings) {
  *config_.mutable_short_abandon_threshold() = TimeUtil::SecondsToDuration(5);
  v1::Call call = GoodCall();
  call.set_outcome(v1::CALL_OUTCOME_ABANDONED);
  call.set_rings(1);
  // No duration, no end: rings x cycle = 5 s, which counts.
  EXPECT_EQ(AlertingTime(call, absl::Seconds(5)), absl::Seconds(5));
  EXPECT_EQ(JudgeAnswerSla(call, config_), AnswerSla::kBreached);
  // The caller hung up after 3 s: a short abandon.
  *call.mutable_ended_at() = TimeUtil::SecondsToTimestamp(1800000003);
  EXPECT_EQ(AlertingTime(call, absl::Seconds(5)), absl::Seconds(3));
  EXPECT_EQ(JudgeAnswerSla(call, config_), AnswerSla::kNotCounted);
}

}  // namespace
}  // namespace gridserve::contact_center
