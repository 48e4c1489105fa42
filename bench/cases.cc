#include "bench/cases.h"

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "gridserve/v1/construction.grpc.pb.h"
#include "gridserve/v1/contact_center.grpc.pb.h"
#include "gridserve/v1/counter.grpc.pb.h"
#include "gridserve/v1/repair.grpc.pb.h"
#include "gridserve/v1/risk.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace gridserve::bench {
namespace {

using google::protobuf::util::TimeUtil;

// Issues one async unary call; the state lives until the callback.
template <typename Req, typename Resp, typename Invoke>
void Call(Invoke invoke, Req request, std::function<void(const grpc::Status&)> done,
          std::function<void(const Resp&)> on_response = nullptr) {
  struct State {
    grpc::ClientContext context;
    Req request;
    Resp response;
  };
  auto* state = new State;
  state->request = std::move(request);
  state->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  invoke(&state->context, &state->request, &state->response,
         [state, done = std::move(done), on_response = std::move(on_response)](grpc::Status status) {
           if (status.ok() && on_response) on_response(state->response);
           done(status);
           delete state;
         });
}

// Call numbers of preloaded records start here: never the same as measured ones.
constexpr int64_t kFirstPreloadSeq = 1'000'000'000;

// Runs `n` calls of a case, `concurrency` at a time, and waits for them.
// Any failed call fails the preload: figures "with N stored" must not be
// measured on a store that holds fewer.
absl::Status RunN(const Case& c, int64_t n, int concurrency) {
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<int64_t> next{kFirstPreloadSeq};
  int64_t remaining = n;
  int64_t in_flight = 0;
  int64_t failed = 0;
  grpc::Status first_failure;
  std::function<void()> issue = [&] {
    c.call(next++, [&](const grpc::Status& status) {
      std::lock_guard<std::mutex> lock(mu);
      if (!status.ok() && failed++ == 0) first_failure = status;
      --in_flight;
      if (remaining > 0) {
        --remaining;
        ++in_flight;
        issue();
      }
      cv.notify_all();
    });
  };
  {
    std::lock_guard<std::mutex> lock(mu);
    for (int i = 0; i < concurrency && remaining > 0; ++i) {
      --remaining;
      ++in_flight;
      issue();
    }
  }
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return in_flight == 0 && remaining == 0; });
  if (failed == 0) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(failed, " of ", n, " preload writes failed; the first: code ",
                                          first_failure.error_code(), " ", first_failure.error_message()));
}

// A read case: creates one record with `create`, then reads it with `read(id)`.
struct ReadTarget {
  std::mutex mu;
  std::string id;
};

google::protobuf::Timestamp Now() { return TimeUtil::GetCurrentTime(); }

std::string RequestId(const std::string& prefix, int64_t seq) {
  static const std::string run = absl::StrCat(absl::ToUnixNanos(absl::Now()));
  return absl::StrCat(prefix, "-", run, "-", seq);
}

}  // namespace

namespace {

// A write RPC and the read RPC that fetches what it wrote: two cases.
template <typename WReq, typename WResp, typename RReq, typename RResp>
struct Pair {
  std::function<void(int64_t seq, WReq&)> fill_write;
  std::function<void(grpc::ClientContext*, const WReq*, WResp*, std::function<void(grpc::Status)>)> write;
  std::function<std::string(const WResp&)> id_of;
  std::function<void(const std::string& id, RReq&)> fill_read;
  std::function<void(grpc::ClientContext*, const RReq*, RResp*, std::function<void(grpc::Status)>)> read;

  Case WriteCase() const {
    Case c;
    c.kind = "write";
    auto self = *this;
    c.call = [self](int64_t seq, std::function<void(const grpc::Status&)> done) {
      WReq r;
      self.fill_write(seq, r);
      Call<WReq, WResp>(self.write, std::move(r), std::move(done));
    };
    c.preload = [c](int64_t n, int concurrency) { return RunN(c, n, concurrency); };
    return c;
  }

