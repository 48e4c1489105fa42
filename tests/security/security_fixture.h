#ifndef GRIDSERVE_TESTS_SECURITY_SECURITY_FIXTURE_H_
#define GRIDSERVE_TESTS_SECURITY_SECURITY_FIXTURE_H_

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace gridserve::security_testing {

inline int Sh(const std::string& command, std::string* output = nullptr) {
  std::string out;
  FILE* pipe = popen(("( " + command + " ) 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  const int status = pclose(pipe);
  if (output != nullptr) *output = out;
  return status;
}

inline void WriteFile(const std::string& path, const std::string& text) {
  // Write then rename, as an operator rotating a file would.
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp) << text;
  std::rename(tmp.c_str(), path.c_str());
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Test certificates made with the openssl CLI: a CA, a server certificate
// for localhost/127.0.0.1, client certificates with DNS SANs, and a foreign
// CA with its own client certificate.
class TestPki {
 public:
  explicit TestPki(std::string dir) : dir_(std::move(dir)) {}

  bool Create() {
    Sh(absl::StrCat("rm -rf '", dir_, "' && mkdir -p '", dir_, "'"));
    return MakeCa("ca") && MakeCa("foreign-ca") && MakeLeaf("server", "ca", "DNS:localhost,IP:127.0.0.1") &&
           MakeLeaf("auditor-1", "ca", "DNS:auditor-1") &&
           MakeLeaf("auditor-2", "ca", "DNS:auditor-2") && MakeLeaf("field-app-7", "ca", "DNS:field-app-7") &&
           MakeLeaf("risk-peer", "ca", "DNS:risk-peer") && MakeLeaf("intruder", "foreign-ca", "DNS:auditor-1");
  }
  std::string cert(const std::string& name) const { return absl::StrCat(dir_, "/", name, ".pem"); }
  std::string key(const std::string& name) const { return absl::StrCat(dir_, "/", name, ".key"); }
  const std::string& dir() const { return dir_; }

 private:
  bool MakeCa(const std::string& name) {
    std::string out;
    const int rc = Sh(absl::StrCat("cd '", dir_, "' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1",
                                   " -nodes -keyout ", name, ".key -out ", name, ".pem -days 2 -subj /CN=", name,
                                   " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign"),
                      &out);
    EXPECT_EQ(rc, 0) << out;
    return rc == 0;
  }
  bool MakeLeaf(const std::string& name, const std::string& ca, const std::string& san) {
    std::string out;
    const int rc = Sh(
        absl::StrCat("cd '", dir_, "' && printf 'subjectAltName=", san,
                     "\\nbasicConstraints=CA:FALSE\\n' > ", name, ".ext",
                     " && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ", name,
                     ".key -out ", name, ".csr -subj /CN=", name, " && openssl x509 -req -in ", name, ".csr -CA ", ca,
                     ".pem -CAkey ", ca, ".key -CAcreateserial -out ", name, ".pem -days 2 -extfile ", name, ".ext"),
        &out);
    EXPECT_EQ(rc, 0) << out;
    return rc == 0;
  }

  std::string dir_;
};

}  // namespace gridserve::security_testing

#endif  // GRIDSERVE_TESTS_SECURITY_SECURITY_FIXTURE_H_
