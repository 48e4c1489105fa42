// End-to-end with the real binaries on free loopback ports:
//  (1) a burst of breaches raises a department to yellow then red, and a
//      WatchWarnings watcher sees both warnings;
//  (2) a WatchLedger watcher that disconnects and resumes from its cursor
//      while breaches keep arriving misses nothing and sees nothing twice;
//  (3) risk down while repair queues a breach (outbox): once risk is back
//      on the same port the breach is in the ledger exactly once;
//  (4) an automatic RK-4 from repair (a fault outage restored after its ETR
//      with no cause) reaches risk as a breach and a red-line report, and
//      counts once: as the red line, in statistics and the risk score.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gridserve/v1/repair.grpc.pb.h"
#include "gridserve/v1/risk.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/support/suite_process.h"

namespace gridserve::testing {
namespace {

using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp At(absl::Time t) { return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t)); }

std::unique_ptr<v1::RiskMonitor::Stub> RiskStub(const std::string& address) {
  return v1::RiskMonitor::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

void SetDeadline(grpc::ClientContext& context, absl::Duration d) {
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(absl::ToInt64Milliseconds(d)));
}

grpc::Status SendBreach(v1::RiskMonitor::Stub& stub, const std::string& id, const std::string& department) {
  v1::ReportBreachRequest req;
  req.set_request_id(id);
  v1::Breach* b = req.mutable_breach();
  b->set_breach_id(id);
  b->set_service("counter");
  b->set_rule("CT-4");
  b->set_department(department);
  b->set_subject("ticket/" + id);
  b->set_mechanism(v1::MECHANISM_TIMER);
  *b->mutable_occurred_at() = At(absl::Now());
  v1::ReportBreachResponse resp;
  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(10));
  return stub.ReportBreach(&context, req, &resp);
}

TEST(RiskE2eTest, BurstOfBreachesRaisesYellowThenRedAndTheWatcherSeesBoth) {
  ServiceProcess risk("risk", MakeWorkDir("risk-burst"));
  ASSERT_TRUE(risk.Start()) << risk.Log();
  auto stub = RiskStub(risk.grpc_address());

  grpc::ClientContext watch;
  SetDeadline(watch, absl::Seconds(60));
  v1::WatchWarningsRequest req;
  req.set_department("business-hall");
  auto reader = stub->WatchWarnings(&watch, req);
  std::vector<v1::Warning> seen;
  std::thread watcher([&] {
    v1::Warning w;
    while (seen.size() < 2 && reader->Read(&w)) seen.push_back(w);
  });
  // Default weights: 1 per norm breach, yellow at 5, red at 15.
  for (int i = 0; i < 15; ++i) {
    ASSERT_TRUE(SendBreach(*stub, absl::StrCat("counter/CT-4/ticket/T-", i), "business-hall").ok());
  }
  watcher.join();
  watch.TryCancel();
  ASSERT_EQ(seen.size(), 2u) << risk.Log();
  EXPECT_EQ(seen[0].level(), v1::RISK_LEVEL_YELLOW);
  EXPECT_EQ(seen[0].direction(), v1::WARNING_DIRECTION_RISING);
  EXPECT_EQ(seen[0].score(), 5);
  EXPECT_EQ(seen[1].level(), v1::RISK_LEVEL_RED);
  EXPECT_EQ(seen[1].previous_level(), v1::RISK_LEVEL_YELLOW);
  EXPECT_LT(seen[0].sequence(), seen[1].sequence());

  // The gauge follows within a refresh interval (5 s by default).
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  double level = -1;
  while (absl::Now() < deadline) {
    level = MetricValue(HttpGet(risk.metrics_url()), "gridserve_risk_warning_level", {{"department", "business-hall"}});
    if (level == 2) break;
    absl::SleepFor(absl::Milliseconds(250));
  }
  EXPECT_EQ(level, 2);
  const std::string metrics = HttpGet(risk.metrics_url());
  EXPECT_EQ(MetricValue(metrics, "gridserve_ledger_entries_total", {{"service", "counter"}, {"rule", "CT-4"}}), 15);
  EXPECT_EQ(MetricValue(metrics, "gridserve_risk_warning_level", {{"department", "repair"}}), 0);
  EXPECT_EQ(MetricValue(metrics, "gridserve_redline_reports_total",
                        {{"rule", "RK-11"}, {"department", "other"}, {"status", "confirmed"}}),
            0);
}

