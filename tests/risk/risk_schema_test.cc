// Risk migration 6 (red-line claims) on a ledger written before it: on every
// backend the migration applies to the stored rows and the claims work; and
// at start-up the service makes the reports already recorded claim the
// breaches of their own incident, once (an automatic RK-4 that was counted
// twice, as a breach and as a report, counts once from then on).
// PostgreSQL runs when GRIDSERVE_TEST_POSTGRES_URL is set
// (tests/postgres/with-postgres.sh).
#include "services/risk/storage/risk_schema.h"

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gridserve/v1/risk.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/common/config.h"
#include "services/common/migrations.h"
#include "services/common/rpc_util.h"
#include "services/risk/risk_spec.h"
#include "services/risk/storage/ledger_store.h"
#include "tests/common/test_db.h"
#include "tests/support/in_process_service.h"

namespace gridserve::risk {
namespace {

using ::gridserve::testing::CountRows;
using ::gridserve::testing::kStart;

constexpr int64_t kMicrosPerHour = int64_t{3600} * 1000 * 1000;

// The migrations a ledger written before the red-line claims had.
std::vector<Migration> BeforeClaims() {
  std::vector<Migration> out;
  for (const Migration& m : RiskMigrations()) {
    if (m.version < 6) out.push_back(m);
  }
  return out;
}

// An automatic RK-4 as the ledger held it before migration 6: the breach
// repair recorded (sequence 2n-1) and the red-line report naming it (2n),
// each in ledger_entries, ledger_view and score_counts, the way PutView
// wrote them then.
absl::Status InsertLegacyRk4(Database& db, int n) {
  const std::string outage = absl::StrCat("outage/OUT-", n);
  v1::Breach breach;
  breach.set_breach_id("repair/RK-4/" + outage);
  breach.set_service("repair");
  breach.set_rule("RK-4");
  breach.set_department("operations");
  breach.set_subject(outage);
  breach.set_mechanism(v1::MECHANISM_CHECK);
  *breach.mutable_occurred_at() = ToProto(kStart);
  v1::RedLineReport report;
  report.set_report_id(absl::StrCat("RL-", n));
  report.set_rule("RK-4");
  report.set_source(v1::RED_LINE_SOURCE_AUTOMATIC);
  report.set_state(v1::RED_LINE_STATE_REPORTED);
  report.set_department("operations");
  report.set_source_service("repair");
  report.set_source_reference(outage);
  *report.mutable_occurred_at() = ToProto(kStart);
  auto* ref = report.add_related_breaches();
  ref->set_breach_id(breach.breach_id());
  ref->set_service("repair");
  ref->set_rule("RK-4");
  const int64_t at = ToMicros(kStart);
  return db.InTransaction([&](Transaction& txn) -> absl::Status {
    struct Row {
      std::string id;
      int64_t sequence;
      v1::LedgerEntryKind kind;
      SqlValue breach_id;
      int64_t state;
      int64_t source;
      std::string content;
    };
    for (const Row& row :
         {Row{absl::StrCat("LE-", n), 2 * n - 1, v1::LEDGER_ENTRY_KIND_BREACH, breach.breach_id(), 0, 0,
              breach.SerializeAsString()},
          Row{report.report_id(), 2 * n, v1::LEDGER_ENTRY_KIND_RED_LINE_REPORT, nullptr, v1::RED_LINE_STATE_REPORTED,
              v1::RED_LINE_SOURCE_AUTOMATIC, report.SerializeAsString()}}) {
      v1::LedgerEntry entry;
      entry.set_entry_id(row.id);
      entry.set_sequence(row.sequence);
      entry.set_kind(row.kind);
      if (row.kind == v1::LEDGER_ENTRY_KIND_BREACH) {
        *entry.mutable_breach() = breach;
      } else {
        *entry.mutable_red_line_report() = report;
      }
      auto s = txn.Execute(
          "INSERT INTO ledger_entries (entry_id, sequence, kind, refers_to, breach_id, service, rule, department,"
          " staff_id, occurred_at, recorded_at, entry) VALUES (?, ?, ?, '', ?, 'repair', 'RK-4', 'operations', '', ?,"
          " ?, ?)",
          {row.id, row.sequence, static_cast<int64_t>(row.kind), row.breach_id, at, at,
           Blob{entry.SerializeAsString()}});
      if (!s.ok()) return s.status();
      s = txn.Execute(
          "INSERT INTO ledger_view (entry_id, sequence, kind, service, rule, department, staff_id, occurred_at,"
          " forced, voided, state, source, due_at, content) VALUES (?, ?, ?, 'repair', 'RK-4', 'operations', '', ?,"
          " 0, 0, ?, ?, NULL, ?)",
          {row.id, row.sequence, static_cast<int64_t>(row.kind), at, row.state, row.source, Blob{row.content}});
      if (!s.ok()) return s.status();
      s = txn.Execute(
          "INSERT INTO score_counts (department, staff_id, hour, kind, rule, state, n)"
          " VALUES ('operations', '', ?, ?, 'RK-4', ?, 1)"
          " ON CONFLICT (department, staff_id, hour, kind, rule, state) DO UPDATE SET n = score_counts.n + 1",
          {at / kMicrosPerHour, static_cast<int64_t>(row.kind), row.state});
      if (!s.ok()) return s.status();
    }
    return absl::OkStatus();
  });
}

class RiskSchemaTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string url = "sqlite::memory:";
    std::string schema;
    if (GetParam() == "postgresql") {
      const char* pg = std::getenv("GRIDSERVE_TEST_POSTGRES_URL");
      if (pg == nullptr) GTEST_SKIP() << "GRIDSERVE_TEST_POSTGRES_URL is not set";
      url = pg;
      schema = NewId("risk");  // a private schema per test
    }
    auto db = OpenDatabase(url, schema);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    ASSERT_TRUE(ApplyMigrations(*db_, clock_, "platform", PlatformMigrations()).ok());
  }

