// The storage contract every backend must keep, run against SQLite always and
// against PostgreSQL when GRIDSERVE_TEST_POSTGRES_URL is set (ctest does so
// through tests/postgres/with-postgres.sh).
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/breach_recorder.h"
#include "services/common/config.h"
#include "services/common/idempotency.h"
#include "services/common/kept_counts.h"
#include "services/common/migrations.h"
#include "services/common/outbox.h"
#include "services/common/retention.h"
#include "services/common/rpc_util.h"
#include "services/common/sla_clock.h"
#include "tests/common/test_db.h"

namespace gridserve {
namespace {

using testing::kStart;

class StorageConformanceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgresql") {
      const char* url = std::getenv("GRIDSERVE_TEST_POSTGRES_URL");
      if (url == nullptr) GTEST_SKIP() << "GRIDSERVE_TEST_POSTGRES_URL is not set";
      url_ = url;
      schema_ = NewId("t");  // a private schema per test
    } else {
      url_ = "sqlite://" + testing::TempDbPath(NewId("conformance")) + "?locking_mode=normal";  // Open() = a second replica
    }
    db_ = Open();
    ASSERT_TRUE(ApplyMigrations(*db_, clock_, "platform", PlatformMigrations()).ok());
  }

  // Another connection to the same database: a second replica.
  std::unique_ptr<Database> Open() {
    auto db = OpenDatabase(url_, schema_);
    EXPECT_TRUE(db.ok()) << db.status();
    return db.ok() ? *std::move(db) : nullptr;
  }

  FakeClock clock_{kStart};
  std::string url_;
  std::string schema_;
  std::unique_ptr<Database> db_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StorageConformanceTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

TEST_P(StorageConformanceTest, ValuesRoundTrip) {
  const std::string bytes("\0\x01\xff binary", 10);
  const int64_t micros = ToMicros(kStart) * 10;  // beyond 32 bits
  ASSERT_TRUE(db_->InTransaction([&](Transaction& txn) {
                   return txn.ExecuteScript("CREATE TABLE kinds (k TEXT PRIMARY KEY, n INTEGER, d REAL, b BLOB, t TEXT)");
                 }).ok());
  ASSERT_TRUE(db_->InTransaction([&](Transaction& txn) {
                   return txn.Execute("INSERT INTO kinds (k, n, d, b, t) VALUES (?, ?, ?, ?, ?)",
                                      {std::string("a"), micros, 2.5, Blob{bytes}, nullptr})
                       .status();
                 }).ok());
  const double third = 1.0 / 3;  // every one of its 17 digits must come back
  ASSERT_TRUE(db_->InTransaction([&](Transaction& txn) {
                   return txn.Execute("INSERT INTO kinds (k, d) VALUES (?, ?)", {std::string("third"), third}).status();
                 }).ok());
  ASSERT_TRUE(db_->InTransaction([&](Transaction& txn) -> absl::Status {
                   auto rows = txn.Query("SELECT n, d, b, t, COUNT(*) OVER () FROM kinds WHERE k = ?", {std::string("a")});
                   if (!rows.ok()) return rows.status();
                   EXPECT_EQ((*rows)[0].Int(0), micros);
                   EXPECT_EQ((*rows)[0].Double(1), 2.5);
                   EXPECT_EQ((*rows)[0].Text(2), bytes);
                   EXPECT_TRUE((*rows)[0].IsNull(3));
                   auto third_back = txn.Query("SELECT d FROM kinds WHERE k = ?", {std::string("third")});
                   if (!third_back.ok()) return third_back.status();
                   EXPECT_EQ((*third_back)[0].Double(0), third);
                   return absl::OkStatus();
                 }).ok());
}

