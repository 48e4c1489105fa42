// Backups with the real binary: a service with platform.backup_dir writes
// online backups while it takes calls, keeps the newest backup_keep, and a
// database restored from one (scripts/restore-backup) serves every write
// acknowledged before that backup began. The restore refuses a database a
// running service holds.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gridserve/v1/contact_center.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/reliability/case_request.h"
#include "tests/support/suite_process.h"

namespace gridserve::testing {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> BackupsIn(const std::string& dir) {
  std::vector<std::string> paths;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("contact-center-", 0) == 0 && name.size() > 3 && name.substr(name.size() - 3) == ".db") {
      paths.push_back(entry.path().string());
    }
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

double SuccessfulBackups(const ServiceProcess& service) {
  return MetricValue(HttpGet(service.metrics_url()), "gridserve_backups_total", {{"outcome", "success"}});
}

std::unique_ptr<v1::ContactCenter::Stub> StubOf(const ServiceProcess& service) {
  return v1::ContactCenter::NewStub(grpc::CreateChannel(service.grpc_address(), grpc::InsecureChannelCredentials()));
}

TEST(BackupRestoreTest, ARestoredBackupServesEveryWriteAcknowledgedBeforeIt) {
  const std::string dir = MakeWorkDir("backup_restore");
  const std::string backups = dir + "/backups";
  std::ofstream(dir + "/config.json") << R"({"platform": {"backupDir": ")" << backups
                                      << R"(", "backupInterval": "1s", "backupKeep": 3}})";
  ServiceProcess service(
      "contact-center", dir,
      {"--config=" + dir + "/config.json", "--risk_target=127.0.0.1:1", "--repair_target=127.0.0.1:1"});
  ASSERT_TRUE(service.Start()) << service.Log();
  auto stub = StubOf(service);

  std::map<std::string, std::string> acknowledged;  // request id → case id
  for (int i = 0; i < 40; ++i) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::RecordCaseResponse response;
    const auto request = ComplaintCase(absl::StrCat("backup-", i));
    ASSERT_TRUE(stub->RecordCase(&context, request, &response).ok()) << i;
    acknowledged[request.request_id()] = response.customer_case().case_id();
  }
  // Two more successes than now: the second of them began after the last write.
  const double before = SuccessfulBackups(service);
  ASSERT_GE(before, 0) << "no gridserve_backups_total series";
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (SuccessfulBackups(service) < before + 2 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(50));
  ASSERT_GE(SuccessfulBackups(service), before + 2) << service.Log();
  ASSERT_EQ(service.Stop(), 0) << service.Log();

  const std::vector<std::string> kept = BackupsIn(backups);
  ASSERT_FALSE(kept.empty());
  EXPECT_LE(kept.size(), 3u) << "backup_keep is 3";

  // Restore the newest backup as the database of a new service.
  const std::string restored_dir = MakeWorkDir("backup_restored");
  const std::string database = restored_dir + "/data/contact-center.db";
  fs::create_directories(restored_dir + "/data");
  std::string output;
  ASSERT_EQ(
      RunCommand(absl::StrCat(GRIDSERVE_SOURCE_DIR, "/scripts/restore-backup ", kept.back(), " ", database), &output),
      0)
      << output;
  ServiceProcess restored("contact-center", restored_dir, {"--risk_target=127.0.0.1:1", "--repair_target=127.0.0.1:1"});
  ASSERT_TRUE(restored.Start()) << restored.Log();
  stub = StubOf(restored);
  for (const auto& [request_id, case_id] : acknowledged) {
    grpc::ClientContext context;
    v1::GetCaseRequest get;
    get.set_case_id(case_id);
    v1::GetCaseResponse got;
    EXPECT_TRUE(stub->GetCase(&context, get, &got).ok()) << request_id << " is not in the restored database";
  }

  // A database a running service holds is not replaced under it.
  std::string refused;
  EXPECT_NE(
      RunCommand(absl::StrCat(GRIDSERVE_SOURCE_DIR, "/scripts/restore-backup ", kept.front(), " ", database), &refused),
      0);
  EXPECT_NE(refused.find("in use by a running service"), std::string::npos) << refused;
  grpc::ClientContext context;
  v1::GetCaseRequest get;
  get.set_case_id(acknowledged.begin()->second);
  v1::GetCaseResponse got;
  EXPECT_TRUE(stub->GetCase(&context, get, &got).ok());
}

