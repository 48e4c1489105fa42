#ifndef GRIDSERVE_BENCH_CASES_H_
#define GRIDSERVE_BENCH_CASES_H_

#include <functional>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"

namespace gridserve::bench {

// One benchmarked RPC: how to issue call number `seq` asynchronously.
struct Case {
  std::string kind;  // "read" or "write"
  std::function<void(int64_t seq, std::function<void(const grpc::Status&)> done)> call;
  // Before measuring (reads): create the record the reads fetch.
  std::function<absl::Status()> setup;
  // Writes `n` records through the same RPC (scale runs), `concurrency` at a
  // time; an error when any of them failed.
  std::function<absl::Status(int64_t n, int concurrency)> preload;
};

absl::StatusOr<Case> MakeCase(const std::string& name, std::shared_ptr<grpc::Channel> channel);

}  // namespace gridserve::bench

#endif  // GRIDSERVE_BENCH_CASES_H_
