#include "services/common/config.h"

#include <cstdio>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridserve {
namespace {

using ::testing::HasSubstr;

TEST(ConfigTest, DefaultsAreTheNumbersOfNormsMd) {
  const v1::SuiteConfig c = DefaultConfig();
  ASSERT_TRUE(ValidateConfig(c).ok()) << ValidateConfig(c);
  EXPECT_EQ(c.contact_center().answer_ring_limit(), 3);                      // CC-1
  EXPECT_EQ(ToAbsl(c.contact_center().ring_cycle()), absl::Seconds(5));      // CC-1
  // CC-1: "abandoned calls count against it", every one: no short abandon excluded by default.
  EXPECT_EQ(ToAbsl(c.contact_center().short_abandon_threshold()), absl::ZeroDuration());
  EXPECT_EQ(ToAbsl(c.contact_center().callback_due()), absl::Hours(24));     // CC-2
  EXPECT_EQ(ToAbsl(c.contact_center().dispatch_due()), absl::Minutes(5));    // CC-3
  EXPECT_EQ(c.contact_center().complaint_reply_days(), 5);                   // CC-5
  EXPECT_EQ(c.contact_center().tipoff_reply_days(), 10);                     // CC-5
  EXPECT_EQ(ToAbsl(c.counter().ticket_wait_limit()), absl::Minutes(15));     // CT-4
  EXPECT_EQ(ToAbsl(c.counter().apology_wait_threshold()), absl::Minutes(10)); // CT-6
  EXPECT_EQ(ToAbsl(c.counter().short_failure_limit()), absl::Minutes(15));   // CT-7
  EXPECT_EQ(c.counter().home_service_followup_working_days(), 3);            // CT-9
  EXPECT_EQ(c.construction().first_guidance_working_days(), 2);              // CN-1
  EXPECT_EQ(c.construction().residential_limit_working_days(), 5);
  EXPECT_EQ(c.construction().low_voltage_non_residential_limit_working_days(), 6);
  EXPECT_EQ(c.construction().high_voltage_single_limit_working_days(), 22);
  EXPECT_EQ(c.construction().high_voltage_dual_limit_working_days(), 32);
  EXPECT_EQ(ToAbsl(FindAreaClass(c, "urban")->arrival_limit()), absl::Minutes(45));   // RP-1
  EXPECT_EQ(ToAbsl(FindAreaClass(c, "rural")->arrival_limit()), absl::Minutes(90));
  EXPECT_EQ(ToAbsl(FindAreaClass(c, "remote")->arrival_limit()), absl::Minutes(120));
  EXPECT_EQ(ToAbsl(FindAreaClass(c, "urban")->restoration_limit()), absl::Hours(3));
  EXPECT_EQ(ToAbsl(FindAreaClass(c, "rural")->restoration_limit()), absl::Hours(4));
  EXPECT_EQ(ToAbsl(c.repair().planned_outage_notice_lead()), absl::Hours(24 * 7));    // RK-3
  EXPECT_EQ(ToAbsl(c.repair().temporary_maintenance_notice_lead()), absl::Hours(24));
  // Retention of the platform's own tables (not norms): a month of retries, a week of delivered messages.
  EXPECT_EQ(ToAbsl(c.platform().idempotency_retention()), absl::Hours(24 * 30));
  EXPECT_EQ(ToAbsl(c.platform().delivered_outbox_retention()), absl::Hours(24 * 7));
  EXPECT_EQ(ToAbsl(c.platform().retention_sweep_interval()), absl::Minutes(10));
  EXPECT_EQ(ToAbsl(c.platform().sla_expiry_grace()), absl::ZeroDuration());  // breached the moment it is due
  EXPECT_EQ(ToAbsl(c.platform().outbox_rejected_retry()), absl::Hours(1));    // a rejected message, hourly
  // Backups are off until a directory is named; then every 6 h, two days kept.
  EXPECT_EQ(c.platform().backup_dir(), "");
  EXPECT_EQ(ToAbsl(c.platform().backup_interval()), absl::Hours(6));
  EXPECT_EQ(c.platform().backup_keep(), 8);
}

TEST(ConfigTest, AFileOverridesOnlyWhatItNames) {
  auto c = ParseConfig(R"({
    "departments": ["hotline", "hall-east"],
    "contactCenter": {"complaintReplyDays": 4, "complaintDayMode": "DAY_COUNT_MODE_WORKING_DAYS"},
    "calendar": {"holidays": ["2026-10-01"]},
    "platform": {"dueSoonWindows": {"complaint_reply": "7200s"}}
  })");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(c->departments(), ::testing::ElementsAre("hotline", "hall-east"));  // a list replaces
  EXPECT_EQ(c->contact_center().complaint_reply_days(), 4);
  EXPECT_EQ(c->contact_center().complaint_day_mode(), v1::DAY_COUNT_MODE_WORKING_DAYS);
  EXPECT_EQ(c->contact_center().tipoff_reply_days(), 10);            // untouched default
  EXPECT_EQ(c->contact_center().answer_ring_limit(), 3);
  EXPECT_EQ(c->calendar().weekend_days_size(), 2);                   // sibling list kept
  EXPECT_EQ(c->calendar().utc_offset(), "+08:00");
  EXPECT_EQ(c->platform().due_soon_windows().at("complaint_reply").seconds(), 7200);
  EXPECT_EQ(c->area_classes_size(), 3);
}

