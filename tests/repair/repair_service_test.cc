// The Repair adapter through an in-process gRPC server on 127.0.0.1:0:
// status codes, field violations, idempotency, gates, clocks, metrics.
#include "services/repair/grpc/repair_service.h"

#include <grpcpp/grpcpp.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"
#include "services/common/config.h"
#include "services/common/rpc_util.h"
#include "services/repair/storage/repair_schema.h"
#include "services/repair/storage/work_order_store.h"
#include "services/repair/repair_spec.h"
#include "tests/common/retry_check.h"
#include "tests/common/test_db.h"
#include "tests/support/in_process_service.h"

namespace gridserve::repair {
namespace {

using ::gridserve::testing::CountRows;
using ::gridserve::testing::ExpectRetryChangesNothing;
using ::gridserve::testing::kStart;
using ::testing::Contains;
using ::testing::HasSubstr;

class RepairServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::InProcessService::Options options;
    options.start = kStart;
    auto service = testing::InProcessService::Start(RepairSpec(), options);
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = *std::move(service);
    stub_ = v1::Repair::NewStub(service_->channel());
  }

  template <typename Req, typename Resp>
  grpc::Status Call(grpc::Status (v1::Repair::Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                    const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return (stub_.get()->*method)(&ctx, req, resp);
  }

  // Calls `method` and retries it with the same request id: the retry must
  // answer the same and write nothing more (tests/common/retry_check.h).
  template <typename Req, typename Resp>
  Resp CallAndRetry(grpc::Status (v1::Repair::Stub::*method)(grpc::ClientContext*, const Req&, Resp*), const Req& req) {
    return ExpectRetryChangesNothing<Resp>(db(), req.request_id(), [&](Resp* r) { return Call(method, req, r); },
                                           [&] { clock().Advance(absl::Seconds(1)); });
  }

  static std::vector<std::string> Fields(const grpc::Status& s) {
    std::vector<std::string> out;
    for (const auto& v : FieldViolationsOf(FromGrpcStatus(s))) out.push_back(v.field);
    return out;
  }

  v1::AcceptDispatchRequest Dispatch(const std::string& fault_report_id, absl::Time at) {
    v1::AcceptDispatchRequest r;
    r.set_request_id("msg-" + fault_report_id);
    r.set_fault_report_id(fault_report_id);
    r.mutable_reporter()->set_name("Customer");
    r.mutable_reporter()->set_phone("13800000000");
    r.mutable_location()->set_address("1 Grid Road");
    r.mutable_location()->set_area_class("urban");
    r.mutable_location()->set_feeder_id("F-10");
    r.set_description("no power");
    r.set_classification(v1::FAULT_CLASSIFICATION_UTILITY_SIDE);
    r.set_department("repair");
    *r.mutable_reported_at() = ToProto(at);
    *r.mutable_dispatched_at() = ToProto(at);
    return r;
  }

  std::string NewOrder(const std::string& fault_report_id = "FR-1", absl::Time at = kStart) {
    v1::AcceptDispatchResponse resp;
    EXPECT_TRUE(Call(&v1::Repair::Stub::AcceptDispatch, Dispatch(fault_report_id, at), &resp).ok());
    return resp.work_order().work_order_id();
  }

  grpc::Status Arrive(const std::string& id, absl::Time at, v1::RecordArrivalResponse* resp,
                      const std::string& request_id = "arrive-1") {
    v1::RecordArrivalRequest r;
    r.set_request_id(request_id);
    r.set_work_order_id(id);
    r.mutable_staff()->set_staff_id("S-1");
    *r.mutable_arrived_at() = ToProto(at);
    r.set_site_surveyed(true);
    return Call(&v1::Repair::Stub::RecordArrival, r, resp);
  }

  const v1::SlaState* FindSla(const v1::WorkOrder& order, const std::string& sla) {
    for (const auto& s : order.slas()) {
      if (s.sla() == sla) return &s;
    }
    return nullptr;
  }

  std::string Metrics() { return prometheus::TextSerializer().Serialize(service_->metrics().registry()->Collect()); }

  FakeClock& clock() { return service_->clock(); }
  Database& db() { return service_->db(); }

  std::unique_ptr<testing::InProcessService> service_;
  std::unique_ptr<v1::Repair::Stub> stub_;
};

TEST_F(RepairServiceTest, AcceptDispatchValidatesFields) {
  v1::AcceptDispatchRequest bad = Dispatch("", kStart);
  bad.mutable_location()->set_address("");
  bad.mutable_location()->set_area_class("lunar");
  bad.clear_dispatched_at();
  v1::AcceptDispatchResponse resp;
  grpc::Status s = Call(&v1::Repair::Stub::AcceptDispatch, bad, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(s), ::testing::UnorderedElementsAre("fault_report_id", "location.address", "location.area_class",
                                                         "dispatched_at"));  // those, and nothing it did right
  v1::AcceptDispatchRequest future = Dispatch("FR-9", kStart + absl::Minutes(6));
  EXPECT_THAT(Fields(Call(&v1::Repair::Stub::AcceptDispatch, future, &resp)), Contains("dispatched_at"));
}

TEST_F(RepairServiceTest, AcceptDispatchNeedsTheReporterAndADispatchableClassification) {
  // CC-3: a dispatch carries name, phone and address; only UTILITY_SIDE or
  // UNKNOWN faults are dispatched.
  v1::AcceptDispatchResponse resp;
  v1::AcceptDispatchRequest anonymous = Dispatch("FR-1", kStart);
  anonymous.clear_reporter();
  anonymous.set_classification(v1::FAULT_CLASSIFICATION_UNSPECIFIED);
  grpc::Status s = Call(&v1::Repair::Stub::AcceptDispatch, anonymous, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(s), ::testing::UnorderedElementsAre("reporter.name", "reporter.phone", "classification"));
  for (int classification : {static_cast<int>(v1::FAULT_CLASSIFICATION_CUSTOMER_INTERNAL), 99}) {
    v1::AcceptDispatchRequest r = Dispatch("FR-2", kStart);
    r.set_classification(static_cast<v1::FaultClassification>(classification));
    EXPECT_THAT(Fields(Call(&v1::Repair::Stub::AcceptDispatch, r, &resp)), ::testing::ElementsAre("classification"))
        << classification;
  }
  EXPECT_EQ(CountRows(db(), "SELECT COUNT(*) FROM repair_work_orders"), 0);
  v1::AcceptDispatchRequest unknown = Dispatch("FR-3", kStart);
  unknown.set_classification(v1::FAULT_CLASSIFICATION_UNKNOWN);
  EXPECT_TRUE(Call(&v1::Repair::Stub::AcceptDispatch, unknown, &resp).ok());
}

// The reporter's number must come with a dispatch (CC-3), as sent: the
// contact centre checks its format where the caller gives it, and a dispatch
// refused for it would be redelivered forever without reaching a crew.
TEST_F(RepairServiceTest, AcceptDispatchTakesTheReportersNumberAsSent) {
  int n = 0;
  for (const std::string phone : {"13800000000", "+8613800000000", "call me"}) {
    v1::AcceptDispatchRequest r = Dispatch(absl::StrCat("FR-P", ++n), kStart);
    r.mutable_reporter()->set_phone(phone);
    v1::AcceptDispatchResponse resp;
    grpc::Status s = Call(&v1::Repair::Stub::AcceptDispatch, r, &resp);
    ASSERT_TRUE(s.ok()) << phone << ": " << s.error_message();
    EXPECT_EQ(resp.work_order().customer().phone(), phone);  // the crew gets the number as given
  }
  v1::AcceptDispatchRequest none = Dispatch("FR-P-none", kStart);
  none.mutable_reporter()->clear_phone();
  v1::AcceptDispatchResponse resp;
  const grpc::Status refused = Call(&v1::Repair::Stub::AcceptDispatch, none, &resp);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(refused), ::testing::ElementsAre("reporter.phone"));
  EXPECT_EQ(CountRows(db(), "SELECT COUNT(*) FROM repair_work_orders"), 3);
}

