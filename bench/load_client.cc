// A closed-loop gRPC load generator: `concurrency` calls always in flight,
// for `duration`, each write with a fresh request_id (so the write path is
// measured, not the idempotent replay). Prints one RESULT line:
//   RESULT <case> kind=<read|write> req_per_s=<n> p50_ms=<n> p99_ms=<n> errors=<n> [code<N>=<n>...]
// (errors: failed calls, warm-up included; exit status 3 when there are any).
// With --rate it paces calls instead (open loop) to measure latency at a
// given load. --preload N first writes N records (the scale benchmarks).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/cases.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "server address");
ABSL_FLAG(std::string, case_name, "echo", "benchmark case (see bench/cases.cc)");
ABSL_FLAG(int, concurrency, 32, "calls in flight");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(5), "measuring time");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1), "time before measuring");
ABSL_FLAG(double, rate, 0, "calls per second (open loop); 0 = closed loop as fast as possible");
ABSL_FLAG(int64_t, preload, 0, "records to write before measuring");

namespace gridserve::bench {
namespace {

struct Totals {
  std::mutex mu;
  std::vector<double> latencies_ms;
  int64_t errors = 0;
  std::map<int, int64_t> codes;
};

// Runs calls until `until`, keeping `concurrency` in flight (or pacing at `rate`).
// Call numbers are unique for the whole run (warm-up included): each write
// gets a request_id never used before.
std::atomic<int64_t> seq{0};

void Drive(const Case& c, int concurrency, double rate, absl::Time until, bool record, Totals& totals) {
  std::mutex mu;
  std::condition_variable cv;
  int in_flight = 0;
  std::function<void()> issue = [&] {
    const int64_t n = seq++;
    const auto start = std::chrono::steady_clock::now();
    c.call(n, [&, start](const grpc::Status& status) {
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      // Failures count in the warm-up too: a case that fails must never pass for figures.
      if (record || !status.ok()) {
        std::lock_guard<std::mutex> lock(totals.mu);
        if (record) totals.latencies_ms.push_back(ms);
        if (!status.ok()) {
          ++totals.errors;
          ++totals.codes[status.error_code()];
        }
      }
      const bool again = rate <= 0 && absl::Now() < until;
      if (again) {
        issue();
        return;
      }
      std::lock_guard<std::mutex> lock(mu);
      --in_flight;
      cv.notify_all();
    });
  };
  if (rate <= 0) {
    {
      std::lock_guard<std::mutex> lock(mu);
      in_flight = concurrency;
    }
    for (int i = 0; i < concurrency; ++i) issue();
  } else {
    const absl::Duration gap = absl::Seconds(1.0 / rate);
    absl::Time next = absl::Now();
    while (absl::Now() < until) {
      {
        std::lock_guard<std::mutex> lock(mu);
        ++in_flight;
      }
      issue();
      next += gap;
      absl::SleepFor(next - absl::Now());  // pacing the load generator, not waiting for an SLA
    }
  }
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return in_flight == 0; });
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * v.size()));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

int Main() {
  auto channel = grpc::CreateChannel(absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials());
  auto c = MakeCase(absl::GetFlag(FLAGS_case_name), channel);
  if (!c.ok()) {
    std::cerr << c.status() << "\n";
    return 2;
  }
  const int concurrency = absl::GetFlag(FLAGS_concurrency);
  Totals warmup;
  if (const int64_t preload = absl::GetFlag(FLAGS_preload); preload > 0 && c->preload) {
    const absl::Time start = absl::Now();
    if (auto s = c->preload(preload, concurrency); !s.ok()) {
      std::cerr << "preload: " << s << "\n";
      return 1;
    }
    std::cerr << "preloaded " << preload << " records in " << absl::FormatDuration(absl::Now() - start) << "\n";
  }
  if (c->setup) {
    if (auto s = c->setup(); !s.ok()) {
      std::cerr << "setup: " << s << "\n";
      return 1;
    }
  }
  Drive(*c, concurrency, absl::GetFlag(FLAGS_rate), absl::Now() + absl::GetFlag(FLAGS_warmup), false, warmup);
  Totals totals;
  const absl::Time start = absl::Now();
  Drive(*c, concurrency, absl::GetFlag(FLAGS_rate), start + absl::GetFlag(FLAGS_duration), true, totals);
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const double rps = static_cast<double>(totals.latencies_ms.size()) / seconds;
  const double p50 = Percentile(totals.latencies_ms, 0.50);
  const double p99 = Percentile(totals.latencies_ms, 0.99);
  // errors and codes: failed calls of the whole run, warm-up included.
  const int64_t errors = totals.errors + warmup.errors;
  for (const auto& [code, count] : warmup.codes) totals.codes[code] += count;
  std::cout << absl::StrFormat("RESULT %s kind=%s req_per_s=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d",
                               absl::GetFlag(FLAGS_case_name), c->kind, rps, p50, p99, errors);
  for (const auto& [code, count] : totals.codes) std::cout << absl::StrFormat(" code%d=%d", code, count);
  std::cout << std::endl;
  return errors > 0 ? 3 : 0;
}

}  // namespace
}  // namespace gridserve::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return gridserve::bench::Main();
}
