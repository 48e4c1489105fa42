// Two replicas of a service on one PostgreSQL database, driven concurrently
// (run through tests/postgres/with-postgres.sh): the same request id sent to
// both makes one record, each SLA expiry is recorded once, two replicas
// replying to the same case do not both succeed (no lost update), and many
// breaches reported at once to two risk replicas are all ledgered.
#include <grpcpp/grpcpp.h>

#include <cstdlib>
#include <future>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "gridserve/v1/contact_center.grpc.pb.h"
#include "gridserve/v1/risk.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/support/suite_process.h"

namespace gridserve::testing {
namespace {

using google::protobuf::util::TimeUtil;

class ReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("GRIDSERVE_TEST_POSTGRES_URL");
    if (url == nullptr) GTEST_SKIP() << "GRIDSERVE_TEST_POSTGRES_URL is not set (run through with-postgres.sh)";
    std::string out;
    // A clean schema for the service under test.
    ASSERT_EQ(RunCommand(absl::StrCat("psql '", url, "' -qc 'DROP SCHEMA IF EXISTS gridserve_contact_center CASCADE'"),
                         &out),
              0)
        << out;
    const std::string dir = MakeWorkDir("replicas");
    for (int i = 0; i < 2; ++i) {
      replicas_.push_back(std::make_unique<ServiceProcess>(
          "contact-center", dir,
          std::vector<std::string>{absl::StrCat("--database=", url), "--risk_target=127.0.0.1:1",
                                   "--repair_target=127.0.0.1:1"}));
      ASSERT_TRUE(replicas_.back()->Start()) << replicas_.back()->Log();
      stubs_.push_back(v1::ContactCenter::NewStub(
          grpc::CreateChannel(replicas_.back()->grpc_address(), grpc::InsecureChannelCredentials())));
    }
  }

  v1::RecordCaseRequest Complaint(const std::string& id, absl::Duration age) {
    v1::RecordCaseRequest r;
    r.set_request_id(id);
    r.set_kind(v1::CASE_KIND_COMPLAINT);
    r.set_department("customer-service");
    r.set_summary("meter reading disputed");
    r.set_thanked(true);
    r.mutable_reporter()->set_name("Li");
    r.mutable_reporter()->set_phone("13900000000");
    r.mutable_recorded_by()->set_staff_id("S-9");
    r.mutable_recorded_by()->set_department("customer-service");
    *r.mutable_received_at() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(absl::Now() - age));
    return r;
  }

  grpc::Status Record(int replica, const v1::RecordCaseRequest& request, v1::RecordCaseResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return stubs_[replica]->RecordCase(&context, request, response);
  }

  double Breached() {
    double total = 0;
    for (auto& r : replicas_) {
      total += MetricValue(HttpGet(r->metrics_url()), "gridserve_sla_total",
                           {{"sla", "complaint_reply"}, {"outcome", "breached"}});
    }
    return total;
  }

  // Completed runs of a replica's SLA sweep, whatever their outcome.
  double SweepRuns(size_t replica) {
    const std::string text = HttpGet(replicas_[replica]->metrics_url());
    return MetricValue(text, "gridserve_background_runs_total", {{"task", "sla_sweep"}, {"outcome", "ok"}}) +
           MetricValue(text, "gridserve_background_runs_total", {{"task", "sla_sweep"}, {"outcome", "failed"}});
  }

  std::vector<std::unique_ptr<ServiceProcess>> replicas_;
  std::vector<std::unique_ptr<v1::ContactCenter::Stub>> stubs_;
};

TEST_F(ReplicasTest, SameRequestOnBothReplicasMakesOneRecord) {
  const std::string run = absl::StrCat(absl::ToUnixNanos(absl::Now()));
  std::set<std::string> case_ids;
  for (int i = 0; i < 20; ++i) {
    const auto request = Complaint(absl::StrCat("dup-", run, "-", i), absl::Hours(1));
    v1::RecordCaseResponse a, b;
    auto fa = std::async(std::launch::async, [&] { return Record(0, request, &a); });
    auto fb = std::async(std::launch::async, [&] { return Record(1, request, &b); });
    const grpc::Status sa = fa.get();
    const grpc::Status sb = fb.get();
    ASSERT_TRUE(sa.ok()) << sa.error_message();
    ASSERT_TRUE(sb.ok()) << sb.error_message();
    EXPECT_EQ(a.customer_case().case_id(), b.customer_case().case_id());
    case_ids.insert(a.customer_case().case_id());
  }
  EXPECT_EQ(case_ids.size(), 20u);
}

