#ifndef GRIDSERVE_TESTS_COMMON_TEST_DB_H_
#define GRIDSERVE_TESTS_COMMON_TEST_DB_H_

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "services/common/clock.h"
#include "services/common/database.h"
#include "services/common/migrations.h"

namespace gridserve::testing {

// A database with the platform tables. `url` defaults to a private in-memory one.
inline std::unique_ptr<Database> OpenPlatformDb(const Clock& clock, const std::string& url = "sqlite::memory:") {
  auto db = OpenDatabase(url);
  EXPECT_TRUE(db.ok()) << db.status();
  EXPECT_TRUE(ApplyMigrations(**db, clock, "platform", PlatformMigrations()).ok());
  return *std::move(db);
}

// A fresh file path under the test's temp dir.
inline std::string TempDbPath(const std::string& name) {
  const std::string path = ::testing::TempDir() + "/" + name + ".db";
  std::remove(path.c_str());
  std::remove((path + "-wal").c_str());
  std::remove((path + "-shm").c_str());
  return path;
}

inline int64_t CountRows(Database& db, const std::string& sql) {
  int64_t n = -1;
  EXPECT_TRUE(db.InReadTransaction([&](Transaction& txn) -> absl::Status {
                      auto rows = txn.Query(sql);
                      if (!rows.ok()) return rows.status();
                      n = (*rows)[0].Int(0);
                      return absl::OkStatus();
                    }).ok());
  return n;
}

inline const absl::Time kStart = absl::FromCivil(absl::CivilSecond(2026, 11, 27, 9, 0, 0), absl::UTCTimeZone());

}  // namespace gridserve::testing

#endif  // GRIDSERVE_TESTS_COMMON_TEST_DB_H_
