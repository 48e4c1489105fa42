#include "services/common/log.h"

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace gridserve {
namespace {

TEST(LogTest, OneJsonObjectPerLineWithEscaping) {
  SetLogService("repair");
  const std::string line = FormatLogLine("info", "serving", {{"grpc_port", "50054"}, {"note", "a \"quoted\"\nline"}});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &parsed).ok()) << line;
  EXPECT_EQ(parsed.fields().at("service").string_value(), "repair");
  EXPECT_EQ(parsed.fields().at("event").string_value(), "serving");
  EXPECT_EQ(parsed.fields().at("level").string_value(), "info");
  EXPECT_EQ(parsed.fields().at("grpc_port").string_value(), "50054");
  EXPECT_EQ(parsed.fields().at("note").string_value(), "a \"quoted\"\nline");
  EXPECT_FALSE(parsed.fields().at("ts").string_value().empty());
}

}  // namespace
}  // namespace gridserve