  Case ReadCase() const {
    Case c;
    c.kind = "read";
    auto self = *this;
    auto target = std::make_shared<ReadTarget>();
    c.setup = [self, target]() -> absl::Status {
      std::promise<grpc::Status> result;
      WReq r;
      self.fill_write(-1, r);
      Call<WReq, WResp>(self.write, std::move(r), [&](const grpc::Status& s) { result.set_value(s); },
                        [self, target](const WResp& response) {
                          std::lock_guard<std::mutex> lock(target->mu);
                          target->id = self.id_of(response);
                        });
      grpc::Status s = result.get_future().get();
      return s.ok() ? absl::OkStatus() : absl::InternalError(absl::StrCat("setup write failed: ", s.error_message()));
    };
    c.call = [self, target](int64_t, std::function<void(const grpc::Status&)> done) {
      RReq r;
      self.fill_read(target->id, r);
      Call<RReq, RResp>(self.read, std::move(r), std::move(done));
    };
    c.preload = [w = WriteCase()](int64_t n, int concurrency) { return RunN(w, n, concurrency); };
    return c;
  }
};

#define GRIDSERVE_ASYNC(stub, Method) \
  [stub](auto* ctx, auto* req, auto* resp, auto cb) { stub->async()->Method(ctx, req, resp, std::move(cb)); }

void FillStaff(v1::StaffRef* staff, const char* department) {
  staff->set_staff_id("S-1");
  staff->set_department(department);
}

}  // namespace