// A desk order need not name a customer; a number given must be one.
TEST_F(RepairServiceTest, CreateWorkOrderChecksAGivenCustomerPhone) {
  v1::CreateWorkOrderRequest r;
  r.set_request_id("desk-phone");
  r.mutable_customer()->set_name("Customer");
  r.mutable_customer()->set_phone("555");
  r.mutable_location()->set_address("2 Grid Road");
  r.mutable_location()->set_area_class("rural");
  r.set_description("line down");
  *r.mutable_dispatched_at() = ToProto(kStart);
  v1::CreateWorkOrderResponse resp;
  grpc::Status s = Call(&v1::Repair::Stub::CreateWorkOrder, r, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(s), ::testing::ElementsAre("customer.phone"));
  EXPECT_EQ(CountRows(db(), "SELECT COUNT(*) FROM repair_work_orders"), 0);
  r.mutable_customer()->set_phone("0571-87654321");
  EXPECT_TRUE(Call(&v1::Repair::Stub::CreateWorkOrder, r, &resp).ok());
}

TEST_F(RepairServiceTest, CreateOutageChecksAnImportantCustomersContactPhone) {
  v1::CreateOutageRequest create;
  create.set_request_id("outage-phone");
  create.set_kind(v1::OUTAGE_KIND_FAULT);
  create.add_feeder_ids("F-10");
  *create.mutable_started_at() = ToProto(kStart);
  create.add_important_customers()->set_customer_id("C-SCHOOL");  // no contact given: fine
  v1::ImportantCustomer* hospital = create.add_important_customers();
  hospital->set_customer_id("C-HOSPITAL");
  hospital->mutable_contact()->set_phone("ext. 12");
  v1::CreateOutageResponse resp;
  grpc::Status s = Call(&v1::Repair::Stub::CreateOutage, create, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(s), ::testing::ElementsAre("important_customers[1].contact.phone"));
  hospital->mutable_contact()->set_phone("13900000000");
  EXPECT_TRUE(Call(&v1::Repair::Stub::CreateOutage, create, &resp).ok());
}

// A survey item without a known result is refused, not dropped: only FAIL
// makes a breach, so an UNSPECIFIED "fail" would vanish.
TEST_F(RepairServiceTest, RecordVisitFeedbackRefusesASurveyItemWithoutAResult) {
  const std::string id = NewOrder();
  clock().Set(kStart + absl::Hours(1));
  v1::RecordArrivalResponse arrived;
  ASSERT_TRUE(Arrive(id, kStart + absl::Minutes(30), &arrived).ok());
  v1::RecordVisitFeedbackRequest req;
  req.set_request_id("feedback-result");
  req.set_work_order_id(id);
  req.set_civil_language(true);
  req.mutable_feedback()->set_satisfaction(2);
  *req.mutable_feedback()->mutable_collected_at() = ToProto(kStart + absl::Hours(1));
  v1::ReviewItem* item = req.mutable_review()->add_items();
  item->set_clause("RP-3");
  item->set_item("returned_gently");
  v1::RecordVisitFeedbackResponse resp;
  grpc::Status s = Call(&v1::Repair::Stub::RecordVisitFeedback, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(s), ::testing::ElementsAre("review.items[0].result"));
  item->set_result(v1::REVIEW_RESULT_FAIL);
  req.set_request_id("feedback-result-2");
  ASSERT_TRUE(Call(&v1::Repair::Stub::RecordVisitFeedback, req, &resp).ok());
  ASSERT_EQ(resp.work_order().breaches_size(), 1);
  EXPECT_EQ(resp.work_order().breaches(0).rule(), "RP-3");
}

