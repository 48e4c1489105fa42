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
#include "absl/strings/str_cat.h"
#include "services/common/sqlite_database.h"

namespace gridserve {
namespace {

namespace fs = std::filesystem;

constexpr char kSuffix[] = ".db";
constexpr char kPartial[] = ".partial";
constexpr size_t kStampLength = 16;  // YYYYMMDDTHHMMSSZ

std::string Stamp(absl::Time t) { return absl::FormatTime("%Y%m%dT%H%M%SZ", t, absl::UTCTimeZone()); }

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
  fs::create_directories(options.dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create backup directory ", options.dir, ": ", ec.message()));
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
  const std::string partial = result.path + kPartial;
  if (absl::Status copied = CopySqliteDatabase(db, partial); !copied.ok()) {
    fs::remove(partial, ec);
    return copied;
  }
  // Customers' phone numbers and addresses: for the service's user only.
  if (chmod(partial.c_str(), 0600) != 0) {
    const absl::Status restricted = Errno("cannot restrict the permissions of", partial);
    fs::remove(partial, ec);
    return restricted;
  }
  if (absl::Status synced = Sync(partial, false); !synced.ok()) {
    fs::remove(partial, ec);
    return synced;
  }
  if (rename(partial.c_str(), result.path.c_str()) != 0) {
    const absl::Status renamed = Errno("cannot rename the backup to", result.path);
    fs::remove(partial, ec);
    return renamed;
  }
  if (absl::Status synced = Sync(options.dir, true); !synced.ok()) return synced;
  result.bytes = static_cast<int64_t>(fs::file_size(result.path, ec));

  const std::vector<std::string> backups = ListBackups(options.dir, service);
  const size_t keep = static_cast<size_t>(std::max(options.keep, 1));
  for (size_t i = 0; i + keep < backups.size(); ++i) {
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

void BackupMetrics::Record(const absl::StatusOr<BackupResult>& result, absl::Time now) {
  if (!result.ok()) {
    failure_.Increment();
    return;
  }
  success_.Increment();
  last_success_.Set(absl::ToDoubleSeconds(now - absl::UnixEpoch()));
  last_size_.Set(static_cast<double>(result->bytes));
}

}  // namespace gridserve
