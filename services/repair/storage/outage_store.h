#ifndef GRIDSERVE_SERVICES_REPAIR_STORAGE_OUTAGE_STORE_H_
#define GRIDSERVE_SERVICES_REPAIR_STORAGE_OUTAGE_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gridserve/v1/repair.pb.h"
#include "services/common/database.h"

namespace gridserve::repair {

struct OutageFilter {
  v1::OutageKind kind = v1::OUTAGE_KIND_UNSPECIFIED;
  v1::OutageState state = v1::OUTAGE_STATE_UNSPECIFIED;
  std::string department;
  std::string feeder_id;
  std::string area_code;
  // Overlap with [from, to) of the outage's [start, restoration or planned end).
  std::optional<absl::Time> from;
  std::optional<absl::Time> to;
  int64_t offset = 0;
  int limit = 50;
};

// The repair_outages table and the codes (feeders, areas) each outage covers.
// Stored outages carry no breaches: those are read from the breaches table.
class OutageStore {
 public:
  static absl::Status Insert(Transaction& txn, const v1::Outage& outage);
  static absl::Status Update(Transaction& txn, const v1::Outage& outage);
  static absl::StatusOr<std::optional<v1::Outage>> Find(Transaction& txn, const std::string& outage_id);
  static absl::StatusOr<std::vector<v1::Outage>> List(Transaction& txn, const OutageFilter& filter);
  // Outages on this feeder or area whose supply was cut at or before `at`
  // and not restored before it (candidates for the CC-4 lookup).
  static absl::StatusOr<std::vector<v1::Outage>> CoveringCandidates(Transaction& txn, const std::string& feeder_id,
                                                                    const std::string& area_code, absl::Time at);
  // ACTIVE outages by kind (gauge).
  static absl::StatusOr<std::vector<std::pair<v1::OutageKind, int64_t>>> ActiveByKind(Transaction& txn);
};

}  // namespace gridserve::repair

#endif  // GRIDSERVE_SERVICES_REPAIR_STORAGE_OUTAGE_STORE_H_
