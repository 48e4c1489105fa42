// libFuzzer target: every unary RPC of the five services with arbitrary
// requests, through the real adapters (validators, domain rules, storage on
// in-memory SQLite). Input: byte 0 picks the RPC, the rest is the serialized
// request (inputs that are not a valid encoding of that message are skipped,
// as gRPC would refuse them before any handler runs).
//
// A finding is a crash, a sanitizer report, a hang (libFuzzer -timeout, or the
// per-call deadline), or a reply outside the codes the API promises for bad
// input: INTERNAL, UNKNOWN, DATA_LOSS or UNIMPLEMENTED mean a request got past
// validation and broke something.
//
// Each request also goes through the door every real call passes first, the
// bounds on its strings (services/common/request_limits.h): a refusal must be
// INVALID_ARGUMENT, and what the outbox's FitTextToLimits leaves of it may be
// refused only for an id or a name (which it never cuts). The request is then
// sent on regardless, so the services' own validators see long strings too.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/text_format.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/byte_buffer.h>

#include "services/common/request_limits.h"
#include "services/common/status_util.h"
#include "services/construction/construction_spec.h"
#include "services/contact_center/contact_center_spec.h"
#include "services/counter/counter_spec.h"
#include "services/repair/repair_spec.h"
#include "services/risk/risk_spec.h"
#include "tests/support/in_process_service.h"

namespace {

using google::protobuf::MethodDescriptor;

struct Rpc {
  const MethodDescriptor* method;
  std::string path;  // "/gridserve.v1.Repair/CreateWorkOrder"
  grpc::GenericStub* stub;
};

struct Suite {
  std::vector<std::unique_ptr<gridserve::testing::InProcessService>> services;
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs;
  std::vector<Rpc> rpcs;
};

Suite& TheSuite() {
  static Suite* suite = [] {
    auto* s = new Suite;
    for (const auto& spec : {gridserve::contact_center::ContactCenterSpec(), gridserve::counter::CounterSpec(),
                             gridserve::construction::ConstructionSpec(), gridserve::repair::RepairSpec(),
                             gridserve::risk::RiskSpec()}) {
      auto service = gridserve::testing::InProcessService::Start(spec, {});
      if (!service.ok()) {
        std::fprintf(stderr, "cannot start %s: %s\n", spec.name.c_str(), service.status().ToString().c_str());
        std::abort();
      }
      s->stubs.push_back(std::make_unique<grpc::GenericStub>((*service)->channel()));
      s->services.push_back(*std::move(service));
      const auto* descriptor =
          google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(spec.grpc_service);
      if (descriptor == nullptr) std::abort();
      for (int i = 0; i < descriptor->method_count(); ++i) {
        const MethodDescriptor* m = descriptor->method(i);
        if (m->client_streaming() || m->server_streaming()) continue;  // watches stay open by design
        s->rpcs.push_back({m, "/" + descriptor->full_name() + "/" + m->name(), s->stubs.back().get()});
      }
    }
    return s;
  }();
  return *suite;
}

grpc::Status CallUnary(const Rpc& rpc, const std::string& request) {
  grpc::Slice slice(request);
  grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer response_buffer;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  std::promise<grpc::Status> done;
  rpc.stub->UnaryCall(&context, rpc.path, grpc::StubOptions(), &request_buffer, &response_buffer,
                      [&done](grpc::Status status) { done.set_value(std::move(status)); });
  return done.get_future().get();
}

bool IsPromisedCode(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::DATA_LOSS:
    case grpc::StatusCode::UNIMPLEMENTED:
    case grpc::StatusCode::DEADLINE_EXCEEDED:  // a handler that never answered
      return false;
    default:
      return true;
  }
}

[[noreturn]] void Finding(const google::protobuf::Message& request, const std::string& what) {
  std::string text;
  google::protobuf::TextFormat::PrintToString(request, &text);
  std::fprintf(stderr, "%s, for:\n%s\n", what.c_str(), text.c_str());
  std::abort();
}

// Every non-empty string of `message` repeated past its bound: random bytes
// seldom make a long string, so the door is also tried with one that has them.
// Returns how many strings were stretched.
int Stretch(google::protobuf::Message& message) {
  int stretched = 0;
  gridserve::ForEachString(message, [&](const google::protobuf::FieldDescriptor& field, std::string& value) {
    if (value.empty()) return;
    const std::string unit = value;
    while (value.size() <= gridserve::MaxStringSize(field)) value += unit;
    ++stretched;
  });
  return stretched;
}

void CheckTheDoor(const google::protobuf::Message& request, int stretched) {
  const absl::Status limits = gridserve::CheckRequestLimits(request);
  if (stretched > 0 && limits.ok()) Finding(request, "a stretched string passed the door");
  if (limits.ok()) return;
  if (limits.code() != absl::StatusCode::kInvalidArgument) Finding(request, "request limits: " + limits.ToString());
  if (gridserve::FieldViolationsOf(limits).size() > 11) Finding(request, "more than ten strings named");
  std::unique_ptr<google::protobuf::Message> fitted(request.New());
  fitted->CopyFrom(request);
  gridserve::FitTextToLimits(*fitted, gridserve::FullTextNote("fuzzer", "input"));
  // What is still too long may only be an id or a name, which are never cut.
  gridserve::ForEachString(*fitted, [&](const google::protobuf::FieldDescriptor& field, std::string& value) {
    if (value.size() > gridserve::MaxStringSize(field) && !gridserve::IsNameField(field)) {
      Finding(request, "fitted text still too long in " + field.full_name());
    }
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  Suite& suite = TheSuite();
  const Rpc& rpc = suite.rpcs[data[0] % suite.rpcs.size()];

  // The generated request class (every service library is linked in).
  std::unique_ptr<google::protobuf::Message> request(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(rpc.method->input_type())->New());
  if (!request->ParseFromArray(data + 1, static_cast<int>(size - 1))) return 0;
  CheckTheDoor(*request, 0);
  std::unique_ptr<google::protobuf::Message> stretched(request->New());
  stretched->CopyFrom(*request);
  CheckTheDoor(*stretched, Stretch(*stretched));

  const grpc::Status status = CallUnary(rpc, request->SerializeAsString());
  if (!IsPromisedCode(status.error_code())) {
    Finding(*request, rpc.path + " answered code " + std::to_string(status.error_code()) + " (" +
                          status.error_message() + ")");
  }
  return 0;
}