TEST_F(ReplicasTest, EachExpiryIsRecordedOnceByTheTwoSweeps) {
  const std::string run = absl::StrCat(absl::ToUnixNanos(absl::Now()));
  for (int i = 0; i < 10; ++i) {
    v1::RecordCaseResponse response;
    // Received 5 days and 1 minute ago: already past the 5-day reply time.
    ASSERT_TRUE(Record(i % 2, Complaint(absl::StrCat("late-", run, "-", i), absl::Hours(120) + absl::Minutes(1)),
                       &response)
                    .ok());
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (Breached() < 10 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(200));
  // Both sweeps have run twice more (a run that began before the tenth breach
  // was counted has ended since): nothing may be counted twice.
  std::vector<double> runs;
  for (size_t r = 0; r < replicas_.size(); ++r) runs.push_back(SweepRuns(r));
  for (size_t r = 0; r < replicas_.size(); ++r) {
    const absl::Time sweep_deadline = absl::Now() + absl::Seconds(20);
    while (SweepRuns(r) < runs[r] + 2 && absl::Now() < sweep_deadline) absl::SleepFor(absl::Milliseconds(100));
    ASSERT_GE(SweepRuns(r), runs[r] + 2) << "replica " << r << "'s sweep did not run again";
  }
  EXPECT_EQ(Breached(), 10);
}

TEST_F(ReplicasTest, ConcurrentRepliesToOneCaseDoNotBothSucceed) {
  const std::string run = absl::StrCat(absl::ToUnixNanos(absl::Now()));
  v1::RecordCaseResponse recorded;
  ASSERT_TRUE(Record(0, Complaint(absl::StrCat("reply-", run), absl::Hours(2)), &recorded).ok());
  auto reply = [&](int replica) {
    v1::ReplyCaseRequest r;
    r.set_request_id(absl::StrCat("reply-", run, "-", replica));
    r.set_case_id(recorded.customer_case().case_id());
    r.set_reply_text(absl::StrCat("answer from replica ", replica));
    r.mutable_replied_by()->set_staff_id("S-3");
    r.mutable_replied_by()->set_department("customer-service");
    *r.mutable_replied_at() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(absl::Now()));
    grpc::ClientContext context;
    v1::ReplyCaseResponse response;
    return stubs_[replica]->ReplyCase(&context, r, &response);
  };
  auto fa = std::async(std::launch::async, [&] { return reply(0); });
  auto fb = std::async(std::launch::async, [&] { return reply(1); });
  const grpc::Status sa = fa.get();
  const grpc::Status sb = fb.get();
  EXPECT_NE(sa.ok(), sb.ok()) << sa.error_message() << " / " << sb.error_message();
  const grpc::Status& refused = sa.ok() ? sb : sa;
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << refused.error_message();
}

// Risk's ledger numbers its entries MAX+1 and each entry moves its department's
// score rows: reports arriving together on two replicas, about one department,
// must all be answered OK, each with its own sequence, none lost to conflicts.
TEST(RiskReplicasTest, ManyBreachesReportedAtOnceAreAllLedgeredInOrder) {
  const char* url = std::getenv("GRIDSERVE_TEST_POSTGRES_URL");
  if (url == nullptr) GTEST_SKIP() << "GRIDSERVE_TEST_POSTGRES_URL is not set (run through with-postgres.sh)";
  std::string out;
  ASSERT_EQ(RunCommand(absl::StrCat("psql '", url, "' -qc 'DROP SCHEMA IF EXISTS gridserve_risk CASCADE'"), &out), 0)
      << out;
  const std::string dir = MakeWorkDir("risk_replicas");
  std::vector<std::unique_ptr<ServiceProcess>> replicas;
  std::vector<std::unique_ptr<v1::RiskMonitor::Stub>> stubs;
  for (int i = 0; i < 2; ++i) {
    replicas.push_back(
        std::make_unique<ServiceProcess>("risk", dir, std::vector<std::string>{absl::StrCat("--database=", url)}));
    ASSERT_TRUE(replicas.back()->Start()) << replicas.back()->Log();
    stubs.push_back(v1::RiskMonitor::NewStub(
        grpc::CreateChannel(replicas.back()->grpc_address(), grpc::InsecureChannelCredentials())));
  }
  constexpr int kWriters = 8;
  constexpr int kEach = 25;
  const std::string run = absl::StrCat(absl::ToUnixNanos(absl::Now()));
  std::vector<std::future<std::vector<std::pair<grpc::Status, int64_t>>>> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.push_back(std::async(std::launch::async, [&, w] {
      std::vector<std::pair<grpc::Status, int64_t>> results;
      for (int i = 0; i < kEach; ++i) {
        v1::ReportBreachRequest r;
        r.set_request_id(absl::StrCat("breach-", run, "-", w, "-", i));
        v1::Breach& b = *r.mutable_breach();
        b.set_breach_id(r.request_id());
        b.set_service("repair");
        b.set_rule("RP-1");
        b.set_department("repair");
        b.set_subject(absl::StrCat("work_order/WO-", w, "-", i));
        b.set_detail("late arrival");
        b.set_mechanism(v1::MECHANISM_TIMER);
        b.set_sla("repair_arrival");
        *b.mutable_occurred_at() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(absl::Now()));
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
        v1::ReportBreachResponse response;
        grpc::Status status = stubs[w % 2]->ReportBreach(&context, r, &response);
        results.emplace_back(status, response.entry().sequence());
      }
      return results;
    }));
  }
  std::set<int64_t> sequences;
  int failed = 0;
  for (auto& writer : writers) {
    for (const auto& [status, sequence] : writer.get()) {
      if (!status.ok()) {
        ++failed;
        ADD_FAILURE() << status.error_code() << " " << status.error_message();
        continue;
      }
      sequences.insert(sequence);
    }
  }
  EXPECT_EQ(failed, 0);
  ASSERT_EQ(sequences.size(), static_cast<size_t>(kWriters * kEach - failed));  // each its own sequence
  EXPECT_EQ(*sequences.begin(), 1);
  EXPECT_EQ(*sequences.rbegin(), kWriters * kEach);  // and no gaps
}

}  // namespace
}  // namespace gridserve::testing
