// Home service for disabled and mobility-impaired customers (CT-9).
#include <optional>

#include "absl/strings/str_cat.h"
#include "services/common/rpc_util.h"
#include "services/counter/app/counter_workflow.h"
#include "services/counter/domain/accessibility_rules.h"
#include "services/counter/domain/business_types.h"

namespace gridserve::counter {
namespace {

std::string HomeServiceSubject(const std::string& id) { return absl::StrCat("home_service/", id); }

}  // namespace

absl::StatusOr<v1::OpenHomeServiceResponse> CounterWorkflow::OpenHomeService(Transaction& txn,
                                                                             const v1::OpenHomeServiceRequest& req) {
  Validator v;
  v.Check(!req.hall_id().empty(), "hall_id", "is required");
  v.Check(!req.contact().name().empty(), "contact.name", "is required (CT-9: contact details for home service)");
  if (v.Check(!req.contact().phone().empty(), "contact.phone", "is required (CT-9: contact details for home service)")) {
    if (auto problem = domain::CheckPhone(req.contact().phone())) v.Add("contact.phone", problem->message);
  }
  v.Check(!req.location().address().empty(), "location.address", "is required (where the home service takes place)");
  v.Check(req.needs_size() > 0, "needs", "at least one accessibility need is required (CT-9)");
  for (int i = 0; i < req.needs_size(); ++i) {
    v.Check(req.needs(i) != v1::ACCESSIBILITY_NEED_UNSPECIFIED && v1::AccessibilityNeed_IsValid(req.needs(i)),
            absl::StrCat("needs[", i, "]"), "is not a known accessibility need");
  }
  if (!req.business_type().empty()) {
    v.Check(domain::FindBusinessType(req.business_type()) != nullptr, "business_type",
            "is not a business of the hall's catalogue");
  }
  // The follow-up clock is the opener's; handing a visit over, the opener is its owner (CT-1).
  v.Check(!req.opened_by().staff_id().empty(), "opened_by.staff_id",
          "is required (CT-9: the staff member who takes the contact details and follows the case up)");
  const absl::Time opened_at = EventTime(v, "opened_at", req.opened_at(), req.has_opened_at());
  if (!v.empty()) return v.status();

  CounterStore store(txn);
  v1::HomeService h;
  h.set_home_service_id(NewId("HS"));
  std::optional<v1::Visit> visit;
  if (!req.visit_id().empty()) {
    auto found = store.FindVisit(req.visit_id());
    if (!found.ok()) return found.status();
    if (!found->has_value() || (*found)->hall_id() != req.hall_id()) {
      return absl::NotFoundError(absl::StrCat("visit ", req.visit_id(), " not found in hall ", req.hall_id()));
    }
    visit = **found;
    if (!visit->home_service_id().empty()) {
      return PreconditionFailed("CT-9", VisitSubject(visit->visit_id()),
                                absl::StrCat("the visit already has home service ", visit->home_service_id()));
    }
    // The case continues the visit's business: it cannot be opened before
    // the visit began (as EndVisit's ended_at, ConvertVisitToAppointment's booked_at).
    if (opened_at < FromProto(visit->started_at())) return InvalidField("opened_at", "is before the visit started");
    // Handing a visit in progress over to home service ends it: the same
    // gates as EndVisit (CT-1 the owner hands it over; CT-7 a visit waiting in
    // a long failure is converted to an appointment instead).
    if (visit->state() == v1::VISIT_STATE_IN_PROGRESS) {
      if (auto s = CheckVisitMayEnd(store, txn, *visit, req.opened_by().staff_id(), opened_at); !s.ok()) return s;
    }
  }
  h.set_hall_id(req.hall_id());
  h.set_visit_id(req.visit_id());
  *h.mutable_contact() = req.contact();
  *h.mutable_location() = req.location();
  *h.mutable_needs() = req.needs();
  h.set_business_type(req.business_type().empty() && visit.has_value() ? visit->business_type() : req.business_type());
  h.set_request_summary(req.request_summary());
  h.set_state(v1::HOME_SERVICE_STATE_OPEN);
  *h.mutable_opened_by() = req.opened_by();
  *h.mutable_opened_at() = ToProto(opened_at);
  const absl::Time due = domain::HomeServiceFollowupDue(opened_at, ct_, calendar_);
  if (auto s = store.SaveHomeService(h, due); !s.ok()) return s;
  // CT-9 follow-up clock.
  if (auto s = sla_.Start(txn, SlaTimer{kSlaHomeServiceFollowup, HomeServiceSubject(h.home_service_id()),
                                        req.opened_by().department().empty() ? kHallDepartment
                                                                             : req.opened_by().department(),
                                        req.opened_by().staff_id(), opened_at, due});
      !s.ok()) {
    return s;
  }
  // The visit's business continues at the customer's home.
  if (visit.has_value()) {
    visit->set_home_service_id(h.home_service_id());
    if (visit->state() == v1::VISIT_STATE_IN_PROGRESS) {
      visit->set_state(v1::VISIT_STATE_ENDED);
      visit->set_outcome(v1::VISIT_OUTCOME_HOME_SERVICE);
      *visit->mutable_ended_at() = ToProto(opened_at);
      if (auto s = FinishTicketOf(store, *visit); !s.ok()) return s;
    }
    if (auto s = store.SaveVisit(*visit); !s.ok()) return s;
  }
  v1::OpenHomeServiceResponse resp;
  if (auto s = Decorate(txn, h); !s.ok()) return s;
  *resp.mutable_home_service() = std::move(h);
  return resp;
}

absl::StatusOr<v1::CompleteHomeServiceResponse> CounterWorkflow::CompleteHomeService(
    Transaction& txn, const v1::CompleteHomeServiceRequest& req) {
  Validator v;
  v.Check(!req.home_service_id().empty(), "home_service_id", "is required");
  v.Check(!req.staff().staff_id().empty(), "staff.staff_id", "is required");
  const absl::Time completed_at = EventTime(v, "completed_at", req.completed_at(), req.has_completed_at());
  if (!v.empty()) return v.status();
  CounterStore store(txn);
  auto found = store.FindHomeService(req.home_service_id());
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    return absl::NotFoundError(absl::StrCat("home service ", req.home_service_id(), " not found"));
  }
  v1::HomeService h = **found;
  if (h.state() != v1::HOME_SERVICE_STATE_OPEN) {
    return PreconditionFailed("CT-9", HomeServiceSubject(h.home_service_id()), "the home service is already completed");
  }
  const absl::Time opened_at = FromProto(h.opened_at());
  if (completed_at < opened_at) return InvalidField("completed_at", "is before the case was opened");
  h.set_state(v1::HOME_SERVICE_STATE_COMPLETED);
  *h.mutable_completed_by() = req.staff();
  *h.mutable_completed_at() = ToProto(completed_at);
  h.set_outcome_note(req.outcome_note());
  if (auto s = store.SaveHomeService(h, domain::HomeServiceFollowupDue(opened_at, ct_, calendar_)); !s.ok()) return s;
  auto stopped = sla_.Stop(txn, kSlaHomeServiceFollowup, HomeServiceSubject(h.home_service_id()), completed_at);
  if (!stopped.ok()) return stopped.status();
  v1::CompleteHomeServiceResponse resp;
  if (auto s = Decorate(txn, h); !s.ok()) return s;
  *resp.mutable_home_service() = std::move(h);
  return resp;
}

