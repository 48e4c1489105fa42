#include "services/common/call_executor.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "gridserve/v1/method_options.pb.h"
#include "services/common/database.h"
#include "services/common/request_limits.h"
#include "services/common/service_wrapper.h"
#include "services/common/status_util.h"

namespace gridserve {
namespace {

using grpc::internal::MethodHandler;

// The base of the executor's handlers: admission and refusal.
class ExecutorHandler : public ForwardingHandler {
 public:
  ExecutorHandler(MethodHandler* inner, CallExecutor* executor, const google::protobuf::MethodDescriptor& method)
      : ForwardingHandler(inner), executor_(executor), request_type_(method.input_type()->full_name()) {}

 protected:
  CallExecutor* executor() const { return executor_; }

  // Ends the call with `status` without running the service method: the
  // handler, given a failed request status, answers UNIMPLEMENTED; the
  // executor's interceptor replaces that with `status`.
  void Refuse(const HandlerParameter& p, grpc::Status status) const {
    executor_->Refuse(p.server_context, status);
    inner()->RunHandler(
        HandlerParameter(p.call, p.server_context, p.request, std::move(status), p.internal_data, p.call_requester));
  }

  // Whether a call may go on to the service; its blank strings are made
  // empty first (AdmitRequestStrings). Refused INVALID_ARGUMENT here,
  // before it takes a worker or reaches the service: a request that did not
  // deserialize (gRPC's callback handlers would answer UNIMPLEMENTED with no
  // message, as for a method that does not exist) and one with a string
  // beyond its bound (request_limits.h). The executor's handler is the
  // outermost, so a failed request status here is the deserialization's. The
  // request is the method's generated message: gRPC's unary and
  // server-streaming handlers deserialize into it and pass it as void*.
  bool Admit(const HandlerParameter& p) const {
    if (!p.status.ok()) {
      Refuse(p, grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                             absl::StrCat("the request is not a valid ", request_type_,
                                          " (malformed protobuf, or a string field that is not UTF-8)",
                                          p.status.error_message().empty() ? "" : ": ", p.status.error_message())));
      return false;
    }
    if (p.request == nullptr) return true;
    absl::Status limits = AdmitRequestStrings(*static_cast<google::protobuf::Message*>(p.request));
    if (limits.ok()) return true;
    Refuse(p, ToGrpcStatus(limits));
    return false;
  }

 private:
  CallExecutor* executor_;
  const std::string request_type_;  // "gridserve.v1.GetCaseRequest"
};

// Hands a unary call to the executor. The handler parameter (call, context,
// deserialized request) stays valid until the call ends, and a callback call
// cannot end before its handler has run, so a copy can run on another thread.
// The handler itself lives as long as the server.
class OffloadHandler final : public ExecutorHandler {
 public:
  using ExecutorHandler::ExecutorHandler;

  void RunHandler(const HandlerParameter& param) override {
    if (!Admit(param)) return;
    auto queued = std::make_shared<HandlerParameter>(param.call, param.server_context, param.request, param.status,
                                                     param.internal_data, param.call_requester);
    const int64_t request_bytes =
        param.request == nullptr
            ? 0
            : static_cast<int64_t>(static_cast<const google::protobuf::Message*>(param.request)->ByteSizeLong());
    const bool accepted = executor()->TrySubmit([this, queued] {
      if (queued->server_context->deadline() < std::chrono::system_clock::now()) {
        Refuse(*queued,
               grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "the deadline passed while the call waited for a worker"));
        return;
      }
      inner()->RunHandler(*queued);
    }, request_bytes);
    if (!accepted) {
      Refuse(param, grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 absl::StrCat("server busy: ", executor()->queued(), " calls (",
                                              executor()->queued_bytes(),
                                              " request bytes) are waiting; retry with backoff")));
    }
  }
};

// A store read runs where gRPC called it, refused any write (StoreReadScope).
class StoreReadHandler final : public ExecutorHandler {
 public:
  using ExecutorHandler::ExecutorHandler;
  void RunHandler(const HandlerParameter& param) override {
    if (!Admit(param)) return;
    StoreReadScope scope;
    inner()->RunHandler(param);
  }
};

