#ifndef GRIDSERVE_SERVICES_COUNTER_DOMAIN_VISIT_RULES_H_
#define GRIDSERVE_SERVICES_COUNTER_DOMAIN_VISIT_RULES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gridserve/v1/counter.pb.h"

namespace gridserve::counter::domain {

// Outcomes a caller may give EndVisit. CONVERTED_TO_APPOINTMENT belongs to
// ConvertVisitToAppointment (CT-7) and HOME_SERVICE to OpenHomeService (CT-9).
bool IsEndVisitOutcome(v1::VisitOutcome outcome);

// CT-1 gate: the first staff member approached owns the visit until it
// completes; only the owner ends it (others assist, there are no transfers).
absl::Status CheckOwnerEnds(const v1::Visit& visit, absl::string_view ended_by_staff_id);

// CT-1 gate: a queued customer first approaches the staff member who called
// the ticket to the counter, so that staff member owns the visit started from
// it. When the caller has left (no open session in the hall any more; a
// forced close is already a CT-10 breach) whoever takes the customer is the
// first contact. (A ticket stored before callers were recorded has no called_by.)
absl::Status CheckOwnerCalledTicket(const v1::Ticket& ticket, absl::string_view owner_staff_id,
                                    bool caller_still_serving);

// CT-1 check: sending the customer elsewhere with the business unfinished.
bool IsFirstContactBreach(v1::VisitOutcome outcome);

// CT-8 (review, from the escalation record): requests against policy are
// explained patiently, never argued over. Returns the breach detail, or
// nullopt when the escalation complies.
std::optional<std::string> EscalationBreach(const v1::Escalation& escalation);

// CT-2/CT-3/CT-5/CT-8 review: every FAIL item is a breach of its clause.
struct ReviewFinding {
  int item_index;
  std::string clause;
  std::string item;
};
std::vector<ReviewFinding> ReviewFailures(const v1::QualityReview& review);

// Clauses a counter review may name: the CT clauses.
bool IsCounterClause(absl::string_view clause);

}  // namespace gridserve::counter::domain

#endif  // GRIDSERVE_SERVICES_COUNTER_DOMAIN_VISIT_RULES_H_
