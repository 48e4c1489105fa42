#ifndef GRIDSERVE_TESTS_COUNTER_COUNTER_FIXTURE_H_
#define GRIDSERVE_TESTS_COUNTER_COUNTER_FIXTURE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "services/common/breach_recorder.h"
#include "services/common/business_calendar.h"
#include "services/common/clock.h"
#include "services/common/config.h"
#include "services/common/database.h"
#include "services/common/migrations.h"
#include "services/common/outbox.h"
#include "services/common/rpc_util.h"
#include "services/common/service_context.h"
#include "services/common/service_metrics.h"
#include "services/common/sla_clock.h"
#include "services/counter/app/counter_workflow.h"
#include "services/counter/storage/counter_schema.h"

namespace gridserve::counter::testing {

// 09:00 local time (+08:00) on a Friday.
inline const absl::Time kDayStart = absl::FromCivil(absl::CivilSecond(2026, 11, 27, 1, 0, 0), absl::UTCTimeZone());

// The platform pieces over an in-memory database, a FakeClock and the
// default configuration: what RunService builds, without the server.
struct CounterEnv {
  CounterEnv() : CounterEnv(*OpenDatabase("sqlite::memory:")) {}
  // Over `database`, bringing its schema up to date (a test of an upgrade
  // hands in one at an earlier migration).
  explicit CounterEnv(std::unique_ptr<Database> database)
      : config(DefaultConfig()),
        calendar(*BusinessCalendar::FromConfig(config.calendar())),
        clock(kDayStart),
        db(std::move(database)),
        metrics("counter", "test", config),
        breaches("counter", clock, &metrics, BreachRecorder::OutboxToRisk(clock)),
        sla(clock, breaches, &metrics),
        outbox(*db, clock, OutboxOptions{}),
        context{config, calendar, clock, *db, metrics, breaches, sla, outbox, PeerTargets{}, nullptr},
        counter_metrics(*metrics.registry(), config.counter()),
        workflow(config, calendar, clock, breaches, sla, &counter_metrics) {
    EXPECT_TRUE(ApplyMigrations(*db, clock, "platform", PlatformMigrations()).ok());
    EXPECT_TRUE(ApplyMigrations(*db, clock, "counter", CounterMigrations()).ok());
  }

  // Runs one use case in a transaction.
  template <typename Fn>
  auto Run(Fn fn) -> decltype(fn(std::declval<Transaction&>())) {
    decltype(fn(std::declval<Transaction&>())) result = absl::UnknownError("not run");
    absl::Status s = db->InTransaction([&](Transaction& txn) -> absl::Status {
      result = fn(txn);
      return result.status();
    });
    if (!s.ok() && result.ok()) result = s;
    return result;
  }

  std::vector<v1::Breach> Breaches(const std::string& rule = "") {
    std::vector<v1::Breach> out;
    EXPECT_TRUE(db->InTransaction([&](Transaction& txn) -> absl::Status {
                    auto events = breaches.ListEvents(txn, 0, rule, 1000);
                    if (!events.ok()) return events.status();
                    for (auto& e : *events) out.push_back(e.breach());
                    return absl::OkStatus();
                  }).ok());
    return out;
  }

  std::optional<SlaStatus> Sla(const std::string& name, const std::string& subject) {
    std::optional<SlaStatus> out;
    EXPECT_TRUE(db->InTransaction([&](Transaction& txn) -> absl::Status {
                    auto s = sla.Get(txn, name, subject);
                    if (!s.ok()) return s.status();
                    out = *s;
                    return absl::OkStatus();
                  }).ok());
    return out;
  }

  // gridserve_sla_total{sla, outcome} of this service (0 when absent).
  double SlaTotal(const std::string& sla, const std::string& outcome) {
    for (const auto& family : metrics.registry()->Collect()) {
      if (family.name != "gridserve_sla_total") continue;
      for (const auto& m : family.metric) {
        int matched = 0;
        for (const auto& label : m.label) {
          matched += (label.name == "sla" && label.value == sla) || (label.name == "outcome" && label.value == outcome);
        }
        if (matched == 2) return m.counter.value;
      }
    }
    return 0;
  }

  // Use cases with sensible defaults, at the clock's now unless told.
  v1::Ticket Issue(const std::string& type = "payment", std::vector<v1::AccessibilityNeed> needs = {},
                   std::optional<absl::Time> at = std::nullopt) {
    v1::IssueTicketRequest req;
    req.set_hall_id("H1");
    req.set_business_type(type);
    for (auto n : needs) req.add_accessibility_needs(n);
    *req.mutable_issued_at() = ToProto(at.value_or(clock.Now()));
    auto r = Run([&](Transaction& t) { return workflow.IssueTicket(t, req); });
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->ticket() : v1::Ticket();
  }

  v1::CounterSession Open(const std::string& counter_id = "C1", const std::string& staff = "S1") {
    v1::OpenSessionRequest req;
    req.set_hall_id("H1");
    req.set_counter_id(counter_id);
    req.mutable_staff()->set_staff_id(staff);
    req.mutable_staff()->set_department("business-hall");
    *req.mutable_opened_at() = ToProto(clock.Now());
    auto r = Run([&](Transaction& t) { return workflow.OpenSession(t, req); });
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->session() : v1::CounterSession();
  }