TEST_F(RepairServiceTest, ReadsWithAnEmptyIdAreInvalidArgument) {
  v1::GetWorkOrderResponse order;
  grpc::Status s = Call(&v1::Repair::Stub::GetWorkOrder, v1::GetWorkOrderRequest(), &order);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(s), ::testing::ElementsAre("work_order_id"));
  v1::GetOutageResponse outage;
  s = Call(&v1::Repair::Stub::GetOutage, v1::GetOutageRequest(), &outage);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(s), ::testing::ElementsAre("outage_id"));
  v1::GetOutageRequest missing;
  missing.set_outage_id("OUT-none");
  EXPECT_EQ(Call(&v1::Repair::Stub::GetOutage, missing, &outage).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(RepairServiceTest, RedeliveredDispatchReturnsTheSameOrder) {
  v1::AcceptDispatchResponse first, second;
  ASSERT_TRUE(Call(&v1::Repair::Stub::AcceptDispatch, Dispatch("FR-1", kStart), &first).ok());
  EXPECT_TRUE(first.created());
  EXPECT_EQ(first.work_order().state(), v1::WORK_ORDER_STATE_DISPATCHED);
  EXPECT_EQ(first.work_order().source(), v1::WORK_ORDER_SOURCE_DISPATCH);
  v1::AcceptDispatchRequest again = Dispatch("FR-1", kStart);
  again.set_request_id("another-message-id");
  ASSERT_TRUE(Call(&v1::Repair::Stub::AcceptDispatch, again, &second).ok());
  EXPECT_FALSE(second.created());
  EXPECT_EQ(second.work_order().work_order_id(), first.work_order().work_order_id());
  EXPECT_EQ(CountRows(db(), "SELECT COUNT(*) FROM repair_work_orders"), 1);
  EXPECT_EQ(CountRows(db(), "SELECT COUNT(*) FROM sla_timers"), 1);
  const v1::SlaState* arrival = FindSla(first.work_order(), "repair_arrival");
  ASSERT_NE(arrival, nullptr);
  EXPECT_EQ(FromProto(arrival->due_at()), kStart + absl::Minutes(45));
  EXPECT_EQ(arrival->clause(), "RP-1");
}

TEST_F(RepairServiceTest, CreateWorkOrderIsIdempotentByRequestId) {
  v1::CreateWorkOrderRequest r;
  r.set_request_id("desk-1");
  r.mutable_location()->set_address("2 Grid Road");
  r.mutable_location()->set_area_class("rural");
  r.set_description("line down");
  *r.mutable_dispatched_at() = ToProto(kStart);
  const v1::CreateWorkOrderResponse a = CallAndRetry(&v1::Repair::Stub::CreateWorkOrder, r);  // the same order
  v1::CreateWorkOrderResponse b;
  EXPECT_EQ(a.work_order().source(), v1::WORK_ORDER_SOURCE_REPAIR_DESK);
  EXPECT_EQ(CountRows(db(), "SELECT COUNT(*) FROM repair_work_orders"), 1);
  r.set_description("something else");
  EXPECT_EQ(Call(&v1::Repair::Stub::CreateWorkOrder, r, &b).error_code(), grpc::StatusCode::ALREADY_EXISTS);
  r.set_request_id("desk-2");
  r.set_outage_id("OUT-missing");
  EXPECT_EQ(Call(&v1::Repair::Stub::CreateWorkOrder, r, &b).error_code(), grpc::StatusCode::NOT_FOUND);
  r.set_outage_id("");
  r.set_description("");
  r.clear_dispatched_at();
  EXPECT_THAT(Fields(Call(&v1::Repair::Stub::CreateWorkOrder, r, &b)),
              ::testing::UnorderedElementsAre("description", "dispatched_at"));
}

TEST_F(RepairServiceTest, ArrivalExactlyAtThePromiseIsOnTime) {
  const std::string id = NewOrder();
  clock().Set(kStart + absl::Minutes(45));
  ASSERT_EQ(*service_->sla().Sweep(db()), 0);
  v1::RecordArrivalResponse resp;
  ASSERT_TRUE(Arrive(id, kStart + absl::Minutes(45), &resp).ok());
  EXPECT_EQ(FindSla(resp.work_order(), "repair_arrival")->state(), v1::SLA_STATUS_MET);
  const v1::SlaState* restoration = FindSla(resp.work_order(), "repair_restoration");
  ASSERT_NE(restoration, nullptr);
  EXPECT_EQ(restoration->state(), v1::SLA_STATUS_OPEN);
  EXPECT_EQ(FromProto(restoration->due_at()), kStart + absl::Minutes(45) + absl::Hours(3));
  EXPECT_TRUE(resp.work_order().breaches().empty());
  EXPECT_THAT(Metrics(), HasSubstr("gridserve_repair_arrival_seconds_count{area_class=\"urban\"} 1"));
}

TEST_F(RepairServiceTest, LateArrivalBreachesAtTheExpiryNotAtArrival) {
  const std::string id = NewOrder();
  const absl::Time due = kStart + absl::Minutes(45);
  clock().Set(due + absl::Microseconds(1));
  ASSERT_EQ(*service_->sla().Sweep(db()), 1);  // the breach is counted the moment the promise expires
  clock().Set(due + absl::Minutes(30));
  v1::RecordArrivalResponse resp;
  ASSERT_TRUE(Arrive(id, due + absl::Minutes(30), &resp).ok());
  EXPECT_EQ(FindSla(resp.work_order(), "repair_arrival")->state(), v1::SLA_STATUS_BREACHED);
  ASSERT_EQ(resp.work_order().breaches_size(), 1);
  const v1::Breach& breach = resp.work_order().breaches(0);
  EXPECT_EQ(breach.rule(), "RP-1");
  EXPECT_EQ(breach.sla(), "repair_arrival");
  EXPECT_EQ(FromProto(breach.occurred_at()), due);
  EXPECT_EQ(CountRows(db(), "SELECT COUNT(*) FROM outbox WHERE topic = 'risk.breach'"), 1);
  const std::string text = Metrics();
  EXPECT_THAT(text, HasSubstr("gridserve_sla_total{outcome=\"breached\",service=\"repair\",sla=\"repair_arrival\"} 1"));
  EXPECT_THAT(text, HasSubstr("gridserve_norm_breaches_total{department=\"repair\",rule=\"RP-1\",service=\"repair\"} 1"));
}

TEST_F(RepairServiceTest, ArrivalRetryIsAnsweredOnceAndGatesHold) {
  const std::string id = NewOrder();
  v1::RecordArrivalResponse a, b;
  EXPECT_EQ(Arrive("WO-missing", kStart, &a).error_code(), grpc::StatusCode::NOT_FOUND);
  grpc::Status early = Arrive(id, kStart - absl::Seconds(1), &a, "arrive-early");
  EXPECT_EQ(early.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(early), Contains("arrived_at"));
  clock().Set(kStart + absl::Minutes(20));
  ASSERT_TRUE(Arrive(id, kStart + absl::Minutes(20), &a).ok());
  ASSERT_TRUE(Arrive(id, kStart + absl::Minutes(20), &b).ok());  // same request id: same answer
  EXPECT_EQ(a.SerializeAsString(), b.SerializeAsString());
  grpc::Status twice = Arrive(id, kStart + absl::Minutes(21), &b, "arrive-2");
  EXPECT_EQ(twice.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(twice.error_message(), HasSubstr("RP-1"));
  EXPECT_THAT(Metrics(), HasSubstr("gridserve_repair_arrival_seconds_count{area_class=\"urban\"} 1"));
}

// RP-1 "react at once": the crew acknowledges a dispatched order, once; bad
// input names its field, a retry answers the same and changes nothing.
TEST_F(RepairServiceTest, AcknowledgeWorkOrderThroughTheApi) {
  const std::string id = NewOrder();
  v1::AcknowledgeWorkOrderRequest req;
  req.set_request_id("ack-1");
  req.set_work_order_id(id);
  *req.mutable_acknowledged_at() = ToProto(kStart + absl::Minutes(2));
  v1::AcknowledgeWorkOrderResponse a, b;
  grpc::Status no_crew = Call(&v1::Repair::Stub::AcknowledgeWorkOrder, req, &a);
  EXPECT_EQ(no_crew.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(no_crew), Contains("crew"));
  req.add_crew()->set_staff_id("S-1");

  v1::AcknowledgeWorkOrderRequest early = req;
  early.set_request_id("ack-early");
  *early.mutable_acknowledged_at() = ToProto(kStart - absl::Seconds(1));
  grpc::Status before_dispatch = Call(&v1::Repair::Stub::AcknowledgeWorkOrder, early, &a);
  EXPECT_EQ(before_dispatch.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(before_dispatch), Contains("acknowledged_at"));

  v1::AcknowledgeWorkOrderRequest missing = req;
  missing.set_request_id("ack-missing");
  missing.set_work_order_id("WO-missing");
  EXPECT_EQ(Call(&v1::Repair::Stub::AcknowledgeWorkOrder, missing, &a).error_code(), grpc::StatusCode::NOT_FOUND);

  clock().Set(kStart + absl::Minutes(2));
  ASSERT_TRUE(Call(&v1::Repair::Stub::AcknowledgeWorkOrder, req, &a).ok());
  EXPECT_EQ(a.work_order().state(), v1::WORK_ORDER_STATE_ACKNOWLEDGED);
  EXPECT_EQ(FromProto(a.work_order().acknowledged_at()), kStart + absl::Minutes(2));
  ASSERT_TRUE(Call(&v1::Repair::Stub::AcknowledgeWorkOrder, req, &b).ok());  // same request id
  EXPECT_EQ(a.SerializeAsString(), b.SerializeAsString());

  v1::AcknowledgeWorkOrderRequest again = req;
  again.set_request_id("ack-2");
  grpc::Status twice = Call(&v1::Repair::Stub::AcknowledgeWorkOrder, again, &b);
  EXPECT_EQ(twice.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(twice.error_message(), HasSubstr("RP-1"));
  v1::AcknowledgeWorkOrderRequest reused = req;
  reused.add_crew()->set_staff_id("S-2");  // the same request id with other content
  EXPECT_EQ(Call(&v1::Repair::Stub::AcknowledgeWorkOrder, reused, &b).error_code(), grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(RepairServiceTest, OnSiteGatesThroughCompletion) {
  const std::string id = NewOrder();
  clock().Set(kStart + absl::Hours(2));
  v1::RecordPremisesEntryRequest entry;
  entry.set_request_id("entry-1");
  entry.set_work_order_id(id);
  entry.mutable_staff()->set_staff_id("S-1");
  *entry.mutable_entered_at() = ToProto(kStart + absl::Minutes(35));
  entry.set_knocked(true);
  entry.set_id_shown(true);
  entry.set_shoe_covers(true);
  v1::RecordPremisesEntryResponse entered;
  grpc::Status s = Call(&v1::Repair::Stub::RecordPremisesEntry, entry, &entered);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);  // not arrived yet
  v1::RecordArrivalResponse arrived;
  ASSERT_TRUE(Arrive(id, kStart + absl::Minutes(30), &arrived).ok());

  s = Call(&v1::Repair::Stub::RecordPremisesEntry, entry, &entered);  // no consent
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message(), "RP-2: no consent (the customer must agree before the crew enters)");
  entry.set_request_id("entry-2");
  entry.set_force(true);
  EXPECT_THAT(Fields(Call(&v1::Repair::Stub::RecordPremisesEntry, entry, &entered)), Contains("force_reason"));
  entry.set_force(false);
  entry.set_consent_given(true);
  entered = CallAndRetry(&v1::Repair::Stub::RecordPremisesEntry, entry);
  ASSERT_FALSE(entered.entry_id().empty());

  v1::LogBorrowedItemRequest borrow;
  borrow.set_request_id("borrow-1");
  borrow.set_work_order_id(id);
  borrow.set_description("stool");
  borrow.set_permission_asked(true);
  *borrow.mutable_borrowed_at() = ToProto(kStart + absl::Minutes(40));
  v1::LogBorrowedItemResponse borrowed;
  borrowed = CallAndRetry(&v1::Repair::Stub::LogBorrowedItem, borrow);

  v1::RecordRestorationRequest restore;
  restore.set_request_id("restore-1");
  restore.set_work_order_id(id);
  *restore.mutable_restored_at() = ToProto(kStart + absl::Minutes(80));
  v1::RecordRestorationResponse restored;
  restored = CallAndRetry(&v1::Repair::Stub::RecordRestoration, restore);
  EXPECT_EQ(FindSla(restored.work_order(), "repair_restoration")->state(), v1::SLA_STATUS_MET);

  v1::CompleteWorkOrderRequest complete;
  complete.set_request_id("complete-1");
  complete.set_work_order_id(id);
  *complete.mutable_completed_at() = ToProto(kStart + absl::Minutes(90));
  for (const char* item : {"site_cleaned", "no_residue"}) {
    auto* i = complete.mutable_completion_checklist()->add_items();
    i->set_item(item);
    i->set_done(true);
  }
  v1::CompleteWorkOrderResponse completed;
  s = Call(&v1::Repair::Stub::CompleteWorkOrder, complete, &completed);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("RP-3: item out"));

  v1::ReturnBorrowedItemRequest give_back;
  give_back.set_request_id("return-1");
  give_back.set_work_order_id(id);
  give_back.set_item_id(borrowed.item_id());
  *give_back.mutable_returned_at() = ToProto(kStart + absl::Minutes(82));
  give_back.set_cleaned(true);
  give_back.set_returned_gently(true);
  give_back.set_thanked(true);
  v1::ReturnBorrowedItemResponse given;
  given = CallAndRetry(&v1::Repair::Stub::ReturnBorrowedItem, give_back);

  v1::RecordPremisesExitRequest exit;
  exit.set_request_id("exit-1");
  exit.set_work_order_id(id);
  exit.set_entry_id(entered.entry_id());
  *exit.mutable_exited_at() = ToProto(kStart + absl::Minutes(85));
  exit.set_cleaned_up(true);
  exit.set_thanked(false);  // RP-2 check breach
  v1::RecordPremisesExitResponse exited;
  exited = CallAndRetry(&v1::Repair::Stub::RecordPremisesExit, exit);

  complete.set_request_id("complete-2");
  complete.mutable_completion_checklist()->mutable_items(1)->set_done(false);
  s = Call(&v1::Repair::Stub::CompleteWorkOrder, complete, &completed);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("RP-5"));
  complete.set_request_id("complete-3");
  complete.mutable_completion_checklist()->mutable_items(1)->set_done(true);
  completed = CallAndRetry(&v1::Repair::Stub::CompleteWorkOrder, complete);
  EXPECT_EQ(completed.work_order().state(), v1::WORK_ORDER_STATE_COMPLETED);
  ASSERT_TRUE(service_->RefreshDomainGauges().ok());  // a completed order is no longer open
  EXPECT_THAT(Metrics(), HasSubstr("gridserve_repair_open_work_orders{area_class=\"urban\"} 0"));

  v1::RecordVisitFeedbackRequest feedback;
  feedback.set_request_id("feedback-1");
  feedback.set_work_order_id(id);
  feedback.mutable_feedback()->set_satisfaction(9);
  v1::RecordVisitFeedbackResponse reviewed;
  EXPECT_THAT(Fields(Call(&v1::Repair::Stub::RecordVisitFeedback, feedback, &reviewed)),
              ::testing::IsSupersetOf({"feedback.satisfaction", "feedback.collected_at"}));
  feedback.mutable_feedback()->set_satisfaction(3);
  *feedback.mutable_feedback()->mutable_collected_at() = ToProto(kStart + absl::Minutes(100));
  feedback.set_civil_language(false);
  // Its breaches are recorded (and queued for risk) once, however often the app retries.
  reviewed = CallAndRetry(&v1::Repair::Stub::RecordVisitFeedback, feedback);
  std::vector<std::string> rules;
  for (const auto& b : reviewed.work_order().breaches()) rules.push_back(b.rule());
  EXPECT_THAT(rules, ::testing::UnorderedElementsAre("RP-2", "RP-4"));

  v1::GetWorkOrderRequest get;
  get.set_work_order_id(id);
  v1::GetWorkOrderResponse got;
  ASSERT_TRUE(Call(&v1::Repair::Stub::GetWorkOrder, get, &got).ok());
  EXPECT_EQ(got.work_order().breaches_size(), 2);
  get.set_work_order_id("WO-none");
  EXPECT_EQ(Call(&v1::Repair::Stub::GetWorkOrder, get, &got).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(RepairServiceTest, ListWorkOrdersFiltersAndPages) {
  for (int i = 0; i < 3; ++i) NewOrder("FR-" + std::to_string(i), kStart + absl::Minutes(i));
  v1::ListWorkOrdersRequest list;
  list.set_page_size(2);
  v1::ListWorkOrdersResponse page1, page2;
  ASSERT_TRUE(Call(&v1::Repair::Stub::ListWorkOrders, list, &page1).ok());
  EXPECT_EQ(page1.work_orders_size(), 2);
  ASSERT_FALSE(page1.next_page_token().empty());
  list.set_page_token(page1.next_page_token());
  ASSERT_TRUE(Call(&v1::Repair::Stub::ListWorkOrders, list, &page2).ok());
  EXPECT_EQ(page2.work_orders_size(), 1);
  EXPECT_TRUE(page2.next_page_token().empty());
  EXPECT_EQ(page2.work_orders(0).fault_report_id(), "FR-2");

  list.set_page_token("not-a-token!");
  EXPECT_THAT(Fields(Call(&v1::Repair::Stub::ListWorkOrders, list, &page2)), Contains("page_token"));

  // An empty range names the range, as in every service (it used to list nothing).
  v1::ListWorkOrdersRequest empty_range;
  *empty_range.mutable_time_range()->mutable_start() = ToProto(kStart);
  *empty_range.mutable_time_range()->mutable_end() = ToProto(kStart);
  EXPECT_THAT(Fields(Call(&v1::Repair::Stub::ListWorkOrders, empty_range, &page2)),
              ::testing::ElementsAre("time_range"));

  // Open clock due before kStart + 46 min: FR-0 (due +45) only, by due time.
  v1::ListWorkOrdersRequest due;
  *due.mutable_due_before() = ToProto(kStart + absl::Minutes(46));
  ASSERT_TRUE(Call(&v1::Repair::Stub::ListWorkOrders, due, &page1).ok());
  ASSERT_EQ(page1.work_orders_size(), 1);
  EXPECT_EQ(page1.work_orders(0).fault_report_id(), "FR-0");

  clock().Set(kStart + absl::Minutes(46) + absl::Microseconds(1));
  ASSERT_EQ(*service_->sla().Sweep(db()), 2);
  v1::ListWorkOrdersRequest breached;
  breached.set_breached_only(true);
  ASSERT_TRUE(Call(&v1::Repair::Stub::ListWorkOrders, breached, &page1).ok());
  EXPECT_EQ(page1.work_orders_size(), 2);
  v1::ListWorkOrdersRequest by_state;
  by_state.set_state(v1::WORK_ORDER_STATE_ON_SITE);
  ASSERT_TRUE(Call(&v1::Repair::Stub::ListWorkOrders, by_state, &page1).ok());
  EXPECT_EQ(page1.work_orders_size(), 0);
}

TEST_F(RepairServiceTest, ArrivalStatisticsAverageByAreaClass) {
  const std::string a = NewOrder("FR-A", kStart);
  const std::string b = NewOrder("FR-B", kStart);
  clock().Set(kStart + absl::Hours(1));
  v1::RecordArrivalResponse r;
  ASSERT_TRUE(Arrive(a, kStart + absl::Minutes(20), &r, "arrive-a").ok());
  ASSERT_TRUE(Arrive(b, kStart + absl::Minutes(50), &r, "arrive-b").ok());
  v1::GetArrivalStatisticsRequest req;
  v1::GetArrivalStatisticsResponse resp;
  EXPECT_THAT(Fields(Call(&v1::Repair::Stub::GetArrivalStatistics, req, &resp)),
              ::testing::IsSupersetOf({"period.start", "period.end"}));
  *req.mutable_period()->mutable_start() = ToProto(kStart + absl::Hours(1));
  *req.mutable_period()->mutable_end() = ToProto(kStart - absl::Hours(1));
  EXPECT_THAT(Fields(Call(&v1::Repair::Stub::GetArrivalStatistics, req, &resp)), Contains("period"));
  *req.mutable_period()->mutable_start() = ToProto(kStart - absl::Hours(1));
  *req.mutable_period()->mutable_end() = ToProto(kStart + absl::Hours(1));
  req.set_granularity(v1::STATISTICS_GRANULARITY_WHOLE_PERIOD);
  ASSERT_TRUE(Call(&v1::Repair::Stub::GetArrivalStatistics, req, &resp).ok());
  ASSERT_EQ(resp.statistics_size(), 3);
  EXPECT_EQ(resp.statistics(0).area_class(), "urban");
  EXPECT_EQ(resp.statistics(0).arrived_count(), 2);
  EXPECT_EQ(FromProto(resp.statistics(0).average_arrival()), absl::Minutes(35));
  EXPECT_EQ(resp.statistics(0).arrival_breached_count(), 1);
}

// RP-1 with no expiry grace: an arrival dated 40 min after dispatch (in time)
// but synced after the sweep expired the 45 min promise is a late fact. The
// clock stays BREACHED and the order and risk's ledger keep the RP-1 breach, so
// the statistics ("orders whose arrival clock breached") count it as well.
TEST_F(RepairServiceTest, ArrivalStatisticsCountAClockExpiredBeforeAnInTimeArrivalWasSynced) {
  const std::string id = NewOrder("FR-LATE", kStart);
  clock().Set(kStart + absl::Minutes(50));
  ASSERT_EQ(*service_->sla().Sweep(db()), 1);
  v1::RecordArrivalResponse arrived;
  ASSERT_TRUE(Arrive(id, kStart + absl::Minutes(40), &arrived).ok());
  EXPECT_EQ(FindSla(arrived.work_order(), "repair_arrival")->state(), v1::SLA_STATUS_BREACHED);
  ASSERT_EQ(arrived.work_order().breaches_size(), 1);
  EXPECT_EQ(CountRows(db(), "SELECT COUNT(*) FROM outbox WHERE topic = 'risk.breach'"), 1);

  v1::GetArrivalStatisticsRequest req;
  *req.mutable_period()->mutable_start() = ToProto(kStart - absl::Hours(1));
  *req.mutable_period()->mutable_end() = ToProto(kStart + absl::Hours(1));
  req.set_granularity(v1::STATISTICS_GRANULARITY_WHOLE_PERIOD);
  v1::GetArrivalStatisticsResponse stats;
  ASSERT_TRUE(Call(&v1::Repair::Stub::GetArrivalStatistics, req, &stats).ok());
  EXPECT_EQ(stats.statistics(0).arrived_count(), 1);
  EXPECT_EQ(FromProto(stats.statistics(0).average_arrival()), absl::Minutes(40));
  EXPECT_EQ(stats.statistics(0).arrival_breached_count(), 1);
  EXPECT_EQ(stats.statistics(0).restoration_breached_count(), 0);

  // The same for the restoration promise (arrival + 3 h): restored 2 h after
  // arrival, synced after its expiry.
  clock().Set(kStart + absl::Minutes(40) + absl::Hours(4));
  ASSERT_EQ(*service_->sla().Sweep(db()), 1);
  v1::RecordRestorationRequest restore;
  restore.set_request_id("restore-late");
  restore.set_work_order_id(id);
  *restore.mutable_restored_at() = ToProto(kStart + absl::Minutes(40) + absl::Hours(2));
  v1::RecordRestorationResponse restored;
  ASSERT_TRUE(Call(&v1::Repair::Stub::RecordRestoration, restore, &restored).ok());
  EXPECT_EQ(FindSla(restored.work_order(), "repair_restoration")->state(), v1::SLA_STATUS_BREACHED);
  ASSERT_TRUE(Call(&v1::Repair::Stub::GetArrivalStatistics, req, &stats).ok());
  EXPECT_EQ(stats.statistics(0).restored_count(), 1);
  EXPECT_EQ(stats.statistics(0).restoration_breached_count(), 1);
}

// A database at repair migration 3 (before CANCELLED) upgraded: the open-orders
// count is rebuilt from the stored orders, the old count's triggers are gone,
// and a cancellation now takes an order out of it.
TEST(RepairSchemaTest, TheOpenOrdersCountIsRebuiltWhenRedefined) {
  FakeClock clock(kStart);
  auto db = testing::OpenPlatformDb(clock, "sqlite://" + testing::TempDbPath("repair_schema_upgrade"));
  std::vector<Migration> before_cancel(RepairMigrations().begin(), RepairMigrations().begin() + 3);
  ASSERT_TRUE(ApplyMigrations(*db, clock, "repair", before_cancel).ok());
  auto insert = [&](const std::string& id, v1::WorkOrderState state, const std::string& area) {
    return db->InTransaction([&](Transaction& txn) {
      return txn
          .Execute("INSERT INTO repair_work_orders (work_order_id, subject, fault_report_id, department, state,"
                   " area_class, outage_id, dispatched_at, body) VALUES (?, ?, NULL, 'repair', ?, ?, '', 0, ?)",
                   {id, "work_order/" + id, static_cast<int64_t>(state), area, Blob{""}})
          .status();
    });
  };
  ASSERT_TRUE(insert("WO-1", v1::WORK_ORDER_STATE_DISPATCHED, "urban").ok());
  ASSERT_TRUE(insert("WO-2", v1::WORK_ORDER_STATE_COMPLETED, "urban").ok());
  ASSERT_TRUE(insert("WO-3", v1::WORK_ORDER_STATE_ON_SITE, "rural").ok());
  ASSERT_TRUE(insert("WO-4", v1::WORK_ORDER_STATE_ACKNOWLEDGED, "urban").ok());
  ASSERT_TRUE(ApplyMigrations(*db, clock, "repair", RepairMigrations()).ok());

  auto open = [&] {
    std::map<std::string, int64_t> counts;
    EXPECT_TRUE(db->InReadTransaction([&](Transaction& txn) -> absl::Status {
                    auto read = WorkOrderStore::OpenByAreaClass(txn, db->dialect());
                    if (!read.ok()) return read.status();
                    for (const auto& [area, n] : *read) {
                      if (n != 0) counts[area] = n;
                    }
                    return absl::OkStatus();
                  }).ok());
    return counts;
  };
  EXPECT_EQ(open(), (std::map<std::string, int64_t>{{"rural", 1}, {"urban", 2}}));
  EXPECT_EQ(CountRows(*db, "SELECT COUNT(*) FROM kept_counts WHERE count_name = 'repair_open_orders_by_area'"), 0);
  ASSERT_TRUE(db->InTransaction([&](Transaction& txn) {
                  return txn.Execute("UPDATE repair_work_orders SET state = ? WHERE work_order_id = 'WO-1'",
                                     {static_cast<int64_t>(v1::WORK_ORDER_STATE_CANCELLED)})
                      .status();
                }).ok());
  EXPECT_EQ(open(), (std::map<std::string, int64_t>{{"rural", 1}, {"urban", 1}}));
}

// platform.sla_expiry_grace reaches the service's sweep: an on-time arrival
// synced 10 minutes after the promise, within a 15-minute grace, is met; without
// the grace the sweep had already breached it (a late fact).
TEST(RepairGraceTest, AnArrivalSyncedWithinTheGraceCountsByItsEventTime) {
  for (const bool with_grace : {true, false}) {
    testing::InProcessService::Options options;
    options.start = kStart;
    options.config = DefaultConfig();
    if (with_grace) *options.config.mutable_platform()->mutable_sla_expiry_grace() = ToProto(absl::Minutes(15));
    auto service = testing::InProcessService::Start(RepairSpec(), options);
    ASSERT_TRUE(service.ok()) << service.status();
    auto stub = v1::Repair::NewStub((*service)->channel());
    v1::CreateWorkOrderRequest create;
    create.set_request_id("create-1");
    create.mutable_location()->set_address("1 Grid Road");
    create.mutable_location()->set_area_class("urban");
    create.set_description("no power");
    create.set_department("repair");
    *create.mutable_dispatched_at() = ToProto(kStart);
    v1::CreateWorkOrderResponse created;
    grpc::ClientContext create_ctx;
    ASSERT_TRUE(stub->CreateWorkOrder(&create_ctx, create, &created).ok());

    (*service)->clock().Set(kStart + absl::Minutes(55));  // promise (45 min) + 10 min
    ASSERT_EQ(*(*service)->sla().Sweep((*service)->db()), with_grace ? 0 : 1);
    v1::RecordArrivalRequest arrive;
    arrive.set_request_id("arrive-1");
    arrive.set_work_order_id(created.work_order().work_order_id());
    arrive.mutable_staff()->set_staff_id("S-1");
    *arrive.mutable_arrived_at() = ToProto(kStart + absl::Minutes(40));
    arrive.set_site_surveyed(true);
    v1::RecordArrivalResponse arrived;
    grpc::ClientContext arrive_ctx;
    ASSERT_TRUE(stub->RecordArrival(&arrive_ctx, arrive, &arrived).ok());
    const std::string text =
        prometheus::TextSerializer().Serialize((*service)->metrics().registry()->Collect());
    EXPECT_THAT(text, HasSubstr(absl::StrCat("gridserve_sla_late_facts_total{service=\"repair\",sla=\"repair_arrival\"} ",
                                             with_grace ? 0 : 1)))
        << with_grace;
    EXPECT_EQ(arrived.work_order().breaches_size(), with_grace ? 0 : 1) << with_grace;
  }
}

v1::CancelWorkOrderRequest CancelRequest(const std::string& id, absl::Time at, const std::string& request_id) {
  v1::CancelWorkOrderRequest r;
  r.set_request_id(request_id);
  r.set_work_order_id(id);
  r.mutable_staff()->set_staff_id("D-1");
  r.set_reason("customer reports supply back");
  *r.mutable_cancelled_at() = ToProto(at);
  return r;
}

TEST_F(RepairServiceTest, CancelWorkOrderValidatesAndFindsTheOrder) {
  v1::CancelWorkOrderResponse resp;
  v1::CancelWorkOrderRequest bad;
  bad.set_request_id("cancel-0");
  *bad.mutable_cancelled_at() = ToProto(kStart + absl::Hours(1));  // beyond the 5 min skew
  grpc::Status s = Call(&v1::Repair::Stub::CancelWorkOrder, bad, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(s), ::testing::UnorderedElementsAre("work_order_id", "staff.staff_id", "reason", "cancelled_at"));
  EXPECT_EQ(Call(&v1::Repair::Stub::CancelWorkOrder, CancelRequest("WO-nope", kStart, "cancel-1"), &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// Called off in time: the RP-1 arrival clock is withdrawn (neither met nor
// breached), the order is no longer open, and nothing more can happen to it.
TEST_F(RepairServiceTest, CancelledInTimeWithdrawsTheArrivalPromise) {
  const std::string id = NewOrder();
  clock().Set(kStart + absl::Minutes(10));
  const v1::CancelWorkOrderRequest cancel = CancelRequest(id, kStart + absl::Minutes(10), "cancel-1");
  // The retry is answered from the stored response and writes nothing.
  const v1::CancelWorkOrderResponse resp = CallAndRetry(&v1::Repair::Stub::CancelWorkOrder, cancel);
  EXPECT_EQ(resp.work_order().state(), v1::WORK_ORDER_STATE_CANCELLED);
  EXPECT_EQ(resp.work_order().cancel_reason(), "customer reports supply back");
  EXPECT_EQ(resp.work_order().cancelled_by().staff_id(), "D-1");
  EXPECT_EQ(FromProto(resp.work_order().cancelled_at()), kStart + absl::Minutes(10));
  EXPECT_EQ(FindSla(resp.work_order(), "repair_arrival")->state(), v1::SLA_STATUS_CANCELLED);
  // A new request is refused.
  v1::CancelWorkOrderResponse again;
  grpc::Status s = Call(&v1::Repair::Stub::CancelWorkOrder, CancelRequest(id, clock().Now(), "cancel-2"), &again);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  v1::RecordArrivalResponse arrived;
  s = Arrive(id, kStart + absl::Minutes(12), &arrived);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("cancelled"));

  clock().Set(kStart + absl::Hours(2));
  EXPECT_EQ(*service_->sla().Sweep(db()), 0);  // the promise no longer runs
  ASSERT_TRUE(service_->RefreshDomainGauges().ok());
  const std::string text = Metrics();
  EXPECT_THAT(text, HasSubstr("gridserve_repair_open_work_orders{area_class=\"urban\"} 0"));
  EXPECT_THAT(text, HasSubstr("gridserve_repair_work_orders_cancelled_total{area_class=\"urban\"} 1"));
  EXPECT_THAT(text, HasSubstr("gridserve_sla_total{outcome=\"met\",service=\"repair\",sla=\"repair_arrival\"} 0"));
  EXPECT_THAT(text,
              HasSubstr("gridserve_sla_total{outcome=\"breached\",service=\"repair\",sla=\"repair_arrival\"} 0"));
  EXPECT_EQ(CountRows(db(), "SELECT COUNT(*) FROM breaches"), 0);
}

// Called off after the promised arrival: the customer had already waited in
// vain, so RP-1 stands (once), and the statistics count it late, not arrived.
TEST_F(RepairServiceTest, CancelledAfterThePromiseStaysAnRp1Breach) {
  const std::string late = NewOrder("FR-L", kStart);
  const std::string attended = NewOrder("FR-T", kStart);
  const absl::Time due = kStart + absl::Minutes(45);
  clock().Set(due + absl::Minutes(15));
  v1::CancelWorkOrderResponse resp;
  ASSERT_TRUE(Call(&v1::Repair::Stub::CancelWorkOrder, CancelRequest(late, due + absl::Minutes(15), "cancel-l"), &resp)
                  .ok());
  EXPECT_EQ(FindSla(resp.work_order(), "repair_arrival")->state(), v1::SLA_STATUS_BREACHED);
  ASSERT_EQ(resp.work_order().breaches_size(), 1);
  EXPECT_EQ(resp.work_order().breaches(0).rule(), "RP-1");
  EXPECT_EQ(FromProto(resp.work_order().breaches(0).occurred_at()), due);
  ASSERT_EQ(*service_->sla().Sweep(db()), 1);  // the other order's promise; the cancelled one is not expired twice
  EXPECT_EQ(CountRows(db(), "SELECT COUNT(*) FROM breaches"), 2);
  v1::RecordArrivalResponse arrived;
  ASSERT_TRUE(Arrive(attended, due + absl::Minutes(15), &arrived).ok());

  v1::GetArrivalStatisticsRequest req;
  *req.mutable_period()->mutable_start() = ToProto(kStart - absl::Hours(1));
  *req.mutable_period()->mutable_end() = ToProto(kStart + absl::Hours(1));
  req.set_granularity(v1::STATISTICS_GRANULARITY_WHOLE_PERIOD);
  v1::GetArrivalStatisticsResponse stats;
  ASSERT_TRUE(Call(&v1::Repair::Stub::GetArrivalStatistics, req, &stats).ok());
  EXPECT_EQ(stats.statistics(0).order_count(), 2);
  EXPECT_EQ(stats.statistics(0).arrived_count(), 1);  // the cancellation is no arrival
  EXPECT_EQ(stats.statistics(0).cancelled_count(), 1);
  EXPECT_EQ(FromProto(stats.statistics(0).average_arrival()), absl::Minutes(60));
  EXPECT_EQ(stats.statistics(0).arrival_breached_count(), 2);
}

// RK-4: an ETR before the cut itself would make every restoration late.
TEST_F(RepairServiceTest, AnOutageEtrBeforeTheCutIsRefused) {
  v1::CreateOutageRequest fault;
  fault.set_request_id("outage-etr-1");
  fault.set_kind(v1::OUTAGE_KIND_FAULT);
  fault.set_reason("cable fault");
  fault.set_department("operations");
  fault.add_feeder_ids("F-11");
  *fault.mutable_started_at() = ToProto(kStart);
  *fault.mutable_etr() = ToProto(kStart - absl::Minutes(30));
  v1::CreateOutageResponse created;
  EXPECT_THAT(Fields(Call(&v1::Repair::Stub::CreateOutage, fault, &created)), Contains("etr"));

  v1::CreateOutageRequest planned = fault;
  planned.set_request_id("outage-etr-2");
  planned.set_kind(v1::OUTAGE_KIND_PLANNED);
  planned.clear_started_at();
  *planned.mutable_planned_start() = ToProto(kStart + absl::Hours(72));
  *planned.mutable_planned_end() = ToProto(kStart + absl::Hours(76));
  *planned.mutable_etr() = ToProto(kStart + absl::Hours(71));
  EXPECT_THAT(Fields(Call(&v1::Repair::Stub::CreateOutage, planned, &created)), Contains("etr"));

  *fault.mutable_etr() = ToProto(kStart + absl::Hours(2));  // ahead of the cut: accepted
  EXPECT_TRUE(Call(&v1::Repair::Stub::CreateOutage, fault, &created).ok());
}

TEST_F(RepairServiceTest, PlannedOutageWithLateNoticeReportsRk3OnceAtStart) {
  const absl::Time planned_start = kStart + absl::Hours(24 * 3);
  v1::CreateOutageRequest create;
  create.set_request_id("outage-1");
  create.set_kind(v1::OUTAGE_KIND_PLANNED);
  create.set_reason("line maintenance");
  create.set_department("operations");
  create.add_feeder_ids("F-10");
  create.add_important_customers()->set_customer_id("C-HOSPITAL");
  *create.mutable_planned_start() = ToProto(planned_start);
  *create.mutable_planned_end() = ToProto(planned_start + absl::Hours(4));
  v1::CreateOutageResponse created;
  created = CallAndRetry(&v1::Repair::Stub::CreateOutage, create);
  const std::string id = created.outage().outage_id();
  EXPECT_EQ(created.outage().state(), v1::OUTAGE_STATE_SCHEDULED);

  v1::RecordOutageNoticeRequest notice;
  notice.set_request_id("notice-1");
  notice.set_outage_id(id);
  notice.set_audience(v1::NOTICE_AUDIENCE_IMPORTANT_CUSTOMER);
  notice.set_important_customer_id("C-UNKNOWN");
  notice.set_channel(v1::NOTICE_CHANNEL_PHONE);
  *notice.mutable_sent_at() = ToProto(kStart);
  v1::RecordOutageNoticeResponse noticed;
  EXPECT_THAT(Fields(Call(&v1::Repair::Stub::RecordOutageNotice, notice, &noticed)), Contains("important_customer_id"));
  notice.set_request_id("notice-2");
  notice.set_important_customer_id("C-HOSPITAL");  // only 3 days ahead: late for a planned outage
  noticed = CallAndRetry(&v1::Repair::Stub::RecordOutageNotice, notice);

  clock().Set(planned_start);
  v1::RecordOutageStartRequest start;
  start.set_request_id("start-1");
  start.set_outage_id(id);
  *start.mutable_started_at() = ToProto(planned_start);
  v1::RecordOutageStartResponse started, again;
  ASSERT_TRUE(Call(&v1::Repair::Stub::RecordOutageStart, start, &started).ok());
  ASSERT_TRUE(Call(&v1::Repair::Stub::RecordOutageStart, start, &again).ok());
  EXPECT_EQ(started.SerializeAsString(), again.SerializeAsString());
  ASSERT_EQ(started.outage().breaches_size(), 1);
  EXPECT_EQ(started.outage().breaches(0).rule(), "RK-3");
  EXPECT_EQ(CountRows(db(), "SELECT COUNT(*) FROM outbox WHERE topic = 'risk.redline'"), 1);
  start.set_request_id("start-2");
  EXPECT_EQ(Call(&v1::Repair::Stub::RecordOutageStart, start, &again).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  // CC-4 lookup while the supply is cut.
  v1::RepairLookupOutageRequest lookup;
  v1::RepairLookupOutageResponse found;
  EXPECT_THAT(Fields(Call(&v1::Repair::Stub::LookupOutage, lookup, &found)), Contains("location"));
  lookup.mutable_location()->set_feeder_id("F-10");
  ASSERT_TRUE(Call(&v1::Repair::Stub::LookupOutage, lookup, &found).ok());
  EXPECT_EQ(found.status(), v1::OUTAGE_LOOKUP_STATUS_COVERED);
  EXPECT_EQ(found.outage().outage_id(), id);
  EXPECT_EQ(FromProto(found.outage().etr()), planned_start + absl::Hours(4));
  lookup.mutable_location()->set_feeder_id("F-99");
  ASSERT_TRUE(Call(&v1::Repair::Stub::LookupOutage, lookup, &found).ok());
  EXPECT_EQ(found.status(), v1::OUTAGE_LOOKUP_STATUS_NOT_COVERED);

  // RK-4: restored an hour after the ETR with no cause (a blank one records nothing).
  clock().Set(planned_start + absl::Hours(5));
  v1::RecordOutageRestorationRequest restore;
  restore.set_request_id("restore-1");
  restore.set_outage_id(id);
  restore.set_delay_cause("   ");
  *restore.mutable_restored_at() = ToProto(planned_start + absl::Hours(5));
  v1::RecordOutageRestorationResponse restored;
  restored = CallAndRetry(&v1::Repair::Stub::RecordOutageRestoration, restore);
  EXPECT_EQ(restored.outage().state(), v1::OUTAGE_STATE_RESTORED);
  ASSERT_EQ(restored.outage().breaches_size(), 2);
  std::vector<std::string> outage_rules;
  for (const auto& b : restored.outage().breaches()) outage_rules.push_back(b.rule());
  EXPECT_THAT(outage_rules, ::testing::UnorderedElementsAre("RK-3", "RK-4"));
  EXPECT_EQ(CountRows(db(), "SELECT COUNT(*) FROM outbox WHERE topic = 'risk.redline'"), 2);

  v1::ListOutagesRequest list;
  list.set_feeder_id("F-10");
  v1::ListOutagesResponse listed;
  ASSERT_TRUE(Call(&v1::Repair::Stub::ListOutages, list, &listed).ok());
  EXPECT_EQ(listed.outages_size(), 1);
  list.set_feeder_id("F-11");
  ASSERT_TRUE(Call(&v1::Repair::Stub::ListOutages, list, &listed).ok());
  EXPECT_EQ(listed.outages_size(), 0);
}

TEST_F(RepairServiceTest, FaultOutageEtrMovedAfterItPassedNeedsAReasonAndNoRk3) {
  v1::CreateOutageRequest create;
  create.set_request_id("fault-1");
  create.set_kind(v1::OUTAGE_KIND_FAULT);
  create.add_feeder_ids("F-10");
  create.add_important_customers()->set_customer_id("C-HOSPITAL");  // never notified: a fault cannot be
  *create.mutable_started_at() = ToProto(kStart);
  *create.mutable_etr() = ToProto(kStart + absl::Hours(2));
  v1::CreateOutageResponse created;
  created = CallAndRetry(&v1::Repair::Stub::CreateOutage, create);
  const std::string id = created.outage().outage_id();

  clock().Set(kStart + absl::Hours(3));  // the ETR has passed
  v1::UpdateOutageEtrRequest update;
  update.set_request_id("etr-1");
  update.set_outage_id(id);
  *update.mutable_etr() = ToProto(kStart + absl::Hours(5));
  v1::UpdateOutageEtrResponse updated;
  grpc::Status s = Call(&v1::Repair::Stub::UpdateOutageEtr, update, &updated);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(Fields(s), ::testing::ElementsAre("reason"));
  update.set_request_id("etr-2");
  update.set_reason("second cable section also damaged");
  updated = CallAndRetry(&v1::Repair::Stub::UpdateOutageEtr, update);
  EXPECT_EQ(FromProto(updated.outage().etr()), kStart + absl::Hours(5));

  clock().Set(kStart + absl::Hours(4));
  v1::RecordOutageRestorationRequest restore;
  restore.set_request_id("restore-1");
  restore.set_outage_id(id);
  *restore.mutable_restored_at() = ToProto(kStart + absl::Hours(4));
  v1::RecordOutageRestorationResponse restored;
  restored = CallAndRetry(&v1::Repair::Stub::RecordOutageRestoration, restore);
  EXPECT_EQ(restored.outage().state(), v1::OUTAGE_STATE_RESTORED);
  EXPECT_TRUE(restored.outage().breaches().empty());
  EXPECT_EQ(CountRows(db(), "SELECT COUNT(*) FROM outbox WHERE topic = 'risk.redline'"), 0);
}

TEST_F(RepairServiceTest, CreateOutageValidates) {
  v1::CreateOutageRequest create;
  create.set_request_id("outage-x");
  v1::CreateOutageResponse resp;
  EXPECT_THAT(Fields(Call(&v1::Repair::Stub::CreateOutage, create, &resp)),
              ::testing::IsSupersetOf({"kind", "area_codes"}));
  create.set_kind(v1::OUTAGE_KIND_PLANNED);
  create.add_area_codes("A-1");
  EXPECT_THAT(Fields(Call(&v1::Repair::Stub::CreateOutage, create, &resp)),
              ::testing::IsSupersetOf({"planned_start", "planned_end"}));
  create.set_kind(v1::OUTAGE_KIND_FAULT);
  EXPECT_THAT(Fields(Call(&v1::Repair::Stub::CreateOutage, create, &resp)), Contains("started_at"));
  *create.mutable_started_at() = ToProto(kStart);
  resp = CallAndRetry(&v1::Repair::Stub::CreateOutage, create);
  EXPECT_EQ(resp.outage().state(), v1::OUTAGE_STATE_ACTIVE);
  v1::CancelOutageRequest cancel;
  cancel.set_request_id("cancel-1");
  cancel.set_outage_id(resp.outage().outage_id());
  cancel.set_reason("duplicate");
  v1::CancelOutageResponse cancelled;
  EXPECT_EQ(Call(&v1::Repair::Stub::CancelOutage, cancel, &cancelled).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  cancel.set_outage_id("OUT-none");
  cancel.set_request_id("cancel-2");
  EXPECT_EQ(Call(&v1::Repair::Stub::CancelOutage, cancel, &cancelled).error_code(), grpc::StatusCode::NOT_FOUND);

  // A planned outage called off keeps when and why: cancelled_at is the
  // request's, or the server's time when none is given.
  create.set_request_id("outage-y");
  create.set_kind(v1::OUTAGE_KIND_PLANNED);
  create.clear_started_at();
  *create.mutable_planned_start() = ToProto(kStart + absl::Hours(24 * 8));
  *create.mutable_planned_end() = ToProto(kStart + absl::Hours(24 * 8 + 4));
  resp = CallAndRetry(&v1::Repair::Stub::CreateOutage, create);
  clock().Set(kStart + absl::Hours(2));
  cancel.set_outage_id(resp.outage().outage_id());
  cancel.set_request_id("cancel-3");
  cancelled = CallAndRetry(&v1::Repair::Stub::CancelOutage, cancel);
  EXPECT_EQ(cancelled.outage().state(), v1::OUTAGE_STATE_CANCELLED);
  EXPECT_EQ(cancelled.outage().cancel_reason(), "duplicate");
  EXPECT_EQ(FromProto(cancelled.outage().cancelled_at()), kStart + absl::Hours(2));
  v1::GetOutageRequest get;
  get.set_outage_id(resp.outage().outage_id());
  v1::GetOutageResponse got;
  ASSERT_TRUE(Call(&v1::Repair::Stub::GetOutage, get, &got).ok());
  EXPECT_EQ(FromProto(got.outage().cancelled_at()), kStart + absl::Hours(2));
}

TEST_F(RepairServiceTest, MetricsPresentFromStartUpWithThresholdBuckets) {
  const std::string text = Metrics();
  for (const char* le : {"2700", "5400", "7200"}) {
    EXPECT_THAT(text, HasSubstr(std::string("gridserve_repair_arrival_seconds_bucket{area_class=\"urban\",le=\"") +
                                le + "\"} 0"));
  }
  EXPECT_THAT(text, HasSubstr("gridserve_repair_open_work_orders{area_class=\"remote\"} 0"));
  EXPECT_THAT(text, HasSubstr("gridserve_repair_active_outages{kind=\"planned\"} 0"));
  EXPECT_THAT(text, HasSubstr("gridserve_repair_work_orders_cancelled_total{area_class=\"rural\"} 0"));
  NewOrder();
  ASSERT_TRUE(service_->RefreshDomainGauges().ok());
  EXPECT_THAT(Metrics(), HasSubstr("gridserve_repair_open_work_orders{area_class=\"urban\"} 1"));
}

TEST_F(RepairServiceTest, WatchBreachesStreamsInOrderAndRefusesNegativeCursor) {
  {
    grpc::ClientContext ctx;
    v1::RepairWatchBreachesRequest req;
    req.set_after_sequence(-1);
    auto reader = stub_->WatchBreaches(&ctx, req);
    v1::BreachEvent event;
    EXPECT_FALSE(reader->Read(&event));
    const grpc::Status refused = reader->Finish();
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(Fields(refused), Contains("after_sequence"));
  }
  NewOrder();
  clock().Set(kStart + absl::Hours(1));
  ASSERT_EQ(*service_->sla().Sweep(db()), 1);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::RepairWatchBreachesRequest req;
  req.set_rule("RP-1");
  auto reader = stub_->WatchBreaches(&ctx, req);
  v1::BreachEvent event;
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.sequence(), 1);
  EXPECT_EQ(event.breach().rule(), "RP-1");
  ctx.TryCancel();
}


// A spec whose build serves another service than it names is refused before
// anything is served: the platform would otherwise wrap the named service's
// methods around handlers that are not there. The name comes from the type
// (ServiceParts::Serve), so the mismatch is named.
TEST(RepairSpecTest, ABuildServingAnotherServiceThanItsSpecNamesIsRefused) {
  testing::InProcessService::Options options;
  options.start = kStart;
  ServiceSpec misnamed = RepairSpec();
  misnamed.grpc_service = "gridserve.v1.RiskMonitor";
  auto service = testing::InProcessService::Start(misnamed, options);
  ASSERT_EQ(service.status().code(), absl::StatusCode::kFailedPrecondition) << service.status();
  EXPECT_THAT(service.status().message(), HasSubstr("returned gridserve.v1.Repair, not gridserve.v1.RiskMonitor"));

  ServiceSpec empty = RepairSpec();
  empty.build = [](ServiceContext&) -> absl::StatusOr<ServiceParts> { return ServiceParts{}; };
  service = testing::InProcessService::Start(empty, options);
  ASSERT_EQ(service.status().code(), absl::StatusCode::kFailedPrecondition) << service.status();
  EXPECT_THAT(service.status().message(), HasSubstr("returned no service"));

  auto served = testing::InProcessService::Start(RepairSpec(), options);
  EXPECT_TRUE(served.ok()) << served.status();
}

}  // namespace
}  // namespace gridserve::repair