absl::StatusOr<Case> MakeCase(const std::string& name, std::shared_ptr<grpc::Channel> channel) {
  if (name == "echo") {
    auto stub = std::shared_ptr<grpc::health::v1::Health::Stub>(grpc::health::v1::Health::NewStub(channel));
    Case c;
    c.kind = "read";
    c.call = [stub](int64_t, std::function<void(const grpc::Status&)> done) {
      Call<grpc::health::v1::HealthCheckRequest, grpc::health::v1::HealthCheckResponse>(GRIDSERVE_ASYNC(stub, Check), {},
                                                                                        std::move(done));
    };
    return c;
  }
  const bool write = name.size() > 6 && name.substr(name.size() - 6) == "_write";
  const std::string service = name.substr(0, name.rfind('_'));

  if (service == "contact_center") {
    auto stub = std::shared_ptr<v1::ContactCenter::Stub>(v1::ContactCenter::NewStub(channel));
    Pair<v1::RecordCallRequest, v1::RecordCallResponse, v1::GetCallRequest, v1::GetCallResponse> p{
        [](int64_t seq, v1::RecordCallRequest& r) {
          r.set_request_id(RequestId("call", seq));
          r.set_external_call_id(RequestId("ext", seq));
          FillStaff(r.mutable_agent(), "customer-service");
          r.set_department("customer-service");
          r.set_purpose(v1::CALL_PURPOSE_CONSULTATION);
          const auto now = Now();
          *r.mutable_alerting_started_at() = now - TimeUtil::SecondsToDuration(12);
          *r.mutable_answered_at() = now - TimeUtil::SecondsToDuration(10);
          *r.mutable_ended_at() = now;
          r.set_outcome(v1::CALL_OUTCOME_ANSWERED);
          r.set_rings(static_cast<int>(seq % 4 + 1));
          r.set_greeted(true);
          r.set_unit_named(true);
          r.set_apologised(true);
          r.set_disposition(v1::CALL_DISPOSITION_NORMAL);
          r.set_hang_up_party(v1::HANG_UP_PARTY_CUSTOMER);
        },
        GRIDSERVE_ASYNC(stub, RecordCall), [](const v1::RecordCallResponse& r) { return r.call().call_id(); },
        [](const std::string& id, v1::GetCallRequest& r) { r.set_call_id(id); }, GRIDSERVE_ASYNC(stub, GetCall)};
    return write ? p.WriteCase() : p.ReadCase();
  }
  if (service == "counter") {
    auto stub = std::shared_ptr<v1::Counter::Stub>(v1::Counter::NewStub(channel));
    Pair<v1::IssueTicketRequest, v1::IssueTicketResponse, v1::GetTicketRequest, v1::GetTicketResponse> p{
        [](int64_t seq, v1::IssueTicketRequest& r) {
          r.set_request_id(RequestId("ticket", seq));
          // A city's halls (200), not one hall with every ticket waiting.
          // Preloaded tickets are the stored history of a province's 20 000
          // halls: a ticket's queue position counts the waiting tickets ahead
          // of it in its own hall (CT-9), so its cost follows that hall's
          // queue; the scale runs measure what the records stored elsewhere
          // cost, not a queue of 5 000 people in every measured hall.
          const int64_t n = seq < 0 ? -seq : seq;
          r.set_hall_id(seq >= kFirstPreloadSeq ? absl::StrCat("stored-hall-", n % 20000)
                                                : absl::StrCat("hall-", n % 200));
          r.set_business_type("new_connection");
          *r.mutable_issued_at() = Now();
        },
        GRIDSERVE_ASYNC(stub, IssueTicket), [](const v1::IssueTicketResponse& r) { return r.ticket().ticket_id(); },
        [](const std::string& id, v1::GetTicketRequest& r) { r.set_ticket_id(id); }, GRIDSERVE_ASYNC(stub, GetTicket)};
    return write ? p.WriteCase() : p.ReadCase();
  }
  if (service == "construction") {
    auto stub = std::shared_ptr<v1::Construction::Stub>(v1::Construction::NewStub(channel));
    Pair<v1::CreateProjectRequest, v1::CreateProjectResponse, v1::GetProjectRequest, v1::GetProjectResponse> p{
        [](int64_t seq, v1::CreateProjectRequest& r) {
          r.set_request_id(RequestId("project", seq));
          r.set_project_type(v1::PROJECT_TYPE_RESIDENTIAL);
          r.mutable_customer()->set_name("Bench Customer");
          r.mutable_customer()->set_phone("13800000000");
          r.mutable_site()->set_address("1 Bench Road");
          r.mutable_site()->set_area_code("A1");
          r.mutable_site()->set_area_class("urban");
          r.set_department("business-expansion");
          FillStaff(r.mutable_manager(), "business-expansion");
          r.set_requested_capacity_kva(8);
          r.set_description("residential connection");
          *r.mutable_applied_at() = Now();
        },
        GRIDSERVE_ASYNC(stub, CreateProject), [](const v1::CreateProjectResponse& r) { return r.project().project_id(); },
        [](const std::string& id, v1::GetProjectRequest& r) { r.set_project_id(id); }, GRIDSERVE_ASYNC(stub, GetProject)};
    return write ? p.WriteCase() : p.ReadCase();
  }
  if (service == "repair") {
    auto stub = std::shared_ptr<v1::Repair::Stub>(v1::Repair::NewStub(channel));
    Pair<v1::CreateWorkOrderRequest, v1::CreateWorkOrderResponse, v1::GetWorkOrderRequest, v1::GetWorkOrderResponse> p{
        [](int64_t seq, v1::CreateWorkOrderRequest& r) {
          r.set_request_id(RequestId("order", seq));
          r.mutable_customer()->set_name("Bench Customer");
          r.mutable_customer()->set_phone("13800000000");
          r.mutable_location()->set_address("1 Bench Road");
          r.mutable_location()->set_area_code("A1");
          r.mutable_location()->set_area_class("urban");
          r.set_description("no power");
          r.set_department("repair");
          *r.mutable_dispatched_at() = Now();
        },
        GRIDSERVE_ASYNC(stub, CreateWorkOrder),
        [](const v1::CreateWorkOrderResponse& r) { return r.work_order().work_order_id(); },
        [](const std::string& id, v1::GetWorkOrderRequest& r) { r.set_work_order_id(id); },
        GRIDSERVE_ASYNC(stub, GetWorkOrder)};
    return write ? p.WriteCase() : p.ReadCase();
  }
  if (service == "risk") {
    auto stub = std::shared_ptr<v1::RiskMonitor::Stub>(v1::RiskMonitor::NewStub(channel));
    Pair<v1::ReportBreachRequest, v1::ReportBreachResponse, v1::GetLedgerEntryRequest, v1::GetLedgerEntryResponse> p{
        [](int64_t seq, v1::ReportBreachRequest& r) {
          r.set_request_id(RequestId("breach", seq));
          v1::Breach& b = *r.mutable_breach();
          b.set_breach_id(r.request_id());
          b.set_service("repair");
          b.set_rule("RP-1");
          b.set_department("repair");
          b.set_subject(absl::StrCat("work_order/WO-", seq));
          b.set_detail("late arrival");
          b.set_mechanism(v1::MECHANISM_TIMER);
          b.set_sla("repair_arrival");
          *b.mutable_occurred_at() = Now();
        },
        GRIDSERVE_ASYNC(stub, ReportBreach), [](const v1::ReportBreachResponse& r) { return r.entry().entry_id(); },
        [](const std::string& id, v1::GetLedgerEntryRequest& r) { r.set_entry_id(id); },
        GRIDSERVE_ASYNC(stub, GetLedgerEntry)};
    return write ? p.WriteCase() : p.ReadCase();
  }
  return absl::NotFoundError(absl::StrCat("no benchmark case \"", name,
                                          "\"; cases: echo, <service>_write, <service>_read for contact_center, "
                                          "counter, construction, repair, risk"));
}

}  // namespace gridserve::bench
