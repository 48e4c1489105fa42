#include "services/common/request_limits.h"

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gridserve/v1/method_options.pb.h"

namespace gridserve {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// A refusal names this many strings, then counts the rest: a request with
// thousands of long strings must not make an error bigger than gRPC's
// metadata limit (which would reach the client as another error).
constexpr int kMaxNamedViolations = 10;

std::string FieldPath(absl::string_view prefix, const FieldDescriptor& field) {
  return prefix.empty() ? std::string(field.name()) : absl::StrCat(prefix, ".", field.name());
}

std::string ElementPath(absl::string_view prefix, const FieldDescriptor& field, int index) {
  return absl::StrCat(FieldPath(prefix, field), "[", index, "]");
}

// A map entry is named by its key, as the client wrote it (fields["id_number"].value):
// its index is the map's internal order, which means nothing to the client.
// A key longer than this (escaped), or empty, is named by index instead: ten
// paths must keep a refusal well inside gRPC's 8 KiB of trailers.
constexpr size_t kMaxKeyInPath = 32;

std::string EntryPath(absl::string_view prefix, const FieldDescriptor& field, const Message& entry, int index) {
  const FieldDescriptor* key = entry.GetDescriptor()->map_key();
  if (key != nullptr && key->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
    const std::string name = absl::Utf8SafeCEscape(entry.GetReflection()->GetString(entry, key));
    if (!name.empty() && name.size() <= kMaxKeyInPath) {
      return absl::StrCat(FieldPath(prefix, field), "[\"", name, "\"]");
    }
  }
  return ElementPath(prefix, field, index);
}

// The longest prefix of `text` of at most `max_size` bytes that ends on a
// UTF-8 character boundary (continuation bytes are 10xxxxxx).
absl::string_view Utf8Prefix(absl::string_view text, size_t max_size) {
  if (text.size() <= max_size) return text;
  size_t keep = max_size;
  while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80) --keep;
  return text.substr(0, keep);
}

// ASCII whitespace, and the no-break (U+00A0) and ideographic (U+3000)
// spaces input methods type: what a blank form field holds.
bool IsBlank(absl::string_view text) {
  while (!text.empty()) {
    if (absl::ascii_isspace(static_cast<unsigned char>(text.front()))) {
      text.remove_prefix(1);
    } else if (!absl::ConsumePrefix(&text, "\xc2\xa0") && !absl::ConsumePrefix(&text, "\xe3\x80\x80")) {
      return false;
    }
  }
  return true;
}

bool IsBlankString(const FieldDescriptor& field, const std::string& value) {
  return field.type() == FieldDescriptor::TYPE_STRING && !value.empty() && IsBlank(value) &&
         !(field.containing_type()->options().map_entry() && field.name() == "key");
}

// The strings past their bounds or holding a NUL, the first
// kMaxNamedViolations by name. With skip_blanks (admission), a blank string
// is not checked but noted: it is about to be cleared.
struct Findings {
  bool skip_blanks = false;
  bool holds_blank = false;
  Validator v;
  int named = 0;
  int more = 0;

  void Add(std::string path, std::string problem) {
    if (named == kMaxNamedViolations) {
      ++more;
      return;
    }
    ++named;
    v.Add(path, std::move(problem));
  }

  // One string against its bound, and against NUL: a string field (not bytes)
  // holding U+0000 is a client's bug, and PostgreSQL's text cannot store it
  // (the store refuses it; refused here, it is refused the same on SQLite).
  void Check(const FieldDescriptor& field, const std::string& value, size_t max_size,
             absl::FunctionRef<std::string()> path) {
    if (skip_blanks && IsBlankString(field, value)) {
      holds_blank = true;
    } else if (value.size() > max_size) {
      Add(path(), absl::StrCat("must be at most ", max_size, " bytes"));
    } else if (field.type() == FieldDescriptor::TYPE_STRING && value.find('\0') != std::string::npos) {
      Add(path(), "must not contain a NUL character (U+0000)");
    }
  }
};

void CheckStrings(Findings& found, const Message& message, absl::string_view prefix) {
  const google::protobuf::Descriptor& type = *message.GetDescriptor();
  const Reflection& reflection = *message.GetReflection();
  std::string scratch;  // GetStringReference's copy, for string fields not stored as std::string
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor& field = *type.field(i);
    if (field.cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      const size_t max_size = MaxStringSize(field);
      if (field.is_repeated()) {
        for (int j = 0, n = reflection.FieldSize(message, &field); j < n; ++j) {
          const std::string& value = reflection.GetRepeatedStringReference(message, &field, j, &scratch);
          found.Check(field, value, max_size, [&] { return ElementPath(prefix, field, j); });
        }
      } else {
        const std::string& value = reflection.GetStringReference(message, &field, &scratch);
        found.Check(field, value, max_size, [&] { return FieldPath(prefix, field); });
      }
    } else if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field.is_repeated()) {  // maps too: their entries are a repeated message of key and value
        for (int j = 0, n = reflection.FieldSize(message, &field); j < n; ++j) {
          const Message& element = reflection.GetRepeatedMessage(message, &field, j);
          CheckStrings(found, element, field.is_map() ? EntryPath(prefix, field, element, j)
                                                      : ElementPath(prefix, field, j));
        }
      } else if (reflection.HasField(message, &field)) {
        CheckStrings(found, reflection.GetMessage(message, &field), FieldPath(prefix, field));
      }
    }
  }
}

}  // namespace

