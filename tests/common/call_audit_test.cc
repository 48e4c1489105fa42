// A state-changing call's audit record: written in the call's own
// transaction by RunOnce (one commit for the change and its record), or when
// the call ends if the transaction did not write it.
#include "services/common/call_audit.h"

#include <chrono>
#include <thread>

#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"
#include "services/common/audit_log.h"
#include "services/common/idempotency.h"
#include "services/common/rpc_util.h"
#include "tests/common/test_db.h"

namespace gridserve {
namespace {

using google::protobuf::StringValue;
using testing::kStart;

class CallAuditTest : public ::testing::Test {
 protected:
  CallAuditTest() : db_(testing::OpenPlatformDb(clock_)), log_(*db_, clock_, "contact-center") {
    EXPECT_TRUE(db_->InTransaction([](Transaction& txn) {
                     return txn.ExecuteScript("CREATE TABLE calls (id TEXT PRIMARY KEY)");
                   }).ok());
  }

  PendingCallAudit NewCallAudit() {
    v1::AuditRecord record;
    record.set_caller("telephony-gw");
    record.set_authenticated_by("certificate");
    record.set_peer("ipv4:127.0.0.1:1234");
    record.set_method("/gridserve.v1.ContactCenter/RecordCall");
    return PendingCallAudit(log_, record);
  }

  // RecordCall's shape: store one row, answer with its id.
  absl::StatusOr<StringValue> RecordCall(Database& db, const std::string& request_id, absl::Status outcome = {}) {
    StringValue request;
    request.set_value(request_id);
    return RunOnce<StringValue>(db, clock_, "/test/RecordCall", request_id, request,
                                [&](Transaction& txn) -> absl::StatusOr<StringValue> {
                                  if (!outcome.ok()) return outcome;
                                  auto inserted = txn.Execute("INSERT INTO calls (id) VALUES (?)", {request_id});
                                  if (!inserted.ok()) return inserted.status();
                                  StringValue response;
                                  response.set_value("call-" + request_id);
                                  return response;
                                });
  }

  int64_t Count(const std::string& sql) { return testing::CountRows(*db_, sql); }
  std::vector<std::string> Codes() {
    std::vector<std::string> codes;
    auto listed = log_.List({});
    EXPECT_TRUE(listed.ok()) << listed.status();
    for (int i = listed->records_size() - 1; i >= 0; --i) codes.push_back(listed->records(i).code());
    return codes;
  }

