#include "services/counter/domain/visit_rules.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/catalogue.h"
#include "services/common/status_util.h"

namespace gridserve::counter::domain {

bool IsEndVisitOutcome(v1::VisitOutcome outcome) {
  switch (outcome) {
    case v1::VISIT_OUTCOME_COMPLETED:
    case v1::VISIT_OUTCOME_REDIRECTED_UNFINISHED:
    case v1::VISIT_OUTCOME_DECLINED_AGAINST_POLICY:
    case v1::VISIT_OUTCOME_CUSTOMER_LEFT:
      return true;
    default:
      return false;
  }
}

absl::Status CheckOwnerEnds(const v1::Visit& visit, absl::string_view ended_by_staff_id) {
  if (visit.owner().staff_id() == ended_by_staff_id) return absl::OkStatus();
  return PreconditionFailed("CT-1", absl::StrCat("visit/", visit.visit_id()),
                            "not the owner: the first staff member approached stays responsible until the "
                            "visit completes; others may only assist");
}

absl::Status CheckOwnerCalledTicket(const v1::Ticket& ticket, absl::string_view owner_staff_id,
                                    bool caller_still_serving) {
  const std::string& caller = ticket.called_by().staff_id();
  if (caller.empty() || caller == owner_staff_id || !caller_still_serving) return absl::OkStatus();
  return PreconditionFailed("CT-1", absl::StrCat("ticket/", ticket.ticket_id()),
                            absl::StrCat("the ticket was called by ", caller,
                                         ", the first staff member the customer approaches, who owns the visit; "
                                         "others may only assist"));
}

bool IsFirstContactBreach(v1::VisitOutcome outcome) { return outcome == v1::VISIT_OUTCOME_REDIRECTED_UNFINISHED; }

std::optional<std::string> EscalationBreach(const v1::Escalation& escalation) {
  if (escalation.argued_with_customer()) return std::string("staff argued with the customer");
  if (escalation.reason() == v1::ESCALATION_REASON_POLICY_REQUEST && !escalation.policy_explained()) {
    return std::string("a request against policy was not explained to the customer");
  }
  return std::nullopt;
}

std::vector<ReviewFinding> ReviewFailures(const v1::QualityReview& review) {
  std::vector<ReviewFinding> out;
  for (int i = 0; i < review.items_size(); ++i) {
    const auto& item = review.items(i);
    if (item.result() == v1::REVIEW_RESULT_FAIL) out.push_back({i, item.clause(), item.item()});
  }
  return out;
}

bool IsCounterClause(absl::string_view clause) {
  const v1::Clause* c = FindClause(std::string(clause));
  return c != nullptr && c->service() == "counter";
}

}  // namespace gridserve::counter::domain
