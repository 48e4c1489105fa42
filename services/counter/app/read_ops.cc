// Ticket and visit reads.
#include "absl/strings/str_cat.h"
#include "services/common/rpc_util.h"
#include "services/counter/app/counter_workflow.h"

namespace gridserve::counter {

absl::StatusOr<v1::GetTicketResponse> CounterWorkflow::GetTicket(Transaction& txn, const v1::GetTicketRequest& req) {
  if (req.ticket_id().empty()) return InvalidField("ticket_id", "is required");
  CounterStore store(txn);
  auto found = store.FindTicket(req.ticket_id());
  if (!found.ok()) return found.status();
  if (!found->has_value()) return absl::NotFoundError(absl::StrCat("ticket ", req.ticket_id(), " not found"));
  v1::GetTicketResponse resp;
  *resp.mutable_ticket() = **found;
  if (auto s = Decorate(txn, *resp.mutable_ticket(), clock_.Now()); !s.ok()) return s;
  return resp;
}

absl::StatusOr<v1::ListTicketsResponse> CounterWorkflow::ListTickets(Transaction& txn,
                                                                     const v1::ListTicketsRequest& req) {
  Validator v;
  v.Check(v1::TicketState_IsValid(req.state()), "state", "is not a ticket state");
  const TimeBounds range = CheckTimeRange(v, req.time_range());
  const std::optional<absl::Time> due_before = CheckFilterBound(v, "due_before", req.due_before(), req.has_due_before());
  const int limit = CheckPageSize(v, req.page_size());
  const int64_t offset = DecodePageToken(v, req.page_token());
  if (!v.empty()) return v.status();
  TicketFilter f;
  f.hall_id = req.hall_id();
  f.state = req.state();
  f.business_type = req.business_type();
  f.accessibility_only = req.accessibility_only();
  f.wait_due_before = due_before;
  f.issued_from = range.start;
  f.issued_to = range.end;
  CounterStore store(txn);
  auto found = store.ListTickets(f, offset, limit + 1);
  if (!found.ok()) return found.status();
  v1::ListTicketsResponse resp;
  const absl::Time now = clock_.Now();
  for (int i = 0; i < static_cast<int>(found->size()) && i < limit; ++i) {
    if (auto s = Decorate(txn, (*found)[i], now); !s.ok()) return s;
    *resp.add_tickets() = std::move((*found)[i]);
  }
  if (static_cast<int>(found->size()) > limit) resp.set_next_page_token(EncodePageToken(offset + limit));
  return resp;
}

absl::StatusOr<v1::GetVisitResponse> CounterWorkflow::GetVisit(Transaction& txn, const v1::GetVisitRequest& req) {
  if (req.visit_id().empty()) return InvalidField("visit_id", "is required");
  CounterStore store(txn);
  auto found = store.FindVisit(req.visit_id());
  if (!found.ok()) return found.status();
  if (!found->has_value()) return absl::NotFoundError(absl::StrCat("visit ", req.visit_id(), " not found"));
  v1::GetVisitResponse resp;
  *resp.mutable_visit() = **found;
  if (auto s = Decorate(txn, *resp.mutable_visit()); !s.ok()) return s;
  return resp;
}

absl::StatusOr<v1::ListVisitsResponse> CounterWorkflow::ListVisits(Transaction& txn,
                                                                   const v1::ListVisitsRequest& req) {
  Validator v;
  v.Check(v1::VisitState_IsValid(req.state()), "state", "is not a visit state");
  v.Check(v1::VisitOutcome_IsValid(req.outcome()), "outcome", "is not a visit outcome");
  const TimeBounds range = CheckTimeRange(v, req.time_range());
  const int limit = CheckPageSize(v, req.page_size());
  const int64_t offset = DecodePageToken(v, req.page_token());
  if (!v.empty()) return v.status();
  VisitFilter f;
  f.hall_id = req.hall_id();
  f.owner_staff_id = req.owner_staff_id();
  f.department = req.department();
  f.state = req.state();
  f.outcome = req.outcome();
  f.started_from = range.start;
  f.started_to = range.end;
  CounterStore store(txn);
  auto found = store.ListVisits(f, offset, limit + 1);
  if (!found.ok()) return found.status();
  v1::ListVisitsResponse resp;
  for (int i = 0; i < static_cast<int>(found->size()) && i < limit; ++i) {
    if (auto s = Decorate(txn, (*found)[i]); !s.ok()) return s;
    *resp.add_visits() = std::move((*found)[i]);
  }
  if (static_cast<int>(found->size()) > limit) resp.set_next_page_token(EncodePageToken(offset + limit));
  return resp;
}

}  // namespace gridserve::counter