TEST(ConfigTest, UnknownFieldStopsStartUpNamingIt) {
  auto c = ParseConfig(R"({"contactCenter": {"answerRingLimt": 4}})");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("answerRingLimt"));
}

TEST(ConfigTest, BadValueStopsStartUpNamingTheField) {
  auto zero = ParseConfig(R"({"contactCenter": {"answerRingLimit": 0}})");
  ASSERT_FALSE(zero.ok());
  EXPECT_THAT(std::string(zero.status().message()), HasSubstr("contact_center.answer_ring_limit"));

  auto order = ParseConfig(R"({"risk": {"yellowThreshold": 20, "redThreshold": 10}})");
  ASSERT_FALSE(order.ok());
  EXPECT_THAT(std::string(order.status().message()), HasSubstr("risk.red_threshold"));

  auto closing = ParseConfig(R"({"counter": {"closingTime": "half past five"}})");
  ASSERT_FALSE(closing.ok());
  EXPECT_THAT(std::string(closing.status().message()), HasSubstr("counter.closing_time"));

  auto holiday = ParseConfig(R"({"calendar": {"holidays": ["tomorrow"]}})");
  ASSERT_FALSE(holiday.ok());
  EXPECT_THAT(std::string(holiday.status().message()), HasSubstr("calendar.holidays[0]"));

  auto duration = ParseConfig(R"({"repair": {"plannedOutageNoticeLead": "a week"}})");
  ASSERT_FALSE(duration.ok());

  // Keeping retries for no time at all would answer a retry as a new request.
  auto retention = ParseConfig(R"({"platform": {"idempotencyRetention": "0s", "deliveredOutboxRetention": "-60s"}})");
  ASSERT_FALSE(retention.ok());
  EXPECT_THAT(std::string(retention.status().message()), HasSubstr("platform.idempotency_retention"));
  EXPECT_THAT(std::string(retention.status().message()), HasSubstr("platform.delivered_outbox_retention"));
  auto grace = ParseConfig(R"({"platform": {"slaExpiryGrace": "-1s"}})");
  ASSERT_FALSE(grace.ok());
  EXPECT_THAT(std::string(grace.status().message()), HasSubstr("platform.sla_expiry_grace"));
  // The investigation department is a configured one (a label of the breach metrics).
  auto investigation = ParseConfig(R"({"risk": {"investigationDepartment": "early-warning-office"}})");
  ASSERT_FALSE(investigation.ok());
  EXPECT_THAT(std::string(investigation.status().message()), HasSubstr("risk.investigation_department"));
  EXPECT_TRUE(ParseConfig(R"({"risk": {"investigationDepartment": "operations"}})").ok());
  auto rejected = ParseConfig(R"({"platform": {"outboxRejectedRetry": "0s"}})");  // would retry without pause
  ASSERT_FALSE(rejected.ok());
  EXPECT_THAT(std::string(rejected.status().message()), HasSubstr("platform.outbox_rejected_retry"));
  auto backups = ParseConfig(R"({"platform": {"backupDir": "b", "backupInterval": "0s", "backupKeep": 0}})");
  ASSERT_FALSE(backups.ok());
  EXPECT_THAT(std::string(backups.status().message()), HasSubstr("platform.backup_interval"));
  EXPECT_THAT(std::string(backups.status().message()), HasSubstr("platform.backup_keep"));
  auto sub_second = ParseConfig(R"({"platform": {"backupDir": "b", "backupInterval": "0.5s"}})");  // names are to the second
  ASSERT_FALSE(sub_second.ok());
  EXPECT_THAT(std::string(sub_second.status().message()), HasSubstr("platform.backup_interval"));
  auto streams = ParseConfig(R"({"platform": {"maxStreams": 0}})");  // no watch could ever open
  ASSERT_FALSE(streams.ok());
  EXPECT_THAT(std::string(streams.status().message()), HasSubstr("platform.max_streams"));
  EXPECT_EQ(ParseConfig("{}")->platform().max_streams(), 64);
  auto bytes = ParseConfig(R"({"platform": {"maxQueuedBytes": "1000"}})");  // less than one request may be
  ASSERT_FALSE(bytes.ok());
  EXPECT_THAT(std::string(bytes.status().message()), HasSubstr("platform.max_queued_bytes"));
  EXPECT_EQ(ParseConfig("{}")->platform().max_queued_bytes(), 32 << 20);
  EXPECT_EQ(ParseConfig(R"({"platform": {"maxQueuedBytes": "67108864"}})")->platform().max_queued_bytes(), 64 << 20);
}

