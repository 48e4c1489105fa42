#include "services/common/status_util.h"

#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace gridserve {
namespace {

TEST(StatusUtilTest, InvalidFieldBecomesInvalidArgumentWithBadRequest) {
  grpc::Status status = ToGrpcStatus(InvalidField("caller.phone", "is required for a dispatch"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "caller.phone: is required for a dispatch");

  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(status.error_details()));
  EXPECT_EQ(details.code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_EQ(details.details_size(), 1);
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(details.details(0).UnpackTo(&bad_request));
  ASSERT_EQ(bad_request.field_violations_size(), 1);
  EXPECT_EQ(bad_request.field_violations(0).field(), "caller.phone");
}

TEST(StatusUtilTest, ValidatorReportsEveryViolation) {
  Validator v;
  v.Check(true, "rings", "fine");
  v.Add("request_id", "is required");
  v.Check(false, "answered_at", "is in the future");
  absl::Status s = v.status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  auto violations = FieldViolationsOf(s);
  ASSERT_EQ(violations.size(), 2u);
  EXPECT_EQ(violations[0].field, "request_id");
  EXPECT_EQ(violations[1].field, "answered_at");
  EXPECT_TRUE(Validator().status().ok());
}

TEST(StatusUtilTest, PreconditionFailureNamesTheClause) {
  grpc::Status status = ToGrpcStatus(PreconditionFailed("RP-3", "work_order/WO-1", "a borrowed item is not returned"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(status.error_details()));
  google::rpc::PreconditionFailure failure;
  ASSERT_TRUE(details.details(0).UnpackTo(&failure));
  EXPECT_EQ(failure.violations(0).type(), "RP-3");
  EXPECT_EQ(failure.violations(0).subject(), "work_order/WO-1");
}

TEST(StatusUtilTest, PlainCodesMapOneToOneAndRoundTrip) {
  for (auto [absl_status, code] : std::vector<std::pair<absl::Status, grpc::StatusCode>>{
           {absl::NotFoundError("x"), grpc::StatusCode::NOT_FOUND},
           {absl::AlreadyExistsError("x"), grpc::StatusCode::ALREADY_EXISTS},
           {absl::UnavailableError("x"), grpc::StatusCode::UNAVAILABLE},
           {absl::InternalError("x"), grpc::StatusCode::INTERNAL}}) {
    EXPECT_EQ(ToGrpcStatus(absl_status).error_code(), code);
    EXPECT_EQ(FromGrpcStatus(ToGrpcStatus(absl_status)), absl_status);
  }
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  absl::Status with_fields = InvalidField("a", "b");
  EXPECT_EQ(FieldViolationsOf(FromGrpcStatus(ToGrpcStatus(with_fields)))[0].field, "a");
}

}  // namespace
}  // namespace gridserve
