#ifndef GRIDSERVE_SERVICES_RISK_GRPC_RISK_SERVICE_H_
#define GRIDSERVE_SERVICES_RISK_GRPC_RISK_SERVICE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "gridserve/v1/risk.grpc.pb.h"
#include "services/common/service_context.h"
#include "services/risk/app/risk_ledger.h"
#include "services/risk/storage/ledger_store.h"
#include "services/risk/app/risk_metrics.h"

namespace gridserve::risk {

// The gridserve.v1.RiskMonitor callback service: validates requests,
// converts protos to domain calls (RiskLedger, domain/), maps the result.
class RiskService final : public v1::RiskMonitor::CallbackService {
 public:
  explicit RiskService(ServiceContext& context);

  RiskLedger& ledger() { return *ledger_; }
  // The database for transactions that append to the ledger (LedgerDatabase).
  Database& ledger_db() { return ledger_db_; }

  grpc::ServerUnaryReactor* ReportBreach(grpc::CallbackServerContext* context, const v1::ReportBreachRequest* request,
                                         v1::ReportBreachResponse* response) override;
  grpc::ServerUnaryReactor* ReportRedLine(grpc::CallbackServerContext* context,
                                          const v1::ReportRedLineRequest* request,
                                          v1::ReportRedLineResponse* response) override;
  grpc::ServerUnaryReactor* StartInvestigation(grpc::CallbackServerContext* context,
                                               const v1::StartInvestigationRequest* request,
                                               v1::StartInvestigationResponse* response) override;
  grpc::ServerUnaryReactor* ConfirmRedLine(grpc::CallbackServerContext* context,
                                           const v1::ConfirmRedLineRequest* request,
                                           v1::ConfirmRedLineResponse* response) override;
  grpc::ServerUnaryReactor* DismissRedLine(grpc::CallbackServerContext* context,
                                           const v1::DismissRedLineRequest* request,
                                           v1::DismissRedLineResponse* response) override;
  grpc::ServerUnaryReactor* GetRedLineReport(grpc::CallbackServerContext* context,
                                             const v1::GetRedLineReportRequest* request,
                                             v1::GetRedLineReportResponse* response) override;
  grpc::ServerUnaryReactor* ListRedLineReports(grpc::CallbackServerContext* context,
                                               const v1::ListRedLineReportsRequest* request,
                                               v1::ListRedLineReportsResponse* response) override;
  grpc::ServerUnaryReactor* AddLedgerCorrection(grpc::CallbackServerContext* context,
                                                const v1::AddLedgerCorrectionRequest* request,
                                                v1::AddLedgerCorrectionResponse* response) override;
  grpc::ServerUnaryReactor* GetLedgerEntry(grpc::CallbackServerContext* context,
                                           const v1::GetLedgerEntryRequest* request,
                                           v1::GetLedgerEntryResponse* response) override;
  grpc::ServerUnaryReactor* ListLedgerEntries(grpc::CallbackServerContext* context,
                                              const v1::ListLedgerEntriesRequest* request,
                                              v1::ListLedgerEntriesResponse* response) override;
  grpc::ServerUnaryReactor* GetStatistics(grpc::CallbackServerContext* context,
                                          const v1::GetStatisticsRequest* request,
                                          v1::GetStatisticsResponse* response) override;
  grpc::ServerUnaryReactor* GetRiskScores(grpc::CallbackServerContext* context,
                                          const v1::GetRiskScoresRequest* request,
                                          v1::GetRiskScoresResponse* response) override;
  grpc::ServerUnaryReactor* ListWarnings(grpc::CallbackServerContext* context, const v1::ListWarningsRequest* request,
                                         v1::ListWarningsResponse* response) override;
  grpc::ServerUnaryReactor* ListClauses(grpc::CallbackServerContext* context, const v1::ListClausesRequest* request,
                                        v1::NormCatalogue* response) override;
  grpc::ServerWriteReactor<v1::LedgerEntry>* WatchLedger(grpc::CallbackServerContext* context,
                                                         const v1::WatchLedgerRequest* request) override;
  grpc::ServerWriteReactor<v1::Warning>* WatchWarnings(grpc::CallbackServerContext* context,
                                                       const v1::WatchWarningsRequest* request) override;

 private:
  absl::StatusOr<v1::ReportBreachResponse> DoReportBreach(const v1::ReportBreachRequest& request);
  absl::StatusOr<v1::GetLedgerEntryResponse> DoGetLedgerEntry(const v1::GetLedgerEntryRequest& request);
  absl::StatusOr<v1::ListLedgerEntriesResponse> DoListLedgerEntries(const v1::ListLedgerEntriesRequest& request);
  absl::StatusOr<v1::ListRedLineReportsResponse> DoListRedLineReports(const v1::ListRedLineReportsRequest& request);
  absl::StatusOr<v1::GetStatisticsResponse> DoGetStatistics(const v1::GetStatisticsRequest& request);
  absl::StatusOr<v1::GetRiskScoresResponse> DoGetRiskScores(const v1::GetRiskScoresRequest& request);
  absl::StatusOr<v1::ListWarningsResponse> DoListWarnings(const v1::ListWarningsRequest& request);
  absl::Duration max_skew() const;

  ServiceContext& context_;
  // Every write transaction of this service appends to the ledger: it goes
  // through ledger_db_, which takes the ledger lock first.
  LedgerDatabase ledger_db_;
  std::unique_ptr<RiskMetrics> metrics_;
  std::unique_ptr<RiskLedger> ledger_;
};

// Wires the service: its ledger receives risk's own breaches (SetSink) with
// the reported clause (SetExpiryRefiner), the sweep takes the ledger lock
// first (SetSweepPrologue), and the gauge refresh runs the ageing pass.
absl::StatusOr<ServiceParts> BuildRisk(ServiceContext& context);

}  // namespace gridserve::risk

#endif  // GRIDSERVE_SERVICES_RISK_GRPC_RISK_SERVICE_H_