TEST_P(StorageConformanceTest, ConflictIsAlreadyExistsAndTheTransactionGoesOn) {
  absl::Status status = db_->InTransaction([&](Transaction& txn) -> absl::Status {
    if (auto s = EnqueueOutbox(txn, clock_.Now(), "m-1", kTopicRiskBreach, "x"); !s.ok()) return s;
    auto again = txn.Execute(
        "INSERT INTO outbox (message_id, topic, payload, created_at, next_attempt_at, attempts) VALUES (?, ?, ?, 0, 0, 0)",
        {std::string("m-1"), std::string("t"), Blob{"y"}});
    EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
    // Still usable after the conflict (PostgreSQL would abort it without a savepoint).
    return EnqueueOutbox(txn, clock_.Now(), "m-2", kTopicRiskBreach, "z");
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(testing::CountRows(*db_, "SELECT COUNT(*) FROM outbox"), 2);
}

TEST_P(StorageConformanceTest, RollbackDiscardsWorkAndAfterCommitHooks) {
  bool hook_ran = false;
  absl::Status status = db_->InTransaction([&](Transaction& txn) -> absl::Status {
    txn.AfterCommit([&] { hook_ran = true; });
    if (auto s = EnqueueOutbox(txn, clock_.Now(), "m-1", kTopicRiskBreach, "x"); !s.ok()) return s;
    return absl::FailedPreconditionError("no");
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(hook_ran);
  EXPECT_EQ(testing::CountRows(*db_, "SELECT COUNT(*) FROM outbox"), 0);
  ASSERT_TRUE(db_->InTransaction([&](Transaction& txn) {
                   txn.AfterCommit([&] { hook_ran = true; });
                   return absl::OkStatus();
                 }).ok());
  EXPECT_TRUE(hook_ran);
}

// A body that throws (a bug: a row read past its columns) is a failed body:
// INTERNAL, rolled back, and the store goes on taking writes and reads. Let
// through, it left SQLite's group commit led by nobody (every later write
// waited for ever) and PostgreSQL's pooled connection inside its transaction.
TEST_P(StorageConformanceTest, ABodyThatThrowsIsRolledBackAndTheStoreGoesOn) {
  for (int round = 0; round < 2; ++round) {
    absl::Status thrown = db_->InTransaction([&](Transaction& txn) -> absl::Status {
      if (auto s = EnqueueOutbox(txn, clock_.Now(), absl::StrCat("thrown-", round), kTopicRiskBreach, "x"); !s.ok()) {
        return s;
      }
      auto rows = txn.Query("SELECT COUNT(*) FROM outbox");
      if (!rows.ok()) return rows.status();
      return absl::InternalError(absl::StrCat((*rows)[0].Text(7)));  // no column 7: Row throws out_of_range
    });
    EXPECT_EQ(thrown.code(), absl::StatusCode::kInternal) << thrown;
    EXPECT_THAT(std::string(thrown.message()), ::testing::HasSubstr("threw"));
    absl::Status read_thrown = db_->InReadTransaction([&](Transaction& txn) -> absl::Status {
      auto rows = txn.Query("SELECT COUNT(*) FROM outbox");
      if (!rows.ok()) return rows.status();
      return absl::InternalError((*rows)[0].Text(7));
    });
    EXPECT_EQ(read_thrown.code(), absl::StatusCode::kInternal) << read_thrown;
  }
  EXPECT_EQ(testing::CountRows(*db_, "SELECT COUNT(*) FROM outbox"), 0);
  ASSERT_TRUE(db_->InTransaction([&](Transaction& txn) {
                   return EnqueueOutbox(txn, clock_.Now(), "after", kTopicRiskBreach, "y");
                 }).ok());
  EXPECT_EQ(testing::CountRows(*db_, "SELECT COUNT(*) FROM outbox"), 1);
}

// A body that ignores a failed statement and returns OK is either committed
// whole (SQLite goes on after a failed statement) or refused; never reported
// committed with nothing written (PostgreSQL answers COMMIT of a transaction
// a failed statement aborted with a silent ROLLBACK).
TEST_P(StorageConformanceTest, ABodyGoingOnAfterAFailedStatementIsNeverAcknowledgedUnwritten) {
  absl::Status status = db_->InTransaction([&](Transaction& txn) -> absl::Status {
    auto ignored = txn.Execute("UPDATE outbox SET attempts = 1 WHERE no_such_column = 1");
    EXPECT_FALSE(ignored.ok());
    (void)EnqueueOutbox(txn, clock_.Now(), "m-after-error", kTopicRiskBreach, "x");
    return absl::OkStatus();
  });
  const int64_t stored = testing::CountRows(*db_, "SELECT COUNT(*) FROM outbox");
  if (status.ok()) {
    EXPECT_EQ(stored, 1) << "acknowledged, but nothing was written";
  } else {
    EXPECT_EQ(status.code(), absl::StatusCode::kInternal) << status;
    EXPECT_EQ(stored, 0);
  }
  if (GetParam() == "postgresql") {
    EXPECT_FALSE(status.ok());
  }
}

// A text value holding a NUL is stored whole or refused, never cut at the
// NUL (PostgreSQL's text would make "W-1\0x" the id "W-1").
TEST_P(StorageConformanceTest, TextWithANulIsStoredWholeOrRefused) {
  const std::string with_nul("W-1\0x", 5);
  ASSERT_TRUE(db_->InTransaction([&](Transaction& txn) {
                   return txn.ExecuteScript("CREATE TABLE ids (id TEXT PRIMARY KEY)");
                 }).ok());
  absl::Status inserted = db_->InTransaction([&](Transaction& txn) {
    return txn.Execute("INSERT INTO ids (id) VALUES (?)", {with_nul}).status();
  });
  const int64_t cut = testing::CountRows(*db_, "SELECT COUNT(*) FROM ids WHERE id = 'W-1'");
  EXPECT_EQ(cut, 0) << "stored cut at the NUL";
  if (inserted.ok()) {
    ASSERT_TRUE(db_->InReadTransaction([&](Transaction& txn) -> absl::Status {
                     auto rows = txn.Query("SELECT id FROM ids");
                     if (!rows.ok()) return rows.status();
                     EXPECT_EQ(rows->size(), 1u);
                     if (!rows->empty()) {
                       EXPECT_EQ((*rows)[0].Text(0), with_nul);
                     }
                     return absl::OkStatus();
                   }).ok());
  } else {
    EXPECT_EQ(inserted.code(), absl::StatusCode::kInvalidArgument) << inserted;
  }
}

// A read transaction sees one state for all its statements (a replica's
// commit in between stays invisible to it), refuses to write, and changes nothing.
TEST_P(StorageConformanceTest, ReadTransactionsSeeOneStateAndNeverWrite) {
  const auto count_outbox = [](Transaction& txn) -> absl::StatusOr<int64_t> {
    auto rows = txn.Query("SELECT COUNT(*) FROM outbox");
    if (!rows.ok()) return rows.status();
    return (*rows)[0].Int(0);
  };
  ASSERT_TRUE(db_->InTransaction([&](Transaction& txn) {
                   return EnqueueOutbox(txn, clock_.Now(), "m-1", kTopicRiskBreach, "x");
                 }).ok());
  auto replica = Open();
  ASSERT_NE(replica, nullptr);

  std::vector<int64_t> seen;
  bool hook_ran = false;
  absl::Status read = db_->InReadTransaction([&](Transaction& txn) -> absl::Status {
    txn.AfterCommit([&] { hook_ran = true; });
    auto before = count_outbox(txn);
    if (!before.ok()) return before.status();
    seen.push_back(*before);
    absl::Status written = replica->InTransaction([&](Transaction& other) {
      return EnqueueOutbox(other, clock_.Now(), "m-2", kTopicRiskBreach, "y");
    });
    if (!written.ok()) return written;
    auto after = count_outbox(txn);
    if (!after.ok()) return after.status();
    seen.push_back(*after);
    return absl::OkStatus();
  });
  ASSERT_TRUE(read.ok()) << read;
  EXPECT_EQ(seen, (std::vector<int64_t>{1, 1}));
  EXPECT_TRUE(hook_ran);
  EXPECT_EQ(*InReadTransactionResult<int64_t>(*db_, count_outbox), 2);  // the next read sees the replica's row

  hook_ran = false;
  absl::Status refused = db_->InReadTransaction([&](Transaction& txn) -> absl::Status {
    txn.AfterCommit([&] { hook_ran = true; });
    return EnqueueOutbox(txn, clock_.Now(), "m-3", kTopicRiskBreach, "z");
  });
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_FALSE(hook_ran);
  EXPECT_EQ(testing::CountRows(*db_, "SELECT COUNT(*) FROM outbox"), 2);
  // The connection is usable afterwards, for reads and writes.
  ASSERT_TRUE(db_->InTransaction([&](Transaction& txn) {
                   return EnqueueOutbox(txn, clock_.Now(), "m-4", kTopicRiskBreach, "w");
                 }).ok());
  EXPECT_EQ(*InReadTransactionResult<int64_t>(*db_, count_outbox), 3);
}

// A read runs beside the same database's write in progress: it neither waits
// for it (SQLite: a reader connection, not the writer's queue) nor sees it.
TEST_P(StorageConformanceTest, AReadDoesNotWaitForAWriteInProgress) {
  absl::Notification written, release;
  std::thread writer([&] {
    absl::Status status = db_->InTransaction([&](Transaction& txn) -> absl::Status {
      absl::Status enqueued = EnqueueOutbox(txn, clock_.Now(), "m-1", kTopicRiskBreach, "x");
      written.Notify();
      release.WaitForNotification();
      return enqueued;
    });
    EXPECT_TRUE(status.ok()) << status;
  });
  written.WaitForNotification();
  // Were the read to wait for the writer, it would never end: bounded, so
  // that shows as a failure, not a hung test.
  auto read = std::async(std::launch::async, [&] {
    return testing::CountRows(*db_, "SELECT COUNT(*) FROM outbox");
  });
  const bool answered = read.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
  EXPECT_TRUE(answered) << "a read waited for the write in progress";
  release.Notify();
  writer.join();
  if (answered) {
    EXPECT_EQ(read.get(), 0);
  }
  EXPECT_EQ(testing::CountRows(*db_, "SELECT COUNT(*) FROM outbox"), 1);
}

// A connection the server dropped (a restart, a failover, an administrator)
// fails its transaction once and is reconnected in the service's own schema:
// the service's tables are found again, not looked for in `public`.
TEST_P(StorageConformanceTest, AReconnectedConnectionKeepsTheServiceSchema) {
  if (GetParam() != "postgresql") GTEST_SKIP() << "a SQLite file has no server to drop the connection";
  const auto backend_pid = [](Transaction& txn) -> absl::StatusOr<int64_t> {
    auto rows = txn.Query("SELECT pg_backend_pid()");
    if (!rows.ok()) return rows.status();
    return rows->at(0).Int(0);
  };
  // The pool hands out its most recently used connection: this one is next.
  auto pid = InTransactionResult<int64_t>(*db_, backend_pid);
  ASSERT_TRUE(pid.ok()) << pid.status();
  std::unique_ptr<Database> administrator = Open();
  ASSERT_NE(administrator, nullptr);
  const absl::Status terminated = administrator->InTransaction([&](Transaction& txn) {
    return txn.Query("SELECT pg_terminate_backend(CAST(? AS INTEGER))", {*pid}).status();
  });
  ASSERT_TRUE(terminated.ok()) << terminated;
  const auto count_migrations = [](Transaction& txn) -> absl::StatusOr<int64_t> {
    auto rows = txn.Query("SELECT COUNT(*) FROM schema_migrations");
    if (!rows.ok()) return rows.status();
    return rows->at(0).Int(0);
  };
  auto on_dropped = InTransactionResult<int64_t>(*db_, count_migrations);
  EXPECT_FALSE(on_dropped.ok()) << "the terminated connection answered";
  auto reconnected = InTransactionResult<int64_t>(*db_, count_migrations);
  ASSERT_TRUE(reconnected.ok()) << reconnected.status();
  EXPECT_GT(*reconnected, 0);
  auto new_pid = InTransactionResult<int64_t>(*db_, backend_pid);
  ASSERT_TRUE(new_pid.ok()) << new_pid.status();
  EXPECT_NE(*new_pid, *pid) << "the same connection was used again without a reconnect";
}

// Inside a StoreReadScope (a store read on gRPC's thread) a write
// transaction is refused before it runs; reads go on.
TEST_P(StorageConformanceTest, AStoreReadScopeRefusesWritesAndAllowsReads) {
  {
    StoreReadScope scope;
    bool ran = false;
    absl::Status write = db_->InTransaction([&](Transaction& txn) {
      ran = true;
      return EnqueueOutbox(txn, clock_.Now(), "m-1", kTopicRiskBreach, "x");
    });
    EXPECT_EQ(write.code(), absl::StatusCode::kFailedPrecondition) << write;
    EXPECT_NE(write.message().find("store_read"), absl::string_view::npos) << write;
    EXPECT_FALSE(ran);
    EXPECT_EQ(testing::CountRows(*db_, "SELECT COUNT(*) FROM outbox"), 0);
  }
  // Outside the scope writes run again.
  EXPECT_TRUE(db_->InTransaction([&](Transaction& txn) {
                   return EnqueueOutbox(txn, clock_.Now(), "m-1", kTopicRiskBreach, "x");
                 }).ok());
  EXPECT_EQ(testing::CountRows(*db_, "SELECT COUNT(*) FROM outbox"), 1);
}

TEST_P(StorageConformanceTest, MigrationsApplyOnce) {
  auto other = Open();
  ASSERT_TRUE(ApplyMigrations(*other, clock_, "platform", PlatformMigrations()).ok());
  EXPECT_EQ(testing::CountRows(*db_, "SELECT COUNT(*) FROM schema_migrations WHERE component = 'platform'"),
            static_cast<int64_t>(PlatformMigrations().size()));
}

// A kept count reads what counting the table would (SQLite keeps it with
// triggers, PostgreSQL counts): rows stored before it was kept, inserts,
// changes of key, into and out of "not counted", changes of other columns,
// deletes, and a rolled-back change.
TEST_P(StorageConformanceTest, KeptCountsAgreeWithCountingTheTable) {
  const KeptCount count{"items_live_by_kind", "items", "CASE WHEN NEW.state <> 'closed' THEN NEW.kind || '/' || NEW.n END"};
  auto run = [&](const std::string& sql) {
    ASSERT_TRUE(db_->InTransaction([&](Transaction& txn) { return txn.Execute(sql).status(); }).ok()) << sql;
  };
  auto read = [&] {
    std::map<std::string, int64_t> counts;
    EXPECT_TRUE(db_->InTransaction([&](Transaction& txn) -> absl::Status {
                     auto read = ReadKeptCount(txn, db_->dialect(), count);
                     if (!read.ok()) return read.status();
                     for (const auto& [key, n] : *read) {
                       if (n != 0) counts[key] = n;
                     }
                     return absl::OkStatus();
                   }).ok());
    return counts;
  };
  using Counts = std::map<std::string, int64_t>;
  ASSERT_TRUE(db_->InTransaction([&](Transaction& txn) {
                   return txn.ExecuteScript("CREATE TABLE items (id TEXT PRIMARY KEY, kind TEXT NOT NULL,"
                                            " n INTEGER NOT NULL, state TEXT NOT NULL, note TEXT)");
                 }).ok());
  run("INSERT INTO items (id, kind, n, state) VALUES ('a', 'x', 1, 'open'), ('b', 'x', 1, 'open'),"
      " ('c', 'y', 2, 'closed')");
  ASSERT_TRUE(ApplyMigrations(*db_, clock_, "items", {KeptCountMigration(1, count)}).ok());
  EXPECT_EQ(read(), (Counts{{"x/1", 2}}));

  run("INSERT INTO items (id, kind, n, state) VALUES ('d', 'y', 2, 'open')");
  run("UPDATE items SET n = 3 WHERE id = 'b'");             // another key
  run("UPDATE items SET state = 'closed' WHERE id = 'a'");  // no longer counted
  run("UPDATE items SET state = 'open' WHERE id = 'c'");    // counted again
  run("UPDATE items SET note = 'seen' WHERE id = 'd'");     // not the key
  EXPECT_EQ(read(), (Counts{{"x/3", 1}, {"y/2", 2}}));
  run("DELETE FROM items WHERE id = 'd'");
  run("DELETE FROM items WHERE id = 'a'");  // was not counted
  EXPECT_TRUE(absl::IsFailedPrecondition(db_->InTransaction([&](Transaction& txn) -> absl::Status {
    if (auto s = txn.Execute("INSERT INTO items (id, kind, n, state) VALUES ('e', 'z', 1, 'open')"); !s.ok()) {
      return s.status();
    }
    return absl::FailedPreconditionError("rolled back");
  })));
  EXPECT_EQ(read(), (Counts{{"x/3", 1}, {"y/2", 1}}));
  EXPECT_EQ(testing::CountRows(*db_, "SELECT COUNT(*) FROM items WHERE state <> 'closed'"), 2);
}

// Replicas starting at once on one fresh database (a rollout or an autoscaler
// on PostgreSQL): every one of them starts, and each migration is applied once.
TEST_P(StorageConformanceTest, ReplicasMigratingAtOnceAllStartAndApplyEachVersionOnce) {
  std::string url = url_;
  std::string schema = schema_;
  if (GetParam() == "postgresql") {
    schema = NewId("m");  // no schema_migrations table yet either
  } else {
    url = "sqlite://" + testing::TempDbPath(NewId("migrate")) + "?locking_mode=normal";
  }
  const std::vector<Migration> migrations = {
      {1, "table", "CREATE TABLE races (id INTEGER PRIMARY KEY, note TEXT NOT NULL)"},
      {2, "index", "CREATE INDEX races_note ON races (note)"},
      {3, "data", "INSERT INTO races (id, note) VALUES (1, 'once')"},
  };
  constexpr int kReplicas = 4;
  std::vector<std::unique_ptr<Database>> replicas;
  for (int i = 0; i < kReplicas; ++i) {
    auto db = OpenDatabase(url, schema);
    ASSERT_TRUE(db.ok()) << db.status();
    replicas.push_back(*std::move(db));
  }
  std::vector<absl::Status> started(kReplicas);
  absl::Notification go;
  std::vector<std::thread> threads;
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] {
      go.WaitForNotification();
      started[i] = ApplyMigrations(*replicas[i], clock_, "race", migrations);
    });
  }
  go.Notify();
  for (auto& t : threads) t.join();
  for (const absl::Status& s : started) EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(testing::CountRows(*replicas[0], "SELECT COUNT(*) FROM races"), 1);
  EXPECT_EQ(testing::CountRows(*replicas[0], "SELECT COUNT(*) FROM schema_migrations WHERE component = 'race'"), 3);
}

// Two replicas racing on one database: every outbox message delivered once,
// every SLA expiry recorded once, breach sequences unique and gap-free.
TEST_P(StorageConformanceTest, TwoReplicasRacingStayCorrect) {
  auto replica = Open();
  ServiceMetrics metrics("contact-center", "test", DefaultConfig());
  BreachRecorder breaches_a("contact-center", clock_, &metrics, BreachRecorder::OutboxToRisk(clock_));
  BreachRecorder breaches_b("contact-center", clock_, &metrics, BreachRecorder::OutboxToRisk(clock_));
  SlaClock sla_a(clock_, breaches_a, &metrics);
  SlaClock sla_b(clock_, breaches_b, &metrics);
  constexpr int kTimers = 60;
  for (int i = 0; i < kTimers; ++i) {
    ASSERT_TRUE(db_->InTransaction([&](Transaction& txn) {
                     return sla_a.Start(txn, SlaTimer{"complaint_reply", "case/" + std::to_string(i), "repair", "",
                                                      clock_.Now(), clock_.Now() + absl::Minutes(1)});
                   }).ok());
  }
  clock_.Advance(absl::Minutes(2));
  std::atomic<int> expired{0};
  std::thread a([&] { expired += sla_a.Sweep(*db_, 7).value_or(0); });
  std::thread b([&] { expired += sla_b.Sweep(*replica, 5).value_or(0); });
  a.join();
  b.join();
  // A replica that lost every retry of a conflict leaves the rest to the next pass.
  for (int n = 1; n > 0;) {
    n = sla_a.Sweep(*db_, 7).value_or(0) + sla_b.Sweep(*replica, 5).value_or(0);
    expired += n;
  }
  EXPECT_EQ(expired.load(), kTimers);
  EXPECT_EQ(testing::CountRows(*db_, "SELECT COUNT(*) FROM breaches"), kTimers);
  EXPECT_EQ(testing::CountRows(*db_, "SELECT COUNT(DISTINCT sequence) FROM breaches"), kTimers);
  EXPECT_EQ(testing::CountRows(*db_, "SELECT MAX(sequence) FROM breaches"), kTimers);

  std::mutex mu;
  std::multiset<std::string> delivered;
  auto handler = [&](const OutboxMessage& m) {
    std::lock_guard<std::mutex> lock(mu);
    delivered.insert(m.message_id);
    return absl::OkStatus();
  };
  OutboxRelay relay_a(*db_, clock_, OutboxOptions{});
  OutboxRelay relay_b(*replica, clock_, OutboxOptions{});
  relay_a.RegisterHandler(kTopicRiskBreach, handler);
  relay_b.RegisterHandler(kTopicRiskBreach, handler);
  std::thread ra([&] { (void)relay_a.DeliverDue(); });
  std::thread rb([&] { (void)relay_b.DeliverDue(); });
  ra.join();
  rb.join();
  (void)relay_a.DeliverDue();  // anything a lost race left for later
  EXPECT_EQ(delivered.size(), static_cast<size_t>(kTimers));
  EXPECT_EQ(std::set<std::string>(delivered.begin(), delivered.end()).size(), static_cast<size_t>(kTimers));
}

TEST_P(StorageConformanceTest, IdempotentCallsAnswerTheSameOnEveryReplica) {
  auto replica = Open();
  google::protobuf::Timestamp request = ToProto(kStart);
  int runs = 0;
  auto body = [&](Transaction& txn) -> absl::StatusOr<google::protobuf::Timestamp> {
    ++runs;
    if (auto s = EnqueueOutbox(txn, clock_.Now(), "m-" + std::to_string(runs), kTopicRiskBreach, "x"); !s.ok()) return s;
    return ToProto(kStart + absl::Seconds(runs));
  };
  auto first = RunOnce<google::protobuf::Timestamp>(*db_, clock_, "T/Create", "r-1", request, body);
  auto second = RunOnce<google::protobuf::Timestamp>(*replica, clock_, "T/Create", "r-1", request, body);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->seconds(), second->seconds());
  EXPECT_EQ(runs, 1);
}

