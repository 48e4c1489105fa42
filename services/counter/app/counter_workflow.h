#ifndef GRIDSERVE_SERVICES_COUNTER_APP_COUNTER_WORKFLOW_H_
#define GRIDSERVE_SERVICES_COUNTER_APP_COUNTER_WORKFLOW_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gridserve/v1/config.pb.h"
#include "gridserve/v1/counter.pb.h"
#include "services/common/breach_recorder.h"
#include "services/common/business_calendar.h"
#include "services/common/clock.h"
#include "services/common/database.h"
#include "services/common/sla_clock.h"
#include "services/common/status_util.h"
#include "services/counter/metrics/counter_metrics.h"
#include "services/counter/storage/counter_store.h"

namespace gridserve::counter {

// SLA names from norms/catalogue.json.
inline constexpr char kSlaTicketWait[] = "ticket_wait";                     // CT-4
inline constexpr char kSlaFailureConversion[] = "failure_conversion";       // CT-7
inline constexpr char kSlaHomeServiceFollowup[] = "home_service_followup";  // CT-9
// Department of hall-level breaches when no staff member is responsible.
inline constexpr char kHallDepartment[] = "business-hall";

// The hall's use cases: each validates its request, applies the clause rules
// of domain/ and writes through CounterStore, all inside the caller's
// transaction (the adapter wraps state changes in RunOnce, so a retried
// request changes nothing twice). Breaches go to BreachRecorder, clocks to
// SlaClock. No gRPC here: tests call it directly on a FakeClock.
class CounterWorkflow {
 public:
  CounterWorkflow(const v1::SuiteConfig& config, const BusinessCalendar& calendar, const Clock& clock,
                  BreachRecorder& breaches, SlaClock& sla, CounterMetrics* metrics);

  // Queue and counters (CT-4, CT-6, CT-9).
  absl::StatusOr<v1::IssueTicketResponse> IssueTicket(Transaction& txn, const v1::IssueTicketRequest& req);
  absl::StatusOr<v1::CallTicketResponse> CallTicket(Transaction& txn, const v1::CallTicketRequest& req);
  absl::StatusOr<v1::MarkNoShowResponse> MarkNoShow(Transaction& txn, const v1::MarkNoShowRequest& req);
  absl::StatusOr<v1::SetCounterStateResponse> SetCounterState(Transaction& txn, const v1::SetCounterStateRequest& req);
  absl::StatusOr<v1::ListCountersResponse> ListCounters(Transaction& txn, const v1::ListCountersRequest& req);

  // Visits, forms, escalations, reviews (CT-1, CT-2, CT-3, CT-5, CT-8, CT-9).
  absl::StatusOr<v1::StartVisitResponse> StartVisit(Transaction& txn, const v1::StartVisitRequest& req);
  absl::StatusOr<v1::AddVisitAssistResponse> AddVisitAssist(Transaction& txn, const v1::AddVisitAssistRequest& req);
  absl::StatusOr<v1::EndVisitResponse> EndVisit(Transaction& txn, const v1::EndVisitRequest& req);
  absl::StatusOr<v1::SubmitApplicationFormResponse> SubmitApplicationForm(
      Transaction& txn, const v1::SubmitApplicationFormRequest& req);
  absl::StatusOr<v1::RecordEscalationResponse> RecordEscalation(Transaction& txn,
                                                                const v1::RecordEscalationRequest& req);
  absl::StatusOr<v1::RecordCounterReviewResponse> RecordCounterReview(Transaction& txn,
                                                                      const v1::RecordCounterReviewRequest& req);

  // System failures and appointments (CT-7).
  absl::StatusOr<v1::OpenSystemFailureResponse> OpenSystemFailure(Transaction& txn,
                                                                  const v1::OpenSystemFailureRequest& req);
  absl::StatusOr<v1::CloseSystemFailureResponse> CloseSystemFailure(Transaction& txn,
                                                                    const v1::CloseSystemFailureRequest& req);
  absl::StatusOr<v1::GetSystemFailureResponse> GetSystemFailure(Transaction& txn,
                                                                const v1::GetSystemFailureRequest& req);
  absl::StatusOr<v1::ConvertVisitToAppointmentResponse> ConvertVisitToAppointment(
      Transaction& txn, const v1::ConvertVisitToAppointmentRequest& req);
  absl::StatusOr<v1::KeepAppointmentResponse> KeepAppointment(Transaction& txn, const v1::KeepAppointmentRequest& req);
  absl::StatusOr<v1::GetAppointmentResponse> GetAppointment(Transaction& txn, const v1::GetAppointmentRequest& req);
  absl::StatusOr<v1::ListAppointmentsResponse> ListAppointments(Transaction& txn,
                                                                const v1::ListAppointmentsRequest& req);