TEST(RiskE2eTest, ResumingWatcherMissesNothingAndSeesNothingTwice) {
  ServiceProcess risk("risk", MakeWorkDir("risk-resume"));
  ASSERT_TRUE(risk.Start()) << risk.Log();
  auto stub = RiskStub(risk.grpc_address());
  constexpr int kTotal = 40;

  // A writer keeps adding breaches while the watcher comes and goes.
  std::atomic<bool> writer_ok{true};
  std::thread writer([&] {
    for (int i = 0; i < kTotal; ++i) {
      if (!SendBreach(*stub, absl::StrCat("counter/CT-4/ticket/W-", i), "operations").ok()) writer_ok = false;
      absl::SleepFor(absl::Milliseconds(20));
    }
  });

  std::vector<int64_t> sequences;
  int64_t cursor = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  for (int connection = 0; static_cast<int>(sequences.size()) < kTotal && absl::Now() < deadline; ++connection) {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(30));
    v1::WatchLedgerRequest req;
    req.set_after_sequence(cursor);
    auto reader = stub->WatchLedger(&context, req);
    v1::LedgerEntry entry;
    // Read a few, then hang up mid-stream.
    for (int i = 0; i < 7 && static_cast<int>(sequences.size()) < kTotal && reader->Read(&entry); ++i) {
      sequences.push_back(entry.sequence());
      cursor = entry.sequence();
    }
    context.TryCancel();
    while (reader->Read(&entry)) {
    }
    reader->Finish();
  }
  writer.join();
  ASSERT_TRUE(writer_ok);
  ASSERT_EQ(static_cast<int>(sequences.size()), kTotal);
  for (int i = 0; i < kTotal; ++i) EXPECT_EQ(sequences[i], i + 1) << "position " << i;
}

TEST(RiskE2eTest, BreachQueuedByRepairWhileRiskIsDownArrivesExactlyOnce) {
  const std::string work = MakeWorkDir("risk-restart");
  // Learn a free port from a first risk run, then stop it.
  int port = 0;
  {
    ServiceProcess probe("risk", work);
    ASSERT_TRUE(probe.Start()) << probe.Log();
    port = probe.grpc_port();
    probe.Stop();
  }
  const std::string risk_address = absl::StrCat("127.0.0.1:", port);
  ServiceProcess repair("repair", work, {"--risk_target=" + risk_address});
  ASSERT_TRUE(repair.Start()) << repair.Log();

  // A work order dispatched 2 h ago in an urban area: the 45 min arrival
  // promise (RP-1) expired long ago, so the sweep records the breach at once.
  auto repair_stub = v1::Repair::NewStub(grpc::CreateChannel(repair.grpc_address(), grpc::InsecureChannelCredentials()));
  v1::CreateWorkOrderRequest create;
  create.set_request_id("wo-e2e-1");
  create.mutable_customer()->set_name("Customer");
  create.mutable_customer()->set_phone("13800000000");
  create.mutable_location()->set_address("1 Grid Road");
  create.mutable_location()->set_area_class("urban");
  create.set_description("no power");
  create.set_department("repair");
  *create.mutable_dispatched_at() = At(absl::Now() - absl::Hours(2));
  v1::CreateWorkOrderResponse created;
  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(10));
  const grpc::Status status = repair_stub->CreateWorkOrder(&context, create, &created);
  if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
    GTEST_SKIP() << "pending: gridserve-repair does not implement CreateWorkOrder yet";
  }
  ASSERT_TRUE(status.ok()) << status.error_message();

  // The breach waits in repair's outbox while risk is down.
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  double pending = -1;
  while (absl::Now() < deadline) {
    pending = MetricValue(HttpGet(repair.metrics_url()), "gridserve_outbox_pending", {{"topic", "risk.breach"}});
    if (pending >= 1) break;
    absl::SleepFor(absl::Milliseconds(250));
  }
  ASSERT_GE(pending, 1) << repair.Log();

  ServiceProcess risk("risk", work, {"--listen=" + risk_address});
  ASSERT_TRUE(risk.Start()) << risk.Log();
  auto stub = RiskStub(risk_address);
  v1::ListLedgerEntriesRequest list;
  list.set_service("repair");
  v1::ListLedgerEntriesResponse listed;
  deadline = absl::Now() + absl::Seconds(90);  // the relay's backoff grew while risk was down
  while (absl::Now() < deadline) {
    grpc::ClientContext c;
    SetDeadline(c, absl::Seconds(5));
    if (stub->ListLedgerEntries(&c, list, &listed).ok() && listed.entries_size() > 0) break;
    absl::SleepFor(absl::Milliseconds(250));
  }
  ASSERT_GE(listed.entries_size(), 1) << repair.Log() << risk.Log();
  // Give a redelivery (if any) the chance to show up, then count again.
  deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    pending = MetricValue(HttpGet(repair.metrics_url()), "gridserve_outbox_pending", {{"topic", "risk.breach"}});
    if (pending == 0) break;
    absl::SleepFor(absl::Milliseconds(250));
  }
  EXPECT_EQ(pending, 0);
  grpc::ClientContext c;
  ASSERT_TRUE(stub->ListLedgerEntries(&c, list, &listed).ok());
  int arrival_breaches = 0;
  for (const auto& e : listed.entries()) {
    if (e.rule() == "RP-1" && absl::StrContains(e.breach().subject(), created.work_order().work_order_id()) &&
        e.breach().sla() == "repair_arrival") {
      ++arrival_breaches;
    }
  }
  EXPECT_EQ(arrival_breaches, 1) << listed.DebugString();
}

