#include "services/common/idempotency.h"

#include "google/protobuf/struct.pb.h"
#include "gtest/gtest.h"
#include "tests/common/test_db.h"

namespace gridserve {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;
using testing::CountRows;
using testing::kStart;
using testing::OpenPlatformDb;

// Stands in for a create call: inserts a row and answers with its number.
absl::StatusOr<Value> CreateThing(Transaction& txn, int* runs) {
  ++*runs;
  auto inserted = txn.Execute("INSERT INTO things (id) VALUES (?)", {"thing-" + std::to_string(*runs)});
  if (!inserted.ok()) return inserted.status();
  Value answer;
  answer.set_number_value(*runs);
  return answer;
}

std::unique_ptr<Database> OpenDb(const Clock& clock) {
  auto db = OpenPlatformDb(clock);
  EXPECT_TRUE(db->InTransaction([](Transaction& txn) { return txn.ExecuteScript("CREATE TABLE things (id TEXT PRIMARY KEY)"); }).ok());
  return db;
}

Struct Request(const std::string& text) {
  Struct request;
  (*request.mutable_fields())["what"].set_string_value(text);
  return request;
}

TEST(IdempotencyTest, SameRequestIdRunsOnceAndAnswersTheSame) {
  FakeClock clock(kStart);
  auto db = OpenDb(clock);
  int runs = 0;
  auto body = [&](Transaction& txn) { return CreateThing(txn, &runs); };
  auto first = RunOnce<Value>(*db, clock, "Test/Create", "req-1", Request("a"), body);
  auto second = RunOnce<Value>(*db, clock, "Test/Create", "req-1", Request("a"), body);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->number_value(), 1);
  EXPECT_EQ(second->number_value(), 1);
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(CountRows(*db, "SELECT COUNT(*) FROM things"), 1);
  // Another scope (method) has its own ids.
  EXPECT_EQ(RunOnce<Value>(*db, clock, "Test/Other", "req-1", Request("a"), body)->number_value(), 2);
}

TEST(IdempotencyTest, ReusedIdWithADifferentRequestIsAlreadyExists) {
  FakeClock clock(kStart);
  auto db = OpenDb(clock);
  int runs = 0;
  auto body = [&](Transaction& txn) { return CreateThing(txn, &runs); };
  ASSERT_TRUE(RunOnce<Value>(*db, clock, "Test/Create", "req-1", Request("a"), body).ok());
  auto clash = RunOnce<Value>(*db, clock, "Test/Create", "req-1", Request("b"), body);
  EXPECT_EQ(clash.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(runs, 1);
}

TEST(IdempotencyTest, AFailedCallStoresNothingSoACorrectedRetryRuns) {
  FakeClock clock(kStart);
  auto db = OpenDb(clock);
  bool fail = true;
  int runs = 0;
  auto body = [&](Transaction& txn) -> absl::StatusOr<Value> {
    auto v = CreateThing(txn, &runs);
    if (fail) return absl::FailedPreconditionError("not yet");
    return v;
  };
  EXPECT_EQ(RunOnce<Value>(*db, clock, "Test/Create", "req-1", Request("a"), body).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CountRows(*db, "SELECT COUNT(*) FROM things"), 0);  // rolled back
  fail = false;
  EXPECT_TRUE(RunOnce<Value>(*db, clock, "Test/Create", "req-1", Request("a"), body).ok());
  EXPECT_EQ(CountRows(*db, "SELECT COUNT(*) FROM things"), 1);
}

TEST(IdempotencyTest, RequestIdIsRequired) {
  FakeClock clock(kStart);
  auto db = OpenDb(clock);
  int runs = 0;
  auto missing = RunOnce<Value>(*db, clock, "Test/Create", "", Request("a"),
                                [&](Transaction& txn) { return CreateThing(txn, &runs); });
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(runs, 0);
}

}  // namespace
}  // namespace gridserve