  absl::StatusOr<v1::CallTicketResponse> Call(const std::string& ticket_id, bool apologised = false,
                                              const std::string& counter_id = "C1") {
    v1::CallTicketRequest req;
    req.set_ticket_id(ticket_id);
    req.set_counter_id(counter_id);
    req.mutable_staff()->set_staff_id("S1");
    req.mutable_staff()->set_department("business-hall");
    *req.mutable_called_at() = ToProto(clock.Now());
    req.set_apologised(apologised);
    return Run([&](Transaction& t) { return workflow.CallTicket(t, req); });
  }

  absl::StatusOr<v1::SetCounterStateResponse> SetState(v1::CounterState state, const std::string& counter_id = "C1") {
    v1::SetCounterStateRequest req;
    req.set_counter_id(counter_id);
    req.set_state(state);
    *req.mutable_changed_at() = ToProto(clock.Now());
    return Run([&](Transaction& t) { return workflow.SetCounterState(t, req); });
  }

  // The counters of one hall (ListCounters); empty after a failure the test reports.
  v1::ListCountersResponse CountersOf(const std::string& hall) {
    v1::ListCountersRequest req;
    req.set_hall_id(hall);
    auto list = Run([&](Transaction& t) { return workflow.ListCounters(t, req); });
    EXPECT_TRUE(list.ok()) << list.status();
    return list.ok() ? *list : v1::ListCountersResponse();
  }

  v1::Visit Start(const std::string& ticket_id = "", const std::string& owner = "S1",
                  std::vector<v1::AccessibilityNeed> needs = {}) {
    v1::StartVisitRequest req;
    req.set_hall_id("H1");
    req.set_ticket_id(ticket_id);
    req.mutable_owner()->set_staff_id(owner);
    req.mutable_owner()->set_department("business-hall");
    req.mutable_customer()->set_name("Customer");
    for (auto n : needs) req.add_accessibility_needs(n);
    *req.mutable_started_at() = ToProto(clock.Now());
    auto r = Run([&](Transaction& t) { return workflow.StartVisit(t, req); });
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->visit() : v1::Visit();
  }

  // Ended now unless `ended_at` says when.
  absl::StatusOr<v1::EndVisitResponse> End(const std::string& visit_id, const std::string& by,
                                           v1::VisitOutcome outcome = v1::VISIT_OUTCOME_COMPLETED,
                                           std::optional<absl::Time> ended_at = std::nullopt) {
    v1::EndVisitRequest req;
    req.set_visit_id(visit_id);
    req.set_ended_by_staff_id(by);
    req.set_outcome(outcome);
    if (outcome == v1::VISIT_OUTCOME_REDIRECTED_UNFINISHED) req.set_redirected_to("another hall");
    *req.mutable_ended_at() = ToProto(ended_at.value_or(clock.Now()));
    return Run([&](Transaction& t) { return workflow.EndVisit(t, req); });
  }

  v1::SystemFailure OpenFailure(std::optional<absl::Time> at = std::nullopt) {
    v1::OpenSystemFailureRequest req;
    req.set_hall_id("H1");
    req.set_description("billing system down");
    *req.mutable_started_at() = ToProto(at.value_or(clock.Now()));
    auto r = Run([&](Transaction& t) { return workflow.OpenSystemFailure(t, req); });
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->system_failure() : v1::SystemFailure();
  }

  // Booked now unless `booked_at` says when.
  absl::StatusOr<v1::ConvertVisitToAppointmentResponse> Convert(const std::string& visit_id,
                                                                std::optional<absl::Time> booked_at = std::nullopt) {
    v1::ConvertVisitToAppointmentRequest req;
    req.set_visit_id(visit_id);
    req.mutable_contact()->set_name("Customer");
    req.mutable_contact()->set_phone("13800000000");
    req.set_apologised(true);
    *req.mutable_booked_at() = ToProto(booked_at.value_or(clock.Now()));
    *req.mutable_scheduled_at() = ToProto(clock.Now() + absl::Hours(24));
    return Run([&](Transaction& t) { return workflow.ConvertVisitToAppointment(t, req); });
  }

  void Background() { ASSERT_TRUE(workflow.BackgroundPass(*db, clock.Now()).ok()); }
  void Sweep() { ASSERT_TRUE(sla.Sweep(*db).ok()); }

  v1::SuiteConfig config;
  BusinessCalendar calendar;
  FakeClock clock;
  std::unique_ptr<Database> db;
  ServiceMetrics metrics;
  BreachRecorder breaches;
  SlaClock sla;
  OutboxRelay outbox;
  ServiceContext context;
  CounterMetrics counter_metrics;
  CounterWorkflow workflow;
};

}  // namespace gridserve::counter::testing

#endif  // GRIDSERVE_TESTS_COUNTER_COUNTER_FIXTURE_H_
