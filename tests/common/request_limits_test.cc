// The bounds on every string of a request (services/common/request_limits.h,
// common.proto "API conventions"): ids 128 bytes, other text 4000, a field's
// own [(gridserve.v1.max_size)] where the contract sets one; each string too
// long is a violation named by its path.
#include "services/common/request_limits.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "gridserve/v1/construction.pb.h"
#include "gridserve/v1/contact_center.pb.h"
#include "gridserve/v1/counter.pb.h"
#include "gridserve/v1/repair.pb.h"
#include "gridserve/v1/risk.pb.h"
#include "services/common/status_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridserve {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const google::protobuf::FieldDescriptor& Field(const google::protobuf::Descriptor* type, const std::string& name) {
  const google::protobuf::FieldDescriptor* field = type->FindFieldByName(name);
  EXPECT_NE(field, nullptr) << type->full_name() << "." << name;
  return *field;
}

// The fields the check names, in order; empty when the request fits.
std::vector<std::string> Refused(const google::protobuf::Message& request) {
  const absl::Status status = CheckRequestLimits(request);
  if (status.ok()) return {};
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  std::vector<std::string> fields;
  for (const FieldViolation& violation : FieldViolationsOf(status)) {
    EXPECT_THAT(violation.description, ::testing::MatchesRegex("must be at most [0-9]+ bytes"));
    fields.push_back(violation.field);
  }
  return fields;
}

TEST(RequestLimitsTest, IdsTextAndDeclaredBounds) {
  EXPECT_EQ(MaxStringSize(Field(v1::RecordCaseRequest::descriptor(), "request_id")), 128u);
  EXPECT_EQ(MaxStringSize(Field(v1::RecordCaseRequest::descriptor(), "call_id")), 128u);
  EXPECT_EQ(MaxStringSize(Field(v1::ListCasesRequest::descriptor(), "page_token")), 128u);
  EXPECT_EQ(MaxStringSize(Field(v1::CreateOutageRequest::descriptor(), "feeder_ids")), 128u);
  EXPECT_EQ(MaxStringSize(Field(v1::RecordCaseRequest::descriptor(), "summary")), 4000u);
  // Department names are names, not text: bounded and never cut.
  EXPECT_EQ(MaxStringSize(Field(v1::CreateProjectRequest::descriptor(), "department")), 128u);
  EXPECT_EQ(MaxStringSize(Field(v1::OpenConsultationRequest::descriptor(), "escalated_to_department")), 128u);
  EXPECT_EQ(MaxStringSize(*v1::SubmitApplicationFormRequest::descriptor()->FindFieldByName("fields")
                               ->message_type()->FindFieldByName("key")), 128u);
  EXPECT_EQ(MaxStringSize(Field(v1::Person::descriptor(), "name")), 4000u);
  // A breach id names its service, rule and subject: the contract allows 256,
  // and ReportBreach's request_id is the breach id.
  EXPECT_EQ(MaxStringSize(Field(v1::Breach::descriptor(), "breach_id")), 256u);
  EXPECT_EQ(MaxStringSize(Field(v1::BreachRef::descriptor(), "breach_id")), 256u);
  EXPECT_EQ(MaxStringSize(Field(v1::ReportBreachRequest::descriptor(), "request_id")), 256u);
}

TEST(RequestLimitsTest, AStringAtItsBoundFitsAndOneByteMoreIsRefusedByName) {
  v1::RecordCaseRequest request;
  request.set_request_id(std::string(128, 'r'));
  request.set_summary(std::string(4000, 's'));
  EXPECT_THAT(Refused(request), IsEmpty());

  request.set_summary(std::string(4001, 's'));
  EXPECT_THAT(Refused(request), ElementsAre("summary"));
  request.set_request_id(std::string(129, 'r'));
  EXPECT_THAT(Refused(request), ElementsAre("request_id", "summary"));
}