bool IsNameField(const FieldDescriptor& field) {
  const absl::string_view name = field.name();
  if (field.containing_type()->options().map_entry() && name == "key") return true;
  return absl::EndsWith(name, "_id") || absl::EndsWith(name, "_ids") || name == "page_token" ||
         name == "department" || absl::EndsWith(name, "_department");
}

size_t MaxStringSize(const FieldDescriptor& field) {
  if (const uint32_t declared = field.options().GetExtension(v1::max_size); declared > 0) return declared;
  return IsNameField(field) ? kMaxIdSize : kMaxTextSize;
}

void ForEachString(Message& message, absl::FunctionRef<void(const FieldDescriptor&, std::string&)> visit) {
  const google::protobuf::Descriptor& type = *message.GetDescriptor();
  const Reflection& reflection = *message.GetReflection();
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor& field = *type.field(i);
    if (field.cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      // Set only a changed value: setting an unset optional field would mark it present.
      if (field.is_repeated()) {
        for (int j = 0, n = reflection.FieldSize(message, &field); j < n; ++j) {
          std::string value = reflection.GetRepeatedString(message, &field, j);
          const std::string before = value;
          visit(field, value);
          if (value != before) reflection.SetRepeatedString(&message, &field, j, std::move(value));
        }
      } else {
        std::string value = reflection.GetString(message, &field);
        const std::string before = value;
        visit(field, value);
        if (value != before) reflection.SetString(&message, &field, std::move(value));
      }
    } else if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field.is_repeated()) {  // maps too: their entries are a repeated message of key and value
        for (int j = 0, n = reflection.FieldSize(message, &field); j < n; ++j) {
          ForEachString(*reflection.MutableRepeatedMessage(&message, &field, j), visit);
        }
      } else if (reflection.HasField(message, &field)) {
        ForEachString(*reflection.MutableMessage(&message, &field), visit);
      }
    }
  }
}

int ClearBlankStrings(Message& request) {
  int cleared = 0;
  ForEachString(request, [&](const FieldDescriptor& field, std::string& value) {
    if (!IsBlankString(field, value)) return;
    value.clear();
    ++cleared;
  });
  return cleared;
}

namespace {

absl::Status Refusal(Findings& found) {
  if (found.more > 0) {
    found.v.Add("", absl::StrCat("and ", found.more, " more strings past their bounds or holding a NUL"));
  }
  return found.v.status();
}

}  // namespace

absl::Status CheckRequestLimits(const Message& request) {
  Findings found;
  CheckStrings(found, request, "");
  return Refusal(found);
}

absl::Status AdmitRequestStrings(Message& request) {
  Findings found;
  found.skip_blanks = true;
  CheckStrings(found, request, "");  // one read-only walk; nearly every request holds no blank
  if (found.holds_blank) ClearBlankStrings(request);
  return Refusal(found);
}

bool CheckMaxSize(Validator& v, absl::string_view field, absl::string_view value, size_t max_size) {
  return v.Check(value.size() <= max_size, field, absl::StrCat("must be at most ", max_size, " bytes"));
}

std::string FitText(const std::string& text, size_t max_size, absl::string_view note) {
  if (text.size() <= max_size) return text;
  // The note takes at most half the room: the text comes first.
  const absl::string_view kept_note = Utf8Prefix(note, max_size / 2);
  return absl::StrCat(Utf8Prefix(text, max_size - kept_note.size()), kept_note);
}

std::string FullTextNote(absl::string_view service, absl::string_view reference) {
  return absl::StrCat(" [... cut to fit; the full text is in ", service.empty() ? "the sender" : service,
                      reference.empty() ? "" : " ", Utf8Prefix(reference, 512), "]");
}

int FitTextToLimits(Message& request, absl::string_view note) {
  int cut = 0;
  ForEachString(request, [&](const FieldDescriptor& field, std::string& value) {
    if (IsNameField(field)) return;
    // A NUL the receiver would refuse (a text stored before the check existed).
    if (field.type() == FieldDescriptor::TYPE_STRING) value.erase(std::remove(value.begin(), value.end(), '\0'), value.end());
    const size_t max_size = MaxStringSize(field);
    if (value.size() <= max_size) return;
    value = FitText(value, max_size, note);
    ++cut;
  });
  return cut;
}

}  // namespace gridserve
