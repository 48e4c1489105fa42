// The SQLite backend's own behaviour: who may open a file, and the URL form.
// (What every backend must do is in storage_conformance_test.cc.)
#include "services/common/sqlite_database.h"

#include "absl/strings/match.h"
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

}  // namespace
}  // namespace gridserve
