// Google Benchmark micro-benchmarks of the hot paths:
//   * breach evaluation: the checks run on every recorded hotline call
//     (CC-1/CC-4/CC-8) and the early-warning score recomputed on every
//     ledger write (risk),
//   * business-calendar arithmetic (every working-day deadline),
//   * the SLA expiry sweep with many open clocks of which few are due — its
//     cost must follow what is due, not what is stored,
//   * a structured log line (every recorded breach writes one),
//   * the bounds on a request's strings, checked at the door of every call
//     (request_limits): a read's one id, and a hotline call record,
//   * one online backup of the SQLite store, by records stored.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>

#include "gridserve/v1/counter.pb.h"
#include "services/common/backup.h"
#include "services/common/business_calendar.h"
#include "services/common/config.h"
#include "services/common/log.h"
#include "services/common/idempotency.h"
#include "services/common/migrations.h"
#include "services/common/request_limits.h"
#include "services/common/retention.h"
#include "services/common/sla_clock.h"
#include "services/contact_center/domain/call_rules.h"
#include "services/risk/domain/risk_score.h"

namespace gridserve {
namespace {

const absl::Time kStart = absl::FromCivil(absl::CivilSecond(2026, 11, 27, 9, 0, 0), absl::UTCTimeZone());

void BM_AddWorkingDays(benchmark::State& state) {
  v1::CalendarConfig config = DefaultConfig().calendar();
  for (int d = 1; d <= 7; ++d) config.add_holidays("2026-10-0" + std::to_string(d));
  BusinessCalendar calendar = *BusinessCalendar::FromConfig(config);
  absl::Time t = kStart;
  for (auto _ : state) {
    benchmark::DoNotOptimize(calendar.AddWorkingDays(t, static_cast<int>(state.range(0))));
    t += absl::Minutes(37);
  }
}
BENCHMARK(BM_AddWorkingDays)->Arg(2)->Arg(5)->Arg(32);

// CC-1/CC-4/CC-8 on a recorded call: one answered late without an apology,
// inside an outage, the agent hanging up first — every check finds something.
void BM_CheckCall(benchmark::State& state) {
  const v1::ContactCenterConfig config = DefaultConfig().contact_center();
  v1::Call call;
  call.set_outcome(v1::CALL_OUTCOME_ANSWERED);
  call.set_rings(5);
  call.set_hang_up_party(v1::HANG_UP_PARTY_AGENT);
  call.set_outage_lookup_status(v1::OUTAGE_LOOKUP_STATUS_COVERED);
  for (auto _ : state) {
    auto findings = contact_center::CheckCall(call, config);
    benchmark::DoNotOptimize(findings);
    benchmark::DoNotOptimize(contact_center::JudgeAnswerSla(call, config));
  }
}
BENCHMARK(BM_CheckCall);

// The early-warning score of one department from range(0) pre-counted inputs
// (kind × clause × state), as each ledger write recomputes it.
void BM_RiskScore(benchmark::State& state) {
  const v1::RiskConfig config = DefaultConfig().risk();
  std::vector<risk::ScoreInput> inputs;
  for (int i = 0; i < state.range(0); ++i) {
    risk::ScoreInput input;
    input.kind = i % 3 == 0 ? v1::LEDGER_ENTRY_KIND_RED_LINE_REPORT : v1::LEDGER_ENTRY_KIND_BREACH;
    input.rule = i % 3 == 0 ? "RK-" + std::to_string(1 + i % 11) : "RP-" + std::to_string(1 + i % 9);
    input.state = i % 2 == 0 ? v1::RED_LINE_STATE_CONFIRMED : v1::RED_LINE_STATE_REPORTED;
    input.count = 1 + i % 4;
    inputs.push_back(input);
  }
  for (auto _ : state) benchmark::DoNotOptimize(risk::Score(inputs, config));
}
BENCHMARK(BM_RiskScore)->Arg(10)->Arg(100);

// range(0) clocks stored and open, 10 of them due. One sweep records the 10.
void BM_SlaSweep(benchmark::State& state) {
  FakeClock clock(kStart);
  auto db = *OpenDatabase("sqlite::memory:");
  (void)ApplyMigrations(*db, clock, "platform", PlatformMigrations());
  BreachRecorder breaches("contact-center", clock, nullptr, BreachRecorder::OutboxToRisk(clock));
  SlaClock sla(clock, breaches, nullptr);
  const int64_t stored = state.range(0);
  (void)db->InTransaction([&](Transaction& txn) -> absl::Status {
    for (int64_t i = 0; i < stored; ++i) {
      auto s = txn.Execute(
          "INSERT INTO sla_timers (sla, subject, department, staff_id, started_at, due_at, state)"
          " VALUES ('complaint_reply', ?, 'd', '', ?, ?, 'open')",
          {std::string("far/") + std::to_string(i), ToMicros(kStart), ToMicros(kStart + absl::Hours(240))});
      if (!s.ok()) return s.status();
    }
    return absl::OkStatus();
  });
  int round = 0;
  for (auto _ : state) {
    state.PauseTiming();
    (void)db->InTransaction([&](Transaction& txn) -> absl::Status {
      for (int i = 0; i < 10; ++i) {
        auto s = sla.Start(txn, SlaTimer{"complaint_reply", "due/" + std::to_string(round) + "/" + std::to_string(i),
                                         "d", "", clock.Now(), clock.Now() + absl::Seconds(1)});
        if (!s.ok()) return s;
      }
      return absl::OkStatus();
    });
    ++round;
    clock.Advance(absl::Seconds(2));
    state.ResumeTiming();
    auto expired = sla.Sweep(*db);
    if (!expired.ok() || *expired != 10) state.SkipWithError("sweep did not expire exactly the 10 due clocks");
  }
  state.counters["stored"] = static_cast<double>(stored);
}
BENCHMARK(BM_SlaSweep)->Arg(10'000)->Arg(1'000'000)->Unit(benchmark::kMicrosecond)->Iterations(20);

// range(0) idempotency keys stored, one a second (a request's stored answer
// each). Each pass comes range(1) seconds after the one before, so that many
// more are past the 30-day retention: it deletes those. Its cost follows what
// expired, not what is stored (SQLite: the oldest keys in rowid order, no
// time index); each deletion costs more in a larger table (deeper B-trees).
void BM_RetentionPass(benchmark::State& state) {
  FakeClock clock(kStart);
  auto db = *OpenDatabase("sqlite::memory:");
  (void)ApplyMigrations(*db, clock, "platform", PlatformMigrations());
  const int64_t stored = state.range(0);
  (void)db->InTransaction([&](Transaction& txn) -> absl::Status {
    for (int64_t i = 0; i < stored; ++i) {
      auto s = StoreResponse(txn, kStart + absl::Seconds(i), "Counter/IssueTicket", "r-" + std::to_string(i),
                             "request", "response");
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  });
  const RetentionOptions options{absl::Hours(24 * 30), absl::Hours(24 * 7)};
  clock.Set(kStart + options.idempotency_retention);  // the first key is exactly at the limit: kept
  const int64_t expiring = state.range(1);
  for (auto _ : state) {
    state.PauseTiming();
    clock.Advance(absl::Seconds(expiring));
    state.ResumeTiming();
    auto pruned = PruneExpired(*db, clock, options);
    if (!pruned.ok() || pruned->idempotency_keys != expiring) state.SkipWithError("the pass deleted another count");
  }
  state.counters["stored"] = static_cast<double>(stored);
  state.counters["deleted"] = static_cast<double>(expiring);
}
BENCHMARK(BM_RetentionPass)
    ->Args({10'000, 0})
    ->Args({1'000'000, 0})
    ->Args({10'000, 100})
    ->Args({1'000'000, 100})
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(20);

// One online backup (TakeBackup: VACUUM INTO, fsync, rename) of a database
// file holding range(0) stored answers, the table every write adds to. Its
// cost follows what is stored: the whole database is copied.
void BM_Backup(benchmark::State& state) {
  char dir_template[] = "/tmp/gridserve-bench-backup.XXXXXX";
  const std::string dir = mkdtemp(dir_template);
  FakeClock clock(kStart);
  auto db = *OpenDatabase("sqlite://" + dir + "/counter.db");
  (void)ApplyMigrations(*db, clock, "platform", PlatformMigrations());
  const int64_t stored = state.range(0);
  for (int64_t done = 0; done < stored;) {  // in transactions of 100 k: the WAL stays small
    (void)db->InTransaction([&](Transaction& txn) -> absl::Status {
      for (int64_t end = std::min(stored, done + 100'000); done < end; ++done) {
        auto s = StoreResponse(txn, kStart + absl::Seconds(done), "Counter/IssueTicket", "r-" + std::to_string(done),
                               "request", std::string(200, 'r'));
        if (!s.ok()) return s;
      }
      return absl::OkStatus();
    });
  }
  int64_t bytes = 0;
  for (auto _ : state) {
    clock.Advance(absl::Seconds(1));  // one backup per second at most: each its own name
    auto taken = TakeBackup(*db, "counter", {dir + "/backups", 1}, clock.Now());
    if (!taken.ok()) state.SkipWithError(std::string(taken.status().message()).c_str());
    if (taken.ok()) bytes = taken->bytes;
  }
  state.counters["stored"] = static_cast<double>(stored);
  state.counters["MiB"] = static_cast<double>(bytes) / (1 << 20);
  db.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Backup)->Arg(10'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->Iterations(3);

// The line BreachRecorder logs for each breach (a sweep expiring a backlog of
// clocks writes one per clock).
void BM_LogLine(benchmark::State& state) {
  SetLogService("counter");
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        FormatLogLine("info", "breach_recorded", {{"rule", "CT-4"}, {"breach_id", "BR-0643a1f3c2b40e9d51c7"}}));
  }
}
BENCHMARK(BM_LogLine);

// The admission check every call pays before the service runs: a read's
// request (one id) and a full hotline call record (a dozen fields, nested
// staff and location).
void BM_CheckRequestLimits(benchmark::State& state) {
  v1::GetTicketRequest read;
  read.set_ticket_id("TK-0643a1f3c2b40e9d51c7");
  v1::RecordCallRequest write;
  write.set_request_id("call-000000000042");
  write.set_external_call_id("TEL-000000000042");
  write.mutable_agent()->set_staff_id("S-1");
  write.mutable_agent()->set_department("customer-service");
  write.set_department("customer-service");
  write.set_caller_phone("13800000000");
  write.mutable_caller_location()->set_address("1 Bench Road");
  write.mutable_caller_location()->set_area_code("A1");
  const google::protobuf::Message& request =
      state.range(0) == 0 ? static_cast<const google::protobuf::Message&>(read) : write;
  for (auto _ : state) benchmark::DoNotOptimize(CheckRequestLimits(request));
  state.SetLabel(state.range(0) == 0 ? "GetTicket" : "RecordCall");
}
BENCHMARK(BM_CheckRequestLimits)->Arg(0)->Arg(1);

}  // namespace
}  // namespace gridserve

BENCHMARK_MAIN();
