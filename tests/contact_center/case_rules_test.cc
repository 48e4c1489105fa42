// CC-5: reply due times (calendar and working days), thanks, red lines.
#include "services/contact_center/domain/case_rules.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "google/protobuf/util/time_util.h"
#include "absl/strings/str_cat.h"
#include "services/common/catalogue.h"
#include "services/common/config.h"

namespace gridserve::contact_center {
namespace {

class CaseRulesTest : public ::testing::Test {
 protected:
  CaseRulesTest() : config_(DefaultConfig()), calendar_(*BusinessCalendar::FromConfig(config_.calendar())) {}
  // Friday 2026-11-27 09:00 local (+08:00).
  const absl::Time friday_ = absl::FromCivil(absl::CivilSecond(2026, 11, 27, 1, 0, 0), absl::UTCTimeZone());
  v1::SuiteConfig config_;
  BusinessCalendar calendar_;
};

TEST_F(CaseRulesTest, ComplaintDueFiveCalendarDaysAfterReceipt) {
  const ReplyClock clock = CaseReplyClock(v1::CASE_KIND_COMPLAINT, friday_, config_.contact_center(), calendar_);
  EXPECT_EQ(clock.sla, "complaint_reply");
  EXPECT_EQ(clock.due_at, friday_ + absl::Hours(24 * 5));
}

TEST_F(CaseRulesTest, TipOffDueTenCalendarDaysAfterReceipt) {
  const ReplyClock clock = CaseReplyClock(v1::CASE_KIND_TIP_OFF, friday_, config_.contact_center(), calendar_);
  EXPECT_EQ(clock.sla, "tipoff_reply");
  EXPECT_EQ(clock.due_at, friday_ + absl::Hours(24 * 10));
}

TEST_F(CaseRulesTest, WorkingDayModeSkipsTheWeekend) {
  auto* cc = config_.mutable_contact_center();
  cc->set_complaint_day_mode(v1::DAY_COUNT_MODE_WORKING_DAYS);
  cc->set_complaint_reply_days(1);
  const ReplyClock clock = CaseReplyClock(v1::CASE_KIND_COMPLAINT, friday_, *cc, calendar_);
  // Received Friday: the 1st working day after is Monday; due at its end (local).
  EXPECT_EQ(clock.due_at, calendar_.AddWorkingDays(friday_, 1));
  EXPECT_EQ(calendar_.LocalDay(clock.due_at - absl::Microseconds(1)), absl::CivilDay(2026, 11, 30));
}

TEST_F(CaseRulesTest, RedLineRulesAreRk1ToRk11) {
  for (int n = 1; n <= 11; ++n) EXPECT_TRUE(IsRedLineRule(absl::StrCat("RK-", n))) << n;
  for (const char* bad : {"RK-0", "RK-12", "RK-01", "CC-1", "RK-", "rk-1", "RK-1a"}) {
    EXPECT_FALSE(IsRedLineRule(bad)) << bad;
  }
}

// Risk accepts a clause ID only exactly as written: a number parser's
// leniency (spaces, a sign) would let through a report risk refuses forever.
TEST_F(CaseRulesTest, RedLineRuleIsTheExactClauseIdNothingPaddedOrSigned) {
  for (const char* bad : {"RK-5 ", "RK- 5", "RK-+5", " RK-5", "RK-5\n", "RK-\t5", "RK--5", "RK-5.0", "RK-0x5"}) {
    EXPECT_FALSE(IsRedLineRule(bad)) << "\"" << bad << "\"";
  }
}

// The catalogue's red lines are the list: every RK clause, nothing else.
TEST_F(CaseRulesTest, RedLineRulesAreTheCataloguesRedLines) {
  int red_lines = 0;
  for (const v1::Clause& clause : Catalogue().clauses()) {
    const bool red_line = clause.severity() == v1::SEVERITY_REDLINE;
    red_lines += red_line ? 1 : 0;
    EXPECT_EQ(IsRedLineRule(clause.id()), red_line) << clause.id();
  }
  EXPECT_EQ(red_lines, 11);
}

TEST_F(CaseRulesTest, NotThankingIsACc5CheckBreach) {
  v1::CustomerCase c;
  c.set_kind(v1::CASE_KIND_COMPLAINT);
  auto found = CheckCase(c);
  ASSERT_THAT(found, ::testing::SizeIs(1));
  EXPECT_EQ(found[0].rule, "CC-5");
  EXPECT_EQ(found[0].mechanism, v1::MECHANISM_CHECK);
  c.set_thanked(true);
  EXPECT_THAT(CheckCase(c), ::testing::IsEmpty());
}

TEST_F(CaseRulesTest, RedLineReportNamesSourceAndHidesAnonymousReporter) {
  v1::CustomerCase c;
  c.set_case_id("CASE-1");
  c.set_kind(v1::CASE_KIND_TIP_OFF);
  c.set_department("repair");
  c.set_red_line_rule("RK-8");
  c.set_anonymous(true);
  c.mutable_reporter()->set_name("should not travel");
  c.mutable_accused_staff()->set_staff_id("S-9");
  const v1::ReportRedLineRequest report = RedLineReportForCase(c);
  EXPECT_EQ(report.rule(), "RK-8");
  EXPECT_EQ(report.source(), v1::RED_LINE_SOURCE_TIP_OFF);
  EXPECT_EQ(report.department(), "repair");
  EXPECT_EQ(report.staff().staff_id(), "S-9");
  EXPECT_FALSE(report.has_reporter());
  EXPECT_EQ(report.source_reference(), "case/CASE-1");
  c.set_kind(v1::CASE_KIND_COMPLAINT);
  EXPECT_EQ(RedLineReportForCase(c).source(), v1::RED_LINE_SOURCE_COMPLAINT);
}

TEST_F(CaseRulesTest, ACaseIsRepliedOnce) {
  v1::CustomerCase c;
  c.set_state(v1::CASE_STATE_OPEN);
  EXPECT_TRUE(CheckCanReply(c).ok());
  c.set_state(v1::CASE_STATE_REPLIED);
  EXPECT_EQ(CheckCanReply(c).code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace gridserve::contact_center
