#include "services/common/config.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "services/common/business_calendar.h"
#include "services/common/catalogue.h"
#include "services/common/status_util.h"

namespace gridserve {
namespace {

using google::protobuf::Duration;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

Duration Minutes(int64_t m) { return google::protobuf::util::TimeUtil::MinutesToDuration(m); }
Duration Hours(int64_t h) { return google::protobuf::util::TimeUtil::HoursToDuration(h); }
Duration Seconds(int64_t s) { return google::protobuf::util::TimeUtil::SecondsToDuration(s); }
Duration Millis(int64_t ms) { return google::protobuf::util::TimeUtil::MillisecondsToDuration(ms); }

void AddAreaClass(v1::SuiteConfig& c, const char* name, Duration arrival, Duration restoration) {
  auto* area = c.add_area_classes();
  area->set_name(name);
  *area->mutable_arrival_limit() = arrival;
  *area->mutable_restoration_limit() = restoration;
}

// Lays the fields present in `overlay` over `base`. Singular messages merge
// field by field; lists and maps replace; scalars (proto3 `optional` or
// non-zero) replace.
void Overlay(const Message& overlay, Message& base) {
  const Reflection* from = overlay.GetReflection();
  const Reflection* to = base.GetReflection();
  std::vector<const FieldDescriptor*> present;
  from->ListFields(overlay, &present);
  for (const FieldDescriptor* field : present) {
    if (field->is_repeated()) {
      to->ClearField(&base, field);
      for (int i = 0; i < from->FieldSize(overlay, field); ++i) {
        if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
          to->AddMessage(&base, field)->CopyFrom(from->GetRepeatedMessage(overlay, field, i));
        } else {
          // Scalars and strings: copy through a one-element message round trip is
          // overkill; the config has only string lists, handled here.
          to->AddString(&base, field, from->GetRepeatedString(overlay, field, i));
        }
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
               field->message_type()->full_name() != "google.protobuf.Duration") {
      Overlay(from->GetMessage(overlay, field), *to->MutableMessage(&base, field));
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      to->MutableMessage(&base, field)->CopyFrom(from->GetMessage(overlay, field));
    } else {
      switch (field->cpp_type()) {
        case FieldDescriptor::CPPTYPE_INT32: to->SetInt32(&base, field, from->GetInt32(overlay, field)); break;
        case FieldDescriptor::CPPTYPE_INT64: to->SetInt64(&base, field, from->GetInt64(overlay, field)); break;
        case FieldDescriptor::CPPTYPE_DOUBLE: to->SetDouble(&base, field, from->GetDouble(overlay, field)); break;
        case FieldDescriptor::CPPTYPE_BOOL: to->SetBool(&base, field, from->GetBool(overlay, field)); break;
        case FieldDescriptor::CPPTYPE_STRING: to->SetString(&base, field, from->GetString(overlay, field)); break;
        case FieldDescriptor::CPPTYPE_ENUM: to->SetEnumValue(&base, field, from->GetEnumValue(overlay, field)); break;
        default: break;  // No other scalar types appear in config.proto.
      }
    }
  }
}

void CheckPositive(Validator& v, const Duration& d, const std::string& field) {
  v.Check(d.seconds() > 0 || (d.seconds() == 0 && d.nanos() > 0), field, "must be a positive duration");
}

// The sign is the whole duration's: "-0.5s" is 0 seconds and -500000000 nanos.
void CheckNotNegative(Validator& v, const Duration& d, const std::string& field) {
  v.Check(d.seconds() >= 0 && d.nanos() >= 0, field, "must not be negative");
}

}  // namespace

v1::SuiteConfig DefaultConfig() {
  v1::SuiteConfig c;
  for (const char* dept : {"customer-service", "business-hall", "business-expansion", "repair",
                           "operations", "metering"}) {
    c.add_departments(dept);
  }
  // RP-1: urban 45 min / 3 h, rural 90 min / 4 h, remote 120 min / 4 h (norms.md gives no
  // remote restoration figure; the rural one is the default).
  AddAreaClass(c, "urban", Minutes(45), Hours(3));
  AddAreaClass(c, "rural", Minutes(90), Hours(4));
  AddAreaClass(c, "remote", Minutes(120), Hours(4));

  auto* cal = c.mutable_calendar();
  cal->set_utc_offset("+08:00");
  cal->add_weekend_days("SATURDAY");
  cal->add_weekend_days("SUNDAY");

  auto* p = c.mutable_platform();
  *p->mutable_sla_sweep_interval() = Seconds(1);
  *p->mutable_outbox_poll_interval() = Millis(200);
  *p->mutable_outbox_initial_backoff() = Seconds(1);
  *p->mutable_outbox_max_backoff() = Seconds(60);
  *p->mutable_outbox_rejected_retry() = Hours(1);
  *p->mutable_gauge_refresh_interval() = Seconds(5);
  *p->mutable_drain_timeout() = Seconds(10);
  *p->mutable_max_event_skew() = Minutes(5);
  *p->mutable_peer_call_deadline() = Seconds(2);
  p->set_call_threads(32);
  p->set_max_queued_calls(1024);
  p->set_max_streams(64);
  p->set_max_queued_bytes(int64_t{32} << 20);
  *p->mutable_idempotency_retention() = Hours(24 * 30);
  *p->mutable_delivered_outbox_retention() = Hours(24 * 7);
  *p->mutable_retention_sweep_interval() = Minutes(10);
  *p->mutable_sla_expiry_grace() = Seconds(0);
  *p->mutable_backup_interval() = Hours(6);
  p->set_backup_keep(8);

  auto* cc = c.mutable_contact_center();
  cc->set_answer_ring_limit(3);                      // CC-1
  *cc->mutable_ring_cycle() = Seconds(5);            // CC-1
  *cc->mutable_short_abandon_threshold() = Seconds(0);  // CC-1: every abandon counts
  *cc->mutable_callback_due() = Hours(24);           // CC-2
  *cc->mutable_dispatch_due() = Minutes(5);          // CC-3
  cc->set_complaint_reply_days(5);                   // CC-5
  cc->set_complaint_day_mode(v1::DAY_COUNT_MODE_CALENDAR_DAYS);
  cc->set_tipoff_reply_days(10);                     // CC-5
  cc->set_tipoff_day_mode(v1::DAY_COUNT_MODE_CALENDAR_DAYS);
  *cc->mutable_outage_lookup_deadline() = Millis(500);  // CC-4

  auto* ct = c.mutable_counter();
  *ct->mutable_ticket_wait_limit() = Minutes(15);        // CT-4
  *ct->mutable_apology_wait_threshold() = Minutes(10);   // CT-6
  *ct->mutable_short_failure_limit() = Minutes(15);      // CT-7
  *ct->mutable_failure_conversion_due() = Minutes(15);   // CT-7
  ct->set_home_service_followup_working_days(3);         // CT-9
  ct->set_closing_time("17:30");                         // CT-10

  auto* cn = c.mutable_construction();
  cn->set_first_guidance_working_days(2);                // CN-1
  cn->set_residential_limit_working_days(5);
  cn->set_low_voltage_non_residential_limit_working_days(6);
  cn->set_high_voltage_single_limit_working_days(22);
  cn->set_high_voltage_dual_limit_working_days(32);
  cn->set_reinspection_working_days(10);                 // CN-5

  auto* rp = c.mutable_repair();
  *rp->mutable_planned_outage_notice_lead() = Hours(24 * 7);       // RK-3
  *rp->mutable_temporary_maintenance_notice_lead() = Hours(24);    // RK-3
  *rp->mutable_restoration_grace() = Seconds(0);                   // RK-4

  auto* rk = c.mutable_risk();
  rk->set_investigation_working_days(10);
  *rk->mutable_score_window() = Hours(24 * 30);
  rk->set_norm_breach_weight(1);
  rk->set_redline_report_weight(5);
  rk->set_confirmed_redline_weight(10);
  rk->set_yellow_threshold(5);
  rk->set_red_threshold(15);
  return c;
}

absl::Status ValidateConfig(const v1::SuiteConfig& c) {
  Validator v;
  v.Check(c.departments_size() > 0, "departments", "at least one department is needed");
  for (int i = 0; i < c.departments_size(); ++i) {
    v.Check(!c.departments(i).empty() && c.departments(i) != "other", absl::StrCat("departments[", i, "]"),
            "must be a non-empty name other than \"other\"");
  }
  v.Check(c.area_classes_size() > 0, "area_classes", "at least one area class is needed");
  for (int i = 0; i < c.area_classes_size(); ++i) {
    const auto& a = c.area_classes(i);
    const std::string path = absl::StrCat("area_classes[", i, "]");
    v.Check(!a.name().empty(), path + ".name", "must not be empty");
    CheckPositive(v, a.arrival_limit(), path + ".arrival_limit");
    CheckPositive(v, a.restoration_limit(), path + ".restoration_limit");
  }
  auto calendar = BusinessCalendar::FromConfig(c.calendar());
  if (!calendar.ok()) {
    for (const auto& fv : FieldViolationsOf(calendar.status())) v.Add(fv.field, fv.description);
  } else {
    v.Check(c.calendar().weekend_days_size() < 7, "calendar.weekend_days", "leaves no working day in the week");
  }

  const auto& p = c.platform();
  CheckPositive(v, p.sla_sweep_interval(), "platform.sla_sweep_interval");
  CheckPositive(v, p.outbox_poll_interval(), "platform.outbox_poll_interval");
  CheckPositive(v, p.outbox_initial_backoff(), "platform.outbox_initial_backoff");
  CheckPositive(v, p.outbox_max_backoff(), "platform.outbox_max_backoff");
  CheckPositive(v, p.outbox_rejected_retry(), "platform.outbox_rejected_retry");
  CheckPositive(v, p.gauge_refresh_interval(), "platform.gauge_refresh_interval");
  CheckPositive(v, p.drain_timeout(), "platform.drain_timeout");
  CheckPositive(v, p.max_event_skew(), "platform.max_event_skew");
  CheckPositive(v, p.peer_call_deadline(), "platform.peer_call_deadline");
  CheckPositive(v, p.idempotency_retention(), "platform.idempotency_retention");
  CheckPositive(v, p.delivered_outbox_retention(), "platform.delivered_outbox_retention");
  CheckPositive(v, p.retention_sweep_interval(), "platform.retention_sweep_interval");
  CheckNotNegative(v, p.sla_expiry_grace(), "platform.sla_expiry_grace");
  // Backups are named to the second.
  v.Check(ToAbsl(p.backup_interval()) >= absl::Seconds(1), "platform.backup_interval", "must be at least 1s");
  v.Check(p.backup_keep() >= 1 && p.backup_keep() <= 10000, "platform.backup_keep", "must be between 1 and 10000");
  v.Check(p.call_threads() >= 1 && p.call_threads() <= 512, "platform.call_threads", "must be between 1 and 512");
  v.Check(p.max_queued_calls() >= 1 && p.max_queued_calls() <= 1000000, "platform.max_queued_calls",
          "must be between 1 and 1000000");
  v.Check(p.max_streams() >= 1 && p.max_streams() <= 10000, "platform.max_streams", "must be between 1 and 10000");
  v.Check(p.max_queued_bytes() >= (int64_t{1} << 20) && p.max_queued_bytes() <= (int64_t{64} << 30),
          "platform.max_queued_bytes", "must be between 1 MiB (1048576) and 64 GiB");
  // Keys name a catalogue entry: a typo would otherwise load and change nothing.
  for (const auto& [sla, window] : p.due_soon_windows()) {
    v.Check(FindSla(sla) != nullptr, "platform.due_soon_windows." + sla, "is not an SLA of the norms catalogue");
    CheckNotNegative(v, window, "platform.due_soon_windows." + sla);
  }

  const auto& cc = c.contact_center();
  v.Check(cc.answer_ring_limit() >= 1, "contact_center.answer_ring_limit", "must be at least 1");
  CheckPositive(v, cc.ring_cycle(), "contact_center.ring_cycle");
  CheckNotNegative(v, cc.short_abandon_threshold(), "contact_center.short_abandon_threshold");
  CheckPositive(v, cc.callback_due(), "contact_center.callback_due");
  CheckPositive(v, cc.dispatch_due(), "contact_center.dispatch_due");
  v.Check(cc.complaint_reply_days() >= 1, "contact_center.complaint_reply_days", "must be at least 1");
  v.Check(cc.tipoff_reply_days() >= 1, "contact_center.tipoff_reply_days", "must be at least 1");
  v.Check(cc.complaint_day_mode() != v1::DAY_COUNT_MODE_UNSPECIFIED, "contact_center.complaint_day_mode",
          "must be DAY_COUNT_MODE_CALENDAR_DAYS or DAY_COUNT_MODE_WORKING_DAYS");
  v.Check(cc.tipoff_day_mode() != v1::DAY_COUNT_MODE_UNSPECIFIED, "contact_center.tipoff_day_mode",
          "must be DAY_COUNT_MODE_CALENDAR_DAYS or DAY_COUNT_MODE_WORKING_DAYS");
  CheckPositive(v, cc.outage_lookup_deadline(), "contact_center.outage_lookup_deadline");

  const auto& ct = c.counter();
  CheckPositive(v, ct.ticket_wait_limit(), "counter.ticket_wait_limit");
  CheckPositive(v, ct.apology_wait_threshold(), "counter.apology_wait_threshold");
  CheckPositive(v, ct.short_failure_limit(), "counter.short_failure_limit");
  CheckPositive(v, ct.failure_conversion_due(), "counter.failure_conversion_due");
  v.Check(ct.home_service_followup_working_days() >= 1, "counter.home_service_followup_working_days",
          "must be at least 1");
  absl::CivilMinute closing;
  v.Check(absl::ParseCivilTime("2000-01-01T" + ct.closing_time(), &closing), "counter.closing_time",
          "must be a local time HH:MM");

  const auto& cn = c.construction();
  v.Check(cn.first_guidance_working_days() >= 1, "construction.first_guidance_working_days", "must be at least 1");
  v.Check(cn.residential_limit_working_days() >= 1, "construction.residential_limit_working_days", "must be at least 1");
  v.Check(cn.low_voltage_non_residential_limit_working_days() >= 1,
          "construction.low_voltage_non_residential_limit_working_days", "must be at least 1");
  v.Check(cn.high_voltage_single_limit_working_days() >= 1, "construction.high_voltage_single_limit_working_days",
          "must be at least 1");
  v.Check(cn.high_voltage_dual_limit_working_days() >= 1, "construction.high_voltage_dual_limit_working_days",
          "must be at least 1");
  v.Check(cn.reinspection_working_days() >= 1, "construction.reinspection_working_days", "must be at least 1");

  const auto& rp = c.repair();
  CheckPositive(v, rp.planned_outage_notice_lead(), "repair.planned_outage_notice_lead");
  CheckPositive(v, rp.temporary_maintenance_notice_lead(), "repair.temporary_maintenance_notice_lead");
  CheckNotNegative(v, rp.restoration_grace(), "repair.restoration_grace");

  const auto& rk = c.risk();
  v.Check(rk.investigation_working_days() >= 1, "risk.investigation_working_days", "must be at least 1");
  CheckPositive(v, rk.score_window(), "risk.score_window");
  v.Check(rk.norm_breach_weight() >= 0, "risk.norm_breach_weight", "must not be negative");
  v.Check(rk.redline_report_weight() >= 0, "risk.redline_report_weight", "must not be negative");
  v.Check(rk.confirmed_redline_weight() >= 0, "risk.confirmed_redline_weight", "must not be negative");
  v.Check(rk.yellow_threshold() > 0, "risk.yellow_threshold", "must be positive");
  v.Check(rk.red_threshold() > rk.yellow_threshold(), "risk.red_threshold", "must be above risk.yellow_threshold");
  v.Check(rk.investigation_department().empty() ||
              std::find(c.departments().begin(), c.departments().end(), rk.investigation_department()) !=
                  c.departments().end(),
          "risk.investigation_department", "must be one of departments");
  for (const auto& [rule, weight] : rk.rule_weights()) {
    v.Check(FindClause(rule) != nullptr, "risk.rule_weights." + rule, "is not a clause ID of the norms catalogue");
    v.Check(weight >= 0, "risk.rule_weights." + rule, "must not be negative");
  }
  return v.status();
}

namespace {

// One file's fields, not yet laid over anything; errors are the parser's.
absl::StatusOr<v1::SuiteConfig> ParseOverlay(const std::string& json) {
  v1::SuiteConfig overlay;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto parsed = google::protobuf::util::JsonStringToMessage(json, &overlay, options);
  if (!parsed.ok()) return absl::InvalidArgumentError(parsed.ToString());
  return overlay;
}

absl::StatusOr<v1::SuiteConfig> Validated(v1::SuiteConfig config, absl::string_view source) {
  if (auto valid = ValidateConfig(config); !valid.ok()) {
    return absl::Status(valid.code(), absl::StrCat(source, ": ", valid.message()));
  }
  return config;
}

}  // namespace

absl::StatusOr<v1::SuiteConfig> ParseConfig(const std::string& json) {
  auto overlay = ParseOverlay(json);
  if (!overlay.ok()) return absl::InvalidArgumentError(absl::StrCat("config: ", overlay.status().message()));
  v1::SuiteConfig config = DefaultConfig();
  Overlay(*overlay, config);
  return Validated(std::move(config), "config");
}

absl::StatusOr<v1::SuiteConfig> LoadConfigFiles(const std::vector<std::string>& paths) {
  v1::SuiteConfig config = DefaultConfig();
  for (const std::string& path : paths) {
    std::ifstream in(path);
    if (!in) return absl::NotFoundError(absl::StrCat("config file ", path, " cannot be read"));
    std::stringstream buffer;
    buffer << in.rdbuf();
    auto overlay = ParseOverlay(buffer.str());
    if (!overlay.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": config: ", overlay.status().message()));
    Overlay(*overlay, config);
  }
  // Validated once, all files laid: a file may fix what an earlier one set
  // (a later red threshold above a new yellow one).
  return Validated(std::move(config), absl::StrCat(absl::StrJoin(paths, ", "), ": config"));
}

absl::StatusOr<v1::SuiteConfig> LoadConfigFile(const std::string& path) { return LoadConfigFiles({path}); }

absl::StatusOr<v1::AreaClass> FindAreaClass(const v1::SuiteConfig& config, const std::string& name) {
  for (const auto& area : config.area_classes()) {
    if (area.name() == name) return area;
  }
  return absl::NotFoundError(absl::StrCat("area class \"", name, "\" is not configured"));
}

}  // namespace gridserve
