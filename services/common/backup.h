#ifndef GRIDSERVE_SERVICES_COMMON_BACKUP_H_
#define GRIDSERVE_SERVICES_COMMON_BACKUP_H_

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "services/common/clock.h"
#include "services/common/database.h"

namespace gridserve {

// Online backups of a service's embedded SQLite store (config: platform.backup_*).
// Why: the SQLite file is the only copy of a service's records, SLA clocks and
// (in risk) the breach ledger; a lost disk must not lose them. PostgreSQL is
// backed up with its own tools.
struct BackupOptions {
  // Where backups go; created (owner-only) if missing. Relative to the
  // working directory, like --data_dir. One service instance per directory
  // and service name: each deletes the others' old backups.
  std::string dir;
  int keep = 8;                              // the newest this many of the service's backups are kept
  absl::Duration interval = absl::Hours(6);  // how often one is taken
};

struct BackupResult {
  std::string path;   // the new backup
  int64_t bytes = 0;  // its size
  int removed = 0;    // older backups (and unfinished ones) deleted
};

// Writes <dir>/<service>-<now as YYYYMMDDTHHMMSSZ>.db: a consistent copy of
// `db` as of its last commit, taken while calls go on (CopySqliteDatabase),
// into a ".partial" file created readable by its owner only (it holds
// customers' personal data), fsynced, then renamed (and the directory
// fsynced), so a file with the final name is always a whole backup. Then
// deletes the service's older backups beyond `keep` (never the new one, even
// when a clock stepped back makes it sort oldest), and ".partial" files left
// by a crash. A failure leaves the existing backups as they were.
absl::StatusOr<BackupResult> TakeBackup(Database& db, const std::string& service, const BackupOptions& options,
                                        absl::Time now);

// The service's backups in `dir`, in the order of their names' times.
std::vector<std::string> ListBackups(const std::string& dir, const std::string& service);

// gridserve_backups_total{service,outcome="success|failure"},
// gridserve_backup_last_success_timestamp_seconds{service} (0: none yet),
// gridserve_backup_last_size_bytes{service} and
// gridserve_backup_interval_seconds{service} (0: backups are off), all
// present from start-up, so the GridserveBackupMissing alert sees them.
class BackupMetrics {
 public:
  BackupMetrics(const std::string& service, absl::Duration interval, prometheus::Registry& registry);
  void Record(const absl::StatusOr<BackupResult>& result, absl::Time now);
  // A backup found at start-up, taken by an earlier run.
  void SetLastSuccess(absl::Time taken);

 private:
  prometheus::Family<prometheus::Counter>& backups_;  // first: the two below are its series
  prometheus::Counter& success_;
  prometheus::Counter& failure_;
  prometheus::Gauge& last_success_;
  prometheus::Gauge& last_size_;
};

// When backups are due, across restarts: one is due `interval` after the
// newest in the directory (by its name's time), so a service restarted
// often (a crash loop, a bad release) does not rotate its older backups
// out, and a failed one is retried at the next check. A database with no
// tables yet is not backed up. The server checks before its migrations run
// (a schema change never goes unbacked), after them (a new database), and
// then every CheckEvery(interval).
class BackupSchedule {
 public:
  BackupSchedule(Database& db, std::string service, BackupOptions options, const Clock& clock, BackupMetrics& metrics);

  // Takes a backup if one is due; logs what happened. Returns whether it took one.
  bool RunIfDue();
  static absl::Duration CheckEvery(absl::Duration interval) { return std::min(interval, absl::Minutes(1)); }

 private:
  Database& db_;
  const std::string service_;
  const BackupOptions options_;
  const Clock& clock_;
  BackupMetrics& metrics_;
  absl::Time newest_;  // of the backups in the directory; InfinitePast when none
};

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_BACKUP_H_
