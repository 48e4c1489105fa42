#include "services/common/periodic_task.h"

#include <exception>

#include "services/common/log.h"

namespace gridserve {

PeriodicTask::PeriodicTask(std::string name, absl::Duration interval, std::function<void()> work)
    : name_(std::move(name)), interval_(interval), work_(std::move(work)) {}

PeriodicTask::~PeriodicTask() { Stop(); }

void PeriodicTask::Start() { thread_ = std::thread([this] { Loop(); }); }

void PeriodicTask::Wake() {
  absl::MutexLock lock(&mu_);
  woken_ = true;
}

void PeriodicTask::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void PeriodicTask::Loop() {
  while (true) {
    try {
      work_();
    } catch (const std::exception& e) {
      LogError("background_task_failed", {{"task", name_}, {"error", e.what()}});
    }
    absl::MutexLock lock(&mu_);
    auto stop_or_wake = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_ || woken_; };
    mu_.AwaitWithTimeout(absl::Condition(&stop_or_wake), interval_);
    if (stopping_) return;
    woken_ = false;
  }
}

}  // namespace gridserve
