#include "services/common/periodic_task.h"

#include <stdexcept>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace gridserve {
namespace {

struct Observed {
  std::string task;
  absl::Status outcome;
};

// Every run's outcome reaches the observer under the task's name: an error
// as returned, an exception as INTERNAL (the loop goes on either way).
TEST(PeriodicTaskTest, EveryRunsOutcomeIsObserved) {
  std::vector<Observed> seen;
  int runs = 0;
  PeriodicTask task(
      "sla_sweep", absl::Hours(1),
      [&]() -> absl::Status {
        ++runs;
        if (runs == 2) return absl::UnavailableError("database is locked");
        if (runs == 3) throw std::runtime_error("boom");
        return absl::OkStatus();
      },
      [&](const std::string& name, const absl::Status& outcome) { seen.push_back({name, outcome}); });
  task.RunOnce();
  task.RunOnce();
  task.RunOnce();
  task.RunOnce();
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0].task, "sla_sweep");
  EXPECT_TRUE(seen[0].outcome.ok());
  EXPECT_EQ(seen[1].outcome, absl::UnavailableError("database is locked"));
  EXPECT_EQ(seen[2].outcome.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(seen[2].outcome.message(), "boom");
  EXPECT_TRUE(seen[3].outcome.ok());
}

// The thread runs the work at once on Start (a service's first sweep does not
// wait an interval), and again on Wake; Stop joins it.
TEST(PeriodicTaskTest, StartRunsAtOnceAndWakeRunsAgain) {
  absl::Notification first, second;
  int runs = 0;  // only the task's thread writes it
  PeriodicTask task(
      "gauges", absl::Hours(1), [&] { return absl::OkStatus(); },
      [&](const std::string&, const absl::Status&) {
        if (++runs == 1) first.Notify();
        if (runs == 2) second.Notify();
      });
  task.Start();
  ASSERT_TRUE(first.WaitForNotificationWithTimeout(absl::Seconds(30)));
  task.Wake();
  ASSERT_TRUE(second.WaitForNotificationWithTimeout(absl::Seconds(30)));
  task.Stop();
  EXPECT_EQ(runs, 2);
}

}  // namespace
}  // namespace gridserve