absl::StatusOr<v1::GetHomeServiceResponse> CounterWorkflow::GetHomeService(Transaction& txn,
                                                                           const v1::GetHomeServiceRequest& req) {
  if (req.home_service_id().empty()) return InvalidField("home_service_id", "is required");
  CounterStore store(txn);
  auto found = store.FindHomeService(req.home_service_id());
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    return absl::NotFoundError(absl::StrCat("home service ", req.home_service_id(), " not found"));
  }
  v1::GetHomeServiceResponse resp;
  *resp.mutable_home_service() = **found;
  if (auto s = Decorate(txn, *resp.mutable_home_service()); !s.ok()) return s;
  return resp;
}

absl::StatusOr<v1::ListHomeServicesResponse> CounterWorkflow::ListHomeServices(
    Transaction& txn, const v1::ListHomeServicesRequest& req) {
  Validator v;
  v.Check(v1::HomeServiceState_IsValid(req.state()), "state", "is not a home-service state");
  const TimeBounds range = CheckTimeRange(v, req.time_range());
  const std::optional<absl::Time> due_before = CheckFilterBound(v, "due_before", req.due_before(), req.has_due_before());
  const int limit = CheckPageSize(v, req.page_size());
  const int64_t offset = DecodePageToken(v, req.page_token());
  if (!v.empty()) return v.status();
  HomeServiceFilter f;
  f.hall_id = req.hall_id();
  f.state = req.state();
  f.due_before = due_before;
  f.opened_from = range.start;
  f.opened_to = range.end;
  CounterStore store(txn);
  auto found = store.ListHomeServices(f, offset, limit + 1);
  if (!found.ok()) return found.status();
  v1::ListHomeServicesResponse resp;
  for (int i = 0; i < static_cast<int>(found->size()) && i < limit; ++i) {
    if (auto s = Decorate(txn, (*found)[i]); !s.ok()) return s;
    *resp.add_home_services() = std::move((*found)[i]);
  }
  if (static_cast<int>(found->size()) > limit) resp.set_next_page_token(EncodePageToken(offset + limit));
  return resp;
}

}  // namespace gridserve::counter
