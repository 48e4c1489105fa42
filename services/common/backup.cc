#include "services/common/backup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/log.h"
#include "services/common/sqlite_database.h"

namespace gridserve {
namespace {

namespace fs = std::filesystem;

constexpr char kSuffix[] = ".db";
constexpr char kPartial[] = ".partial";
constexpr size_t kStampLength = 16;  // YYYYMMDDTHHMMSSZ

std::string Stamp(absl::Time t) { return absl::FormatTime("%Y%m%dT%H%M%SZ", t, absl::UTCTimeZone()); }

// The time in a backup's name (<service>-<stamp>.db), read field by field
// (absl::ParseTime's %Y would take all the digits); InfinitePast if none.
absl::Time StampTime(const std::string& path) {
  const std::string name = fs::path(path).stem().string();
  if (name.size() < kStampLength) return absl::InfinitePast();
  const absl::string_view stamp = absl::string_view(name).substr(name.size() - kStampLength);
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  const bool parsed = absl::SimpleAtoi(stamp.substr(0, 4), &year) && absl::SimpleAtoi(stamp.substr(4, 2), &month) &&
                      absl::SimpleAtoi(stamp.substr(6, 2), &day) && absl::SimpleAtoi(stamp.substr(9, 2), &hour) &&
                      absl::SimpleAtoi(stamp.substr(11, 2), &minute) && absl::SimpleAtoi(stamp.substr(13, 2), &second);
  if (!parsed) return absl::InfinitePast();
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, second), absl::UTCTimeZone());
}

