#include "absl/strings/string_view.h"
#include "services/common/log.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "services/common/audit_mask.h"

namespace gridserve {
namespace {

absl::Mutex g_mu;
std::string* g_service = new std::string("gridserve");

// The length of the valid UTF-8 sequence `text` starts with (a lead byte of
// 0x80 or more), 0 when it is not one: no overlong forms, no surrogates,
// nothing beyond U+10FFFF.
size_t Utf8SequenceLength(absl::string_view text) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (text.size() < length || byte(1) < low || byte(1) > high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

// Appends `text` as a JSON string literal (RFC 8259, section 7): quote,
// backslash and control characters escaped; bytes that are not valid UTF-8
// become U+FFFD, so every line stays parseable. Why not protobuf's JSON
// printer (used before): it cost ~8 us per string, ~80 us per line, which a
// sweep expiring a backlog of clocks paid once per breach.
void AppendJsonString(std::string& out, absl::string_view text) {
  out += '"';
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20) {
            absl::StrAppend(&out, "\\u00", absl::Hex(c, absl::kZeroPad2));
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    const size_t length = Utf8SequenceLength(text.substr(i));
    if (length == 0) {
      out += "\\ufffd";
      ++i;
    } else {
      out.append(text.data() + i, length);
      i += length;
    }
  }
  out += '"';
}

void Write(absl::string_view level, absl::string_view event, const LogFields& fields) {
  const std::string line = FormatLogLine(level, event, fields);
  absl::MutexLock lock(&g_mu);
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

}  // namespace

void SetLogService(absl::string_view service) {
  absl::MutexLock lock(&g_mu);
  *g_service = std::string(service);
}

std::string FormatLogLine(absl::string_view level, absl::string_view event, const LogFields& fields) {
  std::string service;
  {
    absl::MutexLock lock(&g_mu);
    service = *g_service;
  }
  // Fixed keys first, so a human reading the stream sees when/what at once.
  std::string line = "{\"ts\":";
  AppendJsonString(line, absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone()));
  line += ",\"level\":";
  AppendJsonString(line, level);
  line += ",\"service\":";
  AppendJsonString(line, service);
  line += ",\"event\":";
  AppendJsonString(line, event);
  // Personal data (phones, ID numbers, addresses) is masked in every value.
  for (const auto& [key, value] : fields) {
    line += ',';
    AppendJsonString(line, key);
    line += ':';
    AppendJsonString(line, MaskLogField(key, value));
  }
  line += '}';
  return line;
}

void LogInfo(absl::string_view event, const LogFields& fields) { Write("info", event, fields); }
void LogWarning(absl::string_view event, const LogFields& fields) { Write("warning", event, fields); }
void LogError(absl::string_view event, const LogFields& fields) { Write("error", event, fields); }

}  // namespace gridserve