TEST(RequestLimitsTest, NestedMessagesAreNamedByTheirPath) {
  v1::ReportBreachRequest request;
  request.set_request_id(std::string(256, 'b'));
  request.mutable_breach()->set_breach_id(std::string(256, 'b'));
  request.mutable_breach()->set_detail("late arrival");
  EXPECT_THAT(Refused(request), IsEmpty());

  request.mutable_breach()->set_breach_id(std::string(257, 'b'));
  request.mutable_breach()->set_detail(std::string(4001, 'd'));
  EXPECT_THAT(Refused(request), ElementsAre("breach.breach_id", "breach.detail"));
}

// A NUL character (U+0000) in any string is refused by name: a client's bug,
// which PostgreSQL's text could not store and SQLite would; refused at the
// door, it is refused the same on both.
TEST(RequestLimitsTest, AStringHoldingANulIsRefusedByName) {
  v1::ReportBreachRequest request;
  request.set_request_id("B-1");
  request.mutable_breach()->set_breach_id(std::string("B-1\0x", 5));
  request.mutable_breach()->set_detail(std::string("late\0", 5));
  const absl::Status status = CheckRequestLimits(request);
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  std::vector<std::string> fields;
  for (const FieldViolation& violation : FieldViolationsOf(status)) {
    EXPECT_EQ(violation.description, "must not contain a NUL character (U+0000)");
    fields.push_back(violation.field);
  }
  EXPECT_THAT(fields, ElementsAre("breach.breach_id", "breach.detail"));
  request.mutable_breach()->set_breach_id("B-1");
  request.mutable_breach()->set_detail("late");
  EXPECT_TRUE(CheckRequestLimits(request).ok());
}

// Blank strings (ASCII whitespace, U+00A0, U+3000) become empty wherever they
// are, map keys aside; anything else is left exactly as it was.
TEST(RequestLimitsTest, ClearBlankStringsEmptiesBlanksAndLeavesTextAlone) {
  v1::SubmitApplicationFormRequest form;
  form.set_visit_id(" V-1");
  (*form.mutable_fields())["name"] = "\xe3\x80\x80\xe3\x80\x80";
  (*form.mutable_fields())["  "] = "kept";
  (*form.mutable_fields())["note"] = " a  b ";
  EXPECT_EQ(ClearBlankStrings(form), 1);
  EXPECT_EQ(form.visit_id(), " V-1");
  EXPECT_EQ(form.fields().at("name"), "");
  EXPECT_EQ(form.fields().at("  "), "kept");
  EXPECT_EQ(form.fields().at("note"), " a  b ");

  v1::CreateOutageRequest outage;
  outage.add_feeder_ids("F-1");
  outage.add_feeder_ids("\t\n");
  outage.add_important_customers()->set_name("\xc2\xa0 ");
  outage.set_department("repair");
  EXPECT_EQ(ClearBlankStrings(outage), 2);
  EXPECT_THAT(outage.feeder_ids(), ElementsAre("F-1", ""));
  EXPECT_EQ(outage.important_customers(0).name(), "");
  EXPECT_EQ(outage.department(), "repair");
  EXPECT_EQ(ClearBlankStrings(outage), 0);  // nothing left to clear
}