// Restoring over a database keeps the one it replaces (with its WAL, which
// holds the last writes of a killed service) aside,
// and a file that is not a sound SQLite database is refused before anything
// is touched.
TEST(BackupRestoreTest, ARestoreKeepsTheReplacedDatabaseAndRefusesABadBackup) {
  const std::string dir = MakeWorkDir("restore_aside");
  const std::string backups = dir + "/backups";
  std::ofstream(dir + "/config.json") << R"({"platform": {"backupDir": ")" << backups << R"("}})";
  ServiceProcess service(
      "contact-center", dir,
      {"--config=" + dir + "/config.json", "--risk_target=127.0.0.1:1", "--repair_target=127.0.0.1:1"});
  ASSERT_TRUE(service.Start()) << service.Log();  // the first backup is taken at start-up, before serving
  auto stub = StubOf(service);
  grpc::ClientContext context;
  v1::RecordCaseResponse after_backup;
  ASSERT_TRUE(stub->RecordCase(&context, ComplaintCase("after-backup"), &after_backup).ok());
  // Killed, not stopped: the case written after the backup is in the WAL only.
  service.Stop(SIGKILL);
  ASSERT_TRUE(fs::exists(dir + "/data/contact-center.db-wal"));
  const std::vector<std::string> kept = BackupsIn(backups);
  ASSERT_EQ(kept.size(), 1u);

  const std::string database = dir + "/data/contact-center.db";
  std::ofstream(dir + "/not-a-backup.db") << "not a database";
  std::string output;
  EXPECT_NE(
      RunCommand(absl::StrCat(GRIDSERVE_SOURCE_DIR, "/scripts/restore-backup ", dir, "/not-a-backup.db ", database),
                 &output),
      0);
  EXPECT_NE(output.find("not-a-backup.db"), std::string::npos) << output;
  ASSERT_TRUE(fs::exists(database)) << "a refused restore must not move the database";
  // A directory that does not exist is a typo, not a place to create a database.
  EXPECT_NE(RunCommand(absl::StrCat(GRIDSERVE_SOURCE_DIR, "/scripts/restore-backup ", kept[0], " ", dir,
                                    "/dta/contact-center.db"),
                       &output),
            0);
  EXPECT_NE(output.find("does not exist"), std::string::npos) << output;

  ASSERT_EQ(RunCommand(absl::StrCat(GRIDSERVE_SOURCE_DIR, "/scripts/restore-backup ", kept[0], " ", database), &output),
            0)
      << output;
  std::string aside;
  for (const auto& entry : fs::directory_iterator(dir + "/data")) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("contact-center.db.before-restore-", 0) == 0 && name.find('-', 33) == std::string::npos) {
      aside = entry.path().string();
    }
  }
  ASSERT_FALSE(aside.empty()) << output;

  // The restored database lacks the case written after the backup; the one
  // set aside still has it.
  ServiceProcess restored("contact-center", dir, {"--risk_target=127.0.0.1:1", "--repair_target=127.0.0.1:1"});
  ASSERT_TRUE(restored.Start()) << restored.Log();
  stub = StubOf(restored);
  grpc::ClientContext get_context;
  v1::GetCaseRequest get;
  get.set_case_id(after_backup.customer_case().case_id());
  v1::GetCaseResponse got;
  EXPECT_EQ(stub->GetCase(&get_context, get, &got).error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_EQ(restored.Stop(), 0);

  ServiceProcess old("contact-center", dir,
                     {"--database=sqlite://" + aside, "--risk_target=127.0.0.1:1", "--repair_target=127.0.0.1:1"});
  ASSERT_TRUE(old.Start()) << old.Log();
  stub = StubOf(old);
  grpc::ClientContext old_context;
  EXPECT_TRUE(stub->GetCase(&old_context, get, &got).ok()) << "the replaced database lost a case";
}

}  // namespace
}  // namespace gridserve::testing
