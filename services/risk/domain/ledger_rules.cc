#include "services/risk/domain/ledger_rules.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/common/catalogue.h"
#include "services/common/request_limits.h"
#include "services/common/rpc_util.h"
#include "services/common/status_util.h"
#include "services/risk/domain/redline.h"

namespace gridserve::risk {

const std::vector<std::string>& KnownServices() {
  static const auto* kServices =
      new std::vector<std::string>{"contact-center", "counter", "construction", "repair", "risk"};
  return *kServices;
}

bool IsKnownService(const std::string& service) {
  for (const auto& s : KnownServices()) {
    if (s == service) return true;
  }
  return false;
}

absl::Status ValidateBreach(const v1::Breach& breach, absl::Time now, absl::Duration max_skew,
                            const std::string& prefix) {
  Validator v;
  v.Check(!breach.breach_id().empty(), prefix + ".breach_id", "is required (the sender's stable breach id)");
  CheckMaxSize(v, prefix + ".breach_id", breach.breach_id(), kMaxBreachIdSize);
  v.Check(IsKnownService(breach.service()), prefix + ".service",
          "must be one of contact-center, counter, construction, repair, risk");
  v.Check(FindClause(breach.rule()) != nullptr, prefix + ".rule", "is not a clause of the norms catalogue");
  CheckEventTime(v, prefix + ".occurred_at", breach.occurred_at(), breach.has_occurred_at(), now, max_skew);
  return v.status();
}

absl::Status ValidateCorrectionRequest(const v1::AddLedgerCorrectionRequest& request, absl::Time now,
                                       absl::Duration max_skew) {
  Validator v;
  v.Check(!request.entry_id().empty(), "entry_id", "is required");
  v.Check(request.kind() == v1::CORRECTION_KIND_AMEND || request.kind() == v1::CORRECTION_KIND_VOID ||
              request.kind() == v1::CORRECTION_KIND_ANNOTATE,
          "kind", "must be AMEND, VOID or ANNOTATE");
  v.Check(!request.reason().empty(), "reason", "is required");
  v.Check(request.has_corrected_by() && !request.corrected_by().staff_id().empty(), "corrected_by.staff_id",
          "is required");
  CheckEventTime(v, "corrected_at", request.corrected_at(), request.has_corrected_at(), now, max_skew,
                 /*required=*/false);
  if (request.kind() == v1::CORRECTION_KIND_AMEND) {
    v.Check(request.replacement_case() != v1::AddLedgerCorrectionRequest::REPLACEMENT_NOT_SET, "replacement",
            "is required for AMEND (breach or red_line_report)");
  } else if (request.kind() != v1::CORRECTION_KIND_UNSPECIFIED) {
    v.Check(request.replacement_case() == v1::AddLedgerCorrectionRequest::REPLACEMENT_NOT_SET, "replacement",
            "is only allowed for AMEND");
  }
  if (request.has_breach()) {
    if (auto s = ValidateBreach(request.breach(), now, max_skew, "breach"); !s.ok()) {
      for (const auto& fv : FieldViolationsOf(s)) v.Add(fv.field, fv.description);
    }
  }
  if (request.has_red_line_report()) {
    const auto& r = request.red_line_report();
    v.Check(IsRedLineRule(r.rule()), "red_line_report.rule", "must be a red-line clause RK-1 .. RK-11");
    v.Check(!r.department().empty(), "red_line_report.department", "is required");
    CheckEventTime(v, "red_line_report.occurred_at", r.occurred_at(), r.has_occurred_at(), now, max_skew);
  }
  return v.status();
}

absl::Status CheckCorrection(const v1::LedgerEntry& entry, bool voided, const v1::AddLedgerCorrectionRequest& request) {
  const std::string subject = absl::StrCat("ledger_entry/", entry.entry_id());
  if (entry.kind() != v1::LEDGER_ENTRY_KIND_BREACH && entry.kind() != v1::LEDGER_ENTRY_KIND_RED_LINE_REPORT) {
    return PreconditionFailed(entry.rule(), subject,
                              "only BREACH and RED_LINE_REPORT entries are corrected; correct the original entry");
  }
  if (voided) return PreconditionFailed(entry.rule(), subject, "the entry is already voided");
  // Events in order, as every service checks them: nothing corrects an entry
  // before the ledger recorded it.
  if (request.has_corrected_at() && FromProto(request.corrected_at()) < FromProto(entry.recorded_at())) {
    return InvalidField("corrected_at", "is before the corrected entry was recorded (its recorded_at)");
  }
  if (request.kind() != v1::CORRECTION_KIND_AMEND) return absl::OkStatus();
  if (entry.kind() == v1::LEDGER_ENTRY_KIND_BREACH) {
    if (!request.has_breach()) return InvalidField("breach", "the entry is a breach: the replacement must be a breach");
    if (request.breach().breach_id() != entry.breach().breach_id()) {
      return InvalidField("breach.breach_id", "must stay the breach_id of the corrected entry");
    }
  } else {
    if (!request.has_red_line_report()) {
      return InvalidField("red_line_report", "the entry is a red-line report: the replacement must be a report");
    }
    const std::string& id = request.red_line_report().report_id();
    if (!id.empty() && id != entry.red_line_report().report_id()) {
      return InvalidField("red_line_report.report_id", "must stay the report_id of the corrected entry");
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> SameIncidentBreaches(const v1::RedLineReport& report, bool voided) {
  std::vector<std::string> out;
  if (voided) return out;
  for (const v1::BreachRef& ref : report.related_breaches()) {
    if (ref.rule() != report.rule() || ref.breach_id().empty()) continue;
    if (std::find(out.begin(), out.end(), ref.breach_id()) == out.end()) out.push_back(ref.breach_id());
  }
  return out;
}

v1::RedLineReport AmendReport(const v1::RedLineReport& current, const v1::RedLineReport& replacement) {
  v1::RedLineReport out = current;
  out.set_rule(replacement.rule());
  out.set_source(replacement.source() != v1::RED_LINE_SOURCE_UNSPECIFIED ? replacement.source() : current.source());
  out.set_department(replacement.department());
  *out.mutable_staff() = replacement.staff();
  *out.mutable_reporter() = replacement.reporter();
  out.set_source_service(replacement.source_service());
  out.set_source_reference(replacement.source_reference());
  *out.mutable_occurred_at() = replacement.occurred_at();
  out.set_description(replacement.description());
  *out.mutable_related_breaches() = replacement.related_breaches();
  return out;
}

void Denormalise(v1::LedgerEntry& entry, const v1::Breach& breach) {
  entry.set_service(breach.service());
  entry.set_rule(breach.rule());
  entry.set_department(breach.department());
  entry.set_staff_id(breach.staff_id());
  *entry.mutable_occurred_at() = breach.occurred_at();
}

std::string ReportService(const v1::RedLineReport& report) {
  return report.source_service().empty() ? "risk" : report.source_service();
}

void Denormalise(v1::LedgerEntry& entry, const v1::RedLineReport& report) {
  entry.set_service(ReportService(report));
  entry.set_rule(report.rule());
  entry.set_department(report.department());
  entry.set_staff_id(report.staff().staff_id());
  *entry.mutable_occurred_at() = report.occurred_at();
}

}  // namespace gridserve::risk
