// The configurations deploy/k8s ships, loaded as the services load them:
// the base's file, then the overlay's (--config=base,overlay).
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gridserve/v1/audit.pb.h"
#include "gridserve/v1/construction.pb.h"
#include "gridserve/v1/contact_center.pb.h"
#include "gridserve/v1/counter.pb.h"
#include "gridserve/v1/repair.pb.h"
#include "gridserve/v1/risk.pb.h"
#include "gtest/gtest.h"
#include "services/common/auth_policy.h"
#include "services/common/config.h"

namespace gridserve {
namespace {

std::string Source(const std::string& path) { return std::string(GRIDSERVE_SOURCE_DIR) + "/" + path; }

absl::StatusOr<v1::SuiteConfig> BaseAnd(const std::string& overlay_file) {
  return LoadConfigFiles({Source("deploy/k8s/base/config/gridserve.json"), Source(overlay_file)});
}

TEST(ShippedConfigTest, DevBacksUpOnItsVolumeAndStaysOpen) {
  auto dev = BaseAnd("deploy/k8s/overlays/dev/config/gridserve-dev.json");
  ASSERT_TRUE(dev.ok()) << dev.status();
  EXPECT_EQ(dev->platform().backup_dir(), "/var/lib/gridserve/backups");  // the PVC's mount
  EXPECT_FALSE(dev->security().require_auth());
  EXPECT_EQ(dev->calendar().holidays_size(), 19);  // the base's, kept
}

// Every method of the suite's six services, "/package.Service/Method".
std::vector<std::string> SuiteMethods() {
  // One message of each contract file: their files name the services (and link them in).
  const google::protobuf::FileDescriptor* contracts[] = {
      v1::RecordCallRequest::descriptor()->file(),    v1::IssueTicketRequest::descriptor()->file(),
      v1::CreateProjectRequest::descriptor()->file(), v1::CreateWorkOrderRequest::descriptor()->file(),
      v1::ReportBreachRequest::descriptor()->file(),  v1::ListAuditRecordsRequest::descriptor()->file()};
  std::vector<std::string> methods;
  for (const auto* file : contracts) {
    for (int s = 0; s < file->service_count(); ++s) {
      const auto* service = file->service(s);
      for (int i = 0; i < service->method_count(); ++i) {
        methods.push_back("/" + service->full_name() + "/" + service->method(i)->name());
      }
    }
  }
  return methods;
}

class ProdPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto prod = BaseAnd("deploy/k8s/overlays/prod/config/gridserve-prod.json");
    ASSERT_TRUE(prod.ok()) << prod.status();
    config_ = *prod;
    auto policy = AccessPolicy::FromConfig(config_.security());
    ASSERT_TRUE(policy.ok()) << policy.status();
    policy_ = *policy;
  }

  // The methods `identity` may call, of all the suite's.
  std::set<std::string> AllowedFor(const std::string& identity) const {
    std::set<std::string> allowed;
    for (const std::string& method : SuiteMethods()) {
      if (policy_->Allows(identity, method)) allowed.insert(method);
    }
    return allowed;
  }

  v1::SuiteConfig config_;
  std::optional<AccessPolicy> policy_;
};

// deploy/README.md, "Roles": what each service's outbox handlers and lookups
// call on its peers (services/common/risk_client.cc,
// services/contact_center/grpc/repair_peer.cc) — exactly that: refused, they
// would retry for ever; more, and a service's certificate could decide red
// lines or read the audit trail.
TEST_F(ProdPolicyTest, EachPeerMayMakeExactlyItsOwnCalls) {
  EXPECT_TRUE(config_.security().require_auth());
  EXPECT_THAT(AllowedFor("gridserve-contact-center"),
              ::testing::UnorderedElementsAre("/gridserve.v1.Repair/AcceptDispatch", "/gridserve.v1.Repair/LookupOutage",
                                              "/gridserve.v1.RiskMonitor/ReportBreach",
                                              "/gridserve.v1.RiskMonitor/ReportRedLine"));
  for (const char* peer : {"gridserve-construction", "gridserve-repair"}) {
    EXPECT_THAT(AllowedFor(peer), ::testing::UnorderedElementsAre("/gridserve.v1.RiskMonitor/ReportBreach",
                                                                  "/gridserve.v1.RiskMonitor/ReportRedLine"))
        << peer;
  }
  EXPECT_THAT(AllowedFor("gridserve-counter"), ::testing::ElementsAre("/gridserve.v1.RiskMonitor/ReportBreach"));
  EXPECT_THAT(AllowedFor("gridserve-risk"), ::testing::IsEmpty());
  // A client nobody has bound yet calls nothing (PERMISSION_DENIED) until IT binds it.
  EXPECT_THAT(AllowedFor("telephony-gw"), ::testing::IsEmpty());
}

// README.md, "Security": the audit trail is for auditors only.
TEST_F(ProdPolicyTest, OnlyTheAuditorRoleReadsTheAuditTrail) {
  std::vector<std::string> readers;
  for (const auto& role : config_.security().roles()) {
    for (const auto& pattern : role.methods()) {
      if (MethodMatches(pattern, "/gridserve.v1.Audit/ListAuditRecords")) readers.push_back(role.name());
    }
  }
  EXPECT_THAT(readers, ::testing::ElementsAre("auditor"));
}

// Once IT binds its clients, a client role reaches every method of the suite
// but the two only services call (a dispatch from the contact center's
// outbox, a breach found by a service's own checks): nothing the clients need
// — a red line found in an audit or inspection included — is left out.
TEST_F(ProdPolicyTest, EveryMethodButThePeersOwnHasAClientRole) {
  std::set<std::string> peer_roles;
  for (const auto& binding : config_.security().bindings()) {
    if (absl::StartsWith(binding.identity(), "gridserve-")) peer_roles.insert(binding.role());
  }
  const std::set<std::string> peers_only = {"/gridserve.v1.Repair/AcceptDispatch",
                                            "/gridserve.v1.RiskMonitor/ReportBreach"};
  std::vector<std::string> methods = SuiteMethods();
  EXPECT_GT(methods.size(), 100u);
  for (const std::string& method : methods) {
    bool reachable = false;
    for (const auto& role : config_.security().roles()) {
      if (peer_roles.count(role.name()) > 0) continue;
      for (const auto& pattern : role.methods()) reachable = reachable || MethodMatches(pattern, method);
    }
    EXPECT_EQ(reachable, peers_only.count(method) == 0) << method;
  }
}

}  // namespace
}  // namespace gridserve