// Retention: expired idempotency keys and delivered outbox messages are
// deleted, oldest first and in batches; an undelivered message never is, and
// a read model still reads a deleted delivered message as delivered.
TEST_P(StorageConformanceTest, RetentionDeletesOnlyWhatExpired) {
  google::protobuf::Timestamp request = ToProto(kStart);
  auto answer = [&](Transaction&) -> absl::StatusOr<google::protobuf::Timestamp> { return ToProto(kStart); };
  auto enqueue = [&](const std::string& id) {
    ASSERT_TRUE(db_->InTransaction([&](Transaction& txn) {
                     return EnqueueOutbox(txn, clock_.Now(), id, kTopicRiskBreach, "x");
                   }).ok());
  };
  // Day 0: five answered requests, three messages of which two are delivered.
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(RunOnce<google::protobuf::Timestamp>(*db_, clock_, "T/Create", "old-" + std::to_string(i), request,
                                                     answer)
                    .ok());
  }
  for (const char* id : {"delivered-1", "delivered-2", "stuck"}) enqueue(id);
  OutboxRelay relay(*db_, clock_, OutboxOptions{});
  relay.RegisterHandler(kTopicRiskBreach, [](const OutboxMessage& m) {
    return m.message_id == "stuck" ? absl::InvalidArgumentError("refused") : absl::OkStatus();
  });
  ASSERT_EQ(*relay.DeliverDue(), 2);
  // Day 20: one more of each.
  clock_.Advance(absl::Hours(24 * 20));
  ASSERT_TRUE(RunOnce<google::protobuf::Timestamp>(*db_, clock_, "T/Create", "new", request, answer).ok());
  enqueue("delivered-3");
  clock_.Advance(absl::Hours(1));
  ASSERT_EQ(*relay.DeliverDue(), 1);

  // Day 20: nothing is 30 days old yet; the day-0 deliveries are past 7 days.
  const RetentionOptions options{absl::Hours(24 * 30), absl::Hours(24 * 7), /*batch_size=*/2};
  auto pruned = PruneExpired(*db_, clock_, options);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(pruned->idempotency_keys, 0);
  EXPECT_EQ(pruned->outbox_messages, 2);
  EXPECT_EQ(testing::CountRows(*db_, "SELECT COUNT(*) FROM outbox"), 2);  // "stuck" and delivered-3
  absl::Status read = db_->InReadTransaction([&](Transaction& txn) -> absl::Status {
    EXPECT_TRUE(*OutboxDelivered(txn, "delivered-1"));  // deleted, so delivered
    EXPECT_FALSE(*OutboxDelivered(txn, "stuck"));
    return absl::OkStatus();
  });
  ASSERT_TRUE(read.ok());

  // Day 31: the day-0 keys (in three batches of two) and delivered-3 go;
  // the day-20 key (its retry still gets the stored answer) and the
  // undelivered message stay.
  clock_.Advance(absl::Hours(24 * 11));
  pruned = PruneExpired(*db_, clock_, options);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(pruned->idempotency_keys, 5);
  EXPECT_EQ(pruned->outbox_messages, 1);
  EXPECT_EQ(testing::CountRows(*db_, "SELECT COUNT(*) FROM idempotency_keys"), 1);
  EXPECT_EQ(testing::CountRows(*db_, "SELECT COUNT(*) FROM outbox"), 1);
  EXPECT_EQ(testing::CountRows(*db_, "SELECT COUNT(*) FROM outbox WHERE message_id = 'stuck'"), 1);
  int runs = 0;
  auto counted = [&](Transaction&) -> absl::StatusOr<google::protobuf::Timestamp> {
    ++runs;
    return ToProto(kStart);
  };
  ASSERT_TRUE(RunOnce<google::protobuf::Timestamp>(*db_, clock_, "T/Create", "new", request, counted).ok());
  EXPECT_EQ(runs, 0);  // still answered from the stored response
}

