#include "services/common/auth_policy.h"

#include <openssl/evp.h>
#include <sys/stat.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/common/log.h"
#include "services/common/status_util.h"

namespace gridserve {

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1) return "";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

// --- TokenStore ----------------------------------------------------------------

TokenStore::TokenStore(std::string path) : path_(std::move(path)) {}

void TokenStore::MaybeReloadLocked() {
  FileStamp stamp;
  struct stat st;
  if (stat(path_.c_str(), &st) == 0) {
    stamp.exists = true;
    stamp.inode = st.st_ino;
    stamp.size = st.st_size;
    stamp.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  }
  if (loaded_.has_value() && *loaded_ == stamp) return;
  absl::Status s = ReloadLocked();
  if (!s.ok()) LogWarning("tokens_file_invalid", {{"path", path_}, {"error", std::string(s.message())}});
  loaded_ = stamp;
}

absl::Status TokenStore::ReloadLocked() {
  identity_by_hash_.clear();
  std::ifstream in(path_);
  if (!in) return absl::OkStatus();  // no file: no tokens
  std::stringstream buffer;
  buffer << in.rdbuf();
  absl::Status first_error;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(buffer.str(), '\n')) {
    ++line_number;
    if (auto hash = line.find('#'); hash != absl::string_view::npos) line = line.substr(0, hash);
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    std::vector<absl::string_view> parts = absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    bool hex = parts.size() == 2 && parts[0].size() == 64;
    for (char c : hex ? parts[0] : absl::string_view()) hex &= absl::ascii_isxdigit(static_cast<unsigned char>(c));
    if (!hex) {
      if (first_error.ok()) {
        first_error = InvalidField("security.tokens_file",
                                   absl::StrCat(path_, " line ", line_number,
                                                ": expected \"<sha256 hex> <identity>\""));
      }
      continue;
    }
    identity_by_hash_[absl::AsciiStrToLower(parts[0])] = std::string(parts[1]);
  }
  return first_error;
}

absl::Status TokenStore::Reload() {
  absl::MutexLock lock(&mu_);
  loaded_.reset();
  absl::Status s = ReloadLocked();
  return s;
}

std::optional<std::string> TokenStore::Lookup(absl::string_view token) {
  if (token.empty()) return std::nullopt;
  const std::string hash = Sha256Hex(token);
  absl::MutexLock lock(&mu_);
  MaybeReloadLocked();
  auto it = identity_by_hash_.find(hash);
  if (it == identity_by_hash_.end()) return std::nullopt;
  return it->second;
}

// --- Methods -------------------------------------------------------------------

bool MethodMatches(absl::string_view pattern, absl::string_view method) {
  absl::ConsumePrefix(&pattern, "/");
  absl::ConsumePrefix(&method, "/");
  if (pattern.empty()) return false;
  if (pattern == "*") return true;
  if (absl::ConsumeSuffix(&pattern, "*")) return absl::StartsWith(method, pattern);
  return pattern == method;
}

bool IsStateChanging(absl::string_view method) {
  if (auto slash = method.rfind('/'); slash != absl::string_view::npos) method = method.substr(slash + 1);
  for (const char* prefix : {"Get", "List", "Lookup", "Watch"}) {
    if (absl::StartsWith(method, prefix)) return false;
  }
  return true;
}

// --- AccessPolicy --------------------------------------------------------------

namespace {

bool IdentityMatches(absl::string_view pattern, absl::string_view identity) {
  if (identity.empty()) return false;
  if (absl::ConsumeSuffix(&pattern, "*")) return absl::StartsWith(identity, pattern);
  return pattern == identity;
}

}  // namespace

absl::StatusOr<AccessPolicy> AccessPolicy::FromConfig(const v1::SecurityConfig& config) {
  AccessPolicy policy;
  Validator v;
  for (int i = 0; i < config.roles_size(); ++i) {
    const auto& role = config.roles(i);
    const std::string field = absl::StrCat("security.roles[", i, "]");
    if (!v.Check(!role.name().empty(), field + ".name", "is required")) continue;
    v.Check(!policy.methods_by_role_.count(role.name()), field + ".name", "duplicate role " + role.name());
    auto& methods = policy.methods_by_role_[role.name()];
    for (int j = 0; j < role.methods_size(); ++j) {
      v.Check(!role.methods(j).empty(), absl::StrCat(field, ".methods[", j, "]"), "must not be empty");
      methods.push_back(role.methods(j));
    }
  }
  for (int i = 0; i < config.bindings_size(); ++i) {
    const auto& binding = config.bindings(i);
    const std::string field = absl::StrCat("security.bindings[", i, "]");
    v.Check(!binding.identity().empty(), field + ".identity", "is required");
    v.Check(policy.methods_by_role_.count(binding.role()) > 0, field + ".role",
            absl::StrCat("unknown role \"", binding.role(), "\""));
    policy.bindings_.push_back(binding);
  }
  if (!v.empty()) return v.status();
  return policy;
}

std::vector<std::string> AccessPolicy::RolesOf(absl::string_view identity) const {
  std::vector<std::string> roles;
  for (const auto& binding : bindings_) {
    if (IdentityMatches(binding.identity(), identity)) roles.push_back(binding.role());
  }
  return roles;
}

bool AccessPolicy::Allows(absl::string_view identity, absl::string_view method) const {
  for (const std::string& role : RolesOf(identity)) {
    auto it = methods_by_role_.find(role);
    if (it == methods_by_role_.end()) continue;
    for (const std::string& pattern : it->second) {
      if (MethodMatches(pattern, method)) return true;
    }
  }
  return false;
}

std::string AccessPolicy::StaffIdOf(absl::string_view identity) const {
  for (const auto& binding : bindings_) {
    if (!binding.staff_id().empty() && IdentityMatches(binding.identity(), identity)) return binding.staff_id();
  }
  return "";
}

// --- Separation of duties ------------------------------------------------------

absl::Status CheckSeparationOfDuties(absl::string_view caller, absl::string_view report_subject_staff_id,
                                     absl::string_view reporter_id) {
  caller = absl::StripAsciiWhitespace(caller);
  if (caller.empty()) return absl::OkStatus();
  auto same = [&](absl::string_view other) {
    other = absl::StripAsciiWhitespace(other);
    return !other.empty() && absl::EqualsIgnoreCase(caller, other);
  };
  if (same(report_subject_staff_id)) {
    return absl::PermissionDeniedError(
        "separation of duties: a red-line report cannot be confirmed or dismissed by the staff member it is about");
  }
  if (same(reporter_id)) {
    return absl::PermissionDeniedError(
        "separation of duties: a red-line report cannot be confirmed or dismissed by whoever reported it");
  }
  return absl::OkStatus();
}

}  // namespace gridserve
