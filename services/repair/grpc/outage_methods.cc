// Outage RPCs: planned / fault / temporary-maintenance outages, their
// notices, start, ETR and restoration; RK-3 and RK-4 found on the way.
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "services/common/idempotency.h"
#include "services/common/rpc_util.h"
#include "services/repair/grpc/repair_service.h"
#include "services/repair/grpc/request_checks.h"
#include "services/repair/storage/outage_store.h"

namespace gridserve::repair {
namespace {

std::string Scope(const char* method) { return absl::StrCat("/gridserve.v1.Repair/", method); }

template <typename Response>
absl::StatusOr<Response> WithOutage(absl::StatusOr<v1::Outage> outage) {
  if (!outage.ok()) return outage.status();
  Response r;
  *r.mutable_outage() = *std::move(outage);
  return r;
}

}  // namespace

grpc::ServerUnaryReactor* RepairService::CreateOutage(grpc::CallbackServerContext* ctx,
                                                      const v1::CreateOutageRequest* req,
                                                      v1::CreateOutageResponse* resp) {
  Validator v;
  CheckRequestId(v, req->request_id());
  const bool fault = req->kind() == v1::OUTAGE_KIND_FAULT;
  v.Check(req->kind() == v1::OUTAGE_KIND_PLANNED || fault || req->kind() == v1::OUTAGE_KIND_TEMPORARY_MAINTENANCE,
          "kind", "must be PLANNED, FAULT or TEMPORARY_MAINTENANCE");
  std::optional<absl::Time> begins;  // when supply is (to be) cut, if the request gives it validly
  if (fault) {
    CheckEventTime(v, "started_at", req->started_at(), req->has_started_at(), Now(), MaxSkew());
    Validator scratch;  // already reported in `v`: only whether it is a time to compare with
    if (CheckPlannedTime(scratch, req->started_at(), req->has_started_at(), "started_at")) {
      begins = FromProto(req->started_at());
    }
  } else if (req->kind() != v1::OUTAGE_KIND_UNSPECIFIED) {
    // Planned work: the window is required (RK-3 lead time runs back from planned_start).
    v.Check(!req->has_started_at(), "started_at", "a planned outage starts with RecordOutageStart");
    const bool start_ok = CheckPlannedTime(v, req->planned_start(), req->has_planned_start(), "planned_start");
    const bool end_ok = CheckPlannedTime(v, req->planned_end(), req->has_planned_end(), "planned_end");
    if (start_ok) begins = FromProto(req->planned_start());
    if (start_ok && end_ok) {
      v.Check(FromProto(req->planned_end()) > FromProto(req->planned_start()), "planned_end",
              "must be after planned_start");
    }
  }
  // RK-4 judges the restoration against the ETR: one before the cut itself
  // would make any restoration late.
  if (req->has_etr() && CheckPlannedTime(v, req->etr(), true, "etr") && begins.has_value()) {
    v.Check(FromProto(req->etr()) >= *begins, "etr", fault ? "is before started_at" : "is before planned_start");
  }
  v.Check(req->feeder_ids_size() + req->area_codes_size() > 0, "area_codes",
          "at least one feeder_id or area_code is needed (the CC-4 lookup matches on them)");
  for (int i = 0; i < req->feeder_ids_size(); ++i) CheckRequired(v, req->feeder_ids(i), absl::StrCat("feeder_ids[", i, "]"));
  for (int i = 0; i < req->area_codes_size(); ++i) CheckRequired(v, req->area_codes(i), absl::StrCat("area_codes[", i, "]"));
  std::set<std::string> customer_ids;
  for (int i = 0; i < req->important_customers_size(); ++i) {
    const std::string& id = req->important_customers(i).customer_id();
    const std::string field = absl::StrCat("important_customers[", i, "].customer_id");
    if (CheckRequired(v, id, field)) v.Check(customer_ids.insert(id).second, field, "is listed twice");
    // RK-3: the contact the notice goes to; a number given must be callable.
    CheckPhoneField(v, absl::StrCat("important_customers[", i, "].contact.phone"), req->important_customers(i).contact().phone(), /*required=*/false);
  }
  if (!v.empty()) return Reply<v1::CreateOutageResponse>(ctx, resp, v.status());
  auto result = RunOnce<v1::CreateOutageResponse>(
      context_.db, context_.clock, Scope("CreateOutage"), req->request_id(), *req,
      [&](Transaction& txn) -> absl::StatusOr<v1::CreateOutageResponse> {
        v1::Outage outage;
        outage.set_outage_id(NewId("OUT"));
        outage.set_kind(req->kind());
        outage.set_reason(req->reason());
        outage.set_department(req->department().empty() ? "repair" : req->department());
        outage.set_affected_area(req->affected_area());
        *outage.mutable_feeder_ids() = req->feeder_ids();
        *outage.mutable_area_codes() = req->area_codes();
        *outage.mutable_important_customers() = req->important_customers();
        if (req->has_planned_start()) *outage.mutable_planned_start() = req->planned_start();
        if (req->has_planned_end()) *outage.mutable_planned_end() = req->planned_end();
        if (fault) *outage.mutable_started_at() = req->started_at();
        if (req->has_etr()) *outage.mutable_etr() = req->etr();
        outages_.Open(outage, Now());
        if (auto s = OutageStore::Insert(txn, outage); !s.ok()) return s;
        return WithOutage<v1::CreateOutageResponse>(ReadModel(txn, std::move(outage)));
      });
  return Reply(ctx, resp, std::move(result));
}

grpc::ServerUnaryReactor* RepairService::RecordOutageNotice(grpc::CallbackServerContext* ctx,
                                                            const v1::RecordOutageNoticeRequest* req,
                                                            v1::RecordOutageNoticeResponse* resp) {
  Validator v;
  CheckRequestId(v, req->request_id());
  CheckRequired(v, req->outage_id(), "outage_id");
  v.Check(req->audience() == v1::NOTICE_AUDIENCE_PUBLIC || req->audience() == v1::NOTICE_AUDIENCE_IMPORTANT_CUSTOMER,
          "audience", "must be PUBLIC or IMPORTANT_CUSTOMER");
  if (req->audience() == v1::NOTICE_AUDIENCE_IMPORTANT_CUSTOMER) {
    CheckRequired(v, req->important_customer_id(), "important_customer_id");
  }
  v.Check(v1::NoticeChannel_IsValid(req->channel()) && req->channel() != v1::NOTICE_CHANNEL_UNSPECIFIED, "channel",
          "is required");
  const absl::Time sent_at = CheckEventTime(v, "sent_at", req->sent_at(), req->has_sent_at(), Now(), MaxSkew());
  if (!v.empty()) return Reply<v1::RecordOutageNoticeResponse>(ctx, resp, v.status());
  auto result = RunOnce<v1::RecordOutageNoticeResponse>(
      context_.db, context_.clock, Scope("RecordOutageNotice"), req->request_id(), *req,
      [&](Transaction& txn) -> absl::StatusOr<v1::RecordOutageNoticeResponse> {
        v1::OutageNotice notice;
        notice.set_notice_id(NewId("ON"));
        notice.set_audience(req->audience());
        notice.set_important_customer_id(req->important_customer_id());
        notice.set_channel(req->channel());
        *notice.mutable_sent_at() = ToProto(sent_at);
        notice.set_content(req->content());
        *notice.mutable_sent_by() = req->sent_by();
        return WithOutage<v1::RecordOutageNoticeResponse>(
            MutateOutage(txn, req->outage_id(), [&](v1::Outage& o) -> absl::StatusOr<StepEffects> {
              if (auto s = outages_.AddNotice(o, notice); !s.ok()) return s;
              return StepEffects{};
            }));
      });
  return Reply(ctx, resp, std::move(result));
}

grpc::ServerUnaryReactor* RepairService::RecordOutageStart(grpc::CallbackServerContext* ctx,
                                                           const v1::RecordOutageStartRequest* req,
                                                           v1::RecordOutageStartResponse* resp) {
  Validator v;
  CheckRequestId(v, req->request_id());
  CheckRequired(v, req->outage_id(), "outage_id");
  const absl::Time at = CheckEventTime(v, "started_at", req->started_at(), req->has_started_at(), Now(), MaxSkew());
  if (!v.empty()) return Reply<v1::RecordOutageStartResponse>(ctx, resp, v.status());
  auto result = RunOnce<v1::RecordOutageStartResponse>(
      context_.db, context_.clock, Scope("RecordOutageStart"), req->request_id(), *req,
      [&](Transaction& txn) -> absl::StatusOr<v1::RecordOutageStartResponse> {
        return WithOutage<v1::RecordOutageStartResponse>(
            MutateOutage(txn, req->outage_id(), [&](v1::Outage& o) { return outages_.Start(o, at); }));
      });
  return Reply(ctx, resp, std::move(result));
}

grpc::ServerUnaryReactor* RepairService::UpdateOutageEtr(grpc::CallbackServerContext* ctx,
                                                         const v1::UpdateOutageEtrRequest* req,
                                                         v1::UpdateOutageEtrResponse* resp) {
  Validator v;
  CheckRequestId(v, req->request_id());
  CheckRequired(v, req->outage_id(), "outage_id");
  const bool etr_ok = CheckPlannedTime(v, req->etr(), req->has_etr(), "etr");
  const absl::Time updated_at = CheckEventTime(v, "updated_at", req->updated_at(), req->has_updated_at(), Now(),
                                               MaxSkew(), /*required=*/false);
  if (!v.empty()) return Reply<v1::UpdateOutageEtrResponse>(ctx, resp, v.status());
  const absl::Time etr = etr_ok ? FromProto(req->etr()) : absl::InfinitePast();
  auto result = RunOnce<v1::UpdateOutageEtrResponse>(
      context_.db, context_.clock, Scope("UpdateOutageEtr"), req->request_id(), *req,
      [&](Transaction& txn) -> absl::StatusOr<v1::UpdateOutageEtrResponse> {
        return WithOutage<v1::UpdateOutageEtrResponse>(
            MutateOutage(txn, req->outage_id(), [&](v1::Outage& o) -> absl::StatusOr<StepEffects> {
              if (auto s = outages_.UpdateEtr(o, etr, updated_at, req->reason()); !s.ok()) return s;
              return StepEffects{};
            }));
      });
  return Reply(ctx, resp, std::move(result));
}

grpc::ServerUnaryReactor* RepairService::RecordOutageRestoration(grpc::CallbackServerContext* ctx,
                                                                 const v1::RecordOutageRestorationRequest* req,
                                                                 v1::RecordOutageRestorationResponse* resp) {
  Validator v;
  CheckRequestId(v, req->request_id());
  CheckRequired(v, req->outage_id(), "outage_id");
  const absl::Time at = CheckEventTime(v, "restored_at", req->restored_at(), req->has_restored_at(), Now(), MaxSkew());
  if (!v.empty()) return Reply<v1::RecordOutageRestorationResponse>(ctx, resp, v.status());
  auto result = RunOnce<v1::RecordOutageRestorationResponse>(
      context_.db, context_.clock, Scope("RecordOutageRestoration"), req->request_id(), *req,
      [&](Transaction& txn) -> absl::StatusOr<v1::RecordOutageRestorationResponse> {
        return WithOutage<v1::RecordOutageRestorationResponse>(MutateOutage(
            txn, req->outage_id(), [&](v1::Outage& o) { return outages_.Restore(o, at, req->delay_cause()); }));
      });
  return Reply(ctx, resp, std::move(result));
}

grpc::ServerUnaryReactor* RepairService::CancelOutage(grpc::CallbackServerContext* ctx,
                                                      const v1::CancelOutageRequest* req,
                                                      v1::CancelOutageResponse* resp) {
  Validator v;
  CheckRequestId(v, req->request_id());
  CheckRequired(v, req->outage_id(), "outage_id");
  CheckRequired(v, req->reason(), "reason");
  const absl::Time at = CheckEventTime(v, "cancelled_at", req->cancelled_at(), req->has_cancelled_at(), Now(),
                                       MaxSkew(), /*required=*/false);
  if (!v.empty()) return Reply<v1::CancelOutageResponse>(ctx, resp, v.status());
  auto result = RunOnce<v1::CancelOutageResponse>(
      context_.db, context_.clock, Scope("CancelOutage"), req->request_id(), *req,
      [&](Transaction& txn) -> absl::StatusOr<v1::CancelOutageResponse> {
        return WithOutage<v1::CancelOutageResponse>(
            MutateOutage(txn, req->outage_id(), [&](v1::Outage& o) -> absl::StatusOr<StepEffects> {
              if (auto s = outages_.Cancel(o, req->reason(), at); !s.ok()) return s;
              return StepEffects{};
            }));
      });
  return Reply(ctx, resp, std::move(result));
}

}  // namespace gridserve::repair