// Repeated strings and messages are named by index, map entries by key.
TEST(RequestLimitsTest, RepeatedElementsAreNamedByIndexAndMapEntriesByKey) {
  v1::CreateOutageRequest outage;
  outage.add_feeder_ids("F-1");
  outage.add_feeder_ids(std::string(129, 'f'));
  outage.add_important_customers()->set_name("hospital");
  outage.add_important_customers()->set_name(std::string(4001, 'n'));
  EXPECT_THAT(Refused(outage), ElementsAre("feeder_ids[1]", "important_customers[1].name"));

  v1::StartSiteWorkRequest work;
  work.add_crew()->set_staff_id("S-1");
  work.add_crew()->set_staff_id("S-2");
  work.add_crew()->set_staff_id(std::string(129, 's'));
  EXPECT_THAT(Refused(work), ElementsAre("crew[2].staff_id"));

  // A map's entry by its key (escaped); one whose key is itself too long by its index.
  v1::SubmitApplicationFormRequest form;
  (*form.mutable_fields())["address"] = std::string(4001, 'a');
  EXPECT_THAT(Refused(form), ElementsAre("fields[\"address\"].value"));
  v1::SubmitApplicationFormRequest quoted;
  (*quoted.mutable_fields())["say \"hi\""] = std::string(4001, 'a');
  EXPECT_THAT(Refused(quoted), ElementsAre("fields[\"say \\\"hi\\\"\"].value"));
  v1::SubmitApplicationFormRequest utf8;
  (*utf8.mutable_fields())["straße"] = std::string(4001, 'a');
  EXPECT_THAT(Refused(utf8), ElementsAre("fields[\"straße\"].value"));
  v1::SubmitApplicationFormRequest long_key;
  (*long_key.mutable_fields())[std::string(129, 'k')] = "fine";
  EXPECT_THAT(Refused(long_key), ElementsAre("fields[0].key"));
  v1::SubmitApplicationFormRequest longish_key;  // within its bound, too long to repeat in a path
  (*longish_key.mutable_fields())[std::string(33, 'k')] = std::string(4001, 'a');
  EXPECT_THAT(Refused(longish_key), ElementsAre("fields[0].value"));
}

// The refusal of a request full of long map keys and values, as gRPC sends
// it (message and details), stays far inside the 8 KiB a client accepts.
TEST(RequestLimitsTest, ARefusalNamingMapEntriesStaysSmall) {
  v1::SubmitApplicationFormRequest form;
  for (int i = 0; i < 20; ++i) {
    // 120 bytes, within a key's bound; each escapes to four ("\001").
    (*form.mutable_fields())[std::string(120, '\x01') + std::to_string(i)] = std::string(4001, 'v');
  }
  const grpc::Status refused = ToGrpcStatus(CheckRequestLimits(form));
  ASSERT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LT(refused.error_message().size() + refused.error_details().size(), 4096u);
}

// A flood of long strings is answered with the first ten by name and a count
// of the rest: the error stays small enough for gRPC's trailers.
TEST(RequestLimitsTest, ARefusalNamesTheFirstTenStringsAndCountsTheRest) {
  v1::CreateOutageRequest outage;
  for (int i = 0; i < 30; ++i) outage.add_feeder_ids(std::string(129, 'f'));
  const auto violations = FieldViolationsOf(CheckRequestLimits(outage));
  ASSERT_EQ(violations.size(), 11u);
  EXPECT_EQ(violations[0].field, "feeder_ids[0]");
  EXPECT_EQ(violations[9].field, "feeder_ids[9]");
  EXPECT_EQ(violations[10].field, "");
  EXPECT_EQ(violations[10].description, "and 20 more strings past their bounds or holding a NUL");
}

TEST(RequestLimitsTest, CheckMaxSizeIsTheViolationServicesShare) {
  Validator v;
  EXPECT_TRUE(CheckMaxSize(v, "customer.name", std::string(200, 'n'), 200));
  EXPECT_TRUE(v.empty());
  EXPECT_FALSE(CheckMaxSize(v, "customer.name", std::string(201, 'n'), 200));
  const auto violations = FieldViolationsOf(v.status());
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "customer.name");
  EXPECT_EQ(violations[0].description, "must be at most 200 bytes");
}

