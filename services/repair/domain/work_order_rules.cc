#include "services/repair/domain/work_order_rules.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/config.h"
#include "services/common/rpc_util.h"
#include "services/common/status_util.h"

namespace gridserve::repair {
namespace {

// A breach about this order: "repair/<rule>/work_order/<id>/<what>" is stable
// across retries and unique per finding.
v1::Breach OrderBreach(const v1::WorkOrder& order, const std::string& rule, const std::string& what,
                       v1::Mechanism mechanism, const std::string& detail, absl::Time at,
                       const std::string& staff_id, bool forced = false) {
  v1::Breach b;
  b.set_breach_id(absl::StrCat("repair/", rule, "/", WorkOrderSubject(order.work_order_id()), "/", what));
  b.set_rule(rule);
  b.set_department(order.department());
  b.set_staff_id(staff_id);
  b.set_subject(WorkOrderSubject(order.work_order_id()));
  b.set_detail(detail);
  *b.mutable_occurred_at() = ToProto(at);
  b.set_mechanism(mechanism);
  b.set_forced(forced);
  return b;
}

// PreconditionFailed prefixes the clause itself: the message reads
// "RP-2: no consent (...)", as the proto documents.
absl::Status Refuse(const v1::WorkOrder& order, const std::string& clause, const std::string& why) {
  return PreconditionFailed(clause, WorkOrderSubject(order.work_order_id()), why);
}

bool Completed(const v1::WorkOrder& order) { return order.state() == v1::WORK_ORDER_STATE_COMPLETED; }
bool Cancelled(const v1::WorkOrder& order) { return order.state() == v1::WORK_ORDER_STATE_CANCELLED; }

// Steps that happen on site need the crew there and the order still open.
absl::Status RequireOnSite(const v1::WorkOrder& order, const std::string& clause) {
  if (Completed(order)) return Refuse(order, clause, "work order completed");
  if (!order.has_arrived_at()) return Refuse(order, clause, "crew not arrived yet (RecordArrival first)");
  return absl::OkStatus();
}

void AddToCrew(v1::WorkOrder& order, const v1::StaffRef& staff) {
  if (staff.staff_id().empty()) return;
  for (const auto& member : order.crew()) {
    if (member.staff_id() == staff.staff_id()) return;
  }
  *order.add_crew() = staff;
}

const char* StateName(v1::WorkOrderState state) {
  switch (state) {
    case v1::WORK_ORDER_STATE_DISPATCHED: return "DISPATCHED";
    case v1::WORK_ORDER_STATE_ACKNOWLEDGED: return "ACKNOWLEDGED";
    case v1::WORK_ORDER_STATE_ON_SITE: return "ON_SITE";
    case v1::WORK_ORDER_STATE_RESTORED: return "RESTORED";
    case v1::WORK_ORDER_STATE_COMPLETED: return "COMPLETED";
    case v1::WORK_ORDER_STATE_CANCELLED: return "CANCELLED";
    default: return "UNSPECIFIED";
  }
}

}  // namespace

absl::StatusOr<absl::Time> WorkOrderRules::ArrivalDue(const std::string& area_class, absl::Time dispatched_at) const {
  auto area = FindAreaClass(config_, area_class);
  if (!area.ok()) return InvalidField("location.area_class", area.status().message());
  return dispatched_at + ToAbsl(area->arrival_limit());
}

absl::StatusOr<absl::Time> WorkOrderRules::RestorationDue(const std::string& area_class, absl::Time arrived_at) const {
  auto area = FindAreaClass(config_, area_class);
  if (!area.ok()) return InvalidField("location.area_class", area.status().message());
  return arrived_at + ToAbsl(area->restoration_limit());
}

absl::StatusOr<StepEffects> WorkOrderRules::Open(v1::WorkOrder& order) const {
  const absl::Time dispatched_at = FromProto(order.dispatched_at());
  auto due = ArrivalDue(order.location().area_class(), dispatched_at);
  if (!due.ok()) return due.status();
  order.set_state(v1::WORK_ORDER_STATE_DISPATCHED);
  StepEffects effects;
  // RP-1: the arrival promise runs from the dispatch, not from when repair saw it.
  effects.start.push_back(
      SlaTimer{kArrivalSla, WorkOrderSubject(order.work_order_id()), order.department(), "", dispatched_at, *due});
  return effects;
}

absl::StatusOr<StepEffects> WorkOrderRules::Acknowledge(v1::WorkOrder& order, const std::vector<v1::StaffRef>& crew,
                                                        absl::Time at) const {
  if (order.state() != v1::WORK_ORDER_STATE_DISPATCHED) {
    return Refuse(order, "RP-1", absl::StrCat("only a DISPATCHED order can be acknowledged (state ",
                                              StateName(order.state()), ")"));
  }
  if (at < FromProto(order.dispatched_at())) return InvalidField("acknowledged_at", "is before dispatched_at");
  for (const auto& member : crew) AddToCrew(order, member);
  *order.mutable_acknowledged_at() = ToProto(at);
  order.set_state(v1::WORK_ORDER_STATE_ACKNOWLEDGED);
  return StepEffects{};
}

absl::StatusOr<StepEffects> WorkOrderRules::Arrive(v1::WorkOrder& order, const v1::StaffRef& staff, absl::Time at,
                                                   bool site_surveyed, const std::string& survey_note) const {
  if (Completed(order)) return Refuse(order, "RP-1", "work order completed");
  if (Cancelled(order)) return Refuse(order, "RP-1", "work order cancelled");
  if (order.has_arrived_at()) return Refuse(order, "RP-1", "arrival already recorded");
  if (at < FromProto(order.dispatched_at())) return InvalidField("arrived_at", "is before dispatched_at");
  if (order.has_acknowledged_at() && at < FromProto(order.acknowledged_at())) {
    return InvalidField("arrived_at", "is before acknowledged_at");
  }
  auto restoration_due = RestorationDue(order.location().area_class(), at);
  if (!restoration_due.ok()) return restoration_due.status();

  AddToCrew(order, staff);
  *order.mutable_arrived_at() = ToProto(at);
  order.set_site_surveyed(site_surveyed);
  order.set_survey_note(survey_note);
  order.set_state(v1::WORK_ORDER_STATE_ON_SITE);

  StepEffects effects;
  const std::string subject = WorkOrderSubject(order.work_order_id());
  // RP-1: arrival closes the promise (on time up to and including the due
  // instant; a late arrival was already breached by the sweep at expiry).
  effects.stop.push_back(ClockStop{kArrivalSla, at});
  effects.start.push_back(
      SlaTimer{kRestorationSla, subject, order.department(), staff.staff_id(), at, *restoration_due});
  // RP-1: "ask what happened and survey the site" on arrival (check).
  if (!site_surveyed) {
    effects.breaches.push_back(OrderBreach(order, "RP-1", "survey", v1::MECHANISM_CHECK,
                                           "crew did not ask what happened / survey the site on arrival", at,
                                           staff.staff_id()));
  }
  return effects;
}

absl::StatusOr<StepEffects> WorkOrderRules::EnterPremises(v1::WorkOrder& order, v1::PremisesEntry entry,
                                                          bool force) const {
  if (auto s = RequireOnSite(order, "RP-2"); !s.ok()) return s;
  const absl::Time at = FromProto(entry.entered_at());
  if (at < FromProto(order.arrived_at())) return InvalidField("entered_at", "is before the crew's arrived_at");
  // RP-2 gate: enter only with the customer's consent; an emergency may force
  // it, and the forced entry is itself a breach.
  if (!entry.consent_given() && !force) {
    return Refuse(order, "RP-2", "no consent (the customer must agree before the crew enters)");
  }
  StepEffects effects;
  const std::string what = absl::StrCat("entry/", entry.entry_id());
  const std::string staff_id = entry.staff().staff_id();
  if (!entry.consent_given()) {
    entry.set_forced(true);
    effects.breaches.push_back(OrderBreach(order, "RP-2", absl::StrCat(what, "/forced"), v1::MECHANISM_GATE,
                                           "premises entered without consent (forced)", at, staff_id,
                                           /*forced=*/true));
  } else {
    entry.set_forced(false);
    entry.clear_force_reason();
  }
  // RP-2 check: ring or knock, show ID / introduce, wear shoe covers.
  std::vector<std::string> missing;
  if (!entry.knocked()) missing.push_back("did not ring or knock");
  if (!entry.id_shown()) missing.push_back("did not show ID or introduce themselves");
  if (!entry.shoe_covers()) missing.push_back("no shoe covers");
  if (!missing.empty()) {
    effects.breaches.push_back(OrderBreach(order, "RP-2", absl::StrCat(what, "/entry"), v1::MECHANISM_CHECK,
                                           absl::StrCat("premises entry: ", absl::StrJoin(missing, "; ")), at,
                                           staff_id));
  }
  *order.add_premises_entries() = std::move(entry);
  return effects;
}

absl::StatusOr<StepEffects> WorkOrderRules::ExitPremises(v1::WorkOrder& order, const std::string& entry_id,
                                                         absl::Time at, bool cleaned_up, bool thanked) const {
  v1::PremisesEntry* entry = nullptr;
  for (auto& e : *order.mutable_premises_entries()) {
    if (e.entry_id() == entry_id) entry = &e;
  }
  if (entry == nullptr) return absl::NotFoundError(absl::StrCat("premises entry ", entry_id, " not found"));
  if (entry->has_exited_at()) return Refuse(order, "RP-2", "premises entry already closed");
  if (at < FromProto(entry->entered_at())) return InvalidField("exited_at", "is before entered_at");
  *entry->mutable_exited_at() = ToProto(at);
  entry->set_cleaned_up(cleaned_up);
  entry->set_thanked(thanked);
  StepEffects effects;
  // RP-2 check: at the end clean up and thank the customer.
  std::vector<std::string> missing;
  if (!cleaned_up) missing.push_back("did not clean up");
  if (!thanked) missing.push_back("did not thank the customer");
  if (!missing.empty()) {
    effects.breaches.push_back(OrderBreach(order, "RP-2", absl::StrCat("entry/", entry_id, "/exit"),
                                           v1::MECHANISM_CHECK,
                                           absl::StrCat("premises exit: ", absl::StrJoin(missing, "; ")), at,
                                           entry->staff().staff_id()));
  }
  return effects;
}

absl::StatusOr<StepEffects> WorkOrderRules::BorrowItem(v1::WorkOrder& order, v1::BorrowedItem item) const {
  if (auto s = RequireOnSite(order, "RP-3"); !s.ok()) return s;
  const absl::Time at = FromProto(item.borrowed_at());
  if (at < FromProto(order.arrived_at())) return InvalidField("borrowed_at", "is before the crew's arrived_at");
  item.clear_returned_at();
  StepEffects effects;
  // RP-3 check: ask the customer first.
  if (!item.permission_asked()) {
    effects.breaches.push_back(OrderBreach(order, "RP-3", absl::StrCat("item/", item.item_id(), "/borrow"),
                                           v1::MECHANISM_CHECK, "item borrowed without asking the customer first",
                                           at, item.staff().staff_id()));
  }
  *order.add_borrowed_items() = std::move(item);
  return effects;
}

absl::StatusOr<StepEffects> WorkOrderRules::ReturnItem(v1::WorkOrder& order, const std::string& item_id,
                                                       absl::Time at, bool cleaned, bool returned_gently,
                                                       bool thanked) const {
  v1::BorrowedItem* item = nullptr;
  for (auto& i : *order.mutable_borrowed_items()) {
    if (i.item_id() == item_id) item = &i;
  }
  if (item == nullptr) return absl::NotFoundError(absl::StrCat("borrowed item ", item_id, " not found"));
  if (item->has_returned_at()) return Refuse(order, "RP-3", "item already returned");
  if (at < FromProto(item->borrowed_at())) return InvalidField("returned_at", "is before borrowed_at");
  *item->mutable_returned_at() = ToProto(at);
  item->set_cleaned(cleaned);
  item->set_returned_gently(returned_gently);
  item->set_thanked(thanked);
  StepEffects effects;
  // RP-3 check: clean it, put it back gently, thank.
  std::vector<std::string> missing;
  if (!cleaned) missing.push_back("not cleaned");
  if (!returned_gently) missing.push_back("not put back gently");
  if (!thanked) missing.push_back("customer not thanked");
  if (!missing.empty()) {
    effects.breaches.push_back(OrderBreach(order, "RP-3", absl::StrCat("item/", item_id, "/return"),
                                           v1::MECHANISM_CHECK,
                                           absl::StrCat("borrowed item returned: ", absl::StrJoin(missing, "; ")),
                                           at, item->staff().staff_id()));
  }
  return effects;
}

absl::StatusOr<StepEffects> WorkOrderRules::Restore(v1::WorkOrder& order, const v1::StaffRef& staff, absl::Time at,
                                                    const std::string& fault_cause,
                                                    const std::string& action_taken) const {
  if (Completed(order)) return Refuse(order, "RP-1", "work order completed");
  if (Cancelled(order)) return Refuse(order, "RP-1", "work order cancelled");
  if (!order.has_arrived_at()) return Refuse(order, "RP-1", "crew not arrived yet (RecordArrival first)");
  if (order.has_restored_at()) return Refuse(order, "RP-1", "restoration already recorded");
  if (at < FromProto(order.arrived_at())) return InvalidField("restored_at", "is before arrived_at");
  AddToCrew(order, staff);
  *order.mutable_restored_at() = ToProto(at);
  order.set_fault_cause(fault_cause);
  order.set_action_taken(action_taken);
  order.set_state(v1::WORK_ORDER_STATE_RESTORED);
  StepEffects effects;
  effects.stop.push_back(ClockStop{kRestorationSla, at});
  return effects;
}

absl::StatusOr<StepEffects> WorkOrderRules::Complete(v1::WorkOrder& order, const v1::StaffRef& staff, absl::Time at,
                                                     const v1::Checklist& checklist) const {
  if (Completed(order)) return Refuse(order, "RP-1", "work order already completed");
  if (!order.has_restored_at()) return Refuse(order, "RP-1", "supply not restored yet (RecordRestoration first)");
  // RP-3 gate: nothing of the customer's may still be out at completed_at
  // (an item returned only after that instant was out when the order closed).
  for (const auto& item : order.borrowed_items()) {
    if (!item.has_returned_at() || FromProto(item.returned_at()) > at) {
      return Refuse(order, "RP-3", absl::StrCat("item out: borrowed item ", item.item_id(), " not returned",
                                                item.has_returned_at() ? " by completed_at" : ""));
    }
  }
  // RP-2: every entry into the premises ends (clean-up and thanks) before
  // completed_at.
  for (const auto& entry : order.premises_entries()) {
    if (!entry.has_exited_at() || FromProto(entry.exited_at()) > at) {
      return Refuse(order, "RP-2", absl::StrCat("premises entry ", entry.entry_id(),
                                                entry.has_exited_at() ? " still open at completed_at"
                                                                      : " still open (record the exit)"));
    }
  }
  // RP-5 gate: site cleaned, no residue left.
  std::vector<std::string> missing;
  for (const char* required : {kSiteCleanedItem, kNoResidueItem}) {
    const bool done = std::any_of(checklist.items().begin(), checklist.items().end(),
                                  [&](const v1::ChecklistItem& i) { return i.item() == required && i.done(); });
    if (!done) missing.push_back(required);
  }
  if (!missing.empty()) {
    return Refuse(order, "RP-5", absl::StrCat("checklist incomplete: ", absl::StrJoin(missing, ", "), " not done"));
  }
  if (at < FromProto(order.restored_at())) return InvalidField("completed_at", "is before restored_at");
  AddToCrew(order, staff);
  *order.mutable_completion_checklist() = checklist;
  *order.mutable_completed_at() = ToProto(at);
  order.set_state(v1::WORK_ORDER_STATE_COMPLETED);
  return StepEffects{};
}

absl::StatusOr<StepEffects> WorkOrderRules::Cancel(v1::WorkOrder& order, const v1::StaffRef& staff, absl::Time at,
                                                   const std::string& reason) const {
  if (Cancelled(order)) return Refuse(order, "RP-1", "work order already cancelled");
  if (Completed(order)) return Refuse(order, "RP-1", "work order completed");
  // Once the crew is there the visit happened: it ends with restoration and
  // completion (RP-1..RP-5 apply), not by calling it off.
  if (order.has_arrived_at()) return Refuse(order, "RP-1", "crew already arrived (complete the order instead)");
  if (at < FromProto(order.dispatched_at())) return InvalidField("cancelled_at", "is before dispatched_at");
  if (order.has_acknowledged_at() && at < FromProto(order.acknowledged_at())) {
    return InvalidField("cancelled_at", "is before acknowledged_at");
  }
  *order.mutable_cancelled_at() = ToProto(at);
  order.set_cancel_reason(reason);
  *order.mutable_cancelled_by() = staff;
  order.set_state(v1::WORK_ORDER_STATE_CANCELLED);
  StepEffects effects;
  // RP-1: nobody is owed an arrival any more; a promise already broken at
  // `at` stays a breach (SlaClock::Withdraw).
  effects.withdraw.push_back(ClockStop{kArrivalSla, at});
  return effects;
}

absl::StatusOr<StepEffects> WorkOrderRules::RecordFeedback(v1::WorkOrder& order, const v1::Feedback& feedback,
                                                           bool civil_language, const v1::QualityReview& review,
                                                           absl::Time now) const {
  if (!order.has_arrived_at()) return Refuse(order, "RP-4", "no visit yet (crew not arrived)");
  if (order.has_feedback()) return Refuse(order, "RP-4", "feedback already recorded");
  for (int i = 0; i < review.items_size(); ++i) {
    const std::string& clause = review.items(i).clause();
    if (clause != "RP-2" && clause != "RP-3" && clause != "RP-4" && clause != "RP-5") {
      return InvalidField(absl::StrCat("review.items[", i, "].clause"), "must be one of RP-2, RP-3, RP-4, RP-5");
    }
    // Only FAIL makes a breach below: an UNSPECIFIED or unknown result would
    // drop a finding silently, so it is refused (as counter and construction do).
    const v1::ReviewResult result = review.items(i).result();
    if (result == v1::REVIEW_RESULT_UNSPECIFIED || !v1::ReviewResult_IsValid(result)) {
      return InvalidField(absl::StrCat("review.items[", i, "].result"), "must be PASS, FAIL or NOT_APPLICABLE");
    }
  }
  // The survey follows the visit: its findings are dated when it was taken.
  if (feedback.has_collected_at() && FromProto(feedback.collected_at()) < FromProto(order.arrived_at())) {
    return InvalidField("feedback.collected_at", "is before arrived_at (the survey follows the visit)");
  }
  *order.mutable_feedback() = feedback;
  order.set_civil_language(civil_language);
  const absl::Time at = feedback.has_collected_at() ? FromProto(feedback.collected_at()) : now;
  const std::string staff_id = order.crew_size() > 0 ? order.crew(0).staff_id() : "";
  StepEffects effects;
  // RP-4 review: warm, careful, civil language throughout. A customer who
  // declined the survey said nothing about the language: no finding.
  if (!civil_language && !feedback.declined()) {
    effects.breaches.push_back(OrderBreach(order, "RP-4", "feedback/language", v1::MECHANISM_REVIEW,
                                           "post-visit survey: crew's language not civil", at, staff_id));
  }
  // A FAILed survey item is a breach of its clause (RP-2..RP-5).
  for (int i = 0; i < review.items_size(); ++i) {
    const v1::ReviewItem& item = review.items(i);
    if (item.result() != v1::REVIEW_RESULT_FAIL) continue;
    effects.breaches.push_back(OrderBreach(order, item.clause(), absl::StrCat("feedback/review/", i),
                                           v1::MECHANISM_REVIEW,
                                           absl::StrCat("post-visit survey item failed: ", item.item()), at,
                                           staff_id));
  }
  return effects;
}

}  // namespace gridserve::repair