  FakeClock clock_{kStart};
  std::unique_ptr<Database> db_;
};

INSTANTIATE_TEST_SUITE_P(Backends, RiskSchemaTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

TEST_P(RiskSchemaTest, MigrationSixKeepsTheLedgerAndAddsClaims) {
  ASSERT_TRUE(ApplyMigrations(*db_, clock_, "risk", BeforeClaims()).ok());
  ASSERT_TRUE(InsertLegacyRk4(*db_, 1).ok());
  const absl::Status migrated = ApplyMigrations(*db_, clock_, "risk", RiskMigrations());
  ASSERT_TRUE(migrated.ok()) << migrated;
  ASSERT_TRUE(db_->InTransaction([&](Transaction& txn) -> absl::Status {
                   // Stored rows read back, counted in nothing yet.
                   auto breach = GetView(txn, "LE-1");
                   EXPECT_TRUE(breach.ok() && breach->has_value() && (*breach)->counted_in.empty());
                   // The backfill is pending once.
                   auto pending = TakeBackfill(txn, "red_line_claims");
                   EXPECT_TRUE(pending.ok() && *pending);
                   pending = TakeBackfill(txn, "red_line_claims");
                   EXPECT_TRUE(pending.ok() && !*pending);
                   // The first report to claim a breach holds it.
                   auto holder = ClaimBreach(txn, "repair/RK-4/outage/OUT-1", "RL-1");
                   EXPECT_TRUE(holder.ok() && *holder == "RL-1");
                   holder = ClaimBreach(txn, "repair/RK-4/outage/OUT-1", "RL-9");
                   EXPECT_TRUE(holder.ok() && *holder == "RL-1");
                   // Counted in its report, the breach leaves scores and statistics.
                   (*breach)->counted_in = "RL-1";
                   if (auto s = PutView(txn, **breach); !s.ok()) return s;
                   auto inputs = ScoreInputsFor(txn, "operations", "", kStart - absl::Hours(1));
                   if (!inputs.ok()) return inputs.status();
                   EXPECT_EQ(inputs->size(), 1u);
                   if (!inputs->empty()) {
                     EXPECT_EQ(inputs->front().kind, v1::LEDGER_ENTRY_KIND_RED_LINE_REPORT);
                   }
                   auto rows = StatisticsRows(txn, kStart - absl::Hours(1), kStart + absl::Hours(1));
                   if (!rows.ok()) return rows.status();
                   EXPECT_EQ(rows->size(), 1u);
                   auto claims = ClaimsOf(txn, "RL-1");
                   EXPECT_TRUE(claims.ok() && claims->size() == 1);
                   return ReleaseClaim(txn, "repair/RK-4/outage/OUT-1");
                 })
                  .ok());
  EXPECT_EQ(CountRows(*db_, "SELECT COUNT(*) FROM ledger_breach_claims"), 0);
  EXPECT_EQ(CountRows(*db_, "SELECT COUNT(*) FROM ledger_entries"), 2);
}

// A risk database from before migration 6 holding two automatic RK-4s, each
// counted twice then: started on it, the service counts each once.
TEST(RiskUpgradeTest, ReportsRecordedBeforeTheUpgradeClaimTheirBreachesAtStartUp) {
  const std::string path = ::gridserve::testing::TempDbPath("risk_claims_upgrade");
  {
    FakeClock clock(kStart);
    auto db = ::gridserve::testing::OpenPlatformDb(clock, "sqlite://" + path);
    ASSERT_TRUE(ApplyMigrations(*db, clock, "risk", BeforeClaims()).ok());
    ASSERT_TRUE(InsertLegacyRk4(*db, 1).ok());
    ASSERT_TRUE(InsertLegacyRk4(*db, 2).ok());
  }
  ::gridserve::testing::InProcessService::Options options;
  options.start = kStart + absl::Hours(1);
  options.database_url = "sqlite://" + path;
  auto service = ::gridserve::testing::InProcessService::Start(RiskSpec(), options);
  ASSERT_TRUE(service.ok()) << service.status();
  auto stub = v1::RiskMonitor::NewStub((*service)->channel());

  v1::GetStatisticsRequest stats;
  *stats.mutable_period()->mutable_start() = ToProto(kStart - absl::Hours(1));
  *stats.mutable_period()->mutable_end() = ToProto(kStart + absl::Hours(1));
  stats.set_rule("RK-4");
  stats.set_department("operations");
  v1::GetStatisticsResponse got;
  grpc::ClientContext stats_ctx;
  ASSERT_TRUE(stub->GetStatistics(&stats_ctx, stats, &got).ok());
  int64_t breaches = 0, reported = 0;  // (the catalogue's zero row for RK-4 is under service "risk")
  for (const auto& row : got.statistics()) {
    breaches += row.breach_count();
    reported += row.red_line_reported();
  }
  EXPECT_EQ(breaches, 0) << got.DebugString();
  EXPECT_EQ(reported, 2);

  v1::GetRiskScoresRequest scores;
  scores.set_department("operations");
  v1::GetRiskScoresResponse scored;
  grpc::ClientContext scores_ctx;
  ASSERT_TRUE(stub->GetRiskScores(&scores_ctx, scores, &scored).ok());
  ASSERT_EQ(scored.scores_size(), 1);
  EXPECT_EQ(scored.scores(0).score(), 10);
  EXPECT_EQ(scored.scores(0).breach_count(), 0);
  EXPECT_EQ(CountRows((*service)->db(), "SELECT COUNT(*) FROM ledger_breach_claims"), 2);
  EXPECT_EQ(CountRows((*service)->db(), "SELECT COUNT(*) FROM risk_backfills"), 0);
}

}  // namespace
}  // namespace gridserve::risk