// A sender relaying its stored records (the outbox) cuts text that is too
// long, on a character boundary, naming where the full text stays, and never
// an id; what it sends then passes the receiver's check.
TEST(RequestLimitsTest, FitTextToLimitsCutsTextButNeverAnId) {
  std::string text = "x";
  while (text.size() <= kMaxTextSize) text += "\xe7\xa4\xbc";  // "礼", 3 bytes each
  v1::ReportBreachRequest request;
  request.set_request_id(std::string(300, 'r'));
  request.mutable_breach()->set_breach_id("repair/RP-1/work_order/WO-1");
  request.mutable_breach()->set_detail(text);
  request.mutable_breach()->set_subject("work_order/WO-1");

  const std::string note = FullTextNote("repair", "work_order/WO-1");
  EXPECT_EQ(note, " [... cut to fit; the full text is in repair work_order/WO-1]");
  EXPECT_EQ(FitTextToLimits(request, note), 1);
  const std::string& detail = request.breach().detail();
  EXPECT_LE(detail.size(), kMaxTextSize);
  EXPECT_TRUE(absl::EndsWith(detail, note));
  const std::string kept = detail.substr(0, detail.size() - note.size());
  EXPECT_EQ(text.substr(0, kept.size()), kept);
  EXPECT_EQ((kept.size() - 1) % 3, 0u) << "cut inside a character";
  EXPECT_EQ(request.request_id(), std::string(300, 'r'));  // an id is never cut: still refused
  EXPECT_THAT(Refused(request), ElementsAre("request_id"));

  request.set_request_id("repair/RP-1/work_order/WO-1");
  EXPECT_THAT(Refused(request), IsEmpty());
  EXPECT_EQ(FitTextToLimits(request, note), 0);  // what fits is left as it is
  request.mutable_breach()->set_detail(std::string("late\0 arrival", 13));  // stored before NULs were refused
  EXPECT_EQ(FitTextToLimits(request, note), 0);
  EXPECT_EQ(request.breach().detail(), "late arrival");
  EXPECT_THAT(Refused(request), IsEmpty());

  v1::CreateOutageRequest outage;
  outage.add_area_codes(std::string(4001, 'a'));
  outage.add_important_customers()->set_name(std::string(5000, 'n'));
  outage.set_department(std::string(129, 'd'));
  EXPECT_EQ(FitTextToLimits(outage, ""), 2);
  EXPECT_EQ(outage.area_codes(0), std::string(4000, 'a'));
  EXPECT_EQ(outage.important_customers(0).name(), std::string(4000, 'n'));
  EXPECT_EQ(outage.department(), std::string(129, 'd'));  // a name: refused, never cut

  v1::SubmitApplicationFormRequest form;
  (*form.mutable_fields())[std::string(200, 'k')] = std::string(4001, 'v');
  EXPECT_EQ(FitTextToLimits(form, ""), 1);  // the value, not the key
  EXPECT_EQ(form.fields().begin()->first, std::string(200, 'k'));
  EXPECT_EQ(form.fields().begin()->second, std::string(4000, 'v'));
}

// The note never takes more than half a bound, and neither the text nor the
// note (nor the reference it names) is cut inside a character.
TEST(RequestLimitsTest, FitTextCutsOnCharacterBoundariesAndKeepsRoomForTheText) {
  const std::string li = "\xe7\xa4\xbc";  // "礼", 3 bytes
  std::string text;
  for (int i = 0; i < 10; ++i) text += li;  // 30 bytes
  std::string note;
  for (int i = 0; i < 10; ++i) note += li;
  const std::string fitted = FitText(text, 20, note);  // room 20: note at most 10 -> 9 bytes, text 11 -> 9 bytes
  EXPECT_EQ(fitted, li + li + li + li + li + li);
  EXPECT_EQ(FitText(text, 30, note), text);

  std::string reference;
  for (int i = 0; i < 200; ++i) reference += li;  // 600 bytes, cut at 512 -> 510
  const std::string named = FullTextNote("risk", reference);
  EXPECT_EQ(named, " [... cut to fit; the full text is in risk " + reference.substr(0, 510) + "]");
}

}  // namespace
}  // namespace gridserve
