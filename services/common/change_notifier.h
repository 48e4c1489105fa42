#ifndef GRIDSERVE_SERVICES_COMMON_CHANGE_NOTIFIER_H_
#define GRIDSERVE_SERVICES_COMMON_CHANGE_NOTIFIER_H_

#include <cstdint>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace gridserve {

// "Something new was committed": a generation counter watchers wait on, so
// a stream wakes at once instead of polling the database in a tight loop.
class ChangeNotifier {
 public:
  void Notify() {
    absl::MutexLock lock(&mu_);
    ++generation_;
  }
  uint64_t generation() const {
    absl::MutexLock lock(&mu_);
    return generation_;
  }
  // Waits until the generation differs from `seen` or `timeout` passes.
  uint64_t WaitForChange(uint64_t seen, absl::Duration timeout) const {
    absl::MutexLock lock(&mu_);
    auto changed = [this, seen]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return generation_ != seen; };
    mu_.AwaitWithTimeout(absl::Condition(&changed), timeout);
    return generation_;
  }

 private:
  mutable absl::Mutex mu_;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_CHANGE_NOTIFIER_H_
