#ifndef GRIDSERVE_TESTS_COMMON_RETRY_CHECK_H_
#define GRIDSERVE_TESTS_COMMON_RETRY_CHECK_H_

// "Retries with the same request id do nothing twice", checked the same way
// for every service: the call is sent twice; the retry must answer exactly as
// the first call did and write nothing more to the platform's tables
// (breaches, outbox, SLA clocks, and any service tables named in `also_counted`).

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "gtest/gtest.h"
#include "tests/common/test_db.h"

namespace gridserve::testing {

inline std::vector<int64_t> RowCounts(Database& db, const std::vector<std::string>& also_counted) {
  std::vector<int64_t> counts;
  for (const char* table : {"breaches", "outbox", "sla_timers"}) {
    counts.push_back(CountRows(db, std::string("SELECT COUNT(*) FROM ") + table));
  }
  for (const std::string& table : also_counted) counts.push_back(CountRows(db, "SELECT COUNT(*) FROM " + table));
  return counts;
}

// `send` makes the call into the response it is given; `between` runs between
// the two calls (e.g. advancing a FakeClock: a retry comes a moment later).
template <typename Resp>
Resp ExpectRetryChangesNothing(Database& db, const std::string& what, const std::function<grpc::Status(Resp*)>& send,
                               const std::function<void()>& between = [] {},
                               const std::vector<std::string>& also_counted = {}) {
  Resp first, retried;
  const grpc::Status status = send(&first);
  EXPECT_TRUE(status.ok()) << what << ": " << status.error_message();
  const std::vector<int64_t> written = RowCounts(db, also_counted);
  between();
  const grpc::Status again = send(&retried);
  EXPECT_TRUE(again.ok()) << what << " (retry): " << again.error_message();
  EXPECT_EQ(retried.SerializeAsString(), first.SerializeAsString()) << what;
  EXPECT_EQ(RowCounts(db, also_counted), written) << what;
  return first;
}

}  // namespace gridserve::testing

#endif  // GRIDSERVE_TESTS_COMMON_RETRY_CHECK_H_
