#ifndef GRIDSERVE_SERVICES_COMMON_REQUEST_LIMITS_H_
#define GRIDSERVE_SERVICES_COMMON_REQUEST_LIMITS_H_

#include <cstddef>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "services/common/status_util.h"

namespace gridserve {

// Every string a request carries is bounded, the same in all five services
// (common.proto, "API conventions"): a client's bug or a flood of text is
// refused at the door instead of being stored, indexed and sent on to peers.
// The gRPC message limit (1 MiB) alone would let one description fill it.
inline constexpr size_t kMaxIdSize = 128;     // ids and department names (see MaxStringSize)
inline constexpr size_t kMaxTextSize = 4000;  // any other string

// Whether a string field holds an id or a name: fields named *_id, *_ids,
// page_token, department, *_department, and a map's key. Such a string is
// short (kMaxIdSize unless the contract says otherwise) and never cut.
bool IsNameField(const google::protobuf::FieldDescriptor& field);

// The bound of one string field: its [(gridserve.v1.max_size)] when the
// contract sets one, else kMaxIdSize for a name field, else kMaxTextSize.
size_t MaxStringSize(const google::protobuf::FieldDescriptor& field);

// Calls `visit` with every string of `message` (nested messages, repeated
// fields and maps included) and its field; what `visit` leaves in the string
// is kept.
void ForEachString(google::protobuf::Message& message,
                   absl::FunctionRef<void(const google::protobuf::FieldDescriptor&, std::string&)> visit);

// Every string of `request`, in nested messages, repeated fields and maps
// too, against its bound and against NUL characters: INVALID_ARGUMENT with one
// violation per string too long or holding a NUL (string fields; bytes may), named by its path ("breach.detail", "crew[2].staff_id"; the first ten,
// then "and N more"); OK otherwise.
absl::Status CheckRequestLimits(const google::protobuf::Message& request);

// Every string of `request` (nested, repeated and map values too; not map
// keys) holding only whitespace (ASCII, U+00A0, U+3000) made empty. Why: a
// blank is no value, and every service's "is required" check and every
// optional text then treats "   " as the missing value it is (a reply of
// spaces closed the CC-5 clock; a complaint went to department "   ").
// Returns how many strings it cleared.
int ClearBlankStrings(google::protobuf::Message& request);

// What the call executor runs on every request before the service method:
// ClearBlankStrings and CheckRequestLimits in one read-only walk (the request
// is written only when it holds a blank), as if the blanks were cleared first.
absl::Status AdmitRequestStrings(google::protobuf::Message& request);

// One string against a bound, the violation the platform's check and a
// service's tighter bounds (a name, an address) share. Returns whether it fits.
bool CheckMaxSize(Validator& v, absl::string_view field, absl::string_view value, size_t max_size);

// For a sender relaying its stored records to a peer (the outbox): `text`
// cut to `max_size` bytes on a UTF-8 character boundary, ending with `note`,
// when it is longer; unchanged otherwise.
std::string FitText(const std::string& text, size_t max_size, absl::string_view note);

// The note FitText ends a cut text with: where the full text stays, e.g.
// " [... cut to fit; the full text is in contact-center CASE-1]".
std::string FullTextNote(absl::string_view service, absl::string_view reference);

// Every string of `request` that is not an id and is longer than its bound,
// cut by FitText with `note`. Why: a record stored before its bound existed,
// or a text a sender composed around a customer's words, would otherwise be
// refused by the peer on every retry and never arrive. Ids, department names
// and map keys are left as they are (cut, one would name something else).
// NUL characters, which the receiver refuses, are dropped from the text too.
// The note takes at most half of a bound. Returns how many strings were cut.
int FitTextToLimits(google::protobuf::Message& request, absl::string_view note);

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_REQUEST_LIMITS_H_
