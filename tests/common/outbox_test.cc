#include "services/common/outbox.h"

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/common/test_db.h"

namespace gridserve {
namespace {

using testing::CountRows;
using testing::kStart;
using testing::OpenPlatformDb;
using testing::TempDbPath;

// A receiver that is down until told otherwise and that, like every
// receiver of the suite, is idempotent on message_id.
class FlakyPeer {
 public:
  OutboxRelay::Handler handler() {
    return [this](const OutboxMessage& m) -> absl::Status {
      ++calls;
      if (down) return absl::UnavailableError("peer down");
      ++received[m.message_id];
      return absl::OkStatus();
    };
  }
  bool down = true;
  int calls = 0;
  std::map<std::string, int> received;
};

// A transaction that forwards to another one, and runs a hook once right
// after its first read. (Work it registers with AfterCommit is not forwarded:
// the outbox registers none.)
class ForwardingTransaction final : public Transaction {
 public:
  ForwardingTransaction(Transaction& inner, std::function<void(Transaction&)> after_read)
      : inner_(inner), after_read_(std::move(after_read)) {}
  absl::StatusOr<int64_t> Execute(absl::string_view sql, const std::vector<SqlValue>& params) override {
    return inner_.Execute(sql, params);
  }
  absl::StatusOr<std::vector<Row>> Query(absl::string_view sql, const std::vector<SqlValue>& params) override {
    auto rows = inner_.Query(sql, params);
    if (after_read_) std::exchange(after_read_, nullptr)(inner_);
    return rows;
  }
  absl::Status ExecuteScript(absl::string_view sql) override { return inner_.ExecuteScript(sql); }

 private:
  Transaction& inner_;
  std::function<void(Transaction&)> after_read_;
};

// A database whose next write transaction meets what replicas sharing a
// database can make happen between two statements.
class InterferingDatabase final : public Database {
 public:
  explicit InterferingDatabase(Database& inner) : inner_(inner) {}
  // The body runs twice, as PostgreSQL runs it after a serialization
  // failure: a first attempt that is rolled back, then the one that commits.
  void RetryNextWrite() { retry_next_ = true; }
  // `fn` runs in the transaction right after its first read, as if another
  // replica had committed it in between.
  void AfterNextRead(std::function<void(Transaction&)> fn) { after_read_ = std::move(fn); }

  absl::Status InReadTransaction(absl::FunctionRef<absl::Status(Transaction&)> body) override {
    return inner_.InReadTransaction(body);
  }
  absl::string_view dialect() const override { return inner_.dialect(); }

 protected:
  absl::Status RunTransaction(absl::FunctionRef<absl::Status(Transaction&)> body) override {
    if (std::exchange(retry_next_, false)) {
      (void)inner_.InTransaction([&](Transaction& txn) -> absl::Status {
        if (absl::Status s = body(txn); !s.ok()) return s;
        return absl::AbortedError("could not serialize access (simulated): rolled back, run again");
      });
    }
    return inner_.InTransaction([&](Transaction& txn) {
      ForwardingTransaction forwarding(txn, std::exchange(after_read_, nullptr));
      return body(forwarding);
    });
  }

