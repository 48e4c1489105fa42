// Adapter tests: the RiskMonitor service in an in-process gRPC server on
// 127.0.0.1:0 — status codes, field violations, idempotency, gates, the
// resumable WatchLedger stream, queries and metrics.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <set>

#include "gmock/gmock.h"
#include "gridserve/v1/risk.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/common/catalogue.h"
#include "tests/common/retry_check.h"
#include "tests/risk/risk_fixture.h"

namespace gridserve::risk {
namespace {

using testing::CountRows;
using testing::kStart;
using ::testing::Contains;
using ::testing::UnorderedElementsAre;

std::vector<std::string> Fields(const grpc::Status& s) {
  std::vector<std::string> out;
  for (const auto& fv : FieldViolationsOf(FromGrpcStatus(s))) out.push_back(fv.field);
  return out;
}

class RiskServiceTest : public testing::RiskFixture {
 protected:
  RiskServiceTest() : stub_(v1::RiskMonitor::NewStub(harness_->channel())) {}

  template <typename Req, typename Resp>
  grpc::Status Call(grpc::Status (v1::RiskMonitor::Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                    const Req& request, Resp* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return (stub_.get()->*method)(&context, request, response);
  }

  v1::ReportBreachResponse Breach(const v1::Breach& breach, const std::string& request_id = "") {
    v1::ReportBreachRequest req;
    req.set_request_id(request_id.empty() ? breach.breach_id() : request_id);
    *req.mutable_breach() = breach;
    v1::ReportBreachResponse resp;
    EXPECT_TRUE(Call(&v1::RiskMonitor::Stub::ReportBreach, req, &resp).ok());
    return resp;  // (a redelivery answers duplicate = true: ReportBreachIsIdempotentByBreachId)
  }

  v1::RedLineReport RedLine(const std::string& request_id, const std::string& rule = "RK-8") {
    v1::ReportRedLineResponse resp;
    EXPECT_TRUE(
        Call(&v1::RiskMonitor::Stub::ReportRedLine, MakeRedLine(request_id, rule, "repair", kStart), &resp).ok());
    return resp.report();
  }

  // Calls `method` and retries it with the same request id: the retry must
  // answer the same and write nothing more, on the ledger either
  // (tests/common/retry_check.h).
  template <typename Req, typename Resp>
  Resp CallAndRetry(grpc::Status (v1::RiskMonitor::Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                    const Req& req) {
    return ::gridserve::testing::ExpectRetryChangesNothing<Resp>(
        *db_, req.request_id(), [&](Resp* r) { return Call(method, req, r); },
        [&] { clock_.Advance(absl::Seconds(1)); }, {"ledger_entries"});
  }

  std::unique_ptr<v1::RiskMonitor::Stub> stub_;
};

TEST_F(RiskServiceTest, ReportBreachRejectsBadInputWithFieldPaths) {
  v1::ReportBreachRequest req;
  req.mutable_breach()->set_service("billing");
  req.mutable_breach()->set_rule("ZZ-9");
  v1::ReportBreachResponse resp;
  const auto s = Call(&v1::RiskMonitor::Stub::ReportBreach, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(s), UnorderedElementsAre("request_id", "breach.breach_id", "breach.service", "breach.rule",
                                              "breach.occurred_at"));
  EXPECT_EQ(CountRows(*db_, "SELECT COUNT(*) FROM ledger_entries"), 0);
}

TEST_F(RiskServiceTest, ReportBreachIsIdempotentByBreachId) {
  const v1::Breach b = MakeBreach("repair/RP-1/work_order/WO-1", "repair", kStart);
  const auto first = Breach(b);
  EXPECT_FALSE(first.duplicate());
  EXPECT_EQ(first.entry().sequence(), 1);
  const auto redelivered = Breach(b);  // same request_id (the outbox message id)
  EXPECT_TRUE(redelivered.duplicate());
  EXPECT_EQ(redelivered.entry().entry_id(), first.entry().entry_id());
  const auto other_request = Breach(b, "another-message-id");
  EXPECT_TRUE(other_request.duplicate());
  EXPECT_EQ(other_request.entry().sequence(), 1);
  EXPECT_EQ(CountRows(*db_, "SELECT COUNT(*) FROM ledger_entries"), 1);
  EXPECT_EQ(Metric("gridserve_ledger_entries_total", {{"service", "repair"}, {"rule", "RP-1"}}), 1);

  // A request_id reused for another breach is refused.
  v1::ReportBreachRequest reuse;
  reuse.set_request_id(b.breach_id());
  *reuse.mutable_breach() = MakeBreach("repair/RP-1/work_order/WO-2", "repair", kStart);
  v1::ReportBreachResponse resp;
  EXPECT_EQ(Call(&v1::RiskMonitor::Stub::ReportBreach, reuse, &resp).error_code(), grpc::StatusCode::ALREADY_EXISTS);
}

// Senders deliver with request_id = breach_id: a breach id longer than
// RunOnce's 128 characters (valid up to 256) still reaches the ledger, and its
// redelivery is a duplicate, instead of an INVALID_ARGUMENT retried forever.
TEST_F(RiskServiceTest, ReportBreachTakesRequestIdsAsLongAsABreachId) {
  const v1::Breach b = MakeBreach("repair/RP-1/work_order/" + std::string(177, 'w'), "repair", kStart);
  ASSERT_EQ(b.breach_id().size(), 200u);
  const auto first = Breach(b);
  EXPECT_FALSE(first.duplicate());
  EXPECT_EQ(first.entry().breach().breach_id(), b.breach_id());
  EXPECT_TRUE(Breach(b).duplicate());
  EXPECT_EQ(CountRows(*db_, "SELECT COUNT(*) FROM ledger_entries"), 1);

  v1::ReportBreachRequest too_long;
  too_long.set_request_id(std::string(257, 'r'));
  *too_long.mutable_breach() = MakeBreach("b-257", "repair", kStart);
  v1::ReportBreachResponse resp;
  const auto s = Call(&v1::RiskMonitor::Stub::ReportBreach, too_long, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(s), UnorderedElementsAre("request_id"));
}

TEST_F(RiskServiceTest, ReportRedLineIsIdempotentByRequestId) {
  v1::ReportRedLineResponse a, b;
  const auto req = MakeRedLine("msg-1", "RK-10", "repair", kStart);
  a = CallAndRetry(&v1::RiskMonitor::Stub::ReportRedLine, req);
  b = CallAndRetry(&v1::RiskMonitor::Stub::ReportRedLine, req);
  EXPECT_EQ(a.report().report_id(), b.report().report_id());
  EXPECT_EQ(a.entry().sequence(), b.entry().sequence());
  EXPECT_EQ(a.report().state(), v1::RED_LINE_STATE_REPORTED);
  EXPECT_EQ(a.entry().entry_id(), a.report().report_id());
  EXPECT_EQ(CountRows(*db_, "SELECT COUNT(*) FROM ledger_entries"), 1);
  EXPECT_EQ(Metric("gridserve_redline_reports_total", {{"rule", "RK-10"}, {"department", "repair"}, {"status", "reported"}}), 1);
  auto changed = req;
  changed.set_rule("RK-9");
  v1::ReportRedLineResponse c;
  EXPECT_EQ(Call(&v1::RiskMonitor::Stub::ReportRedLine, changed, &c).error_code(), grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(RiskServiceTest, ReportRedLineNeedsARedLineClause) {
  auto req = MakeRedLine("x", "CC-1", "repair", kStart);
  req.set_source(v1::RED_LINE_SOURCE_UNSPECIFIED);
  v1::ReportRedLineResponse resp;
  const auto s = Call(&v1::RiskMonitor::Stub::ReportRedLine, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(s), UnorderedElementsAre("rule", "source"));
}

TEST_F(RiskServiceTest, InvestigationWorkflowThroughTheApi) {
  const auto report = RedLine("r1");
  v1::StaffRef who;
  who.set_staff_id("I-1");

  v1::ConfirmRedLineRequest confirm;
  confirm.set_request_id("c1");
  confirm.set_report_id(report.report_id());
  *confirm.mutable_decided_by() = who;
  *confirm.mutable_decided_at() = ToProto(kStart);
  confirm.set_finding("proven");
  confirm.set_action_taken("disciplined");
  v1::ConfirmRedLineResponse confirmed;
  const auto early = Call(&v1::RiskMonitor::Stub::ConfirmRedLine, confirm, &confirmed);
  EXPECT_EQ(early.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(early.error_message(), ::testing::HasSubstr("RK-8"));

  v1::StartInvestigationRequest start;
  start.set_request_id("s1");
  start.set_report_id("RL-nope");
  *start.mutable_investigator() = who;
  *start.mutable_started_at() = ToProto(kStart);
  v1::StartInvestigationResponse started;
  EXPECT_EQ(Call(&v1::RiskMonitor::Stub::StartInvestigation, start, &started).error_code(), grpc::StatusCode::NOT_FOUND);
  start.set_request_id("s2");
  start.set_report_id(report.report_id());
  started = CallAndRetry(&v1::RiskMonitor::Stub::StartInvestigation, start);
  EXPECT_EQ(started.report().state(), v1::RED_LINE_STATE_INVESTIGATING);
  EXPECT_EQ(started.entry().kind(), v1::LEDGER_ENTRY_KIND_STATUS_CHANGE);
  EXPECT_EQ(started.entry().refers_to(), report.report_id());
  // (CallAndRetry: a retry of the same request answers the same and writes no second status change.)

  confirm.set_request_id("c2");  // c1 failed and stored nothing; a corrected retry may reuse it too
  const int64_t entries_before_confirm = CountRows(*db_, "SELECT COUNT(*) FROM ledger_entries");
  confirmed = CallAndRetry(&v1::RiskMonitor::Stub::ConfirmRedLine, confirm);
  EXPECT_EQ(CountRows(*db_, "SELECT COUNT(*) FROM ledger_entries"), entries_before_confirm + 1);  // one status change
  EXPECT_EQ(confirmed.report().state(), v1::RED_LINE_STATE_CONFIRMED);
  EXPECT_EQ(confirmed.report().slas(0).state(), v1::SLA_STATUS_MET);

  v1::DismissRedLineRequest dismiss;
  dismiss.set_request_id("d1");
  dismiss.set_report_id(report.report_id());
  *dismiss.mutable_decided_by() = who;
  *dismiss.mutable_decided_at() = ToProto(kStart);
  dismiss.set_finding("late");
  v1::DismissRedLineResponse dismissed;
  EXPECT_EQ(Call(&v1::RiskMonitor::Stub::DismissRedLine, dismiss, &dismissed).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  v1::GetLedgerEntryRequest get;
  get.set_entry_id(report.report_id());
  v1::GetLedgerEntryResponse entry;
  ASSERT_TRUE(Call(&v1::RiskMonitor::Stub::GetLedgerEntry, get, &entry).ok());
  EXPECT_EQ(entry.entry().red_line_report().state(), v1::RED_LINE_STATE_REPORTED);  // as recorded
  ASSERT_EQ(entry.history_size(), 2);
  EXPECT_EQ(entry.history(0).status_change().to_state(), v1::RED_LINE_STATE_INVESTIGATING);
  EXPECT_EQ(entry.history(1).status_change().to_state(), v1::RED_LINE_STATE_CONFIRMED);
  EXPECT_EQ(entry.effective_report().state(), v1::RED_LINE_STATE_CONFIRMED);
  EXPECT_EQ(entry.effective_report().action_taken(), "disciplined");

  v1::GetRedLineReportRequest get_report;
  get_report.set_report_id(report.report_id());
  v1::GetRedLineReportResponse got;
  ASSERT_TRUE(Call(&v1::RiskMonitor::Stub::GetRedLineReport, get_report, &got).ok());
  EXPECT_EQ(got.report().decided_by().staff_id(), "I-1");
  get_report.set_report_id("RL-nope");
  const grpc::Status missing = Call(&v1::RiskMonitor::Stub::GetRedLineReport, get_report, &got);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(missing.error_message(), "red-line report RL-nope not found");  // worded as every service words it

  v1::ListRedLineReportsRequest list;
  list.set_state(v1::RED_LINE_STATE_CONFIRMED);
  v1::ListRedLineReportsResponse listed;
  ASSERT_TRUE(Call(&v1::RiskMonitor::Stub::ListRedLineReports, list, &listed).ok());
  ASSERT_EQ(listed.reports_size(), 1);
  list.set_state(v1::RED_LINE_STATE_REPORTED);
  ASSERT_TRUE(Call(&v1::RiskMonitor::Stub::ListRedLineReports, list, &listed).ok());
  EXPECT_EQ(listed.reports_size(), 0);
  EXPECT_EQ(Metric("gridserve_redline_reports_total", {{"rule", "RK-8"}, {"department", "repair"}, {"status", "confirmed"}}), 1);

  // A dismissal (retried by CallAndRetry): one status change, counted once.
  const auto second = RedLine("r2");
  start.set_request_id("s3");
  start.set_report_id(second.report_id());
  *start.mutable_started_at() = ToProto(clock_.Now());  // the retries above moved the clock on
  started = CallAndRetry(&v1::RiskMonitor::Stub::StartInvestigation, start);
  dismiss.set_request_id("d2");
  dismiss.set_report_id(second.report_id());
  *dismiss.mutable_decided_at() = ToProto(clock_.Now());
  dismissed = CallAndRetry(&v1::RiskMonitor::Stub::DismissRedLine, dismiss);
  EXPECT_EQ(dismissed.report().state(), v1::RED_LINE_STATE_DISMISSED);
  EXPECT_EQ(Metric("gridserve_redline_reports_total", {{"rule", "RK-8"}, {"department", "repair"}, {"status", "dismissed"}}), 1);
}

TEST_F(RiskServiceTest, NobodyDecidesARedLineReportAboutThemselves) {
  v1::ReportRedLineResponse reported;
  ASSERT_TRUE(Call(&v1::RiskMonitor::Stub::ReportRedLine, MakeRedLine("sod-1", "RK-8", "repair", kStart, "S-42"),
                   &reported)
                  .ok());
  v1::StartInvestigationRequest start;
  start.set_request_id("sod-start");
  start.set_report_id(reported.report().report_id());
  start.mutable_investigator()->set_staff_id("I-1");
  *start.mutable_started_at() = ToProto(kStart);
  v1::StartInvestigationResponse started;
  started = CallAndRetry(&v1::RiskMonitor::Stub::StartInvestigation, start);

  v1::ConfirmRedLineRequest confirm;
  confirm.set_request_id("sod-confirm");
  confirm.set_report_id(reported.report().report_id());
  confirm.mutable_decided_by()->set_staff_id("S-42");  // the accused
  *confirm.mutable_decided_at() = ToProto(kStart);
  confirm.set_finding("not me");
  confirm.set_action_taken("none");
  v1::ConfirmRedLineResponse confirmed;
  EXPECT_EQ(Call(&v1::RiskMonitor::Stub::ConfirmRedLine, confirm, &confirmed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::DismissRedLineRequest dismiss;
  dismiss.set_request_id("sod-dismiss");
  dismiss.set_report_id(reported.report().report_id());
  dismiss.mutable_decided_by()->set_staff_id("S-42");
  *dismiss.mutable_decided_at() = ToProto(kStart);
  dismiss.set_finding("not me");
  v1::DismissRedLineResponse dismissed;
  EXPECT_EQ(Call(&v1::RiskMonitor::Stub::DismissRedLine, dismiss, &dismissed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  confirm.set_request_id("sod-confirm-2");
  confirm.mutable_decided_by()->set_staff_id("I-1");  // someone else may
  EXPECT_TRUE(Call(&v1::RiskMonitor::Stub::ConfirmRedLine, confirm, &confirmed).ok());
}

TEST_F(RiskServiceTest, WatchLedgerResumesFromTheCursorExactlyOnce) {
  for (int i = 1; i <= 5; ++i) Breach(MakeBreach("b" + std::to_string(i), "repair", kStart));
  std::vector<int64_t> seen;
  {
    grpc::ClientContext context;
    v1::WatchLedgerRequest req;
    auto reader = stub_->WatchLedger(&context, req);
    v1::LedgerEntry e;
    for (int i = 0; i < 3 && reader->Read(&e); ++i) seen.push_back(e.sequence());
    context.TryCancel();
    while (reader->Read(&e)) {
    }
    reader->Finish();
  }
  ASSERT_EQ(seen.size(), 3u);
  Breach(MakeBreach("b6", "repair", kStart));  // while disconnected
  {
    grpc::ClientContext context;
    v1::WatchLedgerRequest req;
    req.set_after_sequence(seen.back());
    auto reader = stub_->WatchLedger(&context, req);
    v1::LedgerEntry e;
    for (int i = 0; i < 3 && reader->Read(&e); ++i) seen.push_back(e.sequence());
    // Live: an entry committed while watching arrives too.
    Breach(MakeBreach("b7", "repair", kStart));
    if (reader->Read(&e)) seen.push_back(e.sequence());
    context.TryCancel();
    while (reader->Read(&e)) {
    }
    reader->Finish();
  }
  EXPECT_THAT(seen, ::testing::ElementsAre(1, 2, 3, 4, 5, 6, 7));
}

TEST_F(RiskServiceTest, WatchLedgerFiltersAndRefusesANegativeCursor) {
  Breach(MakeBreach("b1", "repair", kStart, "RP-1"));
  Breach(MakeBreach("b2", "repair", kStart, "RP-3"));
  {
    grpc::ClientContext context;
    v1::WatchLedgerRequest req;
    req.set_rule("RP-3");
    auto reader = stub_->WatchLedger(&context, req);
    v1::LedgerEntry e;
    ASSERT_TRUE(reader->Read(&e));
    EXPECT_EQ(e.sequence(), 2);
    EXPECT_EQ(e.rule(), "RP-3");
    context.TryCancel();
    while (reader->Read(&e)) {
    }
    reader->Finish();
  }
  grpc::ClientContext context;
  v1::WatchLedgerRequest req;
  req.set_after_sequence(-1);
  auto reader = stub_->WatchLedger(&context, req);
  v1::LedgerEntry e;
  EXPECT_FALSE(reader->Read(&e));
  const auto s = reader->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(s), Contains("after_sequence"));
}

// A filter with a value the API does not define is a typo, not "nothing
// matches": INVALID_ARGUMENT naming the field, on lists and watches alike.
TEST_F(RiskServiceTest, UnknownFilterValuesAreRefused) {
  const auto expect_refused = [&](const grpc::Status& s, const std::string& field) {
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << field;
    EXPECT_THAT(Fields(s), Contains(field));
  };
  v1::ListRedLineReportsRequest reports;
  reports.set_state(static_cast<v1::RedLineState>(99));
  v1::ListRedLineReportsResponse listed_reports;
  expect_refused(Call(&v1::RiskMonitor::Stub::ListRedLineReports, reports, &listed_reports), "state");
  v1::ListLedgerEntriesRequest entries;
  entries.set_kind(static_cast<v1::LedgerEntryKind>(99));
  v1::ListLedgerEntriesResponse listed_entries;
  expect_refused(Call(&v1::RiskMonitor::Stub::ListLedgerEntries, entries, &listed_entries), "kind");
  v1::ListWarningsRequest warnings;
  warnings.set_scope(static_cast<v1::RiskScope>(99));
  v1::ListWarningsResponse listed_warnings;
  expect_refused(Call(&v1::RiskMonitor::Stub::ListWarnings, warnings, &listed_warnings), "scope");
  v1::GetRiskScoresRequest scores;
  scores.set_min_level(static_cast<v1::RiskLevel>(99));
  v1::GetRiskScoresResponse scored;
  expect_refused(Call(&v1::RiskMonitor::Stub::GetRiskScores, scores, &scored), "min_level");
  {
    grpc::ClientContext context;
    v1::WatchWarningsRequest req;
    req.set_scope(static_cast<v1::RiskScope>(99));
    auto reader = stub_->WatchWarnings(&context, req);
    v1::Warning w;
    EXPECT_FALSE(reader->Read(&w));
    expect_refused(reader->Finish(), "scope");
  }
  reports.set_state(v1::RED_LINE_STATE_UNSPECIFIED);  // the defined values still list
  EXPECT_TRUE(Call(&v1::RiskMonitor::Stub::ListRedLineReports, reports, &listed_reports).ok());
}

TEST_F(RiskServiceTest, WatchWarningsSeesRisingLevels) {
  for (int i = 0; i < 15; ++i) Breach(MakeBreach("b" + std::to_string(i), "metering", kStart));
  grpc::ClientContext context;
  v1::WatchWarningsRequest req;
  req.set_department("metering");
  auto reader = stub_->WatchWarnings(&context, req);
  v1::Warning w1, w2;
  ASSERT_TRUE(reader->Read(&w1));
  ASSERT_TRUE(reader->Read(&w2));
  EXPECT_EQ(w1.level(), v1::RISK_LEVEL_YELLOW);
  EXPECT_EQ(w2.level(), v1::RISK_LEVEL_RED);
  context.TryCancel();
  while (reader->Read(&w1)) {
  }
  reader->Finish();
}

TEST_F(RiskServiceTest, ListLedgerEntriesFiltersAndPages) {
  for (int i = 0; i < 7; ++i) Breach(MakeBreach("b" + std::to_string(i), i < 4 ? "repair" : "operations", kStart - absl::Minutes(10) + absl::Minutes(i)));
  v1::ListLedgerEntriesRequest req;
  req.set_department("repair");
  req.set_page_size(3);
  v1::ListLedgerEntriesResponse page1, page2;
  ASSERT_TRUE(Call(&v1::RiskMonitor::Stub::ListLedgerEntries, req, &page1).ok());
  ASSERT_EQ(page1.entries_size(), 3);
  ASSERT_FALSE(page1.next_page_token().empty());
  req.set_page_token(page1.next_page_token());
  ASSERT_TRUE(Call(&v1::RiskMonitor::Stub::ListLedgerEntries, req, &page2).ok());
  ASSERT_EQ(page2.entries_size(), 1);
  EXPECT_TRUE(page2.next_page_token().empty());
  EXPECT_EQ(page2.entries(0).sequence(), 4);

  v1::ListLedgerEntriesRequest ranged;
  *ranged.mutable_time_range()->mutable_start() = ToProto(kStart - absl::Minutes(8));
  *ranged.mutable_time_range()->mutable_end() = ToProto(kStart - absl::Minutes(5));
  v1::ListLedgerEntriesResponse in_range;
  ASSERT_TRUE(Call(&v1::RiskMonitor::Stub::ListLedgerEntries, ranged, &in_range).ok());
  EXPECT_EQ(in_range.entries_size(), 3);  // minutes 2, 3, 4: [start, end)

  v1::ListLedgerEntriesRequest bad;
  bad.set_page_token("garbage!");
  *bad.mutable_time_range()->mutable_start() = ToProto(kStart);
  *bad.mutable_time_range()->mutable_end() = ToProto(kStart - absl::Seconds(1));
  v1::ListLedgerEntriesResponse resp;
  const auto s = Call(&v1::RiskMonitor::Stub::ListLedgerEntries, bad, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(s), UnorderedElementsAre("page_token", "time_range"));
}

TEST_F(RiskServiceTest, VoidedEntriesLeaveListsAndStatistics) {
  const auto b = Breach(MakeBreach("b1", "repair", kStart));
  Breach(MakeBreach("b2", "repair", kStart));
  v1::AddLedgerCorrectionRequest correction;
  correction.set_request_id("corr-1");
  correction.set_entry_id(b.entry().entry_id());
  correction.set_kind(v1::CORRECTION_KIND_VOID);
  correction.set_reason("duplicate report by hand");
  correction.mutable_corrected_by()->set_staff_id("A-1");
  v1::AddLedgerCorrectionResponse corrected, again;
  corrected = CallAndRetry(&v1::RiskMonitor::Stub::AddLedgerCorrection, correction);
  ASSERT_TRUE(Call(&v1::RiskMonitor::Stub::AddLedgerCorrection, correction, &again).ok());  // idempotent
  EXPECT_EQ(corrected.entry().entry_id(), again.entry().entry_id());

  v1::ListLedgerEntriesRequest list;
  list.set_kind(v1::LEDGER_ENTRY_KIND_BREACH);
  v1::ListLedgerEntriesResponse listed;
  ASSERT_TRUE(Call(&v1::RiskMonitor::Stub::ListLedgerEntries, list, &listed).ok());
  EXPECT_EQ(listed.entries_size(), 1);
  list.set_include_voided(true);
  ASSERT_TRUE(Call(&v1::RiskMonitor::Stub::ListLedgerEntries, list, &listed).ok());
  EXPECT_EQ(listed.entries_size(), 2);

  v1::GetStatisticsRequest stats;
  *stats.mutable_period()->mutable_start() = ToProto(kStart - absl::Hours(1));
  *stats.mutable_period()->mutable_end() = ToProto(kStart + absl::Hours(1));
  stats.set_rule("RP-1");
  v1::GetStatisticsResponse got;
  ASSERT_TRUE(Call(&v1::RiskMonitor::Stub::GetStatistics, stats, &got).ok());
  ASSERT_EQ(got.statistics_size(), config_.departments_size());  // every configured department, zeros included
  for (const auto& s : got.statistics()) EXPECT_EQ(s.breach_count(), s.department() == "repair" ? 1 : 0);

  v1::GetLedgerEntryRequest get;
  get.set_sequence(b.entry().sequence());
  v1::GetLedgerEntryResponse entry;
  ASSERT_TRUE(Call(&v1::RiskMonitor::Stub::GetLedgerEntry, get, &entry).ok());
  EXPECT_TRUE(entry.voided());
  ASSERT_EQ(entry.history_size(), 1);
  EXPECT_EQ(entry.history(0).correction().kind(), v1::CORRECTION_KIND_VOID);

  // A correction of a correction is refused.
  correction.set_request_id("corr-2");
  correction.set_entry_id(corrected.entry().entry_id());
  v1::AddLedgerCorrectionResponse refused;
  EXPECT_EQ(Call(&v1::RiskMonitor::Stub::AddLedgerCorrection, correction, &refused).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

// A correction dated 10 days before the entry it corrects was recorded is
// refused, INVALID_ARGUMENT naming corrected_at, and appends nothing.
TEST_F(RiskServiceTest, ACorrectionDatedBeforeTheEntryIsRefused) {
  const auto b = Breach(MakeBreach("b1", "repair", kStart));
  v1::AddLedgerCorrectionRequest correction;
  correction.set_request_id("corr-early");
  correction.set_entry_id(b.entry().entry_id());
  correction.set_kind(v1::CORRECTION_KIND_ANNOTATE);
  correction.set_reason("checked with the crew");
  correction.mutable_corrected_by()->set_staff_id("A-1");
  *correction.mutable_corrected_at() = ToProto(FromProto(b.entry().recorded_at()) - absl::Hours(24 * 10));
  v1::AddLedgerCorrectionResponse refused;
  const grpc::Status s = Call(&v1::RiskMonitor::Stub::AddLedgerCorrection, correction, &refused);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(s), ::testing::ElementsAre("corrected_at"));
  EXPECT_EQ(CountRows(*db_, "SELECT COUNT(*) FROM ledger_entries"), 1);
  correction.set_request_id("corr-in-order");
  *correction.mutable_corrected_at() = b.entry().recorded_at();
  v1::AddLedgerCorrectionResponse corrected;
  ASSERT_TRUE(Call(&v1::RiskMonitor::Stub::AddLedgerCorrection, correction, &corrected).ok());
  EXPECT_EQ(FromProto(corrected.entry().correction().corrected_at()), FromProto(b.entry().recorded_at()));
}

// RK-4 found automatically by repair arrives as a breach and as a red-line
// report naming it: GetStatistics and GetRiskScores count the incident once,
// as the red line (it is investigated); ListLedgerEntries keeps both records.
TEST_F(RiskServiceTest, AnAutomaticRedLineCountsOnceInStatisticsAndScores) {
  for (const std::string outage : {"OUT-1", "OUT-2", "OUT-3"}) {
    v1::Breach breach = MakeBreach("repair/RK-4/outage/" + outage, "operations", kStart, "RK-4");
    breach.set_subject("outage/" + outage);
    breach.set_mechanism(v1::MECHANISM_CHECK);
    v1::ReportRedLineRequest report = MakeRedLine("repair/redline/RK-4/outage/" + outage, "RK-4", "operations", kStart);
    report.set_source(v1::RED_LINE_SOURCE_AUTOMATIC);
    report.set_source_service("repair");
    report.set_source_reference("outage/" + outage);
    report.clear_staff();
    auto* ref = report.add_related_breaches();
    ref->set_breach_id(breach.breach_id());
    ref->set_service("repair");
    ref->set_rule("RK-4");
    v1::ReportRedLineResponse reported;
    if (outage == "OUT-2") {  // the outbox may deliver the report first
      ASSERT_TRUE(Call(&v1::RiskMonitor::Stub::ReportRedLine, report, &reported).ok());
      Breach(breach);
    } else {
      Breach(breach);
      ASSERT_TRUE(Call(&v1::RiskMonitor::Stub::ReportRedLine, report, &reported).ok());
    }
  }
  v1::GetStatisticsRequest stats;
  *stats.mutable_period()->mutable_start() = ToProto(kStart - absl::Hours(1));
  *stats.mutable_period()->mutable_end() = ToProto(kStart + absl::Hours(1));
  stats.set_rule("RK-4");
  stats.set_department("operations");
  v1::GetStatisticsResponse got;
  ASSERT_TRUE(Call(&v1::RiskMonitor::Stub::GetStatistics, stats, &got).ok());
  int64_t breaches = 0, reported = 0;  // (the catalogue's zero row for RK-4 is under service "risk")
  for (const auto& row : got.statistics()) {
    breaches += row.breach_count();
    reported += row.red_line_reported();
  }
  EXPECT_EQ(breaches, 0) << got.DebugString();
  EXPECT_EQ(reported, 3);

  v1::GetRiskScoresRequest scores;
  scores.set_department("operations");
  v1::GetRiskScoresResponse scored;
  ASSERT_TRUE(Call(&v1::RiskMonitor::Stub::GetRiskScores, scores, &scored).ok());
  ASSERT_EQ(scored.scores_size(), 1);
  EXPECT_EQ(scored.scores(0).score(), 15);  // 3 × redline_report_weight, not 3 × (5 + norm_breach_weight)
  EXPECT_EQ(scored.scores(0).breach_count(), 0);
  EXPECT_EQ(scored.scores(0).red_line_report_count(), 3);

  v1::ListLedgerEntriesRequest list;
  list.set_rule("RK-4");
  v1::ListLedgerEntriesResponse listed;
  ASSERT_TRUE(Call(&v1::RiskMonitor::Stub::ListLedgerEntries, list, &listed).ok());
  EXPECT_EQ(listed.entries_size(), 6);  // append-only: every record as received
}

TEST_F(RiskServiceTest, QueryErrors) {
  v1::GetStatisticsRequest stats;
  v1::GetStatisticsResponse got;
  auto s = Call(&v1::RiskMonitor::Stub::GetStatistics, stats, &got);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(s), Contains("period"));
  *stats.mutable_period()->mutable_start() = ToProto(kStart);
  s = Call(&v1::RiskMonitor::Stub::GetStatistics, stats, &got);
  EXPECT_THAT(Fields(s), Contains("period.end"));

  v1::GetLedgerEntryRequest get;
  v1::GetLedgerEntryResponse entry;
  grpc::Status no_id = Call(&v1::RiskMonitor::Stub::GetLedgerEntry, get, &entry);
  EXPECT_EQ(no_id.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(no_id), Contains("entry_id"));
  get.set_sequence(99);
  const grpc::Status missing = Call(&v1::RiskMonitor::Stub::GetLedgerEntry, get, &entry);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(missing.error_message(), "ledger entry at sequence 99 not found");

  v1::GetRiskScoresRequest scores;
  scores.set_page_token("nope");
  v1::GetRiskScoresResponse scored;
  grpc::Status bad_token = Call(&v1::RiskMonitor::Stub::GetRiskScores, scores, &scored);
  EXPECT_EQ(bad_token.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(bad_token), Contains("page_token"));
  v1::ListWarningsRequest warnings;
  warnings.set_page_size(-1);
  v1::ListWarningsResponse listed;
  grpc::Status bad_size = Call(&v1::RiskMonitor::Stub::ListWarnings, warnings, &listed);
  EXPECT_EQ(bad_size.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(bad_size), Contains("page_size"));
}

TEST_F(RiskServiceTest, RiskScoresCoverEveryDepartmentAndStaffOnRequest) {
  for (int i = 0; i < 6; ++i) Breach(MakeBreach("b" + std::to_string(i), "repair", kStart, "RP-1", "S-1"));
  v1::GetRiskScoresRequest req;
  v1::GetRiskScoresResponse resp;
  ASSERT_TRUE(Call(&v1::RiskMonitor::Stub::GetRiskScores, req, &resp).ok());
  EXPECT_EQ(resp.scores_size(), config_.departments_size());
  for (const auto& s : resp.scores()) {
    EXPECT_EQ(s.scope(), v1::RISK_SCOPE_DEPARTMENT);
    EXPECT_EQ(s.level(), s.department() == "repair" ? v1::RISK_LEVEL_YELLOW : v1::RISK_LEVEL_GREEN);
  }
  req.set_staff_id("S-1");
  ASSERT_TRUE(Call(&v1::RiskMonitor::Stub::GetRiskScores, req, &resp).ok());
  ASSERT_EQ(resp.scores_size(), 1);
  EXPECT_EQ(resp.scores(0).scope(), v1::RISK_SCOPE_STAFF);
  EXPECT_EQ(resp.scores(0).score(), 6);
  EXPECT_EQ(resp.scores(0).breach_count(), 6);
  EXPECT_EQ(FromProto(resp.scores(0).level_since()), kStart);

  v1::ListWarningsRequest warnings;
  warnings.set_scope(v1::RISK_SCOPE_STAFF);
  v1::ListWarningsResponse listed;
  ASSERT_TRUE(Call(&v1::RiskMonitor::Stub::ListWarnings, warnings, &listed).ok());
  ASSERT_EQ(listed.warnings_size(), 1);
  EXPECT_EQ(listed.warnings(0).staff_id(), "S-1");
}

TEST_F(RiskServiceTest, ListClausesReturnsTheCatalogue) {
  v1::ListClausesRequest req;
  v1::NormCatalogue all, risk_only;
  ASSERT_TRUE(Call(&v1::RiskMonitor::Stub::ListClauses, req, &all).ok());
  EXPECT_EQ(all.clauses_size(), Catalogue().clauses_size());
  req.set_service("risk");
  ASSERT_TRUE(Call(&v1::RiskMonitor::Stub::ListClauses, req, &risk_only).ok());
  EXPECT_EQ(risk_only.clauses_size(), 11);
  ASSERT_EQ(risk_only.slas_size(), 1);
  EXPECT_EQ(risk_only.slas(0).name(), "investigation");
}

TEST_F(RiskServiceTest, RedLineSeriesExistAtZeroWithoutStaffLabels) {
  EXPECT_EQ(Metric("gridserve_redline_reports_total", {{"rule", "RK-11"}, {"department", "other"}, {"status", "dismissed"}}), 0);
  EXPECT_EQ(Metric("gridserve_redline_reports_total", {{"rule", "RK-1"}, {"department", "metering"}, {"status", "investigating"}}), 0);
  EXPECT_EQ(Metric("gridserve_ledger_entries_total", {{"service", "counter"}, {"rule", "CT-10"}}), 0);
  EXPECT_EQ(Metric("gridserve_ledger_entries_total", {{"service", "repair"}, {"rule", "RK-3"}}), 0);
  EXPECT_EQ(Metric("gridserve_redline_open_investigations", {{"rule", "RK-5"}}), 0);
  EXPECT_EQ(Metric("gridserve_sla_total", {{"sla", "investigation"}, {"outcome", "met"}}), 0);
  Breach(MakeBreach("b", "repair", kStart, "RP-1", "S-SECRET"));
  for (const auto& family : metrics_.registry()->Collect()) {
    for (const auto& metric : family.metric) {
      for (const auto& label : metric.label) EXPECT_NE(label.value, "S-SECRET") << family.name;
    }
  }
}

}  // namespace
}  // namespace gridserve::risk