bool IsStamp(absl::string_view s) {
  if (s.size() != kStampLength || s[8] != 'T' || s[15] != 'Z') return false;
  for (size_t i = 0; i < 15; ++i) {
    if (i != 8 && !absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// "<service>-<stamp><tail>": one of the service's backups (tail ".db") or a
// backup left unfinished (tail ".db.partial").
bool IsBackupName(absl::string_view name, const std::string& service, absl::string_view tail) {
  const std::string prefix = service + "-";
  if (!absl::StartsWith(name, prefix) || !absl::EndsWith(name, tail)) return false;
  name.remove_prefix(prefix.size());
  name.remove_suffix(tail.size());
  return IsStamp(name);
}

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::UnavailableError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

// fsync of a file or a directory (what makes a rename durable).
absl::Status Sync(const std::string& path, bool directory) {
  const int fd = open(path.c_str(), (directory ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open", path);
  const bool synced = fsync(fd) == 0;
  const absl::Status status = synced ? absl::OkStatus() : Errno("cannot fsync", path);
  close(fd);
  return status;
}

std::vector<std::string> NamesIn(const std::string& dir, const std::string& service, absl::string_view tail) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (IsBackupName(name, service, tail)) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

std::vector<std::string> ListBackups(const std::string& dir, const std::string& service) {
  std::vector<std::string> paths;
  for (const std::string& name : NamesIn(dir, service, kSuffix)) paths.push_back((fs::path(dir) / name).string());
  return paths;
}

absl::StatusOr<BackupResult> TakeBackup(Database& db, const std::string& service, const BackupOptions& options,
                                        absl::Time now) {
  std::error_code ec;
  if (fs::create_directories(options.dir, ec)) {
    fs::permissions(options.dir, fs::perms::owner_all, ec);  // backups hold personal data
    const fs::path parent = fs::absolute(options.dir, ec).parent_path();
    if (absl::Status synced = Sync(parent.string(), true); !synced.ok()) return synced;
  }
  if (ec)
    return absl::UnavailableError(absl::StrCat("cannot create backup directory ", options.dir, ": ", ec.message()));
  BackupResult result;
  result.path = (fs::path(options.dir) / absl::StrCat(service, "-", Stamp(now), kSuffix)).string();
  if (fs::exists(result.path, ec)) {
    return absl::AlreadyExistsError(absl::StrCat(result.path, " already exists (one backup per second at most)"));
  }
  // Unfinished copies are from a crash (this process takes one backup at a
  // time, and owns the database): never a backup, only disk used.
  for (const std::string& name : NamesIn(options.dir, service, absl::StrCat(kSuffix, kPartial))) {
    if (fs::remove(fs::path(options.dir) / name, ec)) ++result.removed;
  }
  // Created empty and owner-only before SQLite writes into it (VACUUM INTO
  // takes an empty file): the copy is never readable by others, not even
  // while it is written.
  const std::string partial = result.path + kPartial;
  const int fd = open(partial.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot create", partial);
  close(fd);
  absl::Status written = CopySqliteDatabase(db, partial);
  if (written.ok()) written = Sync(partial, false);
  if (written.ok() && rename(partial.c_str(), result.path.c_str()) != 0) {
    written = Errno("cannot rename the backup to", result.path);
  }
  if (!written.ok()) {
    fs::remove(partial, ec);
    return written;
  }
  if (absl::Status synced = Sync(options.dir, true); !synced.ok()) return synced;
  const auto size = fs::file_size(result.path, ec);
  result.bytes = ec ? 0 : static_cast<int64_t>(size);

  const std::vector<std::string> backups = ListBackups(options.dir, service);
  const size_t keep = static_cast<size_t>(std::max(options.keep, 1));
  for (size_t i = 0; i + keep < backups.size(); ++i) {
    if (backups[i] == result.path) continue;  // a clock stepped back: the new one sorts first, and stays
    if (fs::remove(backups[i], ec)) ++result.removed;
  }
  return result;
}

BackupMetrics::BackupMetrics(const std::string& service, absl::Duration interval, prometheus::Registry& registry)
    : backups_(prometheus::BuildCounter()
                   .Name("gridserve_backups_total")
                   .Help("Online backups of the service's SQLite store, by outcome.")
                   .Register(registry)),
      success_(backups_.Add({{"service", service}, {"outcome", "success"}})),
      failure_(backups_.Add({{"service", service}, {"outcome", "failure"}})),
      last_success_(prometheus::BuildGauge()
                        .Name("gridserve_backup_last_success_timestamp_seconds")
                        .Help("When the newest backup was written (Unix time); 0 before the first.")
                        .Register(registry)
                        .Add({{"service", service}})),
      last_size_(prometheus::BuildGauge()
                     .Name("gridserve_backup_last_size_bytes")
                     .Help("Size of the newest backup.")
                     .Register(registry)
                     .Add({{"service", service}})) {
  prometheus::BuildGauge()
      .Name("gridserve_backup_interval_seconds")
      .Help("How often the service backs up its SQLite store; 0 when backups are off.")
      .Register(registry)
      .Add({{"service", service}})
      .Set(absl::ToDoubleSeconds(interval));
}

void BackupMetrics::SetLastSuccess(absl::Time taken) {
  last_success_.Set(absl::ToDoubleSeconds(taken - absl::UnixEpoch()));
}

void BackupMetrics::Record(const absl::StatusOr<BackupResult>& result, absl::Time now) {
  if (!result.ok()) {
    failure_.Increment();
    return;
  }
  success_.Increment();
  SetLastSuccess(now);
  last_size_.Set(static_cast<double>(result->bytes));
}

BackupSchedule::BackupSchedule(Database& db, std::string service, BackupOptions options, const Clock& clock,
                               BackupMetrics& metrics)
    : db_(db),
      service_(std::move(service)),
      options_(std::move(options)),
      clock_(clock),
      metrics_(metrics),
      newest_(absl::InfinitePast()) {
  const std::vector<std::string> backups = ListBackups(options_.dir, service_);
  if (backups.empty()) return;
  newest_ = StampTime(backups.back());
  metrics_.SetLastSuccess(newest_);
}

bool BackupSchedule::RunIfDue() {
  const absl::Time now = clock_.Now();
  // Due an interval after the newest; also when the newest lies further in
  // the future than an interval (the clock stepped back: waiting for it would
  // mean no backups meanwhile).
  if (now - newest_ < options_.interval && newest_ - now < options_.interval) return false;
  // A new database before its first migration has nothing to back up (and a
  // copy of it would be no backup of the service).
  int64_t tables = 0;
  absl::Status read = db_.InReadTransaction([&](Transaction& txn) -> absl::Status {
    auto rows = txn.Query("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'");
    if (!rows.ok()) return rows.status();
    tables = (*rows)[0].Int(0);
    return absl::OkStatus();
  });
  if (read.ok() && tables == 0) return false;
  auto taken = TakeBackup(db_, service_, options_, now);
  metrics_.Record(taken, now);
  if (!taken.ok()) {
    LogError("backup_failed", {{"dir", options_.dir}, {"error", std::string(taken.status().message())}});
    return false;
  }
  newest_ = now;
  LogInfo("backup_written",
          {{"path", taken->path}, {"bytes", absl::StrCat(taken->bytes)}, {"removed", absl::StrCat(taken->removed)}});
  return true;
}

}  // namespace gridserve
