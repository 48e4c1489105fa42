#ifndef GRIDSERVE_SERVICES_COMMON_CATALOGUE_H_
#define GRIDSERVE_SERVICES_COMMON_CATALOGUE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gridserve/v1/common.pb.h"

namespace gridserve {

// The norms catalogue (norms/catalogue.json, compiled in): every clause ID,
// its owner, severity, mechanisms and thresholds, and every SLA.
const v1::NormCatalogue& Catalogue();

// Parses a catalogue from JSON and checks it is well formed (IDs unique,
// SLAs referring to existing clauses).
absl::StatusOr<v1::NormCatalogue> ParseCatalogue(const std::string& json);

const v1::Clause* FindClause(const std::string& id);
const v1::SlaDefinition* FindSla(const std::string& name);
std::vector<const v1::Clause*> ClausesOfService(const std::string& service);
std::vector<const v1::SlaDefinition*> SlasOfService(const std::string& service);

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_CATALOGUE_H_
