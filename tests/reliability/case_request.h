#ifndef GRIDSERVE_TESTS_RELIABILITY_CASE_REQUEST_H_
#define GRIDSERVE_TESTS_RELIABILITY_CASE_REQUEST_H_

#include <string>

#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "gridserve/v1/contact_center.pb.h"

namespace gridserve::testing {

// A valid complaint, received now: the contact center's everyday write.
inline v1::RecordCaseRequest ComplaintCase(const std::string& request_id,
                                           const std::string& summary = "meter seal broken") {
  v1::RecordCaseRequest r;
  r.set_request_id(request_id);
  r.set_kind(v1::CASE_KIND_COMPLAINT);
  r.set_department("customer-service");
  r.set_summary(summary);
  r.set_thanked(true);
  r.mutable_recorded_by()->set_staff_id("S-1");
  r.mutable_recorded_by()->set_department("customer-service");
  *r.mutable_received_at() = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(absl::Now()));
  return r;
}

}  // namespace gridserve::testing

#endif  // GRIDSERVE_TESTS_RELIABILITY_CASE_REQUEST_H_
