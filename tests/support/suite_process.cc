#include "tests/support/suite_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"

namespace gridserve::testing {
namespace {

// The value of "key":"value" in a JSON log line.
std::string JsonField(const std::string& line, const std::string& key) {
  const std::string needle = absl::StrCat("\"", key, "\":\"");
  auto at = line.find(needle);
  if (at == std::string::npos) return "";
  at += needle.size();
  return line.substr(at, line.find('"', at) - at);
}

}  // namespace

std::string MakeWorkDir(const std::string& name) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "/gridserve-", name, "-", getpid());
  std::string ignored;
  RunCommand(absl::StrCat("rm -rf '", dir, "' && mkdir -p '", dir, "'"), &ignored);
  return dir;
}

int RunCommand(const std::string& command, std::string* output) {
  output->clear();
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output->append(buffer.data(), n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string HttpGet(const std::string& url) {
  std::string body;
  if (RunCommand(absl::StrCat("curl -sf --max-time 5 '", url, "'"), &body) != 0) return "";
  return body;
}

double MetricValue(const std::string& exposition, const std::string& name,
                   const std::map<std::string, std::string>& labels) {
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    if (!absl::ConsumePrefix(&line, name)) continue;
    if (line.empty() || (line[0] != '{' && line[0] != ' ')) continue;
    bool match = true;
    for (const auto& [k, v] : labels) {
      match &= line.find(absl::StrCat(k, "=\"", v, "\"")) != absl::string_view::npos;
    }
    if (!match) continue;
    double value = -1;
    const auto space = line.rfind(' ');
    if (absl::SimpleAtod(line.substr(space + 1), &value)) return value;
  }
  return -1;
}

ServiceProcess::ServiceProcess(std::string service, std::string work_dir, std::vector<std::string> flags)
    : service_(std::move(service)), work_dir_(std::move(work_dir)), flags_(std::move(flags)) {
  log_path_ = absl::StrCat(work_dir_, "/", service_, ".log");
}

ServiceProcess::~ServiceProcess() {
  if (pid_ > 0) Stop(SIGKILL);
}

bool ServiceProcess::Start(absl::Duration timeout) {
  const std::string binary = absl::StrCat(GRIDSERVE_BIN_DIR, "/gridserve-", service_);
  std::vector<std::string> args = {binary, "--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
                                   absl::StrCat("--data_dir=", work_dir_, "/data")};
  args.insert(args.end(), flags_.begin(), flags_.end());
  // Restarts keep appending to the same log, so note where this run begins.
  struct stat st;
  const off_t log_start = stat(log_path_.c_str(), &st) == 0 ? st.st_size : 0;
  pid_ = fork();
  if (pid_ == 0) {
    int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, STDERR_FILENO);
    dup2(fd, STDOUT_FILENO);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    std::string log = Log().substr(std::min<size_t>(log_start, Log().size()));
    std::istringstream lines(log);
    for (std::string line; std::getline(lines, line);) {
      if (JsonField(line, "event") == "serving") {
        return absl::SimpleAtoi(JsonField(line, "grpc_port"), &grpc_port_) &&
               absl::SimpleAtoi(JsonField(line, "metrics_port"), &metrics_port_);
      }
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    // Waiting for a process to come up, not for an SLA: a short poll is fine.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

int ServiceProcess::Stop(int signal_number) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal_number);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string ServiceProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace gridserve::testing