// A streaming call (a watch) runs where gRPC calls it, once admitted and
// counted among the open streams: it holds no worker while it waits for events.
class StreamHandler final : public ExecutorHandler {
 public:
  using ExecutorHandler::ExecutorHandler;
  void RunHandler(const HandlerParameter& param) override {
    if (!Admit(param)) return;
    if (!executor()->TryOpenStream(param.server_context)) {
      Refuse(param, grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 absl::StrCat("server busy: ", executor()->open_streams(),
                                              " watches are open, the most this server takes; retry with backoff")));
      return;
    }
    inner()->RunHandler(param);
  }
};

// Puts the status of a refused call back in place of UNIMPLEMENTED, and
// tells the executor when a call ended (an open stream no longer counts).
class RefusalInterceptor final : public grpc::experimental::Interceptor {
 public:
  RefusalInterceptor(CallExecutor* executor, grpc::experimental::ServerRpcInfo* info)
      : executor_(executor), info_(info) {}
  ~RefusalInterceptor() override {
    executor_->TakeRefusal(info_->server_context());
    executor_->CallEnded(info_->server_context());
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      if (auto refusal = executor_->TakeRefusal(info_->server_context()); refusal.has_value()) {
        methods->ModifySendStatus(*refusal);
      }
    }
    methods->Proceed();
  }

 private:
  CallExecutor* executor_;
  grpc::experimental::ServerRpcInfo* info_;
};

class RefusalInterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RefusalInterceptorFactory(CallExecutor* executor) : executor_(executor) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override {
    return new RefusalInterceptor(executor_, info);
  }

 private:
  CallExecutor* executor_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> CallExecutor::MakeInterceptorFactory() {
  return std::make_unique<RefusalInterceptorFactory>(this);
}

void CallExecutor::Refuse(const grpc::ServerContextBase* call, grpc::Status status) {
  absl::MutexLock lock(&refusals_mu_);
  refusals_[call] = std::move(status);
}

std::optional<grpc::Status> CallExecutor::TakeRefusal(const grpc::ServerContextBase* call) {
  absl::MutexLock lock(&refusals_mu_);
  auto it = refusals_.find(call);
  if (it == refusals_.end()) return std::nullopt;
  grpc::Status status = std::move(it->second);
  refusals_.erase(it);
  return status;
}

CallExecutorOptions CallExecutorOptionsFrom(const v1::PlatformConfig& platform) {
  CallExecutorOptions options;
  options.threads = platform.call_threads();
  options.max_queued = platform.max_queued_calls();
  options.max_streams = platform.max_streams();
  options.max_queued_bytes = platform.max_queued_bytes();
  return options;
}

CallExecutor::CallExecutor(CallExecutorOptions options) : options_(options) {
  workers_.reserve(options_.threads);
  for (int i = 0; i < options_.threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

CallExecutor::~CallExecutor() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : workers_) t.join();
}

absl::StatusOr<grpc::Service*> CallExecutor::Offload(grpc::Service* inner, const std::string& full_service_name,
                                                     bool store_reads_inline) {
  auto wrapped = WrapService(inner, full_service_name,
                             [this, store_reads_inline](MethodHandler* handler,
                                                        const google::protobuf::MethodDescriptor& method)
                                 -> MethodHandler* {
                               if (method.client_streaming() || method.server_streaming()) {
                                 return new StreamHandler(handler, this, method);
                               }
                               if (store_reads_inline && method.options().GetExtension(v1::store_read)) {
                                 return new StoreReadHandler(handler, this, method);
                               }
                               return new OffloadHandler(handler, this, method);
                             });
  if (!wrapped.ok()) return wrapped.status();
  wrappers_.push_back(*std::move(wrapped));
  return wrappers_.back().get();
}

bool CallExecutor::TrySubmit(std::function<void()> work, int64_t request_bytes) {
  absl::MutexLock lock(&mu_);
  if (static_cast<int>(queue_.size()) >= options_.max_queued) return false;
  if (!queue_.empty() && queued_bytes_ + request_bytes > options_.max_queued_bytes) return false;
  queue_.push_back(Queued{std::move(work), request_bytes});
  queued_bytes_ += request_bytes;
  PublishQueueLocked();
  return true;
}

