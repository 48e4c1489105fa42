#include "services/common/backup.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/sqlite_database.h"
#include "tests/common/registry_value.h"
#include "tests/common/test_db.h"

namespace gridserve {
namespace {

namespace fs = std::filesystem;
using testing::CountRows;
using testing::kStart;
using testing::RegistryValue;
using testing::TempDbPath;

// A directory of its own under the test's temp dir, emptied.
std::string FreshDir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "/" + name;
  fs::remove_all(dir);
  return dir;
}

std::unique_ptr<Database> OpenFile(const std::string& path) {
  auto db = OpenDatabase("sqlite://" + path);
  EXPECT_TRUE(db.ok()) << db.status();
  return *std::move(db);
}

void Exec(Database& db, const std::string& sql) {
  ASSERT_TRUE(db.InTransaction([&](Transaction& txn) { return txn.ExecuteScript(sql); }).ok()) << sql;
}

std::string IntegrityCheck(Database& db) {
  std::string result;
  EXPECT_TRUE(db.InReadTransaction([&](Transaction& txn) -> absl::Status {
                  auto rows = txn.Query("PRAGMA integrity_check");
                  if (!rows.ok()) return rows.status();
                  result = (*rows)[0].Text(0);
                  return absl::OkStatus();
                }).ok());
  return result;
}

std::vector<std::string> FileNames(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(BackupTest, ABackupHoldsEveryCommitAndOpensAsADatabase) {
  auto db = OpenFile(TempDbPath("backup_source"));
  Exec(*db, "CREATE TABLE tickets (id INTEGER PRIMARY KEY, note TEXT);");
  for (int i = 0; i < 100; ++i) Exec(*db, "INSERT INTO tickets (note) VALUES ('waiting');");
  const std::string dir = FreshDir("backups_whole");

  auto taken = TakeBackup(*db, "counter", {dir, 8}, kStart);
  ASSERT_TRUE(taken.ok()) << taken.status();

  EXPECT_EQ(taken->path, dir + "/counter-20261127T090000Z.db");
  EXPECT_GT(taken->bytes, 0);
  EXPECT_THAT(FileNames(dir), ::testing::ElementsAre("counter-20261127T090000Z.db"));  // no .partial left
  EXPECT_EQ(fs::status(taken->path).permissions(), fs::perms::owner_read | fs::perms::owner_write);
  auto copy = OpenFile(taken->path);
  EXPECT_EQ(CountRows(*copy, "SELECT COUNT(*) FROM tickets"), 100);
  EXPECT_EQ(IntegrityCheck(*copy), "ok");
  // The source goes on: a write after the backup is in the source only.
  Exec(*db, "INSERT INTO tickets (note) VALUES ('after');");
  EXPECT_EQ(CountRows(*db, "SELECT COUNT(*) FROM tickets"), 101);
  EXPECT_EQ(CountRows(*copy, "SELECT COUNT(*) FROM tickets"), 100);
}

// Each write changes two tables in one transaction; every backup taken while
// the writes go on must see both changes of a write or neither.
TEST(BackupTest, ABackupTakenDuringWritesIsOneCommittedState) {
  auto db = OpenFile(TempDbPath("backup_busy"));
  Exec(*db, "CREATE TABLE cases (id INTEGER PRIMARY KEY); CREATE TABLE clocks (id INTEGER PRIMARY KEY);");
  std::atomic<bool> stop{false};
  std::atomic<int> committed{0};
  std::thread writer([&] {
    while (!stop) {
      const absl::Status s = db->InTransaction([](Transaction& txn) -> absl::Status {
        if (auto a = txn.Execute("INSERT INTO cases DEFAULT VALUES"); !a.ok()) return a.status();
        return txn.Execute("INSERT INTO clocks DEFAULT VALUES").status();
      });
      if (s.ok()) ++committed;
    }
  });
  const std::string dir = FreshDir("backups_busy");
  std::vector<std::string> paths;
  for (int i = 0; i < 5; ++i) {
    while (committed < 50 * (i + 1)) std::this_thread::yield();  // writes between backups
    auto taken = TakeBackup(*db, "risk", {dir, 10}, kStart + absl::Seconds(i));
    ASSERT_TRUE(taken.ok()) << taken.status();
    paths.push_back(taken->path);
  }
  stop = true;
  writer.join();

  int64_t previous = 0;
  for (const std::string& path : paths) {
    auto copy = OpenFile(path);
    const int64_t cases = CountRows(*copy, "SELECT COUNT(*) FROM cases");
    EXPECT_EQ(CountRows(*copy, "SELECT COUNT(*) FROM clocks"), cases) << path;
    EXPECT_GE(cases, previous) << path;  // later backups hold at least as much
    previous = cases;
  }
  EXPECT_GE(previous, 250);
}

TEST(BackupTest, OnlyTheNewestBackupsAreKeptAndUnfinishedOnesGo) {
  auto db = OpenFile(TempDbPath("backup_rotation"));
  const std::string dir = FreshDir("backups_rotation");
  fs::create_directories(dir);
  // Left by a crash mid-backup, and files that are not this service's backups.
  for (const char* name : {"counter-20261127T080000Z.db.partial", "repair-20261127T080000Z.db", "counter-notes.db",
                           "counter-20261127T080000Z.db.bak"}) {
    std::ofstream(dir + "/" + name) << "x";
  }

  for (int hour = 0; hour < 5; ++hour) {
    auto taken = TakeBackup(*db, "counter", {dir, 3}, kStart + absl::Hours(hour));
    ASSERT_TRUE(taken.ok()) << taken.status();
    EXPECT_EQ(taken->removed, hour == 0 ? 1 : (hour >= 3 ? 1 : 0)) << hour;  // the partial, then beyond 3
  }

  EXPECT_THAT(ListBackups(dir, "counter"),
              ::testing::ElementsAre(dir + "/counter-20261127T110000Z.db", dir + "/counter-20261127T120000Z.db",
                                     dir + "/counter-20261127T130000Z.db"));
  EXPECT_THAT(FileNames(dir), ::testing::IsSupersetOf({"repair-20261127T080000Z.db", "counter-notes.db",
                                                       "counter-20261127T080000Z.db.bak"}));
  EXPECT_EQ(FileNames(dir).size(), 6u);
}

TEST(BackupTest, ASecondBackupInTheSameSecondIsRefusedAndTheFirstKept) {
  auto db = OpenFile(TempDbPath("backup_same_second"));
  Exec(*db, "CREATE TABLE t (x INTEGER);");
  const std::string dir = FreshDir("backups_same_second");
  ASSERT_TRUE(TakeBackup(*db, "counter", {dir, 8}, kStart).ok());
  Exec(*db, "INSERT INTO t VALUES (1);");

  auto again = TakeBackup(*db, "counter", {dir, 8}, kStart + absl::Milliseconds(500));

  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  auto first = OpenFile(dir + "/counter-20261127T090000Z.db");
  EXPECT_EQ(CountRows(*first, "SELECT COUNT(*) FROM t"), 0);
}

TEST(BackupTest, AnInMemoryDatabaseIsCopiedOnItsWriter) {
  auto db = OpenDatabase("sqlite::memory:");
  ASSERT_TRUE(db.ok());
  Exec(**db, "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (7);");
  const std::string dir = FreshDir("backups_memory");

  auto taken = TakeBackup(**db, "repair", {dir, 1}, kStart);

  ASSERT_TRUE(taken.ok()) << taken.status();
  auto copy = OpenFile(taken->path);
  EXPECT_EQ(CountRows(*copy, "SELECT x FROM t"), 7);
}

// A clock that stepped back makes the new backup's name sort before older
// ones: rotation must not delete the backup it has just written.
TEST(BackupTest, ANewBackupIsKeptEvenWhenItsNameSortsOldest) {
  auto db = OpenFile(TempDbPath("backup_clock_back"));
  const std::string dir = FreshDir("backups_clock_back");
  fs::create_directories(dir);
  for (const char* name :
       {"counter-20271127T090000Z.db", "counter-20271127T100000Z.db", "counter-20271127T110000Z.db"}) {
    std::ofstream(dir + "/" + name) << "x";
  }

  auto taken = TakeBackup(*db, "counter", {dir, 3}, kStart);

  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_TRUE(fs::exists(taken->path));
  EXPECT_EQ(taken->removed, 0);
  EXPECT_EQ(ListBackups(dir, "counter").size(), 4u);
}

TEST(BackupTest, AnUnusableDirectoryFailsNamingIt) {
  auto db = OpenFile(TempDbPath("backup_bad_dir"));
  const std::string not_a_dir = ::testing::TempDir() + "/backups_not_a_dir";
  fs::remove_all(not_a_dir);
  std::ofstream(not_a_dir) << "a file";

  auto taken = TakeBackup(*db, "counter", {not_a_dir + "/inside", 8}, kStart);

  EXPECT_EQ(taken.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(taken.status().message()), ::testing::HasSubstr("backups_not_a_dir/inside"));
}

TEST(BackupTest, MetricsExistFromStartAndFollowEachBackup) {
  prometheus::Registry registry;
  BackupMetrics metrics("counter", absl::Hours(6), registry);
  EXPECT_EQ(RegistryValue(registry, "gridserve_backup_interval_seconds", {{"service", "counter"}}), 6 * 3600);
  EXPECT_EQ(RegistryValue(registry, "gridserve_backups_total", {{"outcome", "success"}}), 0);
  EXPECT_EQ(RegistryValue(registry, "gridserve_backups_total", {{"outcome", "failure"}}), 0);
  EXPECT_EQ(RegistryValue(registry, "gridserve_backup_last_success_timestamp_seconds", {}), 0);

  metrics.Record(absl::UnavailableError("disk full"), kStart);
  BackupResult written;
  written.bytes = 4096;
  metrics.Record(written, kStart + absl::Minutes(1));

  EXPECT_EQ(RegistryValue(registry, "gridserve_backups_total", {{"outcome", "success"}}), 1);
  EXPECT_EQ(RegistryValue(registry, "gridserve_backups_total", {{"outcome", "failure"}}), 1);
  EXPECT_EQ(RegistryValue(registry, "gridserve_backup_last_success_timestamp_seconds", {}),
            absl::ToUnixSeconds(kStart + absl::Minutes(1)));
  EXPECT_EQ(RegistryValue(registry, "gridserve_backup_last_size_bytes", {}), 4096);
}

class BackupScheduleTest : public ::testing::Test {
 protected:
  BackupScheduleTest()
      : clock_(kStart),
        db_(OpenFile(TempDbPath(std::string("backup_schedule_") +
                                ::testing::UnitTest::GetInstance()->current_test_info()->name()))),
        metrics_("counter", kInterval, registry_) {
    Exec(*db_, "CREATE TABLE tickets (id INTEGER PRIMARY KEY);");
  }

  BackupSchedule Schedule(const std::string& dir) {
    return BackupSchedule(*db_, "counter", {dir, 8, kInterval}, clock_, metrics_);
  }
  double LastSuccess() { return RegistryValue(registry_, "gridserve_backup_last_success_timestamp_seconds", {}); }

  static constexpr absl::Duration kInterval = absl::Hours(6);
  FakeClock clock_;
  std::unique_ptr<Database> db_;
  prometheus::Registry registry_;
  BackupMetrics metrics_;
};

TEST_F(BackupScheduleTest, AFirstBackupIsDueAtOnceThenOneAnIntervalAfterTheNewest) {
  const std::string dir = FreshDir("schedule_fresh");
  BackupSchedule schedule = Schedule(dir);

  EXPECT_TRUE(schedule.RunIfDue());
  EXPECT_FALSE(schedule.RunIfDue());
  clock_.Advance(kInterval - absl::Seconds(1));
  EXPECT_FALSE(schedule.RunIfDue());
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(schedule.RunIfDue());
  EXPECT_EQ(ListBackups(dir, "counter").size(), 2u);
  EXPECT_EQ(LastSuccess(), absl::ToUnixSeconds(kStart + kInterval));
}

// A service restarted often (a crash loop) takes no backup per start, so its
// older backups are not rotated out; the metric starts from the newest.
TEST_F(BackupScheduleTest, ARestartFindsTheNewestBackupAndWaitsForItsInterval) {
  const std::string dir = FreshDir("schedule_restart");
  fs::create_directories(dir);
  std::ofstream(dir + "/counter-20261127T080000Z.db") << "x";  // an hour before kStart

  BackupSchedule schedule = Schedule(dir);

  EXPECT_EQ(LastSuccess(), absl::ToUnixSeconds(kStart - absl::Hours(1)));
  EXPECT_FALSE(schedule.RunIfDue());
  clock_.Advance(absl::Hours(5));
  EXPECT_TRUE(schedule.RunIfDue());
}

TEST_F(BackupScheduleTest, ANewestBackupFromAClockAheadDoesNotStopBackups) {
  const std::string dir = FreshDir("schedule_clock_ahead");
  fs::create_directories(dir);
  std::ofstream(dir + "/counter-20261129T090000Z.db") << "x";  // two days ahead of kStart
  BackupSchedule schedule = Schedule(dir);
  ASSERT_EQ(LastSuccess(), absl::ToUnixSeconds(kStart + absl::Hours(48)));  // the newest was read

  EXPECT_TRUE(schedule.RunIfDue());
}

TEST_F(BackupScheduleTest, ADatabaseWithNoTablesYetIsNotBackedUp) {
  auto empty = OpenFile(TempDbPath("backup_schedule_empty"));
  const std::string dir = FreshDir("schedule_empty");
  BackupSchedule schedule(*empty, "counter", {dir, 8, kInterval}, clock_, metrics_);

  EXPECT_FALSE(schedule.RunIfDue());
  Exec(*empty, "CREATE TABLE tickets (id INTEGER PRIMARY KEY);");  // the migrations ran
  EXPECT_TRUE(schedule.RunIfDue());
}

TEST_F(BackupScheduleTest, AFailedBackupIsRetriedAtTheNextCheck) {
  const std::string blocked = ::testing::TempDir() + "/schedule_blocked";
  fs::remove_all(blocked);
  std::ofstream(blocked) << "a file where the directory should be";
  BackupSchedule schedule = Schedule(blocked);

  EXPECT_FALSE(schedule.RunIfDue());
  EXPECT_EQ(RegistryValue(registry_, "gridserve_backups_total", {{"outcome", "failure"}}), 1);
  fs::remove(blocked);  // the volume is back
  clock_.Advance(BackupSchedule::CheckEvery(kInterval));
  EXPECT_TRUE(schedule.RunIfDue());
  EXPECT_EQ(RegistryValue(registry_, "gridserve_backups_total", {{"outcome", "success"}}), 1);
}

}  // namespace
}  // namespace gridserve
