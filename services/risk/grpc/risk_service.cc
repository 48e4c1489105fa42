#include "services/risk/grpc/risk_service.h"

#include "services/common/auth_interceptor.h"
#include "services/common/call_audit.h"
#include "services/common/catalogue.h"
#include "services/common/config.h"
#include "services/common/idempotency.h"
#include "services/common/log.h"
#include "services/common/rpc_util.h"
#include "services/common/watch_stream.h"
#include "services/risk/domain/ledger_rules.h"
#include "services/risk/domain/redline.h"
#include "services/risk/grpc/adapter_util.h"
#include "services/risk/storage/ledger_store.h"
#include "services/risk/storage/warning_store.h"

namespace gridserve::risk {
namespace {

constexpr char kReportBreach[] = "gridserve.v1.RiskMonitor/ReportBreach";
constexpr char kReportRedLine[] = "gridserve.v1.RiskMonitor/ReportRedLine";
constexpr char kStartInvestigation[] = "gridserve.v1.RiskMonitor/StartInvestigation";
constexpr char kConfirmRedLine[] = "gridserve.v1.RiskMonitor/ConfirmRedLine";
constexpr char kDismissRedLine[] = "gridserve.v1.RiskMonitor/DismissRedLine";
constexpr char kAddLedgerCorrection[] = "gridserve.v1.RiskMonitor/AddLedgerCorrection";

// The three workflow steps answer with the same pair: the report and the entry.
template <typename Response>
absl::StatusOr<Response> StepResponse(absl::StatusOr<std::pair<v1::RedLineReport, v1::LedgerEntry>> result) {
  if (!result.ok()) return result.status();
  Response response;
  *response.mutable_report() = std::move(result->first);
  *response.mutable_entry() = std::move(result->second);
  return response;
}

}  // namespace

RiskService::RiskService(ServiceContext& context)
    : context_(context),
      ledger_db_(context.db),
      metrics_(std::make_unique<RiskMetrics>(context.metrics, context.config)),
      ledger_(std::make_unique<RiskLedger>(context.config, context.calendar, context.clock, context.sla, *metrics_)) {}

absl::Duration RiskService::max_skew() const { return ToAbsl(context_.config.platform().max_event_skew()); }

// --- The ledger ---------------------------------------------------------------

absl::StatusOr<v1::ReportBreachResponse> RiskService::DoReportBreach(const v1::ReportBreachRequest& request) {
  const absl::Time now = context_.clock.Now();
  // Senders deliver with request_id = breach_id (the outbox message id), so
  // the request id may be as long as a breach id.
  if (auto s = WithRequestId(request.request_id(), ValidateBreach(request.breach(), now, max_skew()),
                             kMaxBreachIdSize);
      !s.ok()) {
    return s;
  }
  // Idempotency is by breach_id (the outbox resends with the same id); the
  // request_id only guards against being reused for another breach.
  v1::BreachRef key;
  key.set_breach_id(request.breach().breach_id());
  const std::string fingerprint = RequestFingerprint(key);
  v1::ReportBreachResponse response;
  // Breaches arrive from every service at once: ledger_db_ waits for the
  // ledger rather than conflict over it, and adds the call's audit record.
  absl::Status status = ledger_db_.InTransaction([&](Transaction& txn) -> absl::Status {
    auto stored = FindStoredResponse(txn, kReportBreach, request.request_id(), fingerprint);
    if (!stored.ok()) return stored.status();
    auto ingested = ledger_->IngestBreach(txn, request.breach());
    if (!ingested.ok()) return ingested.status();
    response.Clear();
    *response.mutable_entry() = ingested->entry;
    response.set_duplicate(ingested->duplicate);
    if (!stored->has_value()) {
      auto s = StoreResponse(txn, now, kReportBreach, request.request_id(), fingerprint, response.SerializeAsString());
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!response.duplicate()) {
    LogInfo("breach_ledgered", {{"rule", response.entry().rule()},
                                {"service", response.entry().service()},
                                {"sequence", absl::StrCat(response.entry().sequence())}});
  }
  return response;
}

grpc::ServerUnaryReactor* RiskService::ReportBreach(grpc::CallbackServerContext* context,
                                                    const v1::ReportBreachRequest* request,
                                                    v1::ReportBreachResponse* response) {
  return Reply(context, response, DoReportBreach(*request));
}

grpc::ServerUnaryReactor* RiskService::AddLedgerCorrection(grpc::CallbackServerContext* context,
                                                           const v1::AddLedgerCorrectionRequest* request,
                                                           v1::AddLedgerCorrectionResponse* response) {
  const absl::Time now = context_.clock.Now();
  if (auto s = WithRequestId(request->request_id(), ValidateCorrectionRequest(*request, now, max_skew())); !s.ok()) {
    return Reply(context, response, absl::StatusOr<v1::AddLedgerCorrectionResponse>(s));
  }
  return Reply(context, response,
               RunOnce<v1::AddLedgerCorrectionResponse>(
                   ledger_db_, context_.clock, kAddLedgerCorrection, request->request_id(), *request,
                   [&](Transaction& txn) -> absl::StatusOr<v1::AddLedgerCorrectionResponse> {
                     auto entry = ledger_->AddCorrection(txn, *request);
                     if (!entry.ok()) return entry.status();
                     v1::AddLedgerCorrectionResponse out;
                     *out.mutable_entry() = *std::move(entry);
                     return out;
                   }));
}

// --- Red-line reports and their investigation ----------------------------------

grpc::ServerUnaryReactor* RiskService::ReportRedLine(grpc::CallbackServerContext* context,
                                                     const v1::ReportRedLineRequest* request,
                                                     v1::ReportRedLineResponse* response) {
  const absl::Time now = context_.clock.Now();
  if (auto s = WithRequestId(request->request_id(), ValidateRedLineRequest(*request, now, max_skew())); !s.ok()) {
    return Reply(context, response, absl::StatusOr<v1::ReportRedLineResponse>(s));
  }
  return Reply(context, response,
               RunOnce<v1::ReportRedLineResponse>(
                   ledger_db_, context_.clock, kReportRedLine, request->request_id(), *request,
                   [&](Transaction& txn) {
                     return StepResponse<v1::ReportRedLineResponse>(ledger_->RecordRedLine(
                         txn, *request, {CallerIdentity(context), CallerStaffId(context)}));
                   }));
}

grpc::ServerUnaryReactor* RiskService::StartInvestigation(grpc::CallbackServerContext* context,
                                                          const v1::StartInvestigationRequest* request,
                                                          v1::StartInvestigationResponse* response) {
  const absl::Time now = context_.clock.Now();
  if (auto s = WithRequestId(request->request_id(), ValidateStartInvestigation(*request, now, max_skew())); !s.ok()) {
    return Reply(context, response, absl::StatusOr<v1::StartInvestigationResponse>(s));
  }
  return Reply(context, response,
               RunOnce<v1::StartInvestigationResponse>(
                   ledger_db_, context_.clock, kStartInvestigation, request->request_id(), *request,
                   [&](Transaction& txn) {
                     return StepResponse<v1::StartInvestigationResponse>(
                         ledger_->ApplyStep(txn, request->report_id(), [&](const v1::RedLineReport& report) {
                           return risk::StartInvestigation(report, request->investigator(),
                                                           FromProto(request->started_at()));
                         }));
                   }));
}

grpc::ServerUnaryReactor* RiskService::ConfirmRedLine(grpc::CallbackServerContext* context,
                                                      const v1::ConfirmRedLineRequest* request,
                                                      v1::ConfirmRedLineResponse* response) {
  const absl::Time now = context_.clock.Now();
  if (auto s = WithRequestId(request->request_id(), ValidateConfirm(*request, now, max_skew())); !s.ok()) {
    return Reply(context, response, absl::StatusOr<v1::ConfirmRedLineResponse>(s));
  }
  return Reply(context, response,
               RunOnce<v1::ConfirmRedLineResponse>(
                   ledger_db_, context_.clock, kConfirmRedLine, request->request_id(), *request,
                   [&](Transaction& txn) {
                     return StepResponse<v1::ConfirmRedLineResponse>(
                         ledger_->ApplyStep(txn, request->report_id(), [&](const v1::RedLineReport& report) {
                           // Separation of duties: nobody decides a report about themselves
                           // or one they filed.
                           if (auto denied = CheckRedLineDecision(context, request->decided_by().staff_id(),
                                                                  report.staff().staff_id(),
                                                                  {report.reported_by(), report.reported_by_staff_id()});
                               !denied.ok()) {
                             return decltype(Confirm(report, request->decided_by(), FromProto(request->decided_at()),
                                                  request->finding(), request->action_taken()))(denied);
                           }
                           return Confirm(report, request->decided_by(), FromProto(request->decided_at()),
                                          request->finding(), request->action_taken());
                         }));
                   }));
}

grpc::ServerUnaryReactor* RiskService::DismissRedLine(grpc::CallbackServerContext* context,
                                                      const v1::DismissRedLineRequest* request,
                                                      v1::DismissRedLineResponse* response) {
  const absl::Time now = context_.clock.Now();
  if (auto s = WithRequestId(request->request_id(), ValidateDismiss(*request, now, max_skew())); !s.ok()) {
    return Reply(context, response, absl::StatusOr<v1::DismissRedLineResponse>(s));
  }
  return Reply(context, response,
               RunOnce<v1::DismissRedLineResponse>(
                   ledger_db_, context_.clock, kDismissRedLine, request->request_id(), *request,
                   [&](Transaction& txn) {
                     return StepResponse<v1::DismissRedLineResponse>(
                         ledger_->ApplyStep(txn, request->report_id(), [&](const v1::RedLineReport& report) {
                           // Separation of duties: nobody decides a report about themselves
                           // or one they filed.
                           if (auto denied = CheckRedLineDecision(context, request->decided_by().staff_id(),
                                                                  report.staff().staff_id(),
                                                                  {report.reported_by(), report.reported_by_staff_id()});
                               !denied.ok()) {
                             return decltype(Dismiss(report, request->decided_by(), FromProto(request->decided_at()),
                                                  request->finding(), request->action_taken()))(denied);
                           }
                           return Dismiss(report, request->decided_by(), FromProto(request->decided_at()),
                                          request->finding(), request->action_taken());
                         }));
                   }));
}

// --- Catalogue -----------------------------------------------------------------

grpc::ServerUnaryReactor* RiskService::ListClauses(grpc::CallbackServerContext* context,
                                                   const v1::ListClausesRequest* request,
                                                   v1::NormCatalogue* response) {
  v1::NormCatalogue out;
  if (request->service().empty()) {
    out = Catalogue();
  } else {
    for (const v1::Clause* clause : ClausesOfService(request->service())) *out.add_clauses() = *clause;
    for (const v1::SlaDefinition* sla : SlasOfService(request->service())) *out.add_slas() = *sla;
  }
  return Reply(context, response, absl::StatusOr<v1::NormCatalogue>(std::move(out)));
}

// --- Watching --------------------------------------------------------------------

grpc::ServerWriteReactor<v1::LedgerEntry>* RiskService::WatchLedger(grpc::CallbackServerContext* context,
                                                                    const v1::WatchLedgerRequest* request) {
  if (request->after_sequence() < 0) {
    return new RefusedStream<v1::LedgerEntry>(InvalidField("after_sequence", "must not be negative"));
  }
  if (!v1::LedgerEntryKind_IsValid(request->kind())) {
    return new RefusedStream<v1::LedgerEntry>(InvalidField("kind", "unknown kind"));
  }
  auto fetch = [this, service = request->service(), rule = request->rule(), kind = request->kind()](
                   int64_t after, int limit) {
    return InReadTransactionResult<std::vector<v1::LedgerEntry>>(
        context_.db, [&](Transaction& txn) { return EntriesAfter(txn, after, service, rule, kind, limit); });
  };
  return new WatchStream<v1::LedgerEntry>(
      request->after_sequence(), fetch, [](const v1::LedgerEntry& e) { return e.sequence(); },
      ledger_->ledger_changes());
}

grpc::ServerWriteReactor<v1::Warning>* RiskService::WatchWarnings(grpc::CallbackServerContext* context,
                                                                  const v1::WatchWarningsRequest* request) {
  if (request->after_sequence() < 0) {
    return new RefusedStream<v1::Warning>(InvalidField("after_sequence", "must not be negative"));
  }
  if (!v1::RiskScope_IsValid(request->scope())) {
    return new RefusedStream<v1::Warning>(InvalidField("scope", "unknown scope"));
  }
  auto fetch = [this, department = request->department(), scope = request->scope()](
                   int64_t after, int limit) {
    return InReadTransactionResult<std::vector<v1::Warning>>(
        context_.db, [&](Transaction& txn) { return WarningsAfter(txn, after, department, scope, limit); });
  };
  return new WatchStream<v1::Warning>(
      request->after_sequence(), fetch, [](const v1::Warning& w) { return w.sequence(); },
      ledger_->warning_changes());
}

// --- Wiring ----------------------------------------------------------------------

absl::StatusOr<ServiceParts> BuildRisk(ServiceContext& context) {
  auto service = std::make_unique<RiskService>(context);
  RiskLedger* ledger = &service->ledger();
  // risk's own breaches (an investigation clock expiring) go into its own
  // ledger in the same transaction, not to an outbox addressed to itself.
  context.breaches.SetSink(ledger->OwnBreachSink());
  context.sla.SetExpiryRefiner(kInvestigationSla, ledger->InvestigationClauseResolver());
  // The sweep's expiries append to the ledger (the sink above): lock first.
  context.sla.SetSweepPrologue(
      [dialect = std::string(context.db.dialect())](Transaction& txn) { return LockLedgerForAppend(txn, dialect); });
  Database* db = &service->ledger_db();
  // Once, after migration 6: reports already recorded claim their incident's breaches.
  if (auto claimed = ledger->BackfillRedLineClaims(*db); !claimed.ok()) return claimed.status();
  if (auto s = ledger->RefreshGauges(*db); !s.ok()) return s;
  ServiceParts parts;
  parts.background_pass.push_back([ledger, db] { return ledger->RefreshGauges(*db); });
  parts.Serve<v1::RiskMonitor>(std::move(service));
  return parts;
}

}  // namespace gridserve::risk
