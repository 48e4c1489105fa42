#include "services/common/periodic_task.h"

#include <exception>

#include "services/common/log.h"

namespace gridserve {

PeriodicTask::PeriodicTask(std::string name, absl::Duration interval, std::function<absl::Status()> work,
                           Observer on_run)
    : name_(std::move(name)), interval_(interval), work_(std::move(work)), on_run_(std::move(on_run)) {}

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

void PeriodicTask::RunOnce() {
  absl::Status outcome;
  try {
    outcome = work_();
  } catch (const std::exception& e) {
    outcome = absl::InternalError(e.what());
  }
  if (!outcome.ok()) LogError("background_task_failed", {{"task", name_}, {"error", outcome.ToString()}});
  if (on_run_) on_run_(name_, outcome);
}

void PeriodicTask::Loop() {
  while (true) {
    RunOnce();
    absl::MutexLock lock(&mu_);
    auto stop_or_wake = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_ || woken_; };
    mu_.AwaitWithTimeout(absl::Condition(&stop_or_wake), interval_);
    if (stopping_) return;
    woken_ = false;
  }
}

}  // namespace gridserve