  // Home service (CT-9).
  absl::StatusOr<v1::OpenHomeServiceResponse> OpenHomeService(Transaction& txn, const v1::OpenHomeServiceRequest& req);
  absl::StatusOr<v1::CompleteHomeServiceResponse> CompleteHomeService(Transaction& txn,
                                                                      const v1::CompleteHomeServiceRequest& req);
  absl::StatusOr<v1::GetHomeServiceResponse> GetHomeService(Transaction& txn, const v1::GetHomeServiceRequest& req);
  absl::StatusOr<v1::ListHomeServicesResponse> ListHomeServices(Transaction& txn,
                                                                const v1::ListHomeServicesRequest& req);

  // Sessions and closing (CT-10).
  absl::StatusOr<v1::OpenSessionResponse> OpenSession(Transaction& txn, const v1::OpenSessionRequest& req);
  absl::StatusOr<v1::CloseSessionResponse> CloseSession(Transaction& txn, const v1::CloseSessionRequest& req);
  absl::StatusOr<v1::CloseHallResponse> CloseHall(Transaction& txn, const v1::CloseHallRequest& req);

  // Reads.
  absl::StatusOr<v1::GetTicketResponse> GetTicket(Transaction& txn, const v1::GetTicketRequest& req);
  absl::StatusOr<v1::ListTicketsResponse> ListTickets(Transaction& txn, const v1::ListTicketsRequest& req);
  absl::StatusOr<v1::GetVisitResponse> GetVisit(Transaction& txn, const v1::GetVisitRequest& req);
  absl::StatusOr<v1::ListVisitsResponse> ListVisits(Transaction& txn, const v1::ListVisitsRequest& req);

  // The background pass (run with each gauge refresh, and by tests with a
  // FakeClock): CT-4 back-office episodes and CT-7 failures turning long (their
  // conversion clocks), as of `now`; then the domain gauges. Idempotent.
  absl::Status BackgroundPass(Database& db, absl::Time now);

