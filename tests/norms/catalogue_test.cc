#include "services/common/catalogue.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_split.h"
#include "gridserve/v1/config.pb.h"
#include "gtest/gtest.h"

namespace gridserve {
namespace {

// Every clause ID of norms.md, in order: CC-1..8, CT-1..10, CN-1..8, RP-1..5, RK-1..11.
std::vector<std::string> AllClauseIds() {
  std::vector<std::string> ids;
  for (const auto& [part, count] : std::vector<std::pair<std::string, int>>{
           {"CC", 8}, {"CT", 10}, {"CN", 8}, {"RP", 5}, {"RK", 11}}) {
    for (int i = 1; i <= count; ++i) ids.push_back(part + "-" + std::to_string(i));
  }
  return ids;
}

TEST(CatalogueTest, HasAll42ClausesInOrder) {
  std::vector<std::string> ids;
  for (const auto& clause : Catalogue().clauses()) ids.push_back(clause.id());
  EXPECT_EQ(ids, AllClauseIds());
  EXPECT_EQ(ids.size(), 42u);
}

TEST(CatalogueTest, EveryClauseIsComplete) {
  const std::map<std::string, std::string> owner = {
      {"CC", "contact-center"}, {"CT", "counter"}, {"CN", "construction"}, {"RP", "repair"}, {"RK", "risk"}};
  for (const auto& clause : Catalogue().clauses()) {
    SCOPED_TRACE(clause.id());
    const std::string part = clause.id().substr(0, 2);
    EXPECT_EQ(clause.service(), owner.at(part));
    EXPECT_EQ(clause.severity(), part == "RK" ? v1::SEVERITY_REDLINE : v1::SEVERITY_NORM);
    EXPECT_GT(clause.mechanisms_size(), 0);
    EXPECT_FALSE(clause.title().empty());
    EXPECT_FALSE(clause.seed_text().empty());
  }
}

// A threshold key is a path of field names into SuiteConfig.
bool IsConfigPath(const std::string& path) {
  const google::protobuf::Descriptor* message = v1::SuiteConfig::descriptor();
  for (const auto& part : absl::StrSplit(path, '.')) {
    if (message == nullptr) return false;
    const auto* field = message->FindFieldByName(std::string(part));
    if (field == nullptr) return false;
    message = field->message_type();
    if (message != nullptr && message->full_name() == "google.protobuf.Duration") message = nullptr;
  }
  return true;
}

TEST(CatalogueTest, ThresholdKeysAreConfigFields) {
  for (const auto& clause : Catalogue().clauses()) {
    for (const auto& key : clause.threshold_keys()) EXPECT_TRUE(IsConfigPath(key)) << clause.id() << ": " << key;
  }
  for (const auto& sla : Catalogue().slas()) {
    for (const auto& key : sla.threshold_keys()) EXPECT_TRUE(IsConfigPath(key)) << sla.name() << ": " << key;
  }
  EXPECT_FALSE(IsConfigPath("contact_center.no_such_threshold"));
}

TEST(CatalogueTest, EveryTimerClauseHasAnSlaAndEverySlaAClause) {
  for (const auto& clause : Catalogue().clauses()) {
    const bool timer = std::count(clause.mechanisms().begin(), clause.mechanisms().end(), v1::MECHANISM_TIMER) > 0;
    if (timer) {
      EXPECT_GT(clause.slas_size(), 0) << clause.id();
    }
  }
  for (const auto& sla : Catalogue().slas()) {
    const v1::Clause* clause = FindClause(sla.clause());
    ASSERT_NE(clause, nullptr) << sla.name();
    EXPECT_EQ(clause->service(), sla.service()) << sla.name();
  }
  EXPECT_NE(FindSla("complaint_reply"), nullptr);
  EXPECT_NE(FindSla("repair_arrival"), nullptr);
  EXPECT_EQ(ClausesOfService("repair").size(), 5u);
}

TEST(CatalogueTest, RejectsABrokenCatalogue) {
  EXPECT_FALSE(ParseCatalogue(R"({"clauses": [{"id": "CC-1"}, {"id": "CC-1"}]})").ok());
  EXPECT_FALSE(ParseCatalogue(R"({"clauses": [{"id": "CC-1", "slas": ["nope"]}]})").ok());
  EXPECT_FALSE(ParseCatalogue(R"({"clauses": [{"idd": "CC-1"}]})").ok());
}

}  // namespace
}  // namespace gridserve
