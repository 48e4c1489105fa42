#ifndef GRIDSERVE_TESTS_SUPPORT_SUITE_PROCESS_H_
#define GRIDSERVE_TESTS_SUPPORT_SUITE_PROCESS_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace gridserve::testing {

// One real service binary started on free loopback ports (port 0: the
// binary picks them and logs them in its "serving" line).
class ServiceProcess {
 public:
  // `service` is the binary suffix ("contact-center"); `flags` extra --flags.
  ServiceProcess(std::string service, std::string work_dir, std::vector<std::string> flags = {});
  ~ServiceProcess();
  ServiceProcess(const ServiceProcess&) = delete;
  ServiceProcess& operator=(const ServiceProcess&) = delete;

  // Starts and waits (up to `timeout`) for the serving line. False on failure.
  bool Start(absl::Duration timeout = absl::Seconds(30));
  // SIGTERM and wait; returns the exit status (or -1).
  int Stop(int signal_number = 15);
  bool running() const { return pid_ > 0; }

  std::string grpc_address() const { return "127.0.0.1:" + std::to_string(grpc_port_); }
  std::string metrics_url() const { return "http://127.0.0.1:" + std::to_string(metrics_port_) + "/metrics"; }
  int grpc_port() const { return grpc_port_; }
  const std::string& service() const { return service_; }
  // Everything the process wrote to stderr so far.
  std::string Log() const;

 private:
  std::string service_;
  std::string work_dir_;
  std::vector<std::string> flags_;
  std::string log_path_;
  pid_t pid_ = -1;
  int grpc_port_ = 0;
  int metrics_port_ = 0;
};

// A fresh directory under the test temp dir.
std::string MakeWorkDir(const std::string& name);

// Runs a shell command; returns its exit status and fills `output` (stdout+stderr).
int RunCommand(const std::string& command, std::string* output);

// GET over HTTP/1.0 on loopback (curl): the body, or "" on failure.
std::string HttpGet(const std::string& url);

// The value of a sample in Prometheus text format, e.g.
// MetricValue(text, "gridserve_sla_total", {{"sla","x"},{"outcome","met"}}); -1 if absent.
double MetricValue(const std::string& exposition, const std::string& name,
                   const std::map<std::string, std::string>& labels);

}  // namespace gridserve::testing

#endif  // GRIDSERVE_TESTS_SUPPORT_SUITE_PROCESS_H_