  FakeClock clock_{kStart};
  std::unique_ptr<Database> db_;
  AuditLog log_;
};

TEST_F(CallAuditTest, TheChangeAndItsRecordCommitTogetherAndTheEndAddsNoSecond) {
  PendingCallAudit audit = NewCallAudit();
  {
    CallAudit::Scope scope(&audit);
    ASSERT_TRUE(RecordCall(*db_, "r-1").ok());
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM calls"), 1);
  ASSERT_EQ(Codes(), std::vector<std::string>{"OK"});
  auto listed = log_.List({});
  const v1::AuditRecord& record = listed->records(0);
  EXPECT_EQ(record.caller(), "telephony-gw");
  EXPECT_EQ(record.authenticated_by(), "certificate");
  EXPECT_EQ(record.method(), "/gridserve.v1.ContactCenter/RecordCall");
  EXPECT_EQ(record.service(), "contact-center");
  EXPECT_EQ(FromProto(record.occurred_at()), kStart);

  EXPECT_TRUE(audit.Finish(grpc::Status::OK).ok());
  EXPECT_EQ(Codes(), std::vector<std::string>{"OK"});
}

TEST_F(CallAuditTest, WhenTheRecordCannotBeWrittenTheChangeIsRolledBack) {
  ASSERT_TRUE(db_->InTransaction([](Transaction& txn) {
                   return txn.ExecuteScript(
                       "CREATE TRIGGER audit_full BEFORE INSERT ON audit_records BEGIN SELECT RAISE(ABORT, 'disk full'); END");
                 }).ok());
  PendingCallAudit audit = NewCallAudit();
  absl::StatusOr<StringValue> answered;
  {
    CallAudit::Scope scope(&audit);
    answered = RecordCall(*db_, "r-1");
  }
  EXPECT_FALSE(answered.ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM calls"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM idempotency_keys"), 0);  // no stored answer: a retry runs again

  ASSERT_TRUE(db_->InTransaction([](Transaction& txn) { return txn.ExecuteScript("DROP TRIGGER audit_full"); }).ok());
  PendingCallAudit retry = NewCallAudit();
  {
    CallAudit::Scope scope(&retry);
    ASSERT_TRUE(RecordCall(*db_, "r-1").ok());
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM calls"), 1);
  EXPECT_EQ(Codes(), std::vector<std::string>{"OK"});
}

TEST_F(CallAuditTest, AFailedCallIsRecordedWhenItEndsWithItsCodeAndMaskedMessage) {
  PendingCallAudit audit = NewCallAudit();
  {
    CallAudit::Scope scope(&audit);
    EXPECT_FALSE(RecordCall(*db_, "r-1", absl::FailedPreconditionError("refused")).ok());
  }
  EXPECT_TRUE(Codes().empty());
  EXPECT_TRUE(audit.Finish(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "customer 13800138000 refused")).ok());
  auto listed = log_.List({});
  ASSERT_EQ(listed->records_size(), 1);
  EXPECT_EQ(listed->records(0).code(), "FAILED_PRECONDITION");
  EXPECT_EQ(listed->records(0).message().find("13800138000"), std::string::npos) << listed->records(0).message();
}

// A call's end is recorded by the log's writer thread (a refusal on one of
// gRPC's threads must not wait there for a commit): the writer appends it on
// its own, a listing writes what waits first, and a log being destroyed writes
// everything still waiting.
TEST_F(CallAuditTest, RecordsWrittenSoonAreListedAndNoneIsLostAtShutdown) {
  v1::AuditRecord shed;
  shed.set_code("RESOURCE_EXHAUSTED");
  log_.RecordSoon(shed);
  // Neither listed nor flushed: only the writer thread can write it (bounded
  // wait for a thread, not for an SLA).
  for (int i = 0; i < 1000 && Count("SELECT COUNT(*) FROM audit_records") == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(Count("SELECT COUNT(*) FROM audit_records"), 1);
  {
    AuditLog soon(*db_, clock_, "contact-center");
    for (int i = 0; i < 50; ++i) {
      v1::AuditRecord record;
      record.set_method("/gridserve.v1.ContactCenter/RecordCall");
      record.set_code("RESOURCE_EXHAUSTED");
      soon.RecordSoon(record);
    }
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_records"), 51);
  v1::AuditRecord record;
  record.set_code("INVALID_ARGUMENT");
  log_.RecordSoon(record);
  auto listed = log_.List({});
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->records(0).code(), "INVALID_ARGUMENT");
  EXPECT_EQ(listed->records(0).sequence(), 52);
  EXPECT_EQ(FromProto(listed->records(0).occurred_at()), kStart);
}

// A write that fails keeps its records waiting, in order, for the next one:
// an audit row is not dropped because the store failed once.
TEST_F(CallAuditTest, RecordsThatCouldNotBeWrittenWaitForTheNextAttempt) {
  ASSERT_TRUE(db_->InTransaction([](Transaction& txn) {
                   return txn.ExecuteScript(
                       "CREATE TRIGGER audit_full BEFORE INSERT ON audit_records BEGIN SELECT RAISE(ABORT, 'disk full'); END");
                 }).ok());
  for (const char* code : {"RESOURCE_EXHAUSTED", "INVALID_ARGUMENT"}) {
    v1::AuditRecord record;
    record.set_code(code);
    log_.RecordSoon(record);
  }
  EXPECT_FALSE(log_.Flush().ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_records"), 0);
  ASSERT_TRUE(db_->InTransaction([](Transaction& txn) { return txn.ExecuteScript("DROP TRIGGER audit_full"); }).ok());
  EXPECT_TRUE(log_.Flush().ok());
  EXPECT_EQ(Codes(), (std::vector<std::string>{"RESOURCE_EXHAUSTED", "INVALID_ARGUMENT"}));
}

TEST_F(CallAuditTest, ACallThatFailsAfterItsChangeCommittedGetsASecondRecord) {
  PendingCallAudit audit = NewCallAudit();
  {
    CallAudit::Scope scope(&audit);
    ASSERT_TRUE(RecordCall(*db_, "r-1").ok());
  }
  EXPECT_TRUE(audit.Finish(grpc::Status(grpc::StatusCode::INTERNAL, "reply lost")).ok());
  EXPECT_EQ(Codes(), (std::vector<std::string>{"OK", "INTERNAL"}));
}

TEST_F(CallAuditTest, ACallThatCommitsTwoTransactionsHasOneRecord) {
  PendingCallAudit audit = NewCallAudit();
  {
    CallAudit::Scope scope(&audit);
    ASSERT_TRUE(RecordCall(*db_, "r-1").ok());
    ASSERT_TRUE(RecordCall(*db_, "r-2").ok());
  }
  EXPECT_TRUE(audit.Finish(grpc::Status::OK).ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM calls"), 2);
  EXPECT_EQ(Codes(), std::vector<std::string>{"OK"});
}

TEST_F(CallAuditTest, ARetryIsAnsweredFromTheStoredResponseAndAuditedAsACallOfItsOwn) {
  for (int call = 0; call < 2; ++call) {
    PendingCallAudit audit = NewCallAudit();
    CallAudit::Scope scope(&audit);
    auto answered = RecordCall(*db_, "r-1");
    ASSERT_TRUE(answered.ok()) << answered.status();
    EXPECT_EQ(answered->value(), "call-r-1");
    EXPECT_TRUE(audit.Finish(grpc::Status::OK).ok());
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM calls"), 1);
  EXPECT_EQ(Codes(), (std::vector<std::string>{"OK", "OK"}));
}

TEST_F(CallAuditTest, OnlyTheCurrentCallsAuditAndOnlyForItsOwnDatabase) {
  EXPECT_EQ(CallAudit::For(*db_), nullptr);  // no call on this thread
  PendingCallAudit audit = NewCallAudit();
  auto other_db = testing::OpenPlatformDb(clock_);
  ASSERT_TRUE(other_db->InTransaction([](Transaction& txn) {
                         return txn.ExecuteScript("CREATE TABLE calls (id TEXT PRIMARY KEY)");
                       }).ok());
  {
    CallAudit::Scope scope(&audit);
    EXPECT_EQ(CallAudit::For(*db_), &audit);
    EXPECT_EQ(CallAudit::For(*other_db), nullptr);
    {
      CallAudit::Scope none(nullptr);  // scopes nest
      EXPECT_EQ(CallAudit::For(*db_), nullptr);
    }
    EXPECT_EQ(CallAudit::For(*db_), &audit);
    // A change in another database: the audit trail is not in it, so the
    // record is written when the call ends.
    ASSERT_TRUE(RecordCall(*other_db, "r-1").ok());
  }
  EXPECT_EQ(CallAudit::For(*db_), nullptr);
  EXPECT_TRUE(Codes().empty());
  EXPECT_TRUE(audit.Finish(grpc::Status::OK).ok());
  EXPECT_EQ(Codes(), std::vector<std::string>{"OK"});
}

}  // namespace
}  // namespace gridserve
