// The real gridserve-risk binary with mutual TLS, roles from its config,
// bearer tokens, the plaintext health probe port and the audit trail.
#include <unistd.h>

#include <future>
#include <memory>
#include <string>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "gridserve/v1/audit.grpc.pb.h"
#include "gridserve/v1/risk.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/security/security_fixture.h"
#include "tests/support/suite_process.h"

namespace gridserve {
namespace {

using security_testing::ReadFile;
using security_testing::TestPki;
using security_testing::WriteFile;
using testing::HttpGet;
using testing::MetricValue;
using testing::ServiceProcess;

constexpr char kPhone[] = "13912345678";
constexpr char kAddress[] = "12 Jiefang Road";

std::string JsonField(const std::string& log, const std::string& event, const std::string& key) {
  const auto at = log.find(absl::StrCat("\"event\":\"", event, "\""));
  if (at == std::string::npos) return "";
  const std::string needle = absl::StrCat("\"", key, "\":\"");
  auto start = log.find(needle, at);
  if (start == std::string::npos) return "";
  start += needle.size();
  return log.substr(start, log.find('"', start) - start);
}

class SecurityE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeWorkDir("security-e2e");
    pki_ = std::make_unique<TestPki>(dir_ + "/pki");
    ASSERT_TRUE(pki_->Create());
    // The token "dash-token" of the dashboard, stored hashed (sha256sum).
    std::string hash;
    ASSERT_EQ(security_testing::Sh("printf %s dash-token | sha256sum | cut -d' ' -f1", &hash), 0);
    WriteFile(dir_ + "/tokens.txt", absl::StrCat(hash.substr(0, 64), " grafana\n"));
    WriteFile(dir_ + "/config.json", absl::StrCat(R"({"security": {
      "requireAuth": true,
      "tokensFile": ")", dir_, R"(/tokens.txt",
      "roles": [
        {"name": "reporter", "methods": ["gridserve.v1.RiskMonitor/ReportRedLine"]},
        {"name": "auditor", "methods": ["gridserve.v1.RiskMonitor/*", "gridserve.v1.Audit/ListAuditRecords"]},
        {"name": "dashboard", "methods": ["gridserve.v1.RiskMonitor/GetStatistics"]}
      ],
      "bindings": [
        {"identity": "field-app-7", "role": "reporter"},
        {"identity": "auditor-1", "role": "auditor", "staffId": "S-100"},
        {"identity": "auditor-2", "role": "auditor", "staffId": "S-200"},
        {"identity": "grafana", "role": "dashboard"}
      ]}})"));
    risk_ = std::make_unique<ServiceProcess>(
        "risk", dir_,
        std::vector<std::string>{absl::StrCat("--config=", dir_, "/config.json"),
                                 "--tls_cert=" + pki_->cert("server"), "--tls_key=" + pki_->key("server"),
                                 "--tls_client_ca=" + pki_->cert("ca"), "--health_listen=127.0.0.1:0"});
    ASSERT_TRUE(risk_->Start()) << risk_->Log();
  }

  std::shared_ptr<grpc::Channel> Channel(const std::string& client) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = ReadFile(pki_->cert("ca"));
    if (!client.empty()) {
      options.pem_private_key = ReadFile(pki_->key(client));
      options.pem_cert_chain = ReadFile(pki_->cert(client));
    }
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    return grpc::CreateCustomChannel(risk_->grpc_address(), grpc::SslCredentials(options), args);
  }

  std::string dir_;
  std::unique_ptr<TestPki> pki_;
  std::unique_ptr<ServiceProcess> risk_;
};