 private:
  Database& inner_;
  bool retry_next_ = false;
  std::function<void(Transaction&)> after_read_;
};

void Enqueue(Database& db, const Clock& clock, const std::string& id) {
  ASSERT_TRUE(db.InTransaction([&](Transaction& txn) {
                  return EnqueueOutbox(txn, clock.Now(), id, kTopicRiskBreach, "payload-" + id);
                }).ok());
}

TEST(OutboxTest, EnqueueIsPartOfTheCallersTransaction) {
  FakeClock clock(kStart);
  auto db = OpenPlatformDb(clock);
  absl::Status failed = db->InTransaction([&](Transaction& txn) -> absl::Status {
    if (auto s = EnqueueOutbox(txn, clock.Now(), "m-1", kTopicRiskBreach, "x"); !s.ok()) return s;
    return absl::AbortedError("the business change failed");
  });
  EXPECT_EQ(failed.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(CountRows(*db, "SELECT COUNT(*) FROM outbox"), 0);
  Enqueue(*db, clock, "m-1");
  Enqueue(*db, clock, "m-1");  // the same message twice is one message
  EXPECT_EQ(CountRows(*db, "SELECT COUNT(*) FROM outbox"), 1);
}

TEST(OutboxTest, PeerFailsThenRecoversNothingLostNothingTwice) {
  FakeClock clock(kStart);
  auto db = OpenPlatformDb(clock);
  OutboxRelay relay(*db, clock, OutboxOptions{absl::Seconds(1), absl::Seconds(8)});
  FlakyPeer peer;
  relay.RegisterHandler(kTopicRiskBreach, peer.handler());
  for (const char* id : {"b-1", "b-2", "b-3"}) Enqueue(*db, clock, id);

  // The peer does not answer: one call per pass, and the topic's other
  // messages wait with the failed one (no call, no attempt counted for them).
  EXPECT_EQ(*relay.DeliverDue(), 0);
  EXPECT_EQ(peer.calls, 1);
  // Backing off: nothing is retried before the delay.
  EXPECT_EQ(*relay.DeliverDue(), 0);
  EXPECT_EQ(peer.calls, 1);
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(*relay.DeliverDue(), 0);
  EXPECT_EQ(peer.calls, 2);
  // Second failure doubles the delay: 1 s later is still too early.
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(*relay.DeliverDue(), 0);
  EXPECT_EQ(peer.calls, 2);
  EXPECT_EQ(relay.PendingByTopic()->at(kTopicRiskBreach), 3);
  EXPECT_EQ(CountRows(*db, "SELECT SUM(attempts) FROM outbox"), 2);  // only the calls made count

  peer.down = false;
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(*relay.DeliverDue(), 3);
  clock.Advance(absl::Hours(1));
  EXPECT_EQ(*relay.DeliverDue(), 0);  // delivered messages are never sent again
  EXPECT_EQ(peer.received, (std::map<std::string, int>{{"b-1", 1}, {"b-2", 1}, {"b-3", 1}}));
  EXPECT_EQ(relay.counts()[kTopicRiskBreach].delivered, 3);
  EXPECT_EQ(relay.counts()[kTopicRiskBreach].failed_attempts, 2);
  EXPECT_TRUE(relay.PendingByTopic()->empty());
}

// Only a peer that does not answer holds its topic back: a message the peer
// refuses (any other error) fails alone, and other topics go on.
TEST(OutboxTest, AnUnansweringPeerHoldsBackOnlyItsOwnTopic) {
  FakeClock clock(kStart);
  auto db = OpenPlatformDb(clock);
  OutboxRelay relay(*db, clock, OutboxOptions{});
  FlakyPeer risk;
  int refused = 0;
  std::map<std::string, int> dispatched;
  relay.RegisterHandler(kTopicRiskBreach, risk.handler());
  relay.RegisterHandler(kTopicRepairDispatch, [&](const OutboxMessage& m) -> absl::Status {
    if (m.message_id == "d-bad") {
      ++refused;
      return absl::InvalidArgumentError("refused");
    }
    ++dispatched[m.message_id];
    return absl::OkStatus();
  });
  for (const char* id : {"b-1", "b-2", "b-3", "b-4"}) Enqueue(*db, clock, id);
  for (const char* id : {"d-bad", "d-1", "d-2"}) {
    ASSERT_TRUE(db->InTransaction([&](Transaction& txn) {
                    return EnqueueOutbox(txn, clock.Now(), id, kTopicRepairDispatch, "x");
                  }).ok());
  }
  EXPECT_EQ(*relay.DeliverDue(), 2);
  EXPECT_EQ(risk.calls, 1);
  EXPECT_EQ(refused, 1);
  EXPECT_EQ(dispatched, (std::map<std::string, int>{{"d-1", 1}, {"d-2", 1}}));
  EXPECT_EQ(relay.PendingByTopic()->at(kTopicRiskBreach), 4);
  EXPECT_EQ(relay.PendingByTopic()->at(kTopicRepairDispatch), 1);
}

TEST(OutboxTest, BackoffIsCapped) {
  FakeClock clock(kStart);
  auto db = OpenPlatformDb(clock);
  OutboxRelay relay(*db, clock, OutboxOptions{absl::Seconds(1), absl::Seconds(4)});
  FlakyPeer peer;
  relay.RegisterHandler(kTopicRiskBreach, peer.handler());
  Enqueue(*db, clock, "b-1");
  for (int second = 0; second < 12; ++second) {
    ASSERT_TRUE(relay.DeliverDue().ok());
    clock.Advance(absl::Seconds(1));
  }
  // Attempts at 0 s, 1 s (+1), 3 s (+2), 7 s (+4), 11 s (+4, capped; uncapped would be 15 s).
  EXPECT_EQ(peer.calls, 5);
}

// A receiver refusing a message itself (INVALID_ARGUMENT, UNIMPLEMENTED) will
// refuse the same bytes again: it is retried after rejected_retry, not every
// backoff, holds back nothing else, and is delivered once accepted.
TEST(OutboxTest, ARejectedMessageIsRetriedHourlyUntilAcceptedAndHoldsBackNothing) {
  FakeClock clock(kStart);
  auto db = OpenPlatformDb(clock);
  OutboxRelay relay(*db, clock, OutboxOptions{absl::Seconds(1), absl::Seconds(60)});
  bool contract_fixed = false;
  std::map<std::string, int> calls;
  std::map<std::string, int> accepted;
  relay.RegisterHandler(kTopicRiskBreach, [&](const OutboxMessage& m) -> absl::Status {
    ++calls[m.message_id];
    if (m.message_id == "b-new-field" && !contract_fixed) return absl::InvalidArgumentError("rule: unknown clause");
    if (m.message_id == "b-new-method" && !contract_fixed) return absl::UnimplementedError("unknown method");
    ++accepted[m.message_id];
    return absl::OkStatus();
  });
  for (const char* id : {"b-new-field", "b-1", "b-new-method", "b-2"}) Enqueue(*db, clock, id);

  EXPECT_EQ(*relay.DeliverDue(), 2);
  for (int minute = 1; minute < 60; ++minute) {  // a backoff would have retried them by now
    clock.Advance(absl::Minutes(1));
    ASSERT_EQ(*relay.DeliverDue(), 0);
  }
  EXPECT_EQ(calls["b-new-field"], 1);
  EXPECT_EQ(calls["b-new-method"], 1);
  EXPECT_EQ(relay.counts()[kTopicRiskBreach].rejected, 2);
  EXPECT_EQ(relay.counts()[kTopicRiskBreach].failed_attempts, 2);

  clock.Advance(absl::Minutes(1));  // an hour after the rejection: tried again, still refused
  EXPECT_EQ(*relay.DeliverDue(), 0);
  EXPECT_EQ(calls["b-new-field"], 2);
  contract_fixed = true;  // the receiver is upgraded
  clock.Advance(absl::Hours(1));
  EXPECT_EQ(*relay.DeliverDue(), 2);
  EXPECT_EQ(accepted, (std::map<std::string, int>{{"b-1", 1}, {"b-2", 1}, {"b-new-field", 1}, {"b-new-method", 1}}));
  EXPECT_TRUE(relay.PendingByTopic()->empty());
  EXPECT_EQ(relay.counts()[kTopicRiskBreach].rejected, 4);
}

TEST(OutboxTest, PendingMessagesSurviveARestart) {
  FakeClock clock(kStart);
  const std::string url = "sqlite://" + TempDbPath("outbox_restart");
  FlakyPeer peer;
  {
    auto db = OpenPlatformDb(clock, url);
    OutboxRelay relay(*db, clock, OutboxOptions{});
    relay.RegisterHandler(kTopicRiskBreach, peer.handler());
    Enqueue(*db, clock, "b-1");
    Enqueue(*db, clock, "b-2");
    ASSERT_EQ(*relay.DeliverDue(), 0);
  }  // the process "dies" with both messages undelivered
  peer.down = false;
  clock.Advance(absl::Minutes(5));
  auto db = OpenPlatformDb(clock, url);  // migrations are not applied twice
  OutboxRelay relay(*db, clock, OutboxOptions{});
  relay.RegisterHandler(kTopicRiskBreach, peer.handler());
  EXPECT_EQ(relay.PendingByTopic()->at(kTopicRiskBreach), 2);
  EXPECT_EQ(*relay.DeliverDue(), 2);
  EXPECT_EQ(peer.received, (std::map<std::string, int>{{"b-1", 1}, {"b-2", 1}}));
}

// Relay b's pass runs while relay a is delivering its batch: b takes only
// what a has not claimed, and no message reaches the peer twice.
TEST(OutboxTest, TwoRelaysOnOneDatabaseDeliverEachMessageOnce) {
  FakeClock clock(kStart);
  const std::string url = "sqlite://" + TempDbPath("outbox_two_relays") + "?locking_mode=normal";  // two replicas
  auto db_a = OpenPlatformDb(clock, url);
  auto db_b = OpenPlatformDb(clock, url);
  FlakyPeer peer;
  peer.down = false;
  OutboxRelay::Handler deliver = peer.handler();
  OutboxRelay a(*db_a, clock, OutboxOptions{.batch_size = 20});
  OutboxRelay b(*db_b, clock, OutboxOptions{});
  int b_delivered = -1;
  a.RegisterHandler(kTopicRiskBreach, [&](const OutboxMessage& m) {
    if (b_delivered < 0) {
      auto n = b.DeliverDue();  // in the middle of a's pass
      EXPECT_TRUE(n.ok()) << n.status();
      b_delivered = n.value_or(0);
    }
    return deliver(m);
  });
  b.RegisterHandler(kTopicRiskBreach, deliver);
  for (int i = 0; i < 50; ++i) Enqueue(*db_a, clock, "b-" + std::to_string(i));
  EXPECT_EQ(*a.DeliverDue(), 20);
  EXPECT_EQ(b_delivered, 30);  // the 30 that a's batch left, none of a's 20
  EXPECT_EQ(peer.calls, 50);
  EXPECT_EQ(peer.received.size(), 50u);
  for (const auto& [id, times] : peer.received) EXPECT_EQ(times, 1) << id;
  EXPECT_EQ(*a.DeliverDue() + *b.DeliverDue(), 0);
}

// The claim is conditional: a message another relay claimed after this one
// read it (its next_attempt_at changed) is not claimed a second time.
TEST(OutboxTest, AMessageClaimedByAnotherRelayAfterThisOneReadItIsNotClaimedAgain) {
  FakeClock clock(kStart);
  auto db = OpenPlatformDb(clock);
  InterferingDatabase racing(*db);
  FlakyPeer peer;
  peer.down = false;
  OutboxRelay relay(racing, clock, OutboxOptions{});
  relay.RegisterHandler(kTopicRiskBreach, peer.handler());
  for (const char* id : {"b-1", "b-2", "b-3"}) Enqueue(*db, clock, id);
  racing.AfterNextRead([&](Transaction& txn) {
    auto rival = txn.Execute("UPDATE outbox SET next_attempt_at = ?, attempts = attempts + 1 WHERE delivered_at IS NULL",
                             {ToMicros(clock.Now() + absl::Seconds(45))});
    EXPECT_EQ(rival.value_or(0), 3);
  });
  EXPECT_EQ(*relay.DeliverDue(), 0);
  EXPECT_EQ(peer.calls, 0);
  EXPECT_EQ(CountRows(*db, "SELECT SUM(attempts) FROM outbox"), 3);  // the rival's claims only
}

// PostgreSQL runs a transaction's body again after a serialization failure:
// the claims of the rolled-back attempt are not delivered (nor counted).
TEST(OutboxTest, AClaimTransactionRunTwiceClaimsEachMessageOnce) {
  FakeClock clock(kStart);
  auto db = OpenPlatformDb(clock);
  InterferingDatabase retrying(*db);
  FlakyPeer peer;
  peer.down = false;
  OutboxRelay relay(retrying, clock, OutboxOptions{});
  relay.RegisterHandler(kTopicRiskBreach, peer.handler());
  for (const char* id : {"b-1", "b-2", "b-3"}) Enqueue(*db, clock, id);
  retrying.RetryNextWrite();  // the claim
  EXPECT_EQ(*relay.DeliverDue(), 3);
  EXPECT_EQ(peer.received, (std::map<std::string, int>{{"b-1", 1}, {"b-2", 1}, {"b-3", 1}}));
  EXPECT_EQ(relay.counts()[kTopicRiskBreach].delivered, 3);
  EXPECT_EQ(CountRows(*db, "SELECT SUM(attempts) FROM outbox"), 3);
}

// A relay whose pass outlived its claim lease finds the message taken over:
// its failure does not overwrite the new owner's retry time (nor its lease).
TEST(OutboxTest, ARelayWhoseLeaseRanOutDoesNotOverwriteTheNewOwnersSchedule) {
  FakeClock clock(kStart);
  auto db = OpenPlatformDb(clock);
  const OutboxOptions options{.initial_backoff = absl::Seconds(1), .max_backoff = absl::Seconds(60),
                              .claim_lease = absl::Seconds(30)};
  OutboxRelay slow(*db, clock, options);
  OutboxRelay other(*db, clock, options);
  other.RegisterHandler(kTopicRiskBreach,
                        [](const OutboxMessage&) { return absl::InternalError("refused to other"); });
  slow.RegisterHandler(kTopicRiskBreach, [&](const OutboxMessage&) {
    clock.Advance(absl::Seconds(31));  // slow's lease has run out: other takes the message over
    EXPECT_EQ(*other.DeliverDue(), 0);
    EXPECT_EQ(other.counts()[kTopicRiskBreach].failed_attempts, 1);
    return absl::UnavailableError("slow peer timed out");
  });
  Enqueue(*db, clock, "b-1");
  EXPECT_EQ(*slow.DeliverDue(), 0);
  // other's second attempt failed at 31 s: retried 2 s later (not 1 s after slow's first).
  EXPECT_EQ(CountRows(*db, absl::StrCat("SELECT COUNT(*) FROM outbox WHERE next_attempt_at = ",
                                        ToMicros(kStart + absl::Seconds(33)), " AND last_error = 'refused to other'")),
            1);
}

TEST(OutboxTest, UnknownTopicStaysPendingInsteadOfBeingDropped) {
  FakeClock clock(kStart);
  auto db = OpenPlatformDb(clock);
  OutboxRelay relay(*db, clock, OutboxOptions{});
  ASSERT_TRUE(db->InTransaction([&](Transaction& txn) {
                  return EnqueueOutbox(txn, clock.Now(), "x-1", "nobody.listens", "x");
                }).ok());
  EXPECT_EQ(*relay.DeliverDue(), 0);
  EXPECT_EQ(relay.PendingByTopic()->at("nobody.listens"), 1);
}

}  // namespace
}  // namespace gridserve
