#ifndef GRIDSERVE_SERVICES_COMMON_CLOCK_H_
#define GRIDSERVE_SERVICES_COMMON_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace gridserve {

// Every rule that depends on "now" asks a Clock, never the system directly,
// so tests move time instead of sleeping.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

// A clock that only moves when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start) : now_(start) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Set(absl::Time t) {
    absl::MutexLock lock(&mu_);
    now_ = t;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_;
};

// Database columns hold times as microseconds since the Unix epoch (UTC).
inline int64_t ToMicros(absl::Time t) { return absl::ToUnixMicros(t); }
inline absl::Time FromMicros(int64_t us) { return absl::FromUnixMicros(us); }

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_CLOCK_H_
