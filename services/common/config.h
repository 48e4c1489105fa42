#ifndef GRIDSERVE_SERVICES_COMMON_CONFIG_H_
#define GRIDSERVE_SERVICES_COMMON_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "gridserve/v1/config.pb.h"

namespace gridserve {

// The configuration with every default from norms.md filled in.
v1::SuiteConfig DefaultConfig();

// Parses protobuf JSON (unknown fields are an error) and lays it over the
// defaults: a field present in the file replaces the default (a list replaces
// the whole default list), everything else keeps its default. The result is
// validated; errors name the field.
absl::StatusOr<v1::SuiteConfig> ParseConfig(const std::string& json);
absl::StatusOr<v1::SuiteConfig> LoadConfigFile(const std::string& path);
// Several files laid over the defaults in order, each by the same rule (a
// site's file, then an environment's few changes), validated once at the
// end. Errors name the file (a parse error) or the files and the field.
absl::StatusOr<v1::SuiteConfig> LoadConfigFiles(const std::vector<std::string>& paths);

// Checks ranges and formats; INVALID_ARGUMENT naming the first bad fields.
absl::Status ValidateConfig(const v1::SuiteConfig& config);

inline absl::Duration ToAbsl(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

// The area class settings for a name, or NOT_FOUND.
absl::StatusOr<v1::AreaClass> FindAreaClass(const v1::SuiteConfig& config, const std::string& name);

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_CONFIG_H_
