#ifndef GRIDSERVE_SERVICES_COMMON_WATCH_STREAM_H_
#define GRIDSERVE_SERVICES_COMMON_WATCH_STREAM_H_

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_callback.h>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "services/common/change_notifier.h"
#include "services/common/status_util.h"

namespace gridserve {

// A server stream of events that have a sequence number, resumable from a
// cursor: the client sends the last sequence it saw and gets every later
// event exactly once, in order, then new ones as they are committed. Used by
// every WatchBreaches and by risk's WatchLedger / WatchWarnings.
//
// One thread per watcher: watchers are few (dashboards, the risk console),
// and a plain loop is easier to check than a chain of callbacks.
template <typename Event>
class WatchStream final : public grpc::ServerWriteReactor<Event> {
 public:
  // Events with sequence > after, oldest first, at most `limit`.
  using Fetch = std::function<absl::StatusOr<std::vector<Event>>(int64_t after, int limit)>;
  using SequenceOf = std::function<int64_t(const Event&)>;

  WatchStream(int64_t after_sequence, Fetch fetch, SequenceOf sequence_of,
              const ChangeNotifier& notifier)
      : cursor_(after_sequence),
        fetch_(std::move(fetch)),
        sequence_of_(std::move(sequence_of)),
        notifier_(notifier) {
    thread_ = std::thread([this] { Run(); });
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    write_ok_ = ok;
    writing_ = false;
  }

  void OnCancel() override { cancelled_ = true; }

  void OnDone() override {
    cancelled_ = true;
    thread_.join();
    delete this;
  }

 private:
  void Run() {
    uint64_t seen = notifier_.generation();
    while (!cancelled_) {
      auto events = fetch_(cursor_, 100);
      if (!events.ok()) {
        this->Finish(ToGrpcStatus(events.status()));
        return;
      }
      for (Event& event : *events) {
        if (!Write(event)) return;  // client gone: OnDone follows
        cursor_ = sequence_of_(event);
      }
      if (events->empty()) seen = notifier_.WaitForChange(seen, absl::Milliseconds(500));
    }
    this->Finish(grpc::Status::CANCELLED);
  }

  // One write at a time; waits for its completion. On failure the stream is
  // finished (gRPC requires Finish even after a failed write) and OnDone follows.
  bool Write(const Event& event) {
    {
      absl::MutexLock lock(&mu_);
      writing_ = true;
    }
    this->StartWrite(&event);
    bool ok = false;
    {
      absl::MutexLock lock(&mu_);
      auto done = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !writing_; };
      // Re-checks cancellation twice a second: a cancelled call may never complete the write.
      while (!mu_.AwaitWithTimeout(absl::Condition(&done), absl::Milliseconds(500)) && !cancelled_) {
      }
      ok = !writing_ && write_ok_;
    }
    if (!ok) this->Finish(grpc::Status::CANCELLED);
    return ok;
  }

  int64_t cursor_;
  Fetch fetch_;
  SequenceOf sequence_of_;
  const ChangeNotifier& notifier_;
  std::atomic<bool> cancelled_{false};
  absl::Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool write_ok_ ABSL_GUARDED_BY(mu_) = true;
  std::thread thread_;
};

// A server stream refused before it starts (e.g. a negative cursor): ends at
// once with the status.
template <typename Event>
class RefusedStream final : public grpc::ServerWriteReactor<Event> {
 public:
  explicit RefusedStream(const absl::Status& status) { this->Finish(ToGrpcStatus(status)); }
  void OnDone() override { delete this; }
};

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_WATCH_STREAM_H_
