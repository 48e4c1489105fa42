// Reads: work orders and outages, RP-1 arrival statistics, the CC-4 outage
// lookup for contact-center, and the stream of breaches.
#include <optional>

#include "absl/strings/str_cat.h"
#include "services/common/rpc_util.h"
#include "services/common/watch_stream.h"
#include "services/repair/domain/arrival_statistics.h"
#include "services/repair/grpc/repair_service.h"
#include "services/common/breach_watch.h"
#include "services/repair/grpc/request_checks.h"
#include "services/repair/storage/outage_store.h"
#include "services/repair/storage/work_order_store.h"

namespace gridserve::repair {
namespace {

v1::OutageSummary Summary(const v1::Outage& o) {
  v1::OutageSummary s;
  s.set_outage_id(o.outage_id());
  s.set_kind(o.kind());
  s.set_reason(o.reason());
  if (o.has_started_at()) *s.mutable_started_at() = o.started_at();
  if (o.has_planned_start()) *s.mutable_planned_start() = o.planned_start();
  if (o.has_planned_end()) *s.mutable_planned_end() = o.planned_end();
  if (o.has_etr()) *s.mutable_etr() = o.etr();
  if (o.has_restored_at()) *s.mutable_restored_at() = o.restored_at();
  return s;
}

absl::Time EtrOrPast(const v1::Outage& o) { return o.has_etr() ? FromProto(o.etr()) : absl::InfinitePast(); }

}  // namespace

grpc::ServerUnaryReactor* RepairService::GetWorkOrder(grpc::CallbackServerContext* ctx,
                                                      const v1::GetWorkOrderRequest* req,
                                                      v1::GetWorkOrderResponse* resp) {
  // An empty id is a malformed request, not a missing order.
  Validator v;
  CheckRequired(v, req->work_order_id(), "work_order_id");
  if (!v.empty()) return Reply<v1::GetWorkOrderResponse>(ctx, resp, v.status());
  v1::GetWorkOrderResponse response;
  absl::Status status = context_.db.InReadTransaction([&](Transaction& txn) -> absl::Status {
    auto found = WorkOrderStore::Find(txn, req->work_order_id());
    if (!found.ok()) return found.status();
    if (!found->has_value()) return absl::NotFoundError(absl::StrCat("work order ", req->work_order_id(), " not found"));
    auto order = ReadModel(txn, **found);
    if (!order.ok()) return order.status();
    *response.mutable_work_order() = *std::move(order);
    return absl::OkStatus();
  });
  if (!status.ok()) return Reply<v1::GetWorkOrderResponse>(ctx, resp, status);
  return Reply(ctx, resp, absl::StatusOr<v1::GetWorkOrderResponse>(std::move(response)));
}

grpc::ServerUnaryReactor* RepairService::ListWorkOrders(grpc::CallbackServerContext* ctx,
                                                        const v1::ListWorkOrdersRequest* req,
                                                        v1::ListWorkOrdersResponse* resp) {
  Validator v;
  WorkOrderFilter filter;
  filter.department = req->department();
  v.Check(v1::WorkOrderState_IsValid(req->state()), "state", "unknown state");
  filter.state = req->state();
  filter.area_class = req->area_class();
  filter.due_before = CheckFilterBound(v, "due_before", req->due_before(), req->has_due_before());
  const TimeBounds dispatched = CheckTimeRange(v, req->time_range());
  filter.dispatched_from = dispatched.start;
  filter.dispatched_to = dispatched.end;
  filter.outage_id = req->outage_id();
  filter.breached_only = req->breached_only();
  const int page_size = CheckPageSize(v, req->page_size());
  filter.offset = DecodePageToken(v, req->page_token());
  filter.limit = page_size + 1;  // one more tells whether a next page exists
  if (!v.empty()) return Reply<v1::ListWorkOrdersResponse>(ctx, resp, v.status());
  v1::ListWorkOrdersResponse response;
  absl::Status status = context_.db.InReadTransaction([&](Transaction& txn) -> absl::Status {
    auto orders = WorkOrderStore::List(txn, filter);
    if (!orders.ok()) return orders.status();
    for (int i = 0; i < static_cast<int>(orders->size()) && i < page_size; ++i) {
      auto order = ReadModel(txn, std::move((*orders)[i]));
      if (!order.ok()) return order.status();
      *response.add_work_orders() = *std::move(order);
    }
    if (static_cast<int>(orders->size()) > page_size) {
      response.set_next_page_token(EncodePageToken(filter.offset + page_size));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return Reply<v1::ListWorkOrdersResponse>(ctx, resp, status);
  return Reply(ctx, resp, absl::StatusOr<v1::ListWorkOrdersResponse>(std::move(response)));
}

grpc::ServerUnaryReactor* RepairService::GetArrivalStatistics(grpc::CallbackServerContext* ctx,
                                                              const v1::GetArrivalStatisticsRequest* req,
                                                              v1::GetArrivalStatisticsResponse* resp) {
  Validator v;
  const TimeBounds period = CheckTimeRange(v, req->period(), "period", /*required=*/true);
  v.Check(v1::StatisticsGranularity_IsValid(req->granularity()), "granularity", "unknown granularity");
  if (!v.empty()) return Reply<v1::GetArrivalStatisticsResponse>(ctx, resp, v.status());
  const absl::Time from = *period.start;
  const absl::Time to = *period.end;
  auto buckets = MakeBuckets(context_.calendar, from, to, req->granularity());
  if (!buckets.ok()) return Reply<v1::GetArrivalStatisticsResponse>(ctx, resp, buckets.status());
  std::vector<OrderTimes> times;
  absl::Status status = context_.db.InReadTransaction([&](Transaction& txn) -> absl::Status {
    auto rows = WorkOrderStore::ArrivalTimes(txn, from, to, req->department());
    if (!rows.ok()) return rows.status();
    times = *std::move(rows);
    return absl::OkStatus();
  });
  if (!status.ok()) return Reply<v1::GetArrivalStatisticsResponse>(ctx, resp, status);
  v1::GetArrivalStatisticsResponse response;
  for (auto& stat : ComputeArrivalStatistics(context_.config, *buckets, times, Now())) {
    *response.add_statistics() = std::move(stat);
  }
  return Reply(ctx, resp, absl::StatusOr<v1::GetArrivalStatisticsResponse>(std::move(response)));
}

grpc::ServerUnaryReactor* RepairService::GetOutage(grpc::CallbackServerContext* ctx, const v1::GetOutageRequest* req,
                                                   v1::GetOutageResponse* resp) {
  Validator v;
  CheckRequired(v, req->outage_id(), "outage_id");
  if (!v.empty()) return Reply<v1::GetOutageResponse>(ctx, resp, v.status());
  v1::GetOutageResponse response;
  absl::Status status = context_.db.InReadTransaction([&](Transaction& txn) -> absl::Status {
    auto found = OutageStore::Find(txn, req->outage_id());
    if (!found.ok()) return found.status();
    if (!found->has_value()) return absl::NotFoundError(absl::StrCat("outage ", req->outage_id(), " not found"));
    auto outage = ReadModel(txn, **found);
    if (!outage.ok()) return outage.status();
    *response.mutable_outage() = *std::move(outage);
    return absl::OkStatus();
  });
  if (!status.ok()) return Reply<v1::GetOutageResponse>(ctx, resp, status);
  return Reply(ctx, resp, absl::StatusOr<v1::GetOutageResponse>(std::move(response)));
}

grpc::ServerUnaryReactor* RepairService::ListOutages(grpc::CallbackServerContext* ctx,
                                                     const v1::ListOutagesRequest* req,
                                                     v1::ListOutagesResponse* resp) {
  Validator v;
  OutageFilter filter;
  v.Check(v1::OutageKind_IsValid(req->kind()), "kind", "unknown kind");
  v.Check(v1::OutageState_IsValid(req->state()), "state", "unknown state");
  filter.kind = req->kind();
  filter.state = req->state();
  filter.department = req->department();
  filter.feeder_id = req->feeder_id();
  filter.area_code = req->area_code();
  const TimeBounds range = CheckTimeRange(v, req->time_range());
  filter.from = range.start;
  filter.to = range.end;
  const int page_size = CheckPageSize(v, req->page_size());
  filter.offset = DecodePageToken(v, req->page_token());
  filter.limit = page_size + 1;
  if (!v.empty()) return Reply<v1::ListOutagesResponse>(ctx, resp, v.status());
  v1::ListOutagesResponse response;
  absl::Status status = context_.db.InReadTransaction([&](Transaction& txn) -> absl::Status {
    auto outages = OutageStore::List(txn, filter);
    if (!outages.ok()) return outages.status();
    for (int i = 0; i < static_cast<int>(outages->size()) && i < page_size; ++i) {
      auto outage = ReadModel(txn, std::move((*outages)[i]));
      if (!outage.ok()) return outage.status();
      *response.add_outages() = *std::move(outage);
    }
    if (static_cast<int>(outages->size()) > page_size) {
      response.set_next_page_token(EncodePageToken(filter.offset + page_size));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return Reply<v1::ListOutagesResponse>(ctx, resp, status);
  return Reply(ctx, resp, absl::StatusOr<v1::ListOutagesResponse>(std::move(response)));
}

grpc::ServerUnaryReactor* RepairService::LookupOutage(grpc::CallbackServerContext* ctx,
                                                      const v1::RepairLookupOutageRequest* req,
                                                      v1::RepairLookupOutageResponse* resp) {
  Validator v;
  v.Check(!req->location().feeder_id().empty() || !req->location().area_code().empty(), "location",
          "feeder_id or area_code is needed");
  const absl::Time at =
      req->has_at() && CheckPlannedTime(v, req->at(), true, "at") ? FromProto(req->at()) : Now();
  if (!v.empty()) return Reply<v1::RepairLookupOutageResponse>(ctx, resp, v.status());
  std::vector<v1::Outage> candidates;
  absl::Status status = context_.db.InReadTransaction([&](Transaction& txn) -> absl::Status {
    auto rows = OutageStore::CoveringCandidates(txn, req->location().feeder_id(), req->location().area_code(), at);
    if (!rows.ok()) return rows.status();
    candidates = *std::move(rows);
    return absl::OkStatus();
  });
  if (!status.ok()) return Reply<v1::RepairLookupOutageResponse>(ctx, resp, status);
  // CC-4: a feeder match beats an area match; among equals the latest ETR.
  const v1::Outage* best = nullptr;
  OutageMatch best_match = OutageMatch::kNone;
  for (const v1::Outage& o : candidates) {
    const OutageMatch match = OutageRules::Covers(o, req->location(), at);
    if (match == OutageMatch::kNone) continue;
    if (best == nullptr || match > best_match || (match == best_match && EtrOrPast(o) > EtrOrPast(*best))) {
      best = &o;
      best_match = match;
    }
  }
  v1::RepairLookupOutageResponse response;
  response.set_status(best != nullptr ? v1::OUTAGE_LOOKUP_STATUS_COVERED : v1::OUTAGE_LOOKUP_STATUS_NOT_COVERED);
  if (best != nullptr) *response.mutable_outage() = Summary(*best);
  return Reply(ctx, resp, absl::StatusOr<v1::RepairLookupOutageResponse>(std::move(response)));
}

grpc::ServerWriteReactor<v1::BreachEvent>* RepairService::WatchBreaches(grpc::CallbackServerContext* ctx,
                                                                        const v1::RepairWatchBreachesRequest* req) {
  return WatchBreachEvents(context_.db, context_.breaches, req->after_sequence(), req->rule());
}

}  // namespace gridserve::repair
