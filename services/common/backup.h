#ifndef GRIDSERVE_SERVICES_COMMON_BACKUP_H_
#define GRIDSERVE_SERVICES_COMMON_BACKUP_H_

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
#include "services/common/database.h"

namespace gridserve {

// Online backups of a service's embedded SQLite store (config: platform.backup_*).
// Why: the SQLite file is the only copy of a service's records, SLA clocks and
// (in risk) the breach ledger; a lost disk must not lose them. PostgreSQL is
// backed up with its own tools.
struct BackupOptions {
  std::string dir;  // where backups go; created if missing
  int keep = 8;     // the newest this many of the service's backups are kept
};

struct BackupResult {
  std::string path;     // the new backup
  int64_t bytes = 0;    // its size
  int removed = 0;      // older backups (and unfinished ones) deleted
};

// Writes <dir>/<service>-<now as YYYYMMDDTHHMMSSZ>.db: a consistent copy of
// `db` as of its last commit, taken while calls go on (CopySqliteDatabase),
// written under a ".partial" name, readable by its owner only (it holds
// customers' personal data), fsynced, then renamed (and the directory
// fsynced), so a file with the final name is always a whole backup. Then
// deletes the service's older backups beyond `keep`, and ".partial" files
// left by a crash. A failure leaves the existing backups as they were.
absl::StatusOr<BackupResult> TakeBackup(Database& db, const std::string& service, const BackupOptions& options,
                                        absl::Time now);

// The service's backups in `dir`, oldest first (names sort by time).
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

 private:
  prometheus::Family<prometheus::Counter>& backups_;  // first: the two below are its series
  prometheus::Counter& success_;
  prometheus::Counter& failure_;
  prometheus::Gauge& last_success_;
  prometheus::Gauge& last_size_;
};

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_BACKUP_H_
