// The SQLite backend's own behaviour: who may open a file, and the URL form.
// (What every backend must do is in storage_conformance_test.cc.)
#include "services/common/sqlite_database.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "tests/common/test_db.h"

namespace gridserve {
namespace {

absl::Status Insert(Database& db, const std::string& key) {
  return db.InTransaction([&](Transaction& txn) {
    return txn.Execute("INSERT INTO kv (k) VALUES (?)", {key}).status();
  });
}

int64_t Count(Database& db) { return testing::CountRows(db, "SELECT COUNT(*) FROM kv"); }

TEST(SqliteDatabaseTest, AFileIsOwnedByOneConnectionAndASecondIsRefusedAtOpen) {
  const std::string path = testing::TempDbPath("sqlite_exclusive");
  auto owner = OpenSqliteDatabase(path);
  ASSERT_TRUE(owner.ok()) << owner.status();
  ASSERT_TRUE((*owner)->InTransaction([](Transaction& txn) { return txn.ExecuteScript("CREATE TABLE kv (k TEXT)"); }).ok());
  ASSERT_TRUE(Insert(**owner, "a").ok());

  auto second = OpenSqliteDatabase(path, SqliteOptions{.exclusive = true, .busy_timeout_ms = 50});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(second.status().message(), "in use by another process")) << second.status();

  // Sharing is refused too: the owner holds the file, not only its writes.
  {
    auto shared = OpenSqliteDatabase(path, SqliteOptions{.exclusive = false, .busy_timeout_ms = 50});
    const bool refused = !shared.ok() || !(*shared)->InTransaction([](Transaction& txn) {
                                            return txn.Query("SELECT COUNT(*) FROM kv").status();
                                          }).ok();
    EXPECT_TRUE(refused);
  }

  // Once the owner closes, the next one opens it with everything committed.
  owner->reset();
  auto next = OpenSqliteDatabase(path);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(Count(**next), 1);
  EXPECT_TRUE(Insert(**next, "b").ok());
  EXPECT_EQ(Count(**next), 2);
}

TEST(SqliteDatabaseTest, NormalLockingModeLetsConnectionsShareAFile) {
  const std::string url = "sqlite://" + testing::TempDbPath("sqlite_shared") + "?locking_mode=normal";
  auto a = OpenDatabase(url);
  auto b = OpenDatabase(url);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_TRUE((*a)->InTransaction([](Transaction& txn) { return txn.ExecuteScript("CREATE TABLE kv (k TEXT)"); }).ok());
  ASSERT_TRUE(Insert(**a, "a").ok());
  ASSERT_TRUE(Insert(**b, "b").ok());
  EXPECT_EQ(Count(**a), 2);
  EXPECT_EQ(Count(**b), 2);
}

TEST(SqliteDatabaseTest, UrlParametersAreCheckedNotIgnored) {
  auto bad = OpenDatabase("sqlite://" + testing::TempDbPath("sqlite_bad_url") + "?locking_mode=shared");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "locking_mode=shared")) << bad.status();

  auto no_path = OpenDatabase("sqlite://?locking_mode=normal");
  ASSERT_FALSE(no_path.ok());
  EXPECT_EQ(no_path.status().code(), absl::StatusCode::kInvalidArgument);

  auto exclusive = OpenDatabase("sqlite://" + testing::TempDbPath("sqlite_explicit") + "?locking_mode=exclusive");
  EXPECT_TRUE(exclusive.ok()) << exclusive.status();
}

// Some errors make SQLite roll back the whole transaction itself (SQLITE_FULL,
// IOERR, NOMEM; here RAISE(ROLLBACK) from a trigger), not just the failing
// body's savepoint. Then no body of that group-commit batch is written, so
// none may be reported as committed, and the ones after it must not run in
// autocommit (each would commit on its own while reported failed).
TEST(SqliteDatabaseTest, ABodyThatMakesSqliteRollBackEverythingFailsItsWholeBatch) {
  auto db = OpenSqliteDatabase(testing::TempDbPath("sqlite_batch_rollback"));
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE((*db)->InTransaction([](Transaction& txn) {
                   return txn.ExecuteScript(
                       "CREATE TABLE kv (k TEXT);"
                       "CREATE TRIGGER boom BEFORE INSERT ON kv WHEN NEW.k = 'boom'"
                       " BEGIN SELECT RAISE(ROLLBACK, 'boom'); END;");
                 }).ok());
  constexpr int kWriters = 6;
  constexpr int kBoom = 2;
  // Which bodies share a batch is up to the threads: rounds go on until one
  // batch had bodies after the failing one (each round checks every body).
  bool saw_a_later_body = false;
  for (int round = 0; round < 20 && !saw_a_later_body; ++round) {
    auto key = [&](int i) { return absl::StrCat("r", round, "-", i); };
    // A first transaction holds the writer while the others queue behind it
    // (and its commit's fsync gives stragglers time to join the next batch).
    absl::Notification leading, release;
    std::thread leader([&] {
      EXPECT_TRUE((*db)->InTransaction([&](Transaction& txn) {
                       leading.Notify();
                       release.WaitForNotification();
                       return txn.Execute("INSERT INTO kv (k) VALUES (?)", {key(-1)}).status();
                     }).ok());
    });
    leading.WaitForNotification();
    absl::BlockingCounter started(kWriters);
    std::vector<absl::Status> status(kWriters);
    std::vector<char> ran(kWriters, 0);
    std::vector<std::thread> writers;
    for (int i = 0; i < kWriters; ++i) {
      writers.emplace_back([&, i] {
        started.DecrementCount();
        status[i] = (*db)->InTransaction([&](Transaction& txn) {
          ran[i] = 1;
          return txn.Execute("INSERT INTO kv (k) VALUES (?)", {i == kBoom ? std::string("boom") : key(i)}).status();
        });
      });
    }
    started.Wait();
    release.Notify();
    leader.join();
    for (std::thread& t : writers) t.join();

    EXPECT_FALSE(status[kBoom].ok());
    for (int i = 0; i < kWriters; ++i) {
      if (i == kBoom) continue;
      const int64_t written = testing::CountRows(**db, "SELECT COUNT(*) FROM kv WHERE k = '" + key(i) + "'");
      EXPECT_EQ(status[i].ok(), written == 1) << "round " << round << " body " << i << ": " << status[i];
      if (!status[i].ok()) {
        EXPECT_EQ(status[i].code(), absl::StatusCode::kUnavailable) << status[i];
        EXPECT_TRUE(absl::StrContains(status[i].message(), "rolled back the whole")) << status[i];
      }
      if (!ran[i]) saw_a_later_body = true;
    }
    // The writer is usable again: the next transaction is a transaction.
    EXPECT_TRUE(Insert(**db, key(100)).ok());
  }
  if (!saw_a_later_body) GTEST_SKIP() << "no batch had a body after the failing one in 20 rounds";
}

}  // namespace
}  // namespace gridserve