TEST(RiskE2eTest, AnAutomaticRk4FromRepairCountsOnceInRisk) {
  const std::string work = MakeWorkDir("risk-rk4");
  ServiceProcess risk("risk", work);
  ASSERT_TRUE(risk.Start()) << risk.Log();
  ServiceProcess repair("repair", work, {"--risk_target=" + risk.grpc_address()});
  ASSERT_TRUE(repair.Start()) << repair.Log();
  auto repair_stub = v1::Repair::NewStub(grpc::CreateChannel(repair.grpc_address(), grpc::InsecureChannelCredentials()));

  const absl::Time now = absl::Now();
  v1::CreateOutageRequest create;
  create.set_request_id("outage-e2e-rk4");
  create.set_kind(v1::OUTAGE_KIND_FAULT);
  create.set_reason("cable fault");
  create.set_department("operations");
  create.add_feeder_ids("F-RK4");
  *create.mutable_started_at() = At(now - absl::Hours(3));
  *create.mutable_etr() = At(now - absl::Hours(1));
  v1::CreateOutageResponse created;
  {
    grpc::ClientContext c;
    SetDeadline(c, absl::Seconds(10));
    const grpc::Status s = repair_stub->CreateOutage(&c, create, &created);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  v1::RecordOutageRestorationRequest restore;
  restore.set_request_id("restore-e2e-rk4");
  restore.set_outage_id(created.outage().outage_id());
  *restore.mutable_restored_at() = At(now);  // two hours after the ETR, no cause: RK-4
  v1::RecordOutageRestorationResponse restored;
  {
    grpc::ClientContext c;
    SetDeadline(c, absl::Seconds(10));
    const grpc::Status s = repair_stub->RecordOutageRestoration(&c, restore, &restored);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  ASSERT_EQ(restored.outage().breaches_size(), 1);
  EXPECT_EQ(restored.outage().breaches(0).rule(), "RK-4");

  // Both records reach the ledger (the outbox delivers them independently).
  auto stub = RiskStub(risk.grpc_address());
  v1::ListLedgerEntriesRequest list;
  list.set_rule("RK-4");
  v1::ListLedgerEntriesResponse listed;
  absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (absl::Now() < deadline) {
    grpc::ClientContext c;
    SetDeadline(c, absl::Seconds(5));
    if (stub->ListLedgerEntries(&c, list, &listed).ok() && listed.entries_size() >= 2) break;
    absl::SleepFor(absl::Milliseconds(250));
  }
  ASSERT_EQ(listed.entries_size(), 2) << repair.Log() << risk.Log();

  v1::GetStatisticsRequest stats;
  *stats.mutable_period()->mutable_start() = At(now - absl::Hours(4));
  *stats.mutable_period()->mutable_end() = At(now + absl::Hours(1));
  stats.set_rule("RK-4");
  stats.set_department("operations");
  v1::GetStatisticsResponse got;
  {
    grpc::ClientContext c;
    SetDeadline(c, absl::Seconds(10));
    ASSERT_TRUE(stub->GetStatistics(&c, stats, &got).ok());
  }
  int64_t breaches = 0, reported = 0;
  for (const auto& row : got.statistics()) {
    breaches += row.breach_count();
    reported += row.red_line_reported();
  }
  EXPECT_EQ(breaches, 0) << got.DebugString();
  EXPECT_EQ(reported, 1) << got.DebugString();

  v1::GetRiskScoresRequest scores;
  scores.set_department("operations");
  v1::GetRiskScoresResponse scored;
  {
    grpc::ClientContext c;
    SetDeadline(c, absl::Seconds(10));
    ASSERT_TRUE(stub->GetRiskScores(&c, scores, &scored).ok());
  }
  ASSERT_EQ(scored.scores_size(), 1);
  EXPECT_EQ(scored.scores(0).score(), 5);  // redline_report_weight only
  EXPECT_EQ(scored.scores(0).breach_count(), 0);
}

}  // namespace
}  // namespace gridserve::testing