// A key stored while the clock stood ahead (then stepped back) is not yet
// expired when the keys stored after it are: it must not hold their pruning
// back to one batch less one key per pass.
TEST_P(StorageConformanceTest, RetentionGoesPastAKeyStoredWhileTheClockStoodAhead) {
  google::protobuf::Timestamp request = ToProto(kStart);
  auto answer = [&](Transaction&) -> absl::StatusOr<google::protobuf::Timestamp> { return ToProto(kStart); };
  clock_.Set(kStart + absl::Hours(24 * 40));
  ASSERT_TRUE(RunOnce<google::protobuf::Timestamp>(*db_, clock_, "T/Create", "ahead", request, answer).ok());
  clock_.Set(kStart);
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(RunOnce<google::protobuf::Timestamp>(*db_, clock_, "T/Create", "old-" + std::to_string(i), request,
                                                     answer)
                    .ok());
  }
  clock_.Set(kStart + absl::Hours(24 * 31));
  const RetentionOptions options{absl::Hours(24 * 30), absl::Hours(24 * 7), /*batch_size=*/2};
  auto pruned = PruneExpired(*db_, clock_, options, /*max_pass=*/absl::Hours(1));
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(pruned->idempotency_keys, 7);
  EXPECT_FALSE(pruned->more);
  EXPECT_EQ(testing::CountRows(*db_, "SELECT COUNT(*) FROM idempotency_keys"), 1);  // "ahead", 9 days from expiring
}

}  // namespace
}  // namespace gridserve
