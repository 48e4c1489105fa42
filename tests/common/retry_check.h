#ifndef GRIDSERVE_TESTS_COMMON_RETRY_CHECK_H_
#define GRIDSERVE_TESTS_COMMON_RETRY_CHECK_H_

// "Retries with the same request id do nothing twice", checked the same way
// for every service: the call is sent twice; the retry must answer exactly as
// the first call did and write nothing more to the platform's tables
// (breaches, outbox, SLA clocks).

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "gtest/gtest.h"
#include "tests/common/test_db.h"

namespace gridserve::testing {

inline std::vector<int64_t> PlatformRowCounts(Database& db) {
  return {CountRows(db, "SELECT COUNT(*) FROM breaches"), CountRows(db, "SELECT COUNT(*) FROM outbox"),
          CountRows(db, "SELECT COUNT(*) FROM sla_timers")};
}

// `send` makes the call into the response it is given; `between` runs between
// the two calls (e.g. advancing a FakeClock: a retry comes a moment later).
template <typename Resp>
Resp ExpectRetryChangesNothing(Database& db, const std::string& what, const std::function<grpc::Status(Resp*)>& send,
                               const std::function<void()>& between = [] {}) {
  Resp first, retried;
  const grpc::Status status = send(&first);
  EXPECT_TRUE(status.ok()) << what << ": " << status.error_message();
  const std::vector<int64_t> written = PlatformRowCounts(db);
  between();
  const grpc::Status again = send(&retried);
  EXPECT_TRUE(again.ok()) << what << " (retry): " << again.error_message();
  EXPECT_EQ(retried.SerializeAsString(), first.SerializeAsString()) << what;
  EXPECT_EQ(PlatformRowCounts(db), written) << what;
  return first;
}

}  // namespace gridserve::testing

#endif  // GRIDSERVE_TESTS_COMMON_RETRY_CHECK_H_
