#include "services/common/sla_clock.h"

#include "gtest/gtest.h"
#include "services/common/config.h"
#include "services/common/outbox.h"
#include "tests/common/registry_value.h"
#include "tests/common/test_db.h"

namespace gridserve {
namespace {

using testing::CountRows;
using testing::RegistryValue;
using testing::kStart;
using testing::OpenPlatformDb;

class SlaClockTest : public ::testing::Test {
 protected:
  SlaClockTest()
      : clock_(kStart),
        db_(OpenPlatformDb(clock_)),
        metrics_("contact-center", "test", DefaultConfig()),
        breaches_("contact-center", clock_, &metrics_, BreachRecorder::OutboxToRisk(clock_)),
        sla_(clock_, breaches_, &metrics_) {}

  void StartComplaint(const std::string& id, absl::Duration due_in) {
    ASSERT_TRUE(db_->InTransaction([&](Transaction& txn) {
                     return sla_.Start(txn, SlaTimer{"complaint_reply", "case/" + id, "customer-service", "S-7",
                                                     clock_.Now(), clock_.Now() + due_in});
                   }).ok());
  }

  absl::StatusOr<SlaOutcome> Stop(const std::string& id, absl::Time at) {
    SlaOutcome outcome;
    absl::Status s = db_->InTransaction([&](Transaction& txn) -> absl::Status {
      auto result = sla_.Stop(txn, "complaint_reply", "case/" + id, at);
      if (!result.ok()) return result.status();
      outcome = *result;
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    return outcome;
  }

  double Sla(const std::string& outcome) {
    return RegistryValue(*metrics_.registry(), "gridserve_sla_total",
                 {{"sla", "complaint_reply"}, {"outcome", outcome}});
  }
  double Breaches() {
    return RegistryValue(*metrics_.registry(), "gridserve_norm_breaches_total",
                 {{"rule", "CC-5"}, {"department", "customer-service"}});
  }

  FakeClock clock_;
  std::unique_ptr<Database> db_;
  ServiceMetrics metrics_;
  BreachRecorder breaches_;
  SlaClock sla_;
};

TEST_F(SlaClockTest, SeriesExistAtZeroFromStartUp) {
  EXPECT_EQ(Sla("met"), 0);
  EXPECT_EQ(Sla("breached"), 0);
  EXPECT_EQ(Breaches(), 0);
  EXPECT_EQ(RegistryValue(*metrics_.registry(), "gridserve_norm_breaches_total", {{"rule", "CC-8"}, {"department", "other"}}), 0);
  EXPECT_EQ(RegistryValue(*metrics_.registry(), "gridserve_sla_open", {{"sla", "fault_dispatch"}}), 0);
}

TEST_F(SlaClockTest, ExactlyAtTheDueTimeIsOnTime) {
  StartComplaint("C-1", absl::Hours(120));
  clock_.Advance(absl::Hours(120));
  EXPECT_EQ(*sla_.Sweep(*db_), 0);  // due == now: not yet late
  EXPECT_EQ(*Stop("C-1", clock_.Now()), SlaOutcome::kMet);
  EXPECT_EQ(Sla("met"), 1);
  EXPECT_EQ(Sla("breached"), 0);
  EXPECT_EQ(*Stop("C-1", clock_.Now()), SlaOutcome::kAlreadyClosed);
  EXPECT_EQ(Sla("met"), 1);
}

TEST_F(SlaClockTest, BreachesTheMomentTheClockExpiresNotWhenClosed) {
  StartComplaint("C-2", absl::Hours(120));
  clock_.Advance(absl::Hours(120) + absl::Microseconds(1));
  EXPECT_EQ(*sla_.Sweep(*db_), 1);
  EXPECT_EQ(Sla("breached"), 1);
  EXPECT_EQ(Breaches(), 1);
  // Recorded locally and queued for risk, dated at the due time.
  EXPECT_EQ(CountRows(*db_, "SELECT COUNT(*) FROM breaches WHERE rule = 'CC-5' AND subject = 'case/C-2'"), 1);
  EXPECT_EQ(CountRows(*db_, "SELECT COUNT(*) FROM outbox WHERE topic = 'risk.breach'"), 1);
  EXPECT_EQ(CountRows(*db_, "SELECT COUNT(*) FROM breaches WHERE occurred_at = " +
                                std::to_string(ToMicros(kStart + absl::Hours(120)))),
            1);
  // Later sweeps and the late reply change nothing more.
  clock_.Advance(absl::Hours(48));
  EXPECT_EQ(*sla_.Sweep(*db_), 0);
  EXPECT_EQ(*Stop("C-2", clock_.Now()), SlaOutcome::kBreached);
  EXPECT_EQ(Sla("breached"), 1);
  EXPECT_EQ(Sla("met"), 0);
  EXPECT_EQ(Breaches(), 1);
  EXPECT_EQ(CountRows(*db_, "SELECT COUNT(*) FROM breaches"), 1);
}

TEST_F(SlaClockTest, ALateCloseBeforeTheSweepStillBreachesOnce) {
  StartComplaint("C-3", absl::Hours(1));
  clock_.Advance(absl::Hours(2));
  EXPECT_EQ(*Stop("C-3", clock_.Now()), SlaOutcome::kBreached);
  EXPECT_EQ(*sla_.Sweep(*db_), 0);
  EXPECT_EQ(Sla("breached"), 1);
  EXPECT_EQ(CountRows(*db_, "SELECT COUNT(*) FROM breaches"), 1);
}

// Withdraws case/<id>'s complaint_reply clock at `at`.
absl::Status Withdraw(Database& db, SlaClock& sla, const std::string& id, absl::Time at) {
  return db.InTransaction([&](Transaction& txn) { return sla.Withdraw(txn, "complaint_reply", "case/" + id, at); });
}

// A goal reached in time but reported after the sweep recorded the expiry
// (a field app synced late): the breach stands (the ledger is append-only),
// and it is counted as a late fact so an auditor can void it in risk.
TEST_F(SlaClockTest, AnOnTimeFactReportedAfterTheExpiryIsCountedAsLate) {
  StartComplaint("L-1", absl::Hours(1));
  clock_.Advance(absl::Hours(1) + absl::Minutes(10));
  EXPECT_EQ(*sla_.Sweep(*db_), 1);
  EXPECT_EQ(*Stop("L-1", kStart + absl::Minutes(50)), SlaOutcome::kBreached);
  EXPECT_EQ(RegistryValue(*metrics_.registry(), "gridserve_sla_late_facts_total", {{"sla", "complaint_reply"}}), 1);
  EXPECT_EQ(Sla("breached"), 1);
  EXPECT_EQ(Sla("met"), 0);
}

// A case withdrawn in time (by its event time) but synced after the sweep
// recorded the expiry is a late fact too; a second stop counts nothing more.
TEST_F(SlaClockTest, AWithdrawalSyncedAfterTheExpiryIsALateFactOnce) {
  StartComplaint("L-2", absl::Hours(1));
  clock_.Advance(absl::Hours(2));
  EXPECT_EQ(*sla_.Sweep(*db_), 1);
  ASSERT_TRUE(Withdraw(*db_, sla_, "L-2", kStart + absl::Minutes(30)).ok());
  EXPECT_EQ(RegistryValue(*metrics_.registry(), "gridserve_sla_late_facts_total", {{"sla", "complaint_reply"}}), 1);
  EXPECT_EQ(*Stop("L-2", kStart + absl::Minutes(40)), SlaOutcome::kAlreadyClosed);
  EXPECT_EQ(RegistryValue(*metrics_.registry(), "gridserve_sla_late_facts_total", {{"sla", "complaint_reply"}}), 1);
  EXPECT_EQ(Breaches(), 1);
}

// With a grace, the sweep waits that long past the due time: a fact synced
// within it is judged by its event time; past it, the breach is recorded,
// dated at the due time.
TEST_F(SlaClockTest, AnExpiryGraceLetsLateSyncedFactsCountByTheirEventTime) {
  sla_.SetExpiryGrace(absl::Minutes(15));
  StartComplaint("G-1", absl::Hours(1));
  StartComplaint("G-2", absl::Hours(1));
  clock_.Advance(absl::Hours(1) + absl::Minutes(10));
  EXPECT_EQ(*sla_.Sweep(*db_), 0);  // within the grace
  EXPECT_EQ(*Stop("G-1", kStart + absl::Minutes(55)), SlaOutcome::kMet);
  EXPECT_EQ(RegistryValue(*metrics_.registry(), "gridserve_sla_late_facts_total", {{"sla", "complaint_reply"}}), 0);
  clock_.Advance(absl::Minutes(6));
  EXPECT_EQ(*sla_.Sweep(*db_), 1);  // G-2, past the grace
  EXPECT_EQ(Sla("met"), 1);
  EXPECT_EQ(Sla("breached"), 1);
  EXPECT_EQ(CountRows(*db_, "SELECT COUNT(*) FROM breaches WHERE subject = 'case/G-2' AND occurred_at = " +
                                std::to_string(ToMicros(kStart + absl::Hours(1)))),
            1);
}

// Withdraw: a case that ended without its goal. In time: neither met nor
// breached; past the due time: the breach stands (recorded once, by whoever
// gets there first), never counted met.
TEST_F(SlaClockTest, WithdrawnInTimeIsNeitherMetNorBreached) {
  StartComplaint("W-1", absl::Hours(1));
  clock_.Advance(absl::Minutes(30));
  ASSERT_TRUE(Withdraw(*db_, sla_, "W-1", clock_.Now()).ok());
  EXPECT_EQ(Sla("met"), 0);
  EXPECT_EQ(Sla("breached"), 0);
  EXPECT_EQ(CountRows(*db_, "SELECT COUNT(*) FROM sla_timers WHERE state = 'cancelled' AND closed_at IS NOT NULL"), 1);
  clock_.Advance(absl::Hours(2));
  EXPECT_EQ(*sla_.Sweep(*db_), 0);  // the sweep no longer sees it
  EXPECT_EQ(Breaches(), 0);
  // Again, or a clock that does not exist: nothing to do.
  ASSERT_TRUE(Withdraw(*db_, sla_, "W-1", clock_.Now()).ok());
  ASSERT_TRUE(Withdraw(*db_, sla_, "no-such-case", clock_.Now()).ok());
  EXPECT_EQ(Sla("met"), 0);
}

TEST_F(SlaClockTest, WithdrawnPastTheDueTimeIsABreachOnce) {
  StartComplaint("W-2", absl::Hours(1));
  StartComplaint("W-3", absl::Hours(1));
  clock_.Advance(absl::Hours(2));
  // W-2: the sweep has not run yet; W-3: it has.
  ASSERT_TRUE(Withdraw(*db_, sla_, "W-2", clock_.Now()).ok());
  EXPECT_EQ(*sla_.Sweep(*db_), 1);
  ASSERT_TRUE(Withdraw(*db_, sla_, "W-3", clock_.Now()).ok());
  EXPECT_EQ(Sla("breached"), 2);
  EXPECT_EQ(Sla("met"), 0);
  EXPECT_EQ(Breaches(), 2);
  EXPECT_EQ(CountRows(*db_, "SELECT COUNT(*) FROM sla_timers WHERE state = 'breached' AND closed_at IS NOT NULL"), 2);
}

// A pass ends once its time is spent (here: none, so after one batch); the
// next pass goes on where it stopped, and nothing is recorded twice.
TEST_F(SlaClockTest, ABacklogIsExpiredOverSeveralPasses) {
  for (int i = 0; i < 5; ++i) StartComplaint("late-" + std::to_string(i), absl::Minutes(5));
  clock_.Advance(absl::Minutes(6));
  EXPECT_EQ(*sla_.Sweep(*db_, /*batch_size=*/2, /*max_pass=*/absl::ZeroDuration()), 2);
  EXPECT_EQ(*sla_.Sweep(*db_, 2, absl::ZeroDuration()), 2);
  EXPECT_EQ(*sla_.Sweep(*db_, 2, absl::ZeroDuration()), 1);
  EXPECT_EQ(*sla_.Sweep(*db_, 2, absl::ZeroDuration()), 0);
  EXPECT_EQ(Sla("breached"), 5);
  EXPECT_EQ(CountRows(*db_, "SELECT COUNT(*) FROM breaches"), 5);
}

TEST_F(SlaClockTest, SweepCostFollowsWhatIsDue) {
  for (int i = 0; i < 1200; ++i) StartComplaint("far-" + std::to_string(i), absl::Hours(240));
  for (int i = 0; i < 3; ++i) StartComplaint("near-" + std::to_string(i), absl::Minutes(5));
  clock_.Advance(absl::Minutes(6));
  EXPECT_EQ(*sla_.Sweep(*db_, /*batch_size=*/2), 3);  // batches until nothing is due
  EXPECT_EQ(Sla("breached"), 3);
  // The query the sweep runs is answered from the due-time index.
  std::string plan;
  ASSERT_TRUE(db_->InTransaction([&](Transaction& txn) -> absl::Status {
                   auto rows = txn.Query(
                       "EXPLAIN QUERY PLAN SELECT sla FROM sla_timers WHERE state = 'open' AND sla = ? AND"
                       " due_at < ? ORDER BY due_at LIMIT 10",
                       {"complaint_reply", ToMicros(clock_.Now())});
                   if (!rows.ok()) return rows.status();
                   for (const Row& row : *rows) plan += row.Text(3) + ";";
                   return absl::OkStatus();
                 }).ok());
  EXPECT_NE(plan.find("sla_timers_open_due (sla=? AND due_at<?)"), std::string::npos) << plan;
}

// A replica whose transactions run inside the one in progress: what it
// writes is visible to the first replica's next statement, as when a peer
// commits between the first replica's SELECT of due clocks and its UPDATE of
// each (READ COMMITTED). Only the conditional UPDATE (state = 'open') then
// stops the first replica from expiring those clocks a second time.
class InsideTransaction final : public Database {
 public:
  InsideTransaction(Transaction*& current, absl::string_view dialect) : current_(current), dialect_(dialect) {}
  absl::Status InReadTransaction(absl::FunctionRef<absl::Status(Transaction&)> body) override {
    return body(*current_);
  }
  absl::string_view dialect() const override { return dialect_; }

 protected:
  absl::Status RunTransaction(absl::FunctionRef<absl::Status(Transaction&)> body) override { return body(*current_); }

 private:
  Transaction*& current_;
  std::string dialect_;
};

TEST_F(SlaClockTest, TwoReplicasOnOneDatabaseRecordEachExpiryOnce) {
  // Replica B sweeps from inside A's first expiry (A's breach sink), after A
  // has read its batch of due clocks and before A updates the rest of them.
  Transaction* a_txn = nullptr;
  InsideTransaction db_b(a_txn, db_->dialect());
  BreachRecorder breaches_b("contact-center", clock_, &metrics_, BreachRecorder::OutboxToRisk(clock_));
  SlaClock sla_b(clock_, breaches_b, &metrics_);
  int b = 0;
  const auto to_outbox = BreachRecorder::OutboxToRisk(clock_);
  BreachRecorder breaches_a("contact-center", clock_, &metrics_, [&](Transaction& txn, const v1::Breach& breach) {
    if (a_txn == nullptr) {
      a_txn = &txn;
      auto swept = sla_b.Sweep(db_b, 5);
      if (!swept.ok()) return swept.status();
      b = *swept;
    }
    return to_outbox(txn, breach);
  });
  SlaClock sla_a(clock_, breaches_a, &metrics_);
  constexpr int kClocks = 20;
  for (int i = 0; i < kClocks; ++i) {
    ASSERT_TRUE(db_->InTransaction([&](Transaction& txn) {
                       return sla_a.Start(txn, SlaTimer{"complaint_reply", "case/" + std::to_string(i),
                                                        "customer-service", "", clock_.Now(),
                                                        clock_.Now() + absl::Minutes(1)});
                     }).ok());
  }
  clock_.Advance(absl::Minutes(2));
  ASSERT_TRUE(sla_a.Sweep(*db_, 7).ok());
  EXPECT_EQ(b, kClocks - 1);  // B really raced: it expired all but A's first clock
  // Each clock expired once: one breach, one message, one "breached" count.
  EXPECT_EQ(Sla("breached"), kClocks);
  EXPECT_EQ(Breaches(), kClocks);
  EXPECT_EQ(CountRows(*db_, "SELECT COUNT(*) FROM breaches"), kClocks);
  EXPECT_EQ(CountRows(*db_, "SELECT COUNT(*) FROM outbox"), kClocks);
  EXPECT_EQ(CountRows(*db_, "SELECT COUNT(*) FROM sla_timers WHERE state = 'breached'"), kClocks);
}

TEST_F(SlaClockTest, GaugesCountOpenAndDueSoon) {
  StartComplaint("soon", absl::Hours(2));
  StartComplaint("later", absl::Hours(100));
  StartComplaint("met", absl::Hours(3));
  StartComplaint("cancelled", absl::Hours(3));
  StartComplaint("expired", absl::Minutes(1));
  // A clock of another SLA (its own, narrower window) and one of another service.
  ASSERT_TRUE(db_->InTransaction([&](Transaction& txn) -> absl::Status {
                   if (auto s = sla_.Start(txn, SlaTimer{"fault_dispatch", "fault/F-1", "customer-service", "",
                                                         clock_.Now(), clock_.Now() + absl::Minutes(10)});
                       !s.ok()) {
                     return s;
                   }
                   return sla_.Start(txn, SlaTimer{"repair_arrival", "order/W-1", "repair", "", clock_.Now(),
                                                   clock_.Now() + absl::Minutes(10)});
                 }).ok());
  ASSERT_EQ(*Stop("met", clock_.Now()), SlaOutcome::kMet);
  ASSERT_TRUE(db_->InTransaction([&](Transaction& txn) -> absl::Status {
                   return sla_.Cancel(txn, "complaint_reply", "case/cancelled", clock_.Now()).status();
                 }).ok());
  clock_.Advance(absl::Minutes(2));
  ASSERT_EQ(*sla_.Sweep(*db_), 1);

  const std::map<std::string, absl::Duration> windows = {{"complaint_reply", absl::Hours(24)},
                                                         {"fault_dispatch", absl::Minutes(2)}};
  ASSERT_TRUE(sla_.RefreshGauges(*db_, "contact-center", windows).ok());
  EXPECT_EQ(RegistryValue(*metrics_.registry(), "gridserve_sla_open", {{"sla", "complaint_reply"}}), 2);
  EXPECT_EQ(RegistryValue(*metrics_.registry(), "gridserve_sla_due_soon", {{"sla", "complaint_reply"}}), 1);
  EXPECT_EQ(RegistryValue(*metrics_.registry(), "gridserve_sla_open", {{"sla", "fault_dispatch"}}), 1);
  EXPECT_EQ(RegistryValue(*metrics_.registry(), "gridserve_sla_due_soon", {{"sla", "fault_dispatch"}}), 0);  // 8 min left
  EXPECT_EQ(RegistryValue(*metrics_.registry(), "gridserve_sla_open", {{"sla", "repair_arrival"}}), -1);    // not ours

  clock_.Advance(absl::Minutes(7));  // fault_dispatch now within its 2-minute window
  ASSERT_TRUE(sla_.RefreshGauges(*db_, "contact-center", windows).ok());
  EXPECT_EQ(RegistryValue(*metrics_.registry(), "gridserve_sla_due_soon", {{"sla", "fault_dispatch"}}), 1);
  // The open count is read, not counted: it agrees with the table.
  EXPECT_EQ(CountRows(*db_, "SELECT value FROM kept_counts WHERE count_name = 'sla_open' AND"
                            " count_key = 'complaint_reply'"),
            CountRows(*db_, "SELECT COUNT(*) FROM sla_timers WHERE sla = 'complaint_reply' AND state = 'open'"));
}

TEST_F(SlaClockTest, StartingTheSameClockTwiceIsRefusedAndStoppingAnUnknownOneIsNotFound) {
  StartComplaint("C-9", absl::Hours(1));
  absl::Status again = db_->InTransaction([&](Transaction& txn) {
    return sla_.Start(txn, SlaTimer{"complaint_reply", "case/C-9", "x", "", clock_.Now(), clock_.Now()});
  });
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Stop("nope", clock_.Now()).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace gridserve
