// Security platform tests through an in-process server: roles x RPCs, bearer
// tokens and their reload, mutual TLS refusals, separation of duties,
// masking, and the audit trail.
#include <unistd.h>

#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "gridserve/v1/contact_center.grpc.pb.h"
#include "gridserve/v1/repair.grpc.pb.h"
#include "gridserve/v1/risk.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/common/audit_mask.h"
#include "services/common/auth_policy.h"
#include "services/common/auth_security.h"
#include "services/common/log.h"
#include "services/common/migrations.h"
#include "services/common/status_util.h"
#include "tests/security/security_fixture.h"

namespace gridserve {
namespace {

using security_testing::ReadFile;
using security_testing::TestPki;
using security_testing::WriteFile;

// --- Fake services: a few methods answer OK and remember the caller; the
// rest are the generated defaults (UNIMPLEMENTED), which is fine for "allowed".
std::atomic<int> g_handled{0};

grpc::ServerUnaryReactor* Ok(grpc::CallbackServerContext* context) {
  ++g_handled;
  auto* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

class FakeContactCenter final : public v1::ContactCenter::CallbackService {
  grpc::ServerUnaryReactor* RecordCall(grpc::CallbackServerContext* c, const v1::RecordCallRequest*,
                                       v1::RecordCallResponse*) override {
    return Ok(c);
  }
  grpc::ServerUnaryReactor* GetCall(grpc::CallbackServerContext* c, const v1::GetCallRequest*,
                                    v1::GetCallResponse*) override {
    return Ok(c);
  }
};

class FakeRepair final : public v1::Repair::CallbackService {
  grpc::ServerUnaryReactor* RecordArrival(grpc::CallbackServerContext* c, const v1::RecordArrivalRequest*,
                                          v1::RecordArrivalResponse*) override {
    return Ok(c);
  }
  grpc::ServerUnaryReactor* GetArrivalStatistics(grpc::CallbackServerContext* c,
                                                 const v1::GetArrivalStatisticsRequest*,
                                                 v1::GetArrivalStatisticsResponse*) override {
    return Ok(c);
  }
};

class FakeRisk final : public v1::RiskMonitor::CallbackService {
 public:
  std::string last_caller;
  // The separation-of-duties call site as the risk service makes it: the
  // report (here fixed) is about staff S-100 and was filed by auditor-2,
  // bound to staff S-200.
  grpc::ServerUnaryReactor* ConfirmRedLine(grpc::CallbackServerContext* c, const v1::ConfirmRedLineRequest* request,
                                           v1::ConfirmRedLineResponse*) override {
    last_caller = CallerIdentity(c);
    auto* reactor = c->DefaultReactor();
    absl::Status s = CheckRedLineDecision(c, request->decided_by().staff_id(), "S-100", {"auditor-2", "S-200"});
    ++g_handled;
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  }
  grpc::ServerUnaryReactor* GetStatistics(grpc::CallbackServerContext* c, const v1::GetStatisticsRequest*,
                                          v1::GetStatisticsResponse*) override {
    return Ok(c);
  }
};

constexpr char kConfig[] = R"pb(
  require_auth: true
  roles { name: "telephony" methods: "gridserve.v1.ContactCenter/RecordCall" methods: "gridserve.v1.ContactCenter/Get*" }
  roles { name: "field-app" methods: "gridserve.v1.Repair/RecordArrival" methods: "gridserve.v1.Repair/RecordRestoration" }
  roles {
    name: "auditor"
    methods: "gridserve.v1.RiskMonitor/ConfirmRedLine"
    methods: "gridserve.v1.RiskMonitor/DismissRedLine"
    methods: "gridserve.v1.RiskMonitor/Get*"
    methods: "gridserve.v1.Audit/ListAuditRecords"
  }
  roles { name: "dashboard" methods: "gridserve.v1.RiskMonitor/GetStatistics" methods: "gridserve.v1.Repair/GetArrivalStatistics" }
  bindings { identity: "telephony-gw" role: "telephony" }
  bindings { identity: "field-app-*" role: "field-app" }
  bindings { identity: "auditor-1" role: "auditor" staff_id: "S-100" }
  bindings { identity: "auditor-3" role: "auditor" staff_id: "S-300" }
  bindings { identity: "grafana" role: "dashboard" }
)pb";

// Tokens of the test callers (the file holds their SHA-256).
const std::vector<std::pair<std::string, std::string>> kTokens = {
    {"tok-telephony", "telephony-gw"}, {"tok-field", "field-app-7"}, {"tok-auditor", "auditor-1"},
    {"tok-auditor3", "auditor-3"},     {"tok-grafana", "grafana"}};

std::string TokensFile(const std::vector<std::pair<std::string, std::string>>& tokens) {
  std::string text = "# sha256(token) identity\n";
  for (const auto& [token, identity] : tokens) absl::StrAppend(&text, Sha256Hex(token), " ", identity, "\n");
  return text;
}

// An in-process server set up as RunService does.
class SecureServer {
 public:
  SecureServer(const std::string& dir, v1::SecurityConfig config, TlsOptions tls = {}) {
    db_ = *OpenDatabase(absl::StrCat("sqlite://", dir, "/security.db"), "security");
    EXPECT_TRUE(ApplyMigrations(*db_, clock_, "platform", PlatformMigrations()).ok());
    auto layer = SecurityLayer::Create("security-test", config, tls, *db_, clock_);
    EXPECT_TRUE(layer.ok()) << layer.status();
    security_ = *std::move(layer);
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", security_->server_credentials(), &port_);
    builder.RegisterService(*security_->Protect(&contact_center_, "gridserve.v1.ContactCenter"));
    builder.RegisterService(*security_->Protect(&repair_, "gridserve.v1.Repair"));
    builder.RegisterService(*security_->Protect(&risk_, "gridserve.v1.RiskMonitor"));
    builder.RegisterService(security_->audit_service());
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
    interceptors.push_back(security_->MakeInterceptorFactory());
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
    server_ = builder.BuildAndStart();
    EXPECT_NE(server_, nullptr);
  }
  ~SecureServer() {
    if (server_) server_->Shutdown(std::chrono::system_clock::now());
  }

  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }
  std::shared_ptr<grpc::Channel> PlainChannel() const {
    return grpc::CreateChannel(address(), grpc::InsecureChannelCredentials());
  }
  FakeRisk& risk() { return risk_; }
  SecurityLayer& security() { return *security_; }