TEST_F(SecurityE2eTest, MutualTlsRolesProbePortAuditAndMaskedLogs) {
  // 1. The probe port: plaintext, health only, mirrors the main status.
  const std::string health_port = JsonField(risk_->Log(), "health_probe_serving", "health_port");
  ASSERT_FALSE(health_port.empty()) << risk_->Log();
  auto probe = grpc::CreateChannel("127.0.0.1:" + health_port, grpc::InsecureChannelCredentials());
  for (const std::string service : {"", "gridserve.v1.RiskMonitor"}) {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    ASSERT_TRUE(grpc::health::v1::Health::NewStub(probe)->Check(&context, request, &response).ok());
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING) << service;
  }
  {
    grpc::ClientContext context;
    v1::GetStatisticsResponse response;
    EXPECT_EQ(v1::RiskMonitor::NewStub(probe)->GetStatistics(&context, {}, &response).error_code(),
              grpc::StatusCode::UNIMPLEMENTED);
    // No reflection either: a stream to it ends UNIMPLEMENTED.
    grpc::CompletionQueue cq;
    grpc::ClientContext reflection_context;
    grpc::GenericStub generic(probe);
    auto stream = generic.PrepareCall(&reflection_context,
                                      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
    stream->StartCall(reinterpret_cast<void*>(1));
    grpc::Status status;
    stream->Finish(&status, reinterpret_cast<void*>(2));
    void* tag = nullptr;
    bool ok = false;
    while (cq.Next(&tag, &ok) && tag != reinterpret_cast<void*>(2)) {
    }
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED) << status.error_message();
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
  }

  // 2. The gRPC port refuses plaintext and clients without a certificate.
  {
    auto plain = grpc::CreateChannel(risk_->grpc_address(), grpc::InsecureChannelCredentials());
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::GetStatisticsResponse response;
    EXPECT_EQ(v1::RiskMonitor::NewStub(plain)->GetStatistics(&context, {}, &response).error_code(),
              grpc::StatusCode::UNAVAILABLE);
    grpc::ClientContext no_cert_context;
    no_cert_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    no_cert_context.AddMetadata("authorization", "Bearer dash-token");
    EXPECT_EQ(v1::RiskMonitor::NewStub(Channel(""))->GetStatistics(&no_cert_context, {}, &response).error_code(),
              grpc::StatusCode::UNAVAILABLE);
  }

  // 3. Roles: a field app may report but not read statistics; the real
  //    service answers (its own validation), with personal data masked.
  auto field_app = v1::RiskMonitor::NewStub(Channel("field-app-7"));
  {
    grpc::ClientContext context;
    v1::GetStatisticsResponse response;
    EXPECT_EQ(field_app->GetStatistics(&context, {}, &response).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  grpc::Status reported;
  {
    grpc::ClientContext context;
    v1::ReportRedLineRequest request;
    request.set_request_id("sec-e2e-1");
    request.set_rule("RK-99");  // not a red line: refused by the service
    request.mutable_reporter()->set_phone(kPhone);
    request.set_description(absl::StrCat("customer ", kPhone, " at ", kAddress, " was asked for money"));
    v1::ReportRedLineResponse response;
    reported = field_app->ReportRedLine(&context, request, &response);
    // Authorised: the call reaches the service, which refuses the rule itself.
    EXPECT_EQ(reported.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << reported.error_message();
    EXPECT_EQ(reported.error_message().find(kPhone), std::string::npos);
    EXPECT_EQ(reported.error_message().find(kAddress), std::string::npos);
  }

  // 4. The audit trail, for auditors only.
  auto auditor = v1::Audit::NewStub(Channel("auditor-1"));
  {
    grpc::ClientContext context;
    v1::ListAuditRecordsRequest request;
    request.set_method("/gridserve.v1.RiskMonitor/");
    v1::ListAuditRecordsResponse response;
    ASSERT_TRUE(auditor->ListAuditRecords(&context, request, &response).ok());
    ASSERT_GE(response.records_size(), 1);
    const auto& record = response.records(0);
    EXPECT_EQ(record.method(), "/gridserve.v1.RiskMonitor/ReportRedLine");
    EXPECT_EQ(record.caller(), "field-app-7");
    EXPECT_EQ(record.authenticated_by(), "certificate");
    EXPECT_EQ(record.service(), "risk");
    EXPECT_EQ(record.code(), "INVALID_ARGUMENT");
    EXPECT_FALSE(record.peer().empty());
    EXPECT_EQ(record.message().find(kPhone), std::string::npos);
  }
  {
    grpc::ClientContext context;
    v1::ListAuditRecordsResponse response;
    EXPECT_EQ(v1::Audit::NewStub(Channel("field-app-7"))->ListAuditRecords(&context, {}, &response).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  // Both audit calls are in the gRPC metrics, as every method of the service is.
  {
    const std::string metrics = HttpGet(risk_->metrics_url());
    const auto handled = [&](const std::string& code) {
      return MetricValue(metrics, "grpc_server_handled_total",
                         {{"grpc_service", "gridserve.v1.Audit"}, {"grpc_method", "ListAuditRecords"}, {"grpc_code", code}});
    };
    EXPECT_EQ(handled("OK"), 1) << metrics;
    EXPECT_EQ(handled("PermissionDenied"), 1);
  }

  // 5. Drain, then no log line carries the phone number or the address.
  EXPECT_EQ(risk_->Stop(), 0);
  const std::string log = risk_->Log();
  EXPECT_NE(log.find("\"event\":\"security\""), std::string::npos);
  EXPECT_EQ(log.find(kPhone), std::string::npos) << log;
  EXPECT_EQ(log.find(kAddress), std::string::npos) << log;
}

// Separation of duties with the real service: whoever filed a report (its
// certificate identity and bound staff id are stored with it) cannot decide it,
// nor can the staff member it is about; another auditor can.
TEST_F(SecurityE2eTest, NobodyDecidesARedLineReportTheyFiledOrThatIsAboutThem) {
  auto auditor1 = v1::RiskMonitor::NewStub(Channel("auditor-1"));
  auto auditor2 = v1::RiskMonitor::NewStub(Channel("auditor-2"));
  const auto now = absl::Now();
  auto stamp = [](absl::Time t) {
    google::protobuf::Timestamp ts;
    ts.set_seconds(absl::ToUnixSeconds(t));
    return ts;
  };
  auto report = [&](const std::string& request_id, const std::string& about_staff) {
    grpc::ClientContext context;
    v1::ReportRedLineRequest request;
    request.set_request_id(request_id);
    request.set_rule("RK-1");
    request.set_source(v1::RED_LINE_SOURCE_AUDIT);
    request.set_department("hall");
    request.mutable_staff()->set_staff_id(about_staff);
    *request.mutable_occurred_at() = stamp(now - absl::Hours(2));
    request.set_description("accepted a gift from a customer");
    v1::ReportRedLineResponse response;
    grpc::Status status = auditor1->ReportRedLine(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.report();
  };
  auto confirm = [&](v1::RiskMonitor::Stub& stub, const std::string& report_id, const std::string& decided_by) {
    grpc::ClientContext context;
    v1::ConfirmRedLineRequest request;
    request.set_request_id("confirm-" + report_id + "-" + decided_by);
    request.set_report_id(report_id);
    request.mutable_decided_by()->set_staff_id(decided_by);
    // After the investigation started (at the report's filing, a server time
    // with a fraction of a second that stamp() would drop).
    *request.mutable_decided_at() = stamp(absl::Now() + absl::Seconds(1));
    request.set_finding("the gift was accepted");
    request.set_action_taken("warning issued");
    v1::ConfirmRedLineResponse response;
    return stub.ConfirmRedLine(&context, request, &response);
  };

  const v1::RedLineReport filed = report("sod-1", "S-500");
  ASSERT_FALSE(filed.report_id().empty());
  EXPECT_EQ(filed.reported_by(), "auditor-1");
  EXPECT_EQ(filed.reported_by_staff_id(), "S-100");
  // auditor-1 filed it: refused, whatever decided_by says.
  grpc::Status own = confirm(*auditor1, filed.report_id(), "S-999");
  EXPECT_EQ(own.error_code(), grpc::StatusCode::PERMISSION_DENIED) << own.error_message();
  // auditor-2 may not sign as the filer's staff member either.
  EXPECT_EQ(confirm(*auditor2, filed.report_id(), "S-100").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // The report is unchanged by the refusals; auditor-2 investigates and, as
  // itself, decides it.
  {
    grpc::ClientContext context;
    v1::StartInvestigationRequest request;
    request.set_request_id("investigate-" + filed.report_id());
    request.set_report_id(filed.report_id());
    request.mutable_investigator()->set_staff_id("S-200");
    *request.mutable_started_at() = filed.reported_at();  // not before the report was filed
    v1::StartInvestigationResponse response;
    grpc::Status started = auditor2->StartInvestigation(&context, request, &response);
    ASSERT_TRUE(started.ok()) << started.error_message();
    EXPECT_EQ(response.report().reported_by(), "auditor-1");
  }
  grpc::Status decided = confirm(*auditor2, filed.report_id(), "S-200");
  EXPECT_TRUE(decided.ok()) << decided.error_message();

  // A report about auditor-2's own staff member: auditor-2 cannot decide it.
  const v1::RedLineReport about_auditor2 = report("sod-2", "S-200");
  EXPECT_EQ(confirm(*auditor2, about_auditor2.report_id(), "S-200").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // A retry of the first report (same request id): answered from the stored
  // response, and audited as a call of its own.
  EXPECT_EQ(report("sod-1", "S-500").report_id(), filed.report_id());

  // The audit trail has exactly one record per call, with its outcome: the
  // successful ones were written in the call's own transaction, the refused
  // ones when the call ended.
  auto audit = v1::Audit::NewStub(Channel("auditor-1"));
  grpc::ClientContext context;
  v1::ListAuditRecordsResponse listed;
  ASSERT_TRUE(audit->ListAuditRecords(&context, {}, &listed).ok());
  std::vector<std::string> trail;  // oldest first
  for (int i = listed.records_size() - 1; i >= 0; --i) {
    const auto& record = listed.records(i);
    const std::string method = record.method().substr(record.method().rfind('/') + 1);
    trail.push_back(absl::StrCat(record.caller(), " ", method, " ", record.code()));
  }
  EXPECT_EQ(trail, (std::vector<std::string>{
                       "auditor-1 ReportRedLine OK",
                       "auditor-1 ConfirmRedLine PERMISSION_DENIED",
                       "auditor-2 ConfirmRedLine PERMISSION_DENIED",
                       "auditor-2 StartInvestigation OK",
                       "auditor-2 ConfirmRedLine OK",
                       "auditor-1 ReportRedLine OK",
                       "auditor-2 ConfirmRedLine PERMISSION_DENIED",
                       "auditor-1 ReportRedLine OK",
                   }));
}

}  // namespace
}  // namespace gridserve