// A key of a map keyed by catalogue entries must name one: a typo would
// load and silently change nothing.
TEST(ConfigTest, MapKeysMustNameACatalogueEntry) {
  auto rule = ParseConfig(R"({"risk": {"ruleWeights": {"RK-10": 20, "RK10": 20}}})");
  ASSERT_FALSE(rule.ok());
  EXPECT_EQ(rule.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(rule.status().message()), HasSubstr("risk.rule_weights.RK10"));
  EXPECT_THAT(std::string(rule.status().message()), ::testing::Not(HasSubstr("risk.rule_weights.RK-10")));

  auto sla = ParseConfig(R"({"platform": {"dueSoonWindows": {"complaint_replies": "3600s"}}})");
  ASSERT_FALSE(sla.ok());
  EXPECT_EQ(sla.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(sla.status().message()), HasSubstr("platform.due_soon_windows.complaint_replies"));

  EXPECT_TRUE(ParseConfig(R"({"risk": {"ruleWeights": {"RK-10": 20, "CC-1": 0.5}},)"
                          R"( "platform": {"dueSoonWindows": {"complaint_reply": "3600s"}}})")
                  .ok());
}

// A negative duration under a second is 0 seconds and negative nanos.
TEST(ConfigTest, ANegativeFractionOfASecondIsNegative) {
  for (const char* json : {R"({"contactCenter": {"shortAbandonThreshold": "-0.5s"}})",
                           R"({"repair": {"restorationGrace": "-0.5s"}})",
                           R"({"platform": {"dueSoonWindows": {"complaint_reply": "-0.5s"}}})"}) {
    auto c = ParseConfig(json);
    ASSERT_FALSE(c.ok()) << json;
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << json;
    EXPECT_THAT(std::string(c.status().message()), HasSubstr("must not be negative")) << json;
  }
  EXPECT_TRUE(ParseConfig(R"({"repair": {"restorationGrace": "0s"}})").ok());
}

TEST(ConfigTest, LoadsAFileAndReportsAMissingOne) {
  const std::string path = ::testing::TempDir() + "/gridserve_config_test.json";
  {
    std::ofstream out(path);
    out << R"({"counter": {"ticketWaitLimit": "1200s"}})";
  }
  auto c = LoadConfigFile(path);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(ToAbsl(c->counter().ticket_wait_limit()), absl::Minutes(20));
  std::remove(path.c_str());

  auto missing = LoadConfigFile(path);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr(path));
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

// A site's file, then an environment's few changes (deploy/k8s/overlays/dev):
// the later file changes only what it names, and the result is checked once.
TEST(ConfigTest, LaterFilesChangeOnlyWhatTheyName) {
  const std::string site = ::testing::TempDir() + "/gridserve_config_site.json";
  const std::string env = ::testing::TempDir() + "/gridserve_config_env.json";
  WriteFile(site, R"({"counter": {"ticketWaitLimit": "1200s"}, "risk": {"yellowThreshold": 20, "redThreshold": 40},
                      "platform": {"backupKeep": 3}})");
  WriteFile(env, R"({"platform": {"backupDir": "/var/lib/gridserve/backups"}, "risk": {"yellowThreshold": 30}})");
  auto c = LoadConfigFiles({site, env});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(ToAbsl(c->counter().ticket_wait_limit()), absl::Minutes(20));  // the site's, kept
  EXPECT_EQ(c->platform().backup_keep(), 3);
  EXPECT_EQ(c->platform().backup_dir(), "/var/lib/gridserve/backups");    // the environment's
  EXPECT_EQ(c->risk().yellow_threshold(), 30);
  EXPECT_EQ(c->risk().red_threshold(), 40);
  EXPECT_EQ(c->contact_center().answer_ring_limit(), 3);                  // the default

  // Checked once all files are laid: the environment's yellow above the site's red is refused,
  // naming both files and the field.
  WriteFile(env, R"({"risk": {"yellowThreshold": 50}})");
  auto crossed = LoadConfigFiles({site, env});
  ASSERT_FALSE(crossed.ok());
  EXPECT_EQ(crossed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(crossed.status().message()), HasSubstr("risk.red_threshold"));
  EXPECT_THAT(std::string(crossed.status().message()), HasSubstr(site));
  EXPECT_THAT(std::string(crossed.status().message()), HasSubstr(env));

  // A file that does not parse is named alone.
  WriteFile(env, R"({"platform": {"backupDirectory": "x"}})");
  auto unknown = LoadConfigFiles({site, env});
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(std::string(unknown.status().message()), HasSubstr(env + ": config:"));
  EXPECT_THAT(std::string(unknown.status().message()), HasSubstr("backupDirectory"));
  std::remove(site.c_str());
  std::remove(env.c_str());
}

}  // namespace
}  // namespace gridserve
