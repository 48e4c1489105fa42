// The counter's schema upgrades, run against SQLite always and against
// PostgreSQL when GRIDSERVE_TEST_POSTGRES_URL is set (ctest does so through
// tests/postgres/with-postgres.sh: counter_schema_postgresql).
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/counter/storage/counter_store.h"
#include "tests/common/test_db.h"
#include "tests/counter/counter_fixture.h"

namespace gridserve::counter::testing {
namespace {

using ::testing::SizeIs;

class CounterSchemaTest : public ::testing::TestWithParam<std::string> {
 protected:
  // A fresh database with the platform's tables and the counter's first
  // `counter_migrations` migrations.
  std::unique_ptr<Database> OpenAt(size_t counter_migrations) {
    std::unique_ptr<Database> db;
    if (GetParam() == "postgresql") {
      const char* url = std::getenv("GRIDSERVE_TEST_POSTGRES_URL");
      auto opened = OpenDatabase(url, NewId("t"));  // a private schema per test
      EXPECT_TRUE(opened.ok()) << opened.status();
      if (!opened.ok()) return nullptr;
      db = *std::move(opened);
    } else {
      auto opened = OpenDatabase("sqlite://" + gridserve::testing::TempDbPath(NewId("counter_schema")));
      EXPECT_TRUE(opened.ok()) << opened.status();
      if (!opened.ok()) return nullptr;
      db = *std::move(opened);
    }
    FakeClock clock(kDayStart);
    EXPECT_TRUE(ApplyMigrations(*db, clock, "platform", PlatformMigrations()).ok());
    const std::vector<Migration> before(CounterMigrations().begin(),
                                        CounterMigrations().begin() + static_cast<long>(counter_migrations));
    EXPECT_TRUE(ApplyMigrations(*db, clock, "counter", before).ok());
    return db;
  }