 private:
  // CT-4: records the back-office episode of `counter` once, if tickets wait
  // beyond the limit while it is in back office, looked at `at`.
  absl::Status CheckBackOffice(CounterStore& store, Transaction& txn, const StoredCounter& counter, absl::Time at);
  // The counter `counter_id` of hall `hall_id` (halls number their counters
  // alike: a counter is the pair). A call that names no hall (CallTicket
  // calling the next customer, SetCounterState without hall_id) finds it by
  // its number when one hall has such a counter, else the one where
  // `staff_id` holds the open session; else INVALID_ARGUMENT on `hall_field`
  // with the description `how_to_name_the_hall`. NOT_FOUND when there is none.
  absl::StatusOr<StoredCounter> FindHallCounter(CounterStore& store, const std::string& hall_id,
                                                const std::string& counter_id, const std::string& staff_id,
                                                const std::string& hall_field, const std::string& how_to_name_the_hall);
  // CT-7: marks the failure long once it lasts beyond the short limit (as of
  // `now`, or its end when closed) and starts the conversion clock of each
  // visit still waiting in it, and of each ticket still queued in the hall.
  // Idempotent; saves the failure when changed.
  absl::Status EvaluateFailure(CounterStore& store, Transaction& txn, v1::SystemFailure& failure, absl::Time now);
  // EvaluateFailure for one customer who joins an open failure (a ticket
  // issued, a visit started): a failure not yet known to be long is evaluated
  // whole, since turning long starts every waiting customer's clock, this
  // one's included; one already long only needs this customer's clock (the
  // others got theirs when it turned), not another pass over the hall.
  absl::Status EvaluateFailureForTicket(CounterStore& store, Transaction& txn, v1::SystemFailure& failure,
                                        const v1::Ticket& ticket, absl::Time now);
  absl::Status EvaluateFailureForVisit(CounterStore& store, Transaction& txn, v1::SystemFailure& failure,
                                       const v1::Visit& visit, absl::Time now);
  // The gates of every call that ends a visit in progress (EndVisit,
  // OpenHomeService) at `ends_at`: CT-1 only the owner ends it; CT-7 a visit
  // waiting in a failure that was long by then is converted to an appointment
  // instead.
  absl::Status CheckVisitMayEnd(CounterStore& store, Transaction& txn, const v1::Visit& visit,
                                absl::string_view by_staff_id, absl::Time ends_at);
  // CT-10 gate of new business (a ticket, a session, a visit) in `hall_id` at
  // `at`: refused once the hall has closed for that local day.
  absl::Status CheckHallOpen(CounterStore& store, const std::string& hall_id, absl::Time at);
  // Starts the CT-7 conversion clock of `subject` from `start` unless it
  // already has one.
  absl::Status StartConversionClockOnce(Transaction& txn, const std::string& subject, const std::string& department,
                                        const std::string& staff_id, absl::Time start);
  // Starts one visit's conversion clock unless it already has one.
  absl::Status StartConversionClock(Transaction& txn, const v1::Visit& visit, absl::Time became_long_at);
  // Starts the conversion clock of a ticket still queued in a long failure
  // (subject "ticket/<id>") unless it already has one.
  absl::Status StartTicketConversionClock(Transaction& txn, const v1::Ticket& ticket, absl::Time became_long_at);
  // A visit started at `at` from a ticket takes over the ticket's conversion
  // clock in the state it is in: a running one with its original start and
  // due time, one the sweep already breached still breached (CT-7: one SLA
  // instance, one breach).
  absl::Status HandOverConversionClock(Transaction& txn, const v1::Visit& visit, absl::Time at);
  // Records a breach with this service's conventions; returns it.
  absl::StatusOr<v1::Breach> RecordBreach(Transaction& txn, const std::string& rule, const std::string& breach_id,
                                          const std::string& subject, const v1::StaffRef& staff,
                                          const std::string& detail, absl::Time occurred_at, v1::Mechanism mechanism,
                                          bool forced = false);

  // Read models: the entity with its clocks and breaches.
  absl::Status Decorate(Transaction& txn, v1::Ticket& ticket, absl::Time now);
  absl::Status Decorate(Transaction& txn, v1::Visit& visit);
  absl::Status Decorate(Transaction& txn, v1::HomeService& home_service);
  absl::Status AttachBreaches(Transaction& txn, const std::string& subject,
                              google::protobuf::RepeatedPtrField<v1::Breach>* out);
  absl::Status AttachSla(Transaction& txn, const std::string& sla, const std::string& subject,
                         google::protobuf::RepeatedPtrField<v1::SlaState>* out);

  // Event-time validation against this server's clock.
  absl::Time EventTime(Validator& v, absl::string_view field, const google::protobuf::Timestamp& t, bool present,
                       bool required = true) const;
  // A ticket of a visit moves on to DONE when the visit ends.
  absl::Status FinishTicketOf(CounterStore& store, const v1::Visit& visit);

  const v1::SuiteConfig& config_;
  const v1::CounterConfig& ct_;
  const BusinessCalendar& calendar_;
  const Clock& clock_;
  BreachRecorder& breaches_;
  SlaClock& sla_;
  CounterMetrics* metrics_;
};

// Subjects of clocks and breaches: "<kind>/<id>".
std::string TicketSubject(const std::string& id);
std::string VisitSubject(const std::string& id);
// A counter is numbered within its hall: "counter/<hall_id>/<counter_id>"
// (counters stored before keep "counter/<counter_id>": StoredCounter).
std::string CounterSubject(const std::string& hall_id, const std::string& counter_id);
std::string HallSubject(const std::string& hall_id);

}  // namespace gridserve::counter

#endif  // GRIDSERVE_SERVICES_COUNTER_APP_COUNTER_WORKFLOW_H_
