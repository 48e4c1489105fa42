#ifndef GRIDSERVE_TESTS_COMMON_TEXT_PROTO_H_
#define GRIDSERVE_TESTS_COMMON_TEXT_PROTO_H_

#include <string>

#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace gridserve::testing {

// A message from protobuf text format: requests read as what they say (ids
// and times that depend on the test are set by the caller).
template <typename Message>
Message Parse(const std::string& text) {
  Message message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

}  // namespace gridserve::testing

#endif  // GRIDSERVE_TESTS_COMMON_TEXT_PROTO_H_
