#include "services/common/log.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

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

// Every value comes out as the same string after a JSON parser reads it back:
// control characters, quotes, backslashes, multi-byte UTF-8; bytes that are
// not UTF-8 (a truncated sequence, an overlong form, a surrogate, a stray
// continuation byte) become U+FFFD instead of breaking the line.
TEST(LogTest, ValuesSurviveAJsonParser) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"control", std::string("tab\tcr\rnul\0bell\x07esc\x1b", 20)},
      {"quotes", "\"\\\"/"},
      {"utf8", "供电营业厅 \xF0\x9F\x94\x8C \xC2\xA9"},
      {"truncated", "ab\xE4\xBE"},
      {"overlong", "\xC0\xAF"},
      {"surrogate", "\xED\xA0\x80"},
      {"continuation", "\x80x"},
  };
  const std::map<std::string, std::string> expected = {
      {"control", std::string("tab\tcr\rnul\0bell\x07esc\x1b", 20)},
      {"quotes", "\"\\\"/"},
      {"utf8", "供电营业厅 \xF0\x9F\x94\x8C \xC2\xA9"},
      {"truncated", "ab\xEF\xBF\xBD\xEF\xBF\xBD"},
      {"overlong", "\xEF\xBF\xBD\xEF\xBF\xBD"},
      {"surrogate", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
      {"continuation", "\xEF\xBF\xBDx"},
  };
  LogFields fields(cases.begin(), cases.end());
  const std::string line = FormatLogLine("info", "escaping", fields);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &parsed).ok()) << line;
  for (const auto& [key, value] : expected) {
    EXPECT_EQ(parsed.fields().at(key).string_value(), value) << key << " in " << line;
  }
}

}  // namespace
}  // namespace gridserve
