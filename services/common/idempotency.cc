#include "absl/strings/string_view.h"
#include "services/common/idempotency.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace gridserve {

absl::StatusOr<std::optional<std::string>> FindStoredResponse(Transaction& txn, absl::string_view scope,
                                                              absl::string_view request_id,
                                                              const std::string& request_bytes) {
  auto rows = txn.Query("SELECT request, response FROM idempotency_keys WHERE scope = ? AND request_id = ?",
                        {std::string(scope), std::string(request_id)});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<std::string>();
  if ((*rows)[0].Text(0) != request_bytes) {
    return absl::AlreadyExistsError(
        absl::StrCat("request_id \"", request_id, "\" was already used for a different request"));
  }
  return std::optional<std::string>((*rows)[0].Text(1));
}

absl::Status StoreResponse(Transaction& txn, absl::Time now, absl::string_view scope, absl::string_view request_id,
                           const std::string& request_bytes, const std::string& response_bytes) {
  return txn
      .Execute("INSERT INTO idempotency_keys (scope, request_id, request, response, created_at) VALUES (?, ?, ?, ?, ?)",
               {std::string(scope), std::string(request_id), Blob{request_bytes}, Blob{response_bytes},
                ToMicros(now)})
      .status();
}

std::string RequestFingerprint(const google::protobuf::Message& request) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    request.ByteSizeLong();  // fills the cached sizes the next call relies on
    request.SerializeWithCachedSizes(&coded);
  }
  return bytes;
}

}  // namespace gridserve
