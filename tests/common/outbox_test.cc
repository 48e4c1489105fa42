#include "services/common/outbox.h"

#include <map>
#include <string>

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

TEST(OutboxTest, TwoRelaysOnOneDatabaseDeliverEachMessageOnce) {
  FakeClock clock(kStart);
  const std::string url = "sqlite://" + TempDbPath("outbox_two_relays") + "?locking_mode=normal";  // two replicas
  auto db_a = OpenPlatformDb(clock, url);
  auto db_b = OpenPlatformDb(clock, url);
  FlakyPeer peer;
  peer.down = false;
  OutboxRelay a(*db_a, clock, OutboxOptions{});
  OutboxRelay b(*db_b, clock, OutboxOptions{});
  a.RegisterHandler(kTopicRiskBreach, peer.handler());
  b.RegisterHandler(kTopicRiskBreach, peer.handler());
  for (int i = 0; i < 50; ++i) Enqueue(*db_a, clock, "b-" + std::to_string(i));
  EXPECT_EQ(*a.DeliverDue() + *b.DeliverDue(), 50);
  EXPECT_EQ(peer.calls, 50);
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
