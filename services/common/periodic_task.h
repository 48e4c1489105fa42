#ifndef GRIDSERVE_SERVICES_COMMON_PERIODIC_TASK_H_
#define GRIDSERVE_SERVICES_COMMON_PERIODIC_TASK_H_

#include <functional>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace gridserve {

// Runs `work` on its own thread every `interval` (real time) until Stop():
// the background loops of a service (SLA sweep, outbox relay, gauges).
// Wake() runs it again at once. Tests call the work directly instead.
class PeriodicTask {
 public:
  PeriodicTask(std::string name, absl::Duration interval, std::function<void()> work);
  ~PeriodicTask();
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  void Start();
  void Wake();
  // Finishes the current run and joins the thread. Idempotent.
  void Stop();

 private:
  void Loop();

  const std::string name_;
  const absl::Duration interval_;
  const std::function<void()> work_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_PERIODIC_TASK_H_
