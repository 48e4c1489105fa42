#ifndef GRIDSERVE_SERVICES_RISK_GRPC_ADAPTER_UTIL_H_
#define GRIDSERVE_SERVICES_RISK_GRPC_ADAPTER_UTIL_H_

// Small request helpers of the risk adapter: request ids, time ranges,
// pages, and a stream that fails at once.

#include <cstdint>
#include <string>
#include <vector>

#include <grpcpp/support/server_callback.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gridserve/v1/common.pb.h"
#include "services/common/request_limits.h"
#include "services/common/rpc_util.h"
#include "services/common/status_util.h"

namespace gridserve::risk {

// The request_id checks of RunOnce, merged with the field checks of the
// domain so that a request gets every violation at once. `max_size` is
// RunOnce's 128 except where a call takes longer ids (ReportBreach).
inline absl::Status WithRequestId(const std::string& request_id, const absl::Status& fields,
                                  size_t max_size = kMaxIdSize) {
  Validator v;
  v.Check(!request_id.empty(), "request_id", "is required (a client-generated idempotency key)");
  CheckMaxSize(v, "request_id", request_id, max_size);
  const auto violations = FieldViolationsOf(fields);
  if (!fields.ok() && violations.empty()) return fields;
  for (const auto& fv : violations) v.Add(fv.field, fv.description);
  return v.status();
}

// Trims a result fetched with limit + 1 rows and sets the next page token.
template <typename T>
void TrimPage(std::vector<T>& rows, int limit, int64_t offset, std::string* next_page_token) {
  if (static_cast<int>(rows.size()) > limit) {
    rows.resize(limit);
    *next_page_token = EncodePageToken(offset + limit);
  }
}

}  // namespace gridserve::risk

#endif  // GRIDSERVE_SERVICES_RISK_GRPC_ADAPTER_UTIL_H_