  void SetUp() override {
    if (GetParam() == "postgresql" && std::getenv("GRIDSERVE_TEST_POSTGRES_URL") == nullptr) {
      GTEST_SKIP() << "GRIDSERVE_TEST_POSTGRES_URL is not set";
    }
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, CounterSchemaTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

// Migration 6 keys counters by (hall_id, counter_id). A counter stored before
// (its id unique across halls then) comes through whole and keeps the subject
// "counter/<id>": its breaches still read back with it, and a CT-4 episode
// recorded before the upgrade keeps its breach id (judged again after it, it
// is not recorded twice). Another hall can then number a counter the same.
TEST_P(CounterSchemaTest, CountersStoredBeforeHallKeysComeThroughAndHallsNumberAlike) {
  std::unique_ptr<Database> db = OpenAt(5);
  ASSERT_NE(db, nullptr);
  // H1's counter C1 in back office with its session open, as stored before migration 6.
  const absl::Time back_office_since = kDayStart - absl::Minutes(30);
  v1::HallCounter legacy;
  legacy.set_counter_id("C1");
  legacy.set_hall_id("H1");
  legacy.set_state(v1::COUNTER_STATE_BACK_OFFICE);
  *legacy.mutable_state_since() = ToProto(back_office_since);
  legacy.set_session_id("SN-legacy");
  legacy.mutable_staff()->set_staff_id("S1");
  v1::CounterSession session;
  session.set_session_id("SN-legacy");
  session.set_hall_id("H1");
  session.set_counter_id("C1");
  session.mutable_staff()->set_staff_id("S1");
  session.set_state(v1::COUNTER_SESSION_STATE_OPEN);
  *session.mutable_opened_at() = ToProto(kDayStart - absl::Hours(1));
  ASSERT_TRUE(db->InTransaction([&](Transaction& txn) -> absl::Status {
                  auto inserted =
                      txn.Execute("INSERT INTO counter_counters (id, hall_id, state, body) VALUES (?, ?, ?, ?)",
                                  {std::string("C1"), std::string("H1"), static_cast<int64_t>(legacy.state()),
                                   Blob{legacy.SerializeAsString()}});
                  if (!inserted.ok()) return inserted.status();
                  return CounterStore(txn).SaveSession(session);
                }).ok());

  CounterEnv env(std::move(db));  // applies migration 6 and on
  EXPECT_EQ(
      gridserve::testing::CountRows(*env.db,
                                    "SELECT COUNT(*) FROM counter_counters WHERE hall_id = 'H1' AND counter_id = 'C1'"
                                    " AND subject = 'counter/C1'"),
      1);
  // The CT-4 episode as recorded before the upgrade: a ticket waits beyond the limit.
  env.Issue("payment", {}, kDayStart - absl::Minutes(20));
  const std::string legacy_breach_id = absl::StrCat("counter/CT-4/counter/C1/", ToMicros(back_office_since));
  ASSERT_TRUE(env.db
                  ->InTransaction([&](Transaction& txn) -> absl::Status {
                    v1::Breach breach;
                    breach.set_breach_id(legacy_breach_id);
                    breach.set_service("counter");
                    breach.set_rule("CT-4");
                    breach.set_department("business-hall");
                    breach.set_subject("counter/C1");
                    breach.set_mechanism(v1::MECHANISM_CHECK);
                    *breach.mutable_occurred_at() = ToProto(kDayStart - absl::Minutes(5));
                    return env.breaches.Record(txn, breach).status();
                  })
                  .ok());
  env.Background();  // the same episode, judged after the upgrade
  auto breaches = env.Breaches("CT-4");
  ASSERT_THAT(breaches, SizeIs(1));
  EXPECT_EQ(breaches[0].breach_id(), legacy_breach_id);

  // H2 numbers a counter C1 too.
  v1::OpenSessionRequest open;
  open.set_hall_id("H2");
  open.set_counter_id("C1");
  open.mutable_staff()->set_staff_id("S2");
  *open.mutable_opened_at() = ToProto(env.clock.Now());
  auto opened = env.Run([&](Transaction& t) { return env.workflow.OpenSession(t, open); });
  ASSERT_TRUE(opened.ok()) << opened.status();

  v1::ListCountersResponse h1 = env.CountersOf("H1");
  ASSERT_THAT(h1.counters(), SizeIs(1));
  EXPECT_EQ(h1.counters(0).session_id(), "SN-legacy");
  EXPECT_EQ(h1.counters(0).state(), v1::COUNTER_STATE_BACK_OFFICE);
  ASSERT_THAT(h1.counters(0).breaches(), SizeIs(1));
  EXPECT_EQ(h1.counters(0).breaches(0).breach_id(), legacy_breach_id);
  v1::ListCountersResponse h2 = env.CountersOf("H2");
  ASSERT_THAT(h2.counters(), SizeIs(1));
  EXPECT_EQ(h2.counters(0).session_id(), opened->session().session_id());
  EXPECT_THAT(h2.counters(0).breaches(), SizeIs(0));

  // The stored counter goes on working, by its hall and number.
  v1::SetCounterStateRequest change;
  change.set_hall_id("H1");
  change.set_counter_id("C1");
  change.set_state(v1::COUNTER_STATE_IN_SERVICE);
  *change.mutable_changed_at() = ToProto(env.clock.Now());
  auto changed = env.Run([&](Transaction& t) { return env.workflow.SetCounterState(t, change); });
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(changed->counter().state(), v1::COUNTER_STATE_IN_SERVICE);
  EXPECT_THAT(env.Breaches("CT-4"), SizeIs(1));
}

// CT-7 on every backend: the conversion clock the sweep breached while the
// customer queued is handed to the visit as it is (the platform's clock row
// moves, SlaClock::HandOverBreached), and no sweep breaches it again.
TEST_P(CounterSchemaTest, ABreachedConversionClockIsHandedOverOnce) {
  std::unique_ptr<Database> db = OpenAt(CounterMigrations().size());
  ASSERT_NE(db, nullptr);
  CounterEnv env(std::move(db));
  v1::Ticket ticket = env.Issue();
  env.OpenFailure();
  env.clock.Advance(absl::Minutes(40));  // long at minute 15, conversion due at 30
  env.Background();
  env.Sweep();
  ASSERT_THAT(env.Breaches("CT-7"), SizeIs(1));
  env.Open();
  ASSERT_TRUE(env.Call(ticket.ticket_id(), /*apologised=*/true).ok());
  v1::Visit visit = env.Start(ticket.ticket_id());
  auto clock = env.Sla(kSlaFailureConversion, VisitSubject(visit.visit_id()));
  ASSERT_TRUE(clock.has_value());
  EXPECT_EQ(clock->state, SlaState::kBreached);
  env.clock.Advance(absl::Minutes(1));
  env.Sweep();
  EXPECT_THAT(env.Breaches("CT-7"), SizeIs(1));
  EXPECT_EQ(env.SlaTotal(kSlaFailureConversion, "breached"), 1);
}

}  // namespace
}  // namespace gridserve::counter::testing
