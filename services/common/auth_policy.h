#ifndef GRIDSERVE_SERVICES_COMMON_AUTH_POLICY_H_
#define GRIDSERVE_SERVICES_COMMON_AUTH_POLICY_H_

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "gridserve/v1/config.pb.h"

namespace gridserve {

// SHA-256 of `data`, lower-case hex (64 characters). Tokens are stored as this.
std::string Sha256Hex(absl::string_view data);

// Bearer tokens from a file of lines "<sha256 hex> <identity>" ('#' starts a
// comment, blank lines ignored). The file is checked on every lookup and
// re-read when its inode, size or modification time changed, so rotating a
// token is: write the new file (ideally to a temp name, then rename).
// A missing file means no tokens. Thread-safe.
class TokenStore {
 public:
  explicit TokenStore(std::string path);
  // The identity of a token (the raw token, not its hash), or nullopt.
  std::optional<std::string> Lookup(absl::string_view token);
  // Loads now; INVALID_ARGUMENT naming the first malformed line (the valid
  // lines are still used). For start-up checks.
  absl::Status Reload();

 private:
  absl::Status ReloadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeReloadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  absl::Mutex mu_;
  std::map<std::string, std::string> identity_by_hash_ ABSL_GUARDED_BY(mu_);
  struct FileStamp {
    bool exists = false;
    ino_t inode = 0;
    off_t size = 0;
    int64_t mtime_ns = 0;
    bool operator==(const FileStamp& o) const {
      return exists == o.exists && inode == o.inode && size == o.size && mtime_ns == o.mtime_ns;
    }
  };
  std::optional<FileStamp> loaded_ ABSL_GUARDED_BY(mu_);
};

// True when `pattern` ("*", "gridserve.v1.Repair/*", "gridserve.v1.Repair/Get*",
// or a full method name) matches `method`. A leading '/' on either is ignored.
bool MethodMatches(absl::string_view pattern, absl::string_view method);

// True for methods that change state: every method whose name does not start
// with Get, List, Lookup or Watch. `method` is "/pkg.Service/Name" or "Name".
bool IsStateChanging(absl::string_view method);

// Roles and bindings from SecurityConfig: which identity may call what.
class AccessPolicy {
 public:
  // INVALID_ARGUMENT (naming the field) for an unnamed or duplicate role, a
  // binding to an unknown role or without identity, an empty method pattern.
  static absl::StatusOr<AccessPolicy> FromConfig(const v1::SecurityConfig& config);

  // The roles bound to `identity` (exact or prefix bindings).
  std::vector<std::string> RolesOf(absl::string_view identity) const;
  // True when one of those roles lists a pattern matching `method`.
  bool Allows(absl::string_view identity, absl::string_view method) const;
  // The staff id bound to `identity`, or "" (a non-person caller).
  std::string StaffIdOf(absl::string_view identity) const;

 private:
  std::map<std::string, std::vector<std::string>> methods_by_role_;
  std::vector<v1::RoleBinding> bindings_;
};

// Separation of duties for red-line reports: nobody confirms or dismisses a
// report about themselves or one they reported. `caller` is whoever decides
// (the authenticated identity, its bound staff id, or decided_by.staff_id:
// call once per value you have). PERMISSION_DENIED when `caller` equals the
// report's subject staff id or its reporter id; empty values never match;
// comparison ignores ASCII case and surrounding spaces.
absl::Status CheckSeparationOfDuties(absl::string_view caller, absl::string_view report_subject_staff_id,
                                     absl::string_view reporter_id);

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_AUTH_POLICY_H_