 private:
  SystemClock clock_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<SecurityLayer> security_;
  FakeContactCenter contact_center_;
  FakeRepair repair_;
  FakeRisk risk_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

// Any unary method by name, with an empty request message.
grpc::Status CallMethod(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                        const std::string& token = "") {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  return done.get_future().get();
}

v1::SecurityConfig ParseSecurity(const std::string& text, const std::string& tokens_file) {
  v1::SecurityConfig config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &config));
  config.set_tokens_file(tokens_file);
  return config;
}

class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "/gridserve-security-", getpid(), "-",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    security_testing::Sh(absl::StrCat("rm -rf '", dir_, "' && mkdir -p '", dir_, "'"));
    tokens_file_ = dir_ + "/tokens.txt";
    WriteFile(tokens_file_, TokensFile(kTokens));
  }
  std::string dir_;
  std::string tokens_file_;
};

// --- Roles x RPCs ---------------------------------------------------------------

TEST_F(SecurityTest, RoleMatrixAllowsAndDeniesEveryListedCall) {
  SecureServer server(dir_, ParseSecurity(kConfig, tokens_file_));
  auto channel = server.PlainChannel();
  struct Case {
    std::string token;
    std::string method;
    bool allowed;
  };
  const std::vector<Case> cases = {
      // telephony records calls and reads them; nothing else.
      {"tok-telephony", "/gridserve.v1.ContactCenter/RecordCall", true},
      {"tok-telephony", "/gridserve.v1.ContactCenter/GetCall", true},
      {"tok-telephony", "/gridserve.v1.ContactCenter/ReportFault", false},
      {"tok-telephony", "/gridserve.v1.Repair/RecordArrival", false},
      {"tok-telephony", "/gridserve.v1.RiskMonitor/ConfirmRedLine", false},
      {"tok-telephony", "/gridserve.v1.Audit/ListAuditRecords", false},
      // field apps update work orders.
      {"tok-field", "/gridserve.v1.Repair/RecordArrival", true},
      {"tok-field", "/gridserve.v1.Repair/RecordRestoration", true},
      {"tok-field", "/gridserve.v1.Repair/CreateOutage", false},
      {"tok-field", "/gridserve.v1.ContactCenter/RecordCall", false},
      {"tok-field", "/gridserve.v1.RiskMonitor/DismissRedLine", false},
      // auditors decide red-line reports and read the audit trail.
      {"tok-auditor", "/gridserve.v1.RiskMonitor/DismissRedLine", true},
      {"tok-auditor", "/gridserve.v1.RiskMonitor/GetRedLineReport", true},
      {"tok-auditor", "/gridserve.v1.Audit/ListAuditRecords", true},
      {"tok-auditor", "/gridserve.v1.RiskMonitor/ReportBreach", false},
      {"tok-auditor", "/gridserve.v1.Repair/RecordArrival", false},
      // dashboards read statistics only.
      {"tok-grafana", "/gridserve.v1.RiskMonitor/GetStatistics", true},
      {"tok-grafana", "/gridserve.v1.Repair/GetArrivalStatistics", true},
      {"tok-grafana", "/gridserve.v1.RiskMonitor/ListRedLineReports", false},
      {"tok-grafana", "/gridserve.v1.RiskMonitor/ConfirmRedLine", false},
      {"tok-grafana", "/gridserve.v1.Audit/ListAuditRecords", false},
      {"tok-grafana", "/gridserve.v1.ContactCenter/RecordCall", false},
  };
  for (const Case& c : cases) {
    const int handled_before = g_handled.load();
    grpc::Status status = CallMethod(channel, c.method, c.token);
    if (c.allowed) {
      EXPECT_NE(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << c.token << " " << c.method;
      EXPECT_NE(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << c.token << " " << c.method;
    } else {
      EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
          << c.token << " " << c.method << ": " << status.error_message();
      EXPECT_EQ(g_handled.load(), handled_before) << "handler ran for a refused call: " << c.method;
    }
  }
  // The fakes' implemented methods really ran for allowed callers.
  const int before = g_handled.load();
  EXPECT_TRUE(CallMethod(channel, "/gridserve.v1.ContactCenter/RecordCall", "tok-telephony").ok());
  EXPECT_TRUE(CallMethod(channel, "/gridserve.v1.RiskMonitor/GetStatistics", "tok-grafana").ok());
  EXPECT_EQ(g_handled.load(), before + 2);
}

TEST_F(SecurityTest, NoIdentityIsUnauthenticatedAndHealthStaysOpen) {
  SecureServer server(dir_, ParseSecurity(kConfig, tokens_file_));
  auto channel = server.PlainChannel();
  const int before = g_handled.load();
  EXPECT_EQ(CallMethod(channel, "/gridserve.v1.ContactCenter/RecordCall").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(CallMethod(channel, "/gridserve.v1.ContactCenter/GetCall", "not-a-token").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(CallMethod(channel, "/gridserve.v1.Audit/ListAuditRecords").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(g_handled.load(), before);

  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  EXPECT_TRUE(health->Check(&context, request, &response).ok());
}

TEST_F(SecurityTest, SecurityDisabledByDefaultLetsEveryoneThrough) {
  SecureServer server(dir_, v1::SecurityConfig());
  EXPECT_TRUE(CallMethod(server.PlainChannel(), "/gridserve.v1.ContactCenter/RecordCall").ok());
  EXPECT_TRUE(CallMethod(server.PlainChannel(), "/gridserve.v1.Audit/ListAuditRecords").ok());
}

TEST_F(SecurityTest, BadConfigIsRefusedNamingTheField) {
  v1::SecurityConfig config = ParseSecurity(kConfig, "");
  config.add_bindings()->set_identity("x");
  config.mutable_bindings(config.bindings_size() - 1)->set_role("no-such-role");
  auto policy = AccessPolicy::FromConfig(config);
  ASSERT_FALSE(policy.ok());
  EXPECT_NE(policy.status().message().find("security.bindings[5].role"), std::string::npos) << policy.status();
}

// A service name that is no generated service would leave the service
// unguarded (its refused calls would run): start-up fails instead, with
// authentication required or not, and even when there is nothing to guard
// (no authentication, no audit).
TEST_F(SecurityTest, ProtectingUnderANameThatIsNoServiceIsAnError) {
  auto db = *OpenDatabase(absl::StrCat("sqlite://", dir_, "/names.db"), "security");
  SystemClock clock;
  ASSERT_TRUE(ApplyMigrations(*db, clock, "platform", PlatformMigrations()).ok());
  v1::SecurityConfig unaudited;
  unaudited.set_audit(false);
  for (const v1::SecurityConfig& config : {ParseSecurity(kConfig, ""), v1::SecurityConfig(), unaudited}) {
    auto layer = SecurityLayer::Create("security-test", config, {}, *db, clock);
    ASSERT_TRUE(layer.ok()) << layer.status();
    FakeRepair repair;
    auto protected_service = (*layer)->Protect(&repair, "gridserve.v1.Repiar");
    ASSERT_FALSE(protected_service.ok());
    EXPECT_EQ(protected_service.status().code(), absl::StatusCode::kNotFound);
    EXPECT_NE(protected_service.status().message().find("gridserve.v1.Repiar"), std::string::npos);
    EXPECT_TRUE((*layer)->Protect(&repair, "gridserve.v1.Repair").ok());
  }
}

TEST(MethodPatternTest, PatternsAndStateChanging) {
  EXPECT_TRUE(MethodMatches("gridserve.v1.Repair/*", "/gridserve.v1.Repair/RecordArrival"));
  EXPECT_TRUE(MethodMatches("/gridserve.v1.Repair/Get*", "/gridserve.v1.Repair/GetWorkOrder"));
  EXPECT_FALSE(MethodMatches("gridserve.v1.Repair/Get*", "/gridserve.v1.Repair/RecordArrival"));
  EXPECT_FALSE(MethodMatches("gridserve.v1.Repair/*", "/gridserve.v1.RepairX/GetWorkOrder"));
  EXPECT_TRUE(MethodMatches("*", "/gridserve.v1.Counter/IssueTicket"));
  EXPECT_FALSE(MethodMatches("", "/gridserve.v1.Counter/IssueTicket"));
  EXPECT_TRUE(IsStateChanging("/gridserve.v1.Repair/RecordArrival"));
  EXPECT_FALSE(IsStateChanging("/gridserve.v1.Repair/LookupOutage"));
  EXPECT_FALSE(IsStateChanging("/gridserve.v1.Repair/WatchBreaches"));
  EXPECT_FALSE(IsStateChanging("/gridserve.v1.Audit/ListAuditRecords"));
}

// --- Tokens ---------------------------------------------------------------------

TEST_F(SecurityTest, TokenFileReloadAcceptsNewAndRefusesOld) {
  SecureServer server(dir_, ParseSecurity(kConfig, tokens_file_));
  auto channel = server.PlainChannel();
  EXPECT_TRUE(CallMethod(channel, "/gridserve.v1.ContactCenter/RecordCall", "tok-telephony").ok());
  EXPECT_EQ(CallMethod(channel, "/gridserve.v1.ContactCenter/RecordCall", "tok-telephony-2").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  WriteFile(tokens_file_, TokensFile({{"tok-telephony-2", "telephony-gw"}}));
  EXPECT_TRUE(CallMethod(channel, "/gridserve.v1.ContactCenter/RecordCall", "tok-telephony-2").ok());
  EXPECT_EQ(CallMethod(channel, "/gridserve.v1.ContactCenter/RecordCall", "tok-telephony").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // The file holds hashes, never the tokens.
  EXPECT_EQ(ReadFile(tokens_file_).find("tok-telephony-2"), std::string::npos);
}

TEST(TokenStoreTest, HashesMalformedLinesAndMissingFile) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string path = absl::StrCat(::testing::TempDir(), "/tokens-", getpid(), ".txt");
  WriteFile(path, absl::StrCat("not a line\n", Sha256Hex("t1"), " svc-a # comment\n"));
  TokenStore store(path);
  EXPECT_FALSE(store.Reload().ok());  // names the bad line, keeps the good ones
  EXPECT_EQ(store.Lookup("t1").value_or(""), "svc-a");
  EXPECT_FALSE(store.Lookup("t2").has_value());
  std::remove(path.c_str());
  EXPECT_FALSE(store.Lookup("t1").has_value());  // file gone: no tokens
}

// --- Separation of duties ----------------------------------------------------------

TEST(SeparationOfDutiesTest, NobodyDecidesAboutThemselvesOrWhatTheyReported) {
  EXPECT_TRUE(CheckSeparationOfDuties("S-7", "S-100", "auditor-2").ok());
  EXPECT_EQ(CheckSeparationOfDuties("S-100", "S-100", "auditor-2").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckSeparationOfDuties(" s-100 ", "S-100", "").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckSeparationOfDuties("auditor-2", "S-100", "auditor-2").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(CheckSeparationOfDuties("", "S-100", "auditor-2").ok());
  EXPECT_TRUE(CheckSeparationOfDuties("S-7", "", "").ok());
}

TEST_F(SecurityTest, RedLineDecisionChecksTheAuthenticatedCallerAndDecidedBy) {
  SecureServer server(dir_, ParseSecurity(kConfig, tokens_file_));
  auto stub = v1::RiskMonitor::NewStub(server.PlainChannel());
  auto confirm = [&](const std::string& token, const std::string& decided_by) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token);
    v1::ConfirmRedLineRequest request;
    request.mutable_decided_by()->set_staff_id(decided_by);
    v1::ConfirmRedLineResponse response;
    return stub->ConfirmRedLine(&context, request, &response);
  };
  // auditor-1 is bound to staff S-100, whom the report is about.
  grpc::Status about_self = confirm("tok-auditor", "S-999");
  EXPECT_EQ(about_self.error_code(), grpc::StatusCode::PERMISSION_DENIED) << about_self.error_message();
  EXPECT_EQ(server.risk().last_caller, "auditor-1");
  // auditor-3 (S-300) may, unless decided_by names the subject.
  EXPECT_TRUE(confirm("tok-auditor3", "S-300").ok());
  EXPECT_EQ(confirm("tok-auditor3", "S-100").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // ... nor when decided_by names the staff member who filed the report.
  grpc::Status filed_it = confirm("tok-auditor3", "S-200");
  EXPECT_EQ(filed_it.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(filed_it.error_message().find("reported it"), std::string::npos) << filed_it.error_message();
}

// --- Audit trail ---------------------------------------------------------------------

TEST_F(SecurityTest, StateChangingCallsAreAuditedAndListedForAuditors) {
  SecureServer server(dir_, ParseSecurity(kConfig, tokens_file_));
  auto channel = server.PlainChannel();
  ASSERT_TRUE(CallMethod(channel, "/gridserve.v1.ContactCenter/RecordCall", "tok-telephony").ok());
  ASSERT_TRUE(CallMethod(channel, "/gridserve.v1.ContactCenter/GetCall", "tok-telephony").ok());  // a read
  ASSERT_EQ(CallMethod(channel, "/gridserve.v1.Repair/CreateOutage", "tok-field").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_EQ(CallMethod(channel, "/gridserve.v1.Repair/RecordArrival").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  auto audit = v1::Audit::NewStub(channel);
  auto list = [&](v1::ListAuditRecordsRequest request, const std::string& token) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token);
    v1::ListAuditRecordsResponse response;
    grpc::Status status = audit->ListAuditRecords(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  };
  v1::ListAuditRecordsResponse all = list({}, "tok-auditor");
  ASSERT_EQ(all.records_size(), 3);  // no record for GetCall, none for the listing itself
  // Newest first.
  EXPECT_EQ(all.records(0).method(), "/gridserve.v1.Repair/RecordArrival");
  EXPECT_EQ(all.records(0).code(), "UNAUTHENTICATED");
  EXPECT_EQ(all.records(0).caller(), "");
  EXPECT_EQ(all.records(1).method(), "/gridserve.v1.Repair/CreateOutage");
  EXPECT_EQ(all.records(1).code(), "PERMISSION_DENIED");
  EXPECT_EQ(all.records(1).caller(), "field-app-7");
  EXPECT_EQ(all.records(1).authenticated_by(), "token");
  EXPECT_EQ(all.records(2).method(), "/gridserve.v1.ContactCenter/RecordCall");
  EXPECT_EQ(all.records(2).code(), "OK");
  EXPECT_EQ(all.records(2).caller(), "telephony-gw");
  EXPECT_EQ(all.records(2).service(), "security-test");
  EXPECT_NE(all.records(2).peer().find("127.0.0.1"), std::string::npos) << all.records(2).peer();
  EXPECT_GT(all.records(2).occurred_at().seconds(), 0);

  // Filters and paging.
  v1::ListAuditRecordsRequest by_code;
  by_code.set_code("PERMISSION_DENIED");
  EXPECT_EQ(list(by_code, "tok-auditor").records_size(), 1);
  v1::ListAuditRecordsRequest by_service;
  by_service.set_method("/gridserve.v1.Repair/");
  EXPECT_EQ(list(by_service, "tok-auditor").records_size(), 2);
  v1::ListAuditRecordsRequest by_caller;
  by_caller.set_caller("telephony-gw");
  EXPECT_EQ(list(by_caller, "tok-auditor").records_size(), 1);
  v1::ListAuditRecordsRequest paged;
  paged.set_page_size(2);
  auto first = list(paged, "tok-auditor");
  ASSERT_EQ(first.records_size(), 2);
  ASSERT_FALSE(first.next_page_token().empty());
  paged.set_page_token(first.next_page_token());
  auto second = list(paged, "tok-auditor");
  ASSERT_EQ(second.records_size(), 1);
  EXPECT_EQ(second.records(0).method(), "/gridserve.v1.ContactCenter/RecordCall");
  EXPECT_TRUE(second.next_page_token().empty());
}

// --- Mutual TLS ------------------------------------------------------------------------

class MutualTlsTest : public SecurityTest {
 protected:
  void SetUp() override {
    SecurityTest::SetUp();
    pki_ = std::make_unique<TestPki>(dir_ + "/pki");
    ASSERT_TRUE(pki_->Create());
    server_tls_.cert = pki_->cert("server");
    server_tls_.key = pki_->key("server");
    server_tls_.client_ca = pki_->cert("ca");
  }
  std::shared_ptr<grpc::Channel> TlsChannel(const std::string& target, const std::string& ca,
                                            const std::string& client) {
    TlsOptions client_tls;
    client_tls.ca = ca;
    if (!client.empty()) {
      client_tls.client_cert = pki_->cert(client);
      client_tls.client_key = pki_->key(client);
    }
    client_tls.server_name = "localhost";
    return MakePeerChannel(client_tls, MakeChannelCredentials(client_tls), target);
  }
  std::unique_ptr<TestPki> pki_;
  TlsOptions server_tls_;
};

TEST_F(MutualTlsTest, OnlyClientsWithACertificateFromTheCaGetThrough) {
  SecureServer server(dir_, ParseSecurity(kConfig, tokens_file_), server_tls_);
  const std::string target = server.address();
  // Plaintext client.
  EXPECT_EQ(CallMethod(server.PlainChannel(), "/gridserve.v1.RiskMonitor/GetStatistics", "tok-grafana").error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // TLS without a client certificate.
  EXPECT_EQ(CallMethod(TlsChannel(target, pki_->cert("ca"), ""), "/gridserve.v1.RiskMonitor/GetStatistics",
                       "tok-grafana")
                .error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // A certificate (even one naming auditor-1) from a foreign CA.
  EXPECT_EQ(CallMethod(TlsChannel(target, pki_->cert("ca"), "intruder"), "/gridserve.v1.RiskMonitor/GetRedLineReport")
                .error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // The real auditor: identity from the certificate SAN, role checked.
  auto auditor = TlsChannel(target, pki_->cert("ca"), "auditor-1");
  grpc::Status allowed = CallMethod(auditor, "/gridserve.v1.RiskMonitor/GetRedLineReport");
  EXPECT_NE(allowed.error_code(), grpc::StatusCode::UNAVAILABLE) << allowed.error_message();
  EXPECT_NE(allowed.error_code(), grpc::StatusCode::PERMISSION_DENIED) << allowed.error_message();
  EXPECT_NE(allowed.error_code(), grpc::StatusCode::UNAUTHENTICATED) << allowed.error_message();
  EXPECT_EQ(CallMethod(auditor, "/gridserve.v1.Repair/RecordArrival").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // field-app-7 matches the "field-app-*" binding.
  EXPECT_TRUE(CallMethod(TlsChannel(target, pki_->cert("ca"), "field-app-7"), "/gridserve.v1.Repair/RecordArrival").ok());
  // A client that does not trust the server's CA refuses it.
  EXPECT_EQ(CallMethod(TlsChannel(target, pki_->cert("foreign-ca"), "auditor-1"),
                       "/gridserve.v1.RiskMonitor/GetRedLineReport")
                .error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(MutualTlsTest, ServerOnlyTlsTakesTokens) {
  server_tls_.client_ca.clear();
  SecureServer server(dir_, ParseSecurity(kConfig, tokens_file_), server_tls_);
  auto channel = TlsChannel(server.address(), pki_->cert("ca"), "");
  EXPECT_TRUE(CallMethod(channel, "/gridserve.v1.RiskMonitor/GetStatistics", "tok-grafana").ok());
  EXPECT_EQ(CallMethod(channel, "/gridserve.v1.RiskMonitor/GetStatistics").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(MutualTlsTest, BadTlsFlagsAreRefused) {
  TlsOptions only_cert;
  only_cert.cert = pki_->cert("server");
  EXPECT_FALSE(ValidateTlsOptions(only_cert).ok());
  TlsOptions missing = server_tls_;
  missing.client_ca = dir_ + "/nope.pem";
  EXPECT_FALSE(ValidateTlsOptions(missing).ok());
  EXPECT_TRUE(ValidateTlsOptions(server_tls_).ok());
}

// --- Masking --------------------------------------------------------------------------

TEST(MaskingTest, PhonesIdNumbersAndAddressesAreMasked) {
  EXPECT_EQ(MaskPersonalData("13812345678"), "138******78");
  EXPECT_EQ(MaskPersonalData("call +86 138 1234 5678 now"), "call +86 1** **** **78 now");
  EXPECT_EQ(MaskPersonalData("tel 010-62345678"), "tel 010-******78");
  for (const std::string text :
       {"caller 13812345678 at 12 Jiefang Road", "call +86 138-1234-5678 now", "id 11010119900307123X",
        "id 110101199003071234.", "5 Garden Road, Haidian", "北京市朝阳区建国路88号3单元", "tel 010-62345678"}) {
    const std::string masked = MaskPersonalData(text);
    EXPECT_EQ(masked.find("12345678"), std::string::npos) << masked;
    EXPECT_EQ(masked.find("1234-5678"), std::string::npos) << masked;
    EXPECT_EQ(masked.find("19900307"), std::string::npos) << masked;
    EXPECT_EQ(masked.find("Jiefang"), std::string::npos) << masked;
    EXPECT_EQ(masked.find("Garden Road"), std::string::npos) << masked;
    EXPECT_EQ(masked.find("建国路"), std::string::npos) << masked;
    EXPECT_EQ(masked.find("62345678"), std::string::npos) << masked;
  }
  // What is not personal data stays readable.
  for (const std::string text : {"WO-3f9a0c12345678ab", "port 50054", "due 2026-11-27T10:00:00Z", "RK-10 count 12",
                                 "gridserve.v1.Repair/RecordArrival", "request_id req-1234567-a"}) {
    EXPECT_EQ(MaskPersonalData(text), text);
  }
}

TEST(MaskingTest, LogLinesAndErrorMessagesAreMasked) {
  const std::string line = FormatLogLine(
      "info", "x", {{"phone", "139 0000 1111"}, {"customer_address", "Flat 2"}, {"error", "no answer on 13900001111"}});
  EXPECT_EQ(line.find("13900001111"), std::string::npos) << line;
  EXPECT_EQ(line.find("0000 1111"), std::string::npos) << line;
  EXPECT_EQ(line.find("Flat 2"), std::string::npos) << line;
  grpc::Status status = ToGrpcStatus(absl::InvalidArgumentError("caller 13912345678 at 8 Grid Road"));
  EXPECT_EQ(status.error_message().find("13912345678"), std::string::npos) << status.error_message();
  EXPECT_EQ(status.error_message().find("Grid Road"), std::string::npos) << status.error_message();
  // Field violations keep their plain wording.
  EXPECT_EQ(ToGrpcStatus(InvalidField("caller.phone", "is required")).error_message(), "caller.phone: is required");
}

}  // namespace
}  // namespace gridserve
