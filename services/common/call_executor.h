#ifndef GRIDSERVE_SERVICES_COMMON_CALL_EXECUTOR_H_
#define GRIDSERVE_SERVICES_COMMON_CALL_EXECUTOR_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/service_type.h>
#include <grpcpp/support/server_interceptor.h>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "gridserve/v1/config.pb.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace gridserve {

struct CallExecutorOptions {
  int threads = 32;
  int max_queued = 1024;
  int max_streams = 64;
  // The most request bytes (serialized size) waiting at once. The call bound
  // alone let 1024 requests of up to 1 MiB (many strings, each within its
  // bound) hold a gigabyte; typical requests are well under 1 KiB.
  int64_t max_queued_bytes = int64_t{32} << 20;
};

// The options the config's platform section sets (call_threads,
// max_queued_calls, max_streams, max_queued_bytes).
CallExecutorOptions CallExecutorOptionsFrom(const v1::PlatformConfig& platform);

// Runs the unary calls of a service on its own worker threads instead of
// gRPC's. Why: handlers block on storage (a group commit waits for its
// fsync); on gRPC's few callback threads that capped how many writers could
// share one commit, and a slow disk stalled every call, reads included.
//
// Store reads are the exception when the store's reads never wait (SQLite's
// readers beside the writer): a method marked gridserve.v1.store_read runs
// on the gRPC thread that received it, inside a StoreReadScope (a write
// there is refused). It would spend longer waiting for a worker than reading.
//
// Overload: at most `max_queued` calls, and `max_queued_bytes` of their
// requests, wait for a worker; one more is refused at once with
// RESOURCE_EXHAUSTED (shed, never buffered without bound). A
// call whose deadline passed while it waited is answered DEADLINE_EXCEEDED
// without running. Streaming calls (watches) stay on gRPC's threads.
//
// Streams: at most `max_streams` server streams (watches) of the wrapped
// services are open at once; one more is refused at once with
// RESOURCE_EXHAUSTED. A watch has no deadline by design and holds a thread
// while it waits, so their number is what must be bounded. A stream counts
// from its admission until the call ends (seen by the interceptor below).
//
// Admission: every request of a wrapped service, unary or server-streaming
// (the suite has no client-streaming method), is first checked against the
// bounds on its strings (request_limits.h); one too long is answered
// INVALID_ARGUMENT naming the field, before it takes a worker.
//
// A refused call ends with its own code only through the interceptor from
// MakeInterceptorFactory() (gRPC's handler can only fail a call it does not
// run as UNIMPLEMENTED; the interceptor puts the real status back): register
// it first, so the metrics and audit interceptors after it see that code.
//
// Saturation, for dashboards and alerts (ExportSaturation): calls waiting
// and their bound, busy workers and their number, open watches and their
// bound, as gauges kept current as they change (a store of an atomic each).
//
// Lifetime: outlive the server (its Shutdown waits for queued calls, which
// the workers still run); the destructor runs what is queued, then joins.
class CallExecutor {
 public:
  explicit CallExecutor(CallExecutorOptions options);
  ~CallExecutor();
  CallExecutor(const CallExecutor&) = delete;
  CallExecutor& operator=(const CallExecutor&) = delete;

  // The service to register instead of `inner` (which must outlive it).
  // `store_reads_inline`: run store_read methods on gRPC's threads.
  // NOT_FOUND for a name that is not a generated service.
  absl::StatusOr<grpc::Service*> Offload(grpc::Service* inner, const std::string& full_service_name,
                                         bool store_reads_inline);

  // Queues `work` (holding a request of `request_bytes`) for a worker; false
  // (nothing queued) when the queue is full, by calls or by bytes. A call is
  // never refused for its bytes alone when nothing waits (it could never run).
  bool TrySubmit(std::function<void()> work, int64_t request_bytes = 0);

  // Calls waiting for a worker now, and the bytes of their requests.
  int queued() const;
  int64_t queued_bytes() const;

  // Server streams admitted and not ended yet.
  int open_streams() const;

  // Counts `call` as an open stream; false (not counted) when max_streams are open.
  bool TryOpenStream(const grpc::ServerContextBase* call);
  // The end of a call: no longer an open stream if it was one.
  void CallEnded(const grpc::ServerContextBase* call);

  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeInterceptorFactory();

  // Exports the gauges of saturation, labelled service=`service`, in
  // `registry` (which must outlive the executor):
  //   gridserve_calls_queued, gridserve_calls_queued_max,
  //   gridserve_calls_queued_bytes, gridserve_calls_queued_bytes_max,
  //   gridserve_call_workers_busy, gridserve_call_workers,
  //   gridserve_watches_open, gridserve_watches_open_max.
  void ExportSaturation(prometheus::Registry& registry, const std::string& service);

  // The status a refused call must end with (kept until its status is sent).
  void Refuse(const grpc::ServerContextBase* call, grpc::Status status);
  std::optional<grpc::Status> TakeRefusal(const grpc::ServerContextBase* call);

 private:
  void WorkerLoop();
  void PublishQueueLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PublishStreamsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(streams_mu_);

  const CallExecutorOptions options_;
  mutable absl::Mutex mu_;
  struct Queued {
    std::function<void()> work;
    int64_t bytes;
  };
  std::deque<Queued> queue_ ABSL_GUARDED_BY(mu_);
  int64_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int busy_workers_ ABSL_GUARDED_BY(mu_) = 0;
  prometheus::Gauge* queued_gauge_ ABSL_GUARDED_BY(mu_) = nullptr;  // null until exported
  prometheus::Gauge* busy_gauge_ ABSL_GUARDED_BY(mu_) = nullptr;
  prometheus::Gauge* queued_bytes_gauge_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::vector<std::thread> workers_;
  std::vector<std::unique_ptr<grpc::Service>> wrappers_;
  absl::Mutex refusals_mu_;
  absl::flat_hash_map<const grpc::ServerContextBase*, grpc::Status> refusals_ ABSL_GUARDED_BY(refusals_mu_);
  mutable absl::Mutex streams_mu_;
  absl::flat_hash_set<const grpc::ServerContextBase*> open_streams_ ABSL_GUARDED_BY(streams_mu_);
  prometheus::Gauge* streams_gauge_ ABSL_GUARDED_BY(streams_mu_) = nullptr;
};

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_CALL_EXECUTOR_H_