void CallExecutor::ExportSaturation(prometheus::Registry& registry, const std::string& service) {
  const prometheus::Labels labels{{"service", service}};
  auto gauge = [&](const std::string& name, const std::string& help) -> prometheus::Gauge& {
    return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add(labels);
  };
  gauge("gridserve_calls_queued_max",
        "platform.max_queued_calls: the most unary calls that wait for a worker; one more is refused "
        "RESOURCE_EXHAUSTED.")
      .Set(options_.max_queued);
  gauge("gridserve_calls_queued_bytes_max",
        "platform.max_queued_bytes: the most request bytes (serialized) that wait for a worker; a call beyond "
        "is refused RESOURCE_EXHAUSTED.")
      .Set(static_cast<double>(options_.max_queued_bytes));
  gauge("gridserve_call_workers", "platform.call_threads: the workers that run unary calls.").Set(options_.threads);
  gauge("gridserve_watches_open_max",
        "platform.max_streams: the most watches (server streams) open at once; one more is refused "
        "RESOURCE_EXHAUSTED.")
      .Set(options_.max_streams);
  prometheus::Gauge& queued = gauge("gridserve_calls_queued", "Unary calls waiting for a worker.");
  prometheus::Gauge& queued_bytes = gauge("gridserve_calls_queued_bytes", "Request bytes of the calls waiting.");
  prometheus::Gauge& busy = gauge("gridserve_call_workers_busy", "Workers running a call.");
  prometheus::Gauge& streams = gauge("gridserve_watches_open", "Watches (server streams) open.");
  {
    absl::MutexLock lock(&mu_);
    queued_gauge_ = &queued;
    queued_bytes_gauge_ = &queued_bytes;
    busy_gauge_ = &busy;
    PublishQueueLocked();
  }
  absl::MutexLock lock(&streams_mu_);
  streams_gauge_ = &streams;
  PublishStreamsLocked();
}

void CallExecutor::PublishQueueLocked() {
  if (queued_gauge_ == nullptr) return;
  queued_gauge_->Set(static_cast<double>(queue_.size()));
  queued_bytes_gauge_->Set(static_cast<double>(queued_bytes_));
  busy_gauge_->Set(busy_workers_);
}

void CallExecutor::PublishStreamsLocked() {
  if (streams_gauge_ != nullptr) streams_gauge_->Set(static_cast<double>(open_streams_.size()));
}

int CallExecutor::open_streams() const {
  absl::MutexLock lock(&streams_mu_);
  return static_cast<int>(open_streams_.size());
}

bool CallExecutor::TryOpenStream(const grpc::ServerContextBase* call) {
  absl::MutexLock lock(&streams_mu_);
  if (static_cast<int>(open_streams_.size()) >= options_.max_streams) return false;
  open_streams_.insert(call);
  PublishStreamsLocked();
  return true;
}

void CallExecutor::CallEnded(const grpc::ServerContextBase* call) {
  absl::MutexLock lock(&streams_mu_);
  if (open_streams_.erase(call) > 0) PublishStreamsLocked();
}

int CallExecutor::queued() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(queue_.size());
}

int64_t CallExecutor::queued_bytes() const {
  absl::MutexLock lock(&mu_);
  return queued_bytes_;
}

void CallExecutor::WorkerLoop() {
  // Whether this worker ran a call since it last held the lock: it stops
  // counting as busy when it next takes the lock (to wait for work), which
  // saves taking the lock a second time per call.
  bool ran = false;
  while (true) {
    std::function<void()> work;
    {
      absl::MutexLock lock(&mu_);
      if (ran) {
        --busy_workers_;
        PublishQueueLocked();
      }
      mu_.Await(absl::Condition(
          +[](CallExecutor* self) ABSL_NO_THREAD_SAFETY_ANALYSIS { return self->stopping_ || !self->queue_.empty(); },
          this));
      if (queue_.empty()) return;  // stopping, and nothing left to run
      work = std::move(queue_.front().work);
      queued_bytes_ -= queue_.front().bytes;
      queue_.pop_front();
      ++busy_workers_;
      PublishQueueLocked();
    }
    work();
    ran = true;
  }
}

}  // namespace gridserve
