#include "services/contact_center/grpc/contact_center_service.h"

#include "absl/strings/str_cat.h"
#include "services/common/breach_watch.h"
#include "services/common/config.h"
#include "services/common/log.h"
#include "services/common/rpc_util.h"
#include "services/common/watch_stream.h"
#include "services/contact_center/domain/call_rules.h"
#include "services/contact_center/grpc/repair_peer.h"
#include "services/contact_center/storage/contact_center_store.h"

namespace gridserve::contact_center {

ContactCenterService::ContactCenterService(ServiceContext& context, std::unique_ptr<OutageDirectory> outages)
    : context_(context), outages_(std::move(outages)), metrics_(context.metrics, context.config) {}

absl::StatusOr<ServiceParts> BuildContactCenter(ServiceContext& context) {
  std::shared_ptr<grpc::Channel> repair = context.make_channel(context.peers.repair);
  auto service = std::make_unique<ContactCenterService>(
      context, std::make_unique<RepairOutageDirectory>(repair, ToAbsl(context.config.contact_center().outage_lookup_deadline())));
  context.outbox.RegisterHandler(kTopicRepairDispatch,
                                 MakeDispatchHandler(context, repair, ToAbsl(context.config.platform().peer_call_deadline())));
  ServiceParts parts;
  ContactCenterService* raw = service.get();
  parts.background_pass.push_back([raw] { return raw->RefreshGauges(); });
  parts.Serve<v1::ContactCenter>(std::move(service));
  return parts;
}

// ---------------------------------------------------------------------------
// Shared helpers

absl::Status ContactCenterService::RecordFindings(Transaction& txn, const std::vector<Finding>& findings,
                                                  const std::string& subject, const std::string& department,
                                                  const std::string& staff_id, absl::Time occurred_at,
                                                  std::vector<v1::Breach>* recorded) {
  for (const Finding& finding : findings) {
    v1::Breach breach;
    breach.set_breach_id(absl::StrCat("contact-center/", finding.rule, "/", subject, "/", finding.key));
    breach.set_rule(finding.rule);
    breach.set_department(department);
    breach.set_staff_id(staff_id);
    breach.set_subject(subject);
    breach.set_detail(finding.detail);
    *breach.mutable_occurred_at() = ToProto(occurred_at);
    breach.set_mechanism(finding.mechanism);
    auto added = context_.breaches.Record(txn, breach);
    if (!added.ok()) return added.status();
    if (*added && recorded != nullptr) {
      breach.set_service("contact-center");
      recorded->push_back(std::move(breach));
    }
  }
  return absl::OkStatus();
}

void ContactCenterService::CheckDepartment(Validator& v, const std::string& field, const std::string& department,
                                           bool required) const {
  v.Check(!required || !department.empty(), field, "is required");
}

absl::Time ContactCenterService::EventTime(Validator& v, const std::string& field,
                                           const google::protobuf::Timestamp& t, bool present, bool required) const {
  return CheckEventTime(v, field, t, present, context_.clock.Now(), ToAbsl(context_.config.platform().max_event_skew()),
                        required);
}

absl::Status ContactCenterService::CheckLinkedCall(Transaction& txn, const std::string& call_id,
                                                   const std::string& field, absl::Time at) const {
  if (call_id.empty()) return absl::OkStatus();
  auto call = FindCall(txn, call_id);
  if (!call.ok()) return call.status();
  if (!call->has_value()) return absl::NotFoundError(absl::StrCat("call ", call_id, " not found"));
  return CheckDuringCall(**call, field, at, ToAbsl(context_.config.platform().max_event_skew()));
}

// ---------------------------------------------------------------------------
// CC-4: the agent-facing outage lookup.

grpc::ServerUnaryReactor* ContactCenterService::LookupOutage(grpc::CallbackServerContext* ctx,
                                                             const v1::ContactCenterLookupOutageRequest* request,
                                                             v1::ContactCenterLookupOutageResponse* response) {
  return Reply(ctx, response, DoLookupOutage(*request));
}

absl::StatusOr<v1::ContactCenterLookupOutageResponse> ContactCenterService::DoLookupOutage(
    const v1::ContactCenterLookupOutageRequest& request) {
  Validator v;
  const v1::Location& location = request.location();
  CheckOutageLookupLocation(v, "location", location);
  absl::Time at = context_.clock.Now();
  // Any instant may be asked about (a planned outage tomorrow), so no skew limit.
  if (request.has_at()) {
    const auto& t = request.at();
    if (v.Check(ValidTimestamp(t), "at", "is not a valid timestamp")) {
      at = FromProto(t);
    }
  }
  if (!v.empty()) return v.status();
  const OutageAnswer answer = outages_->Lookup(location, at);
  v1::ContactCenterLookupOutageResponse response;
  response.set_status(answer.status);
  if (answer.status == v1::OUTAGE_LOOKUP_STATUS_COVERED) *response.mutable_outage() = answer.outage;
  return response;
}

// ---------------------------------------------------------------------------
// Breach stream

grpc::ServerWriteReactor<v1::BreachEvent>* ContactCenterService::WatchBreaches(
    grpc::CallbackServerContext* ctx, const v1::ContactCenterWatchBreachesRequest* request) {
  return WatchBreachEvents(context_.db, context_.breaches, request->after_sequence(), request->rule());
}

// ---------------------------------------------------------------------------
// Gauges

absl::Status ContactCenterService::RefreshGauges() {
  std::vector<CaseCount> counts;
  std::vector<std::pair<v1::CaseKind, int64_t>> overdue;
  const absl::Time now = context_.clock.Now();
  absl::Status status = context_.db.InReadTransaction([&](Transaction& txn) -> absl::Status {
    auto c = CountCases(txn, context_.db.dialect());
    if (!c.ok()) return c.status();
    counts = *std::move(c);
    auto o = CountOverdueCases(txn, now);
    if (!o.ok()) return o.status();
    overdue = *std::move(o);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  for (v1::CaseKind kind : {v1::CASE_KIND_COMPLAINT, v1::CASE_KIND_TIP_OFF}) {
    for (v1::CaseState state : {v1::CASE_STATE_OPEN, v1::CASE_STATE_REPLIED}) {
      int64_t n = 0;
      for (const CaseCount& c : counts) {
        if (c.kind == kind && c.state == state) n = c.count;
      }
      metrics_.SetCases(kind, state, static_cast<double>(n));
    }
    int64_t late = 0;
    for (const auto& [k, n] : overdue) {
      if (k == kind) late = n;
    }
    metrics_.SetOverdueCases(kind, static_cast<double>(late));
  }
  return absl::OkStatus();
}

}  // namespace gridserve::contact_center
