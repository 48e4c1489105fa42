#ifndef GRIDSERVE_SERVICES_COMMON_PERIODIC_TASK_H_
#define GRIDSERVE_SERVICES_COMMON_PERIODIC_TASK_H_

#include <functional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace gridserve {

// Runs `work` on its own thread every `interval` (real time) until Stop():
// the background loops of a service (SLA sweep, outbox relay, gauges).
// Wake() runs it again at once. Tests call RunOnce() instead of Start()
// (never both: RunOnce is not safe beside the running thread).
//
// A run that returns an error (or throws) is logged as background_task_failed
// with the task's name; every run's outcome goes to `on_run` when given (the
// gridserve_background_* metrics: a loop that keeps failing, or has stopped,
// must show on a dashboard, not only in a log).
class PeriodicTask {
 public:
  using Observer = std::function<void(const std::string& name, const absl::Status& outcome)>;
  PeriodicTask(std::string name, absl::Duration interval, std::function<absl::Status()> work,
               Observer on_run = nullptr);
  ~PeriodicTask();
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  void Start();
  void Wake();
  // Finishes the current run and joins the thread. Idempotent.
  void Stop();

  const std::string& name() const { return name_; }
  absl::Duration interval() const { return interval_; }

  // One run of `work`, as the thread does it (logged and observed).
  void RunOnce();

 private:
  void Loop();

  const std::string name_;
  const absl::Duration interval_;
  const std::function<absl::Status()> work_;
  const Observer on_run_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_PERIODIC_TASK_H_
