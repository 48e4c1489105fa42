// The configurations deploy/k8s ships, loaded as the services load them:
// the base's file, then the overlay's (--config=base,overlay).
#include <string>

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

  v1::SuiteConfig config_;
  std::optional<AccessPolicy> policy_;
};

// deploy/README.md, "Roles": what each service's outbox handlers and lookups
// call on its peers (services/common/risk_client.cc,
// services/contact_center/grpc/repair_peer.cc). Refused, they would retry for ever.
TEST_F(ProdPolicyTest, EachPeerMayMakeItsOwnCallsAndNoMore) {
  EXPECT_TRUE(config_.security().require_auth());
  const std::string risk = "/gridserve.v1.RiskMonitor/";
  for (const char* peer : {"gridserve-contact-center", "gridserve-construction", "gridserve-repair"}) {
    EXPECT_TRUE(policy_->Allows(peer, risk + "ReportBreach")) << peer;
    EXPECT_TRUE(policy_->Allows(peer, risk + "ReportRedLine")) << peer;
  }
  EXPECT_TRUE(policy_->Allows("gridserve-counter", risk + "ReportBreach"));
  EXPECT_TRUE(policy_->Allows("gridserve-contact-center", "/gridserve.v1.Repair/AcceptDispatch"));
  EXPECT_TRUE(policy_->Allows("gridserve-contact-center", "/gridserve.v1.Repair/LookupOutage"));

  // No more than that: a peer's certificate decides no red line and reads no audit trail.
  for (const char* peer : {"gridserve-contact-center", "gridserve-counter", "gridserve-construction",
                           "gridserve-repair", "gridserve-risk"}) {
    EXPECT_FALSE(policy_->Allows(peer, risk + "ConfirmRedLine")) << peer;
    EXPECT_FALSE(policy_->Allows(peer, "/gridserve.v1.Audit/ListAuditRecords")) << peer;
    EXPECT_FALSE(policy_->Allows(peer, "/gridserve.v1.Counter/IssueTicket")) << peer;
  }
  EXPECT_TRUE(policy_->RolesOf("gridserve-risk").empty());
  // A client nobody has bound yet calls nothing (PERMISSION_DENIED) until IT binds it.
  EXPECT_TRUE(policy_->RolesOf("telephony-gw").empty());
  EXPECT_FALSE(policy_->Allows("telephony-gw", "/gridserve.v1.ContactCenter/RecordCall"));
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

// Once bound, some role reaches every method of the five services: nothing
// the clients need is left unreachable in prod.
TEST_F(ProdPolicyTest, EveryMethodOfTheSuiteHasARole) {
  // One message of each contract file: their files name the services (and link them in).
  const google::protobuf::FileDescriptor* contracts[] = {
      v1::RecordCallRequest::descriptor()->file(),      v1::IssueTicketRequest::descriptor()->file(),
      v1::CreateProjectRequest::descriptor()->file(),   v1::CreateWorkOrderRequest::descriptor()->file(),
      v1::ReportBreachRequest::descriptor()->file(),    v1::ListAuditRecordsRequest::descriptor()->file()};
  int methods = 0;
  for (const auto* file : contracts) {
    ASSERT_EQ(file->service_count(), 1) << file->name();
    const auto* service = file->service(0);
    for (int i = 0; i < service->method_count(); ++i, ++methods) {
      const std::string method = "/" + service->full_name() + "/" + service->method(i)->name();
      bool reachable = false;
      for (const auto& role : config_.security().roles()) {
        for (const auto& pattern : role.methods()) reachable = reachable || MethodMatches(pattern, method);
      }
      EXPECT_TRUE(reachable) << method << " is in no role of gridserve-prod.json";
    }
  }
  EXPECT_GT(methods, 100);
}

}  // namespace
}  // namespace gridserve
