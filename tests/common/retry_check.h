#ifndef GRIDSERVE_TESTS_COMMON_RETRY_CHECK_H_
#define GRIDSERVE_TESTS_COMMON_RETRY_CHECK_H_

// "Retries with the same request id do nothing twice", checked the same way
// for every service: the call is sent twice, the second time a moment later;
// the retry must answer as the first call did and write nothing more to the
// platform's tables (breaches, outbox, SLA clocks, stored answers) or to the
// service tables named in `also_counted`.

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/common/test_db.h"

namespace gridserve::testing {

inline std::vector<int64_t> RowCounts(Database& db, const std::vector<std::string>& also_counted) {
  std::vector<int64_t> counts;
  // idempotency_keys: a retry answered from the stored answer stores none; a second run would.
  for (const char* table : {"breaches", "outbox", "sla_timers", "idempotency_keys"}) {
    counts.push_back(CountRows(db, std::string("SELECT COUNT(*) FROM ") + table));
  }
  for (const std::string& table : also_counted) counts.push_back(CountRows(db, "SELECT COUNT(*) FROM " + table));
  return counts;
}

// `send` makes the call into the response it is given; `between` runs between
// the two calls (advancing the test's FakeClock: a retry comes a moment later,
// so a second run would show in any time it stamps). A failed call ends the
// test at once (a thrown exception, which GoogleTest reports as a failure), so
// no caller goes on with an empty answer.
template <typename Resp>
Resp ExpectRetryChangesNothing(Database& db, const std::string& what, const std::function<grpc::Status(Resp*)>& send,
                               const std::function<void()>& between,
                               const std::vector<std::string>& also_counted = {}) {
  Resp first, retried;
  const grpc::Status status = send(&first);
  if (!status.ok()) throw std::runtime_error(what + ": " + status.error_message());
  const std::vector<int64_t> written = RowCounts(db, also_counted);
  between();
  const grpc::Status again = send(&retried);
  if (!again.ok()) throw std::runtime_error(what + " (retry): " + again.error_message());
  // Compared as messages, not bytes: map fields serialize in no fixed order.
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(retried, first))
      << what << "\nfirst: " << first.ShortDebugString() << "\nretry: " << retried.ShortDebugString();
  EXPECT_EQ(RowCounts(db, also_counted), written) << what;
  return first;
}

}  // namespace gridserve::testing

#endif  // GRIDSERVE_TESTS_COMMON_RETRY_CHECK_H_
