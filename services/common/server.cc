#include "absl/strings/string_view.h"
#include "services/common/server.h"

#include <signal.h>

#include <filesystem>
#include <map>
#include <memory>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/exposer.h"
#include "services/common/auth_security.h"
#include "services/common/backup.h"
#include "services/common/call_executor.h"
#include "services/common/catalogue.h"
#include "services/common/config.h"
#include "services/common/grpc_metrics.h"
#include "services/common/log.h"
#include "services/common/periodic_task.h"
#include "services/common/retention.h"
#include "services/common/risk_client.h"

// The common flags (contract): every binary accepts all of them.
ABSL_FLAG(std::string, listen, "", "gRPC address HOST:PORT (default 0.0.0.0:<service port>; port 0 picks a free one)");
ABSL_FLAG(std::string, metrics_listen, "", "Prometheus /metrics address HOST:PORT (default 0.0.0.0:<service port>)");
ABSL_FLAG(std::string, database, "", "Database URL: sqlite:///path/file.db (default <data_dir>/<service>.db)");
ABSL_FLAG(std::string, data_dir, "data", "Directory of the default SQLite databases");
ABSL_FLAG(std::string, config, "",
          "Suite configuration, protobuf JSON: FILE, or FILE,FILE... laid over the norms.md defaults in order "
          "(a later file changes only what it names)");
ABSL_FLAG(std::string, repair_target, "localhost:50054", "gRPC target of the repair service");
ABSL_FLAG(std::string, risk_target, "localhost:50055", "gRPC target of the risk service");
// No service calls the contact center today; accepted so that one launcher can pass every peer to all.
ABSL_FLAG(std::string, contact_center_target, "localhost:50051",
          "gRPC target of the contact center (accepted for launchers; no service calls it)");

namespace gridserve {
namespace {

constexpr char kVersion[] = "0.1.0";

std::map<std::string, absl::Duration> DueSoonWindows(const v1::SuiteConfig& config) {
  std::map<std::string, absl::Duration> windows;
  for (const auto& sla : Catalogue().slas()) windows[sla.name()] = ToAbsl(sla.due_soon_window());
  for (const auto& [sla, window] : config.platform().due_soon_windows()) windows[sla] = ToAbsl(window);
  return windows;
}

int Fail(absl::string_view event, const absl::Status& status) {
  LogError(event, {{"error", std::string(status.message())}, {"code", absl::StatusCodeToString(status.code())}});
  return 1;
}

}  // namespace

int RunService(int argc, char** argv, const ServiceSpec& spec) {
  // Block the stop signals before any thread exists, so every thread inherits
  // the mask and the main thread alone receives them through sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

#ifdef NDEBUG
  // Debian builds Abseil with its lock-order graph on: every Mutex acquire
  // updates a global graph (about 5% of a read's CPU). Release builds of the
  // services skip it; debug and sanitizer builds keep the check.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
  absl::SetProgramUsageMessage(absl::StrCat("gridserve-", spec.name, ": the ", spec.grpc_service, " service"));
  absl::ParseCommandLine(argc, argv);
  SetLogService(spec.name);

  const std::string listen =
      absl::GetFlag(FLAGS_listen).empty() ? absl::StrCat("0.0.0.0:", spec.default_grpc_port) : absl::GetFlag(FLAGS_listen);
  const std::string metrics_listen = absl::GetFlag(FLAGS_metrics_listen).empty()
                                         ? absl::StrCat("0.0.0.0:", spec.default_metrics_port)
                                         : absl::GetFlag(FLAGS_metrics_listen);

  // Configuration and calendar.
  absl::StatusOr<v1::SuiteConfig> config =
      absl::GetFlag(FLAGS_config).empty()
          ? absl::StatusOr<v1::SuiteConfig>(DefaultConfig())
          : LoadConfigFiles(absl::StrSplit(absl::GetFlag(FLAGS_config), ',', absl::SkipEmpty()));
  if (!config.ok()) return Fail("config_invalid", config.status());
  auto calendar = BusinessCalendar::FromConfig(config->calendar());
  if (!calendar.ok()) return Fail("config_invalid", calendar.status());
  const auto& platform = config->platform();

  // Database and schema.
  std::string database_url = absl::GetFlag(FLAGS_database);
  if (database_url.empty()) {
    std::error_code error;
    std::filesystem::create_directories(absl::GetFlag(FLAGS_data_dir), error);
    if (error) return Fail("data_dir_unusable", absl::UnavailableError(error.message()));
    database_url = absl::StrCat("sqlite://", absl::GetFlag(FLAGS_data_dir), "/", spec.name, ".db");
  }
  SystemClock clock;
  // Each year's holidays are configured in the year before: say so in the log
  // as well as in the metrics (GridserveCalendarEnding) while there is time.
  // 90 days: a clock's due time is fixed when it starts, and the longest
  // working-day limit (32, over Spring Festival) reaches ~50 days ahead.
  if (const auto until = calendar->CoveredUntil(); until.has_value() && clock.Now() + absl::Hours(24 * 90) >= *until) {
    LogWarning("calendar_ending", {{"covered_until", absl::FormatTime(absl::RFC3339_sec, *until, absl::UTCTimeZone())},
                                   {"action", "add next year's calendar.holidays and calendar.makeup_working_days"}});
  } else if (!until.has_value()) {
    // Allowed (a test, a first try), but working-day deadlines then count
    // public holidays as working days: say so once.
    LogWarning("calendar_without_holidays",
               {{"action", "configure calendar.holidays and calendar.makeup_working_days (the State Council's "
                           "schedule); until then working-day deadlines count public holidays as working days"}});
  }
  auto db = OpenDatabase(database_url, spec.name);
  if (!db.ok()) return Fail("database_unavailable", db.status());
  const BackupOptions backup_options{platform.backup_dir(), platform.backup_keep(), ToAbsl(platform.backup_interval())};
  const bool backups_on = !backup_options.dir.empty();
  if (backups_on && (*db)->dialect() != "sqlite") {
    return Fail("config_invalid", absl::InvalidArgumentError(
                                      "platform.backup_dir: online backups are of the embedded SQLite store; back up "
                                      "PostgreSQL with its own tools (pg_dump, base backups with WAL archiving)"));
  }
  auto registry = std::make_shared<prometheus::Registry>();
  BackupMetrics backup_metrics(spec.name, backups_on ? backup_options.interval : absl::ZeroDuration(), *registry);
  BackupSchedule backups(**db, spec.name, backup_options, clock, backup_metrics);
  if (backups_on) backups.RunIfDue();  // before the migrations: a schema change never goes unbacked
  if (auto s = ApplyMigrations(**db, clock, "platform", PlatformMigrations()); !s.ok()) return Fail("migration_failed", s);
  if (auto s = ApplyMigrations(**db, clock, spec.name, spec.migrations); !s.ok()) return Fail("migration_failed", s);
  if (backups_on) backups.RunIfDue();  // a new database: its first backup before the first call

  // Metrics.
  ServiceMetrics metrics(spec.name, kVersion, *config, registry);
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    exposer = std::make_unique<prometheus::Exposer>(metrics_listen);
  } catch (const std::exception& e) {
    return Fail("metrics_listen_failed", absl::UnavailableError(absl::StrCat(metrics_listen, ": ", e.what())));
  }
  exposer->RegisterCollectable(registry);

  // The platform pieces the service builds on.
  BreachRecorder breaches(spec.name, clock, &metrics, BreachRecorder::OutboxToRisk(clock));
  SlaClock sla(clock, breaches, &metrics);
  sla.SetExpiryGrace(ToAbsl(platform.sla_expiry_grace()));
  OutboxOptions outbox_options;
  outbox_options.initial_backoff = ToAbsl(platform.outbox_initial_backoff());
  outbox_options.max_backoff = ToAbsl(platform.outbox_max_backoff());
  outbox_options.rejected_retry = ToAbsl(platform.outbox_rejected_retry());
  OutboxRelay outbox(**db, clock, outbox_options);
  const absl::Duration peer_deadline = ToAbsl(platform.peer_call_deadline());
  // Security: TLS flags, roles, tokens, audit trail (services/common/auth_security.h).
  auto security = SecurityLayer::Create(spec.name, config->security(), TlsOptionsFromFlags(), **db, clock);
  if (!security.ok()) return Fail("security_invalid", security.status());
  auto make_channel = [&security](const std::string& target) { return (*security)->MakeChannel(target); };
  outbox.RegisterHandler(kTopicRiskBreach, MakeRiskBreachHandler(make_channel(absl::GetFlag(FLAGS_risk_target)), peer_deadline));
  outbox.RegisterHandler(kTopicRiskRedLine, MakeRiskRedLineHandler(make_channel(absl::GetFlag(FLAGS_risk_target)), peer_deadline));

  ServiceContext context{*config,  *calendar, clock,  **db, metrics, breaches, sla, outbox,
                         PeerTargets{absl::GetFlag(FLAGS_repair_target), absl::GetFlag(FLAGS_risk_target)},
                         make_channel};
  auto parts = spec.build(context);
  if (!parts.ok()) return Fail("service_build_failed", parts.status());

  // The gRPC server.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int grpc_port = 0;
  builder.AddListeningPort(listen, (*security)->server_credentials(), &grpc_port);
  // Unary calls run on the executor's workers (declared before the server:
  // it outlives the server's Shutdown, which waits for queued calls), store
  // reads on gRPC's threads when the store's reads never wait.
  CallExecutor executor(CallExecutorOptionsFrom(platform));
  executor.ExportSaturation(*registry, spec.name);
  const bool store_reads_inline = (*db)->ReadsNeverWait();
  if (auto s = CheckServes(*parts, spec); !s.ok()) return Fail("service_build_failed", s);
  auto guarded = (*security)->Protect(parts->service.get(), parts->grpc_service);
  if (!guarded.ok()) return Fail("service_build_failed", guarded.status());
  for (const auto& [service, name] : {std::pair{*guarded, parts->grpc_service},
                                      std::pair{(*security)->audit_service(), std::string(v1::Audit::service_full_name())}}) {
    auto offloaded = executor.Offload(service, name, store_reads_inline);
    if (!offloaded.ok()) return Fail("service_build_failed", offloaded.status());
    builder.RegisterService(*offloaded);
  }
  builder.SetMaxReceiveMessageSize(1 << 20);  // requests are small; refuse floods of bytes early
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(executor.MakeInterceptorFactory());  // first: the others see a refusal's real code
  interceptors.push_back((*security)->MakeInterceptorFactory());
  interceptors.push_back(
      MakeGrpcMetricsInterceptorFactory(registry, {spec.grpc_service, v1::Audit::service_full_name(), "grpc.health.v1.Health"}));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || grpc_port == 0) {
    return Fail("listen_failed", absl::UnavailableError(absl::StrCat("cannot listen on ", listen)));
  }
  if (auto s = (*security)->StartHealthProbe(); !s.ok()) return Fail("listen_failed", s);
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  // NOT_SERVING until the background loops run; both the overall status ("")
  // and the service's own name are driven.
  auto set_serving = [&](bool serving) {
    health->SetServingStatus(serving);
    health->SetServingStatus(spec.grpc_service, serving);
    (*security)->SetServing(spec.grpc_service, serving);
  };
  set_serving(false);

  // Background loops: each run's outcome is logged when it fails and counted
  // (gridserve_background_*, declared from start-up by ServiceMetrics).
  const PeriodicTask::Observer observe = [&metrics, &clock](const std::string& task, const absl::Status& outcome) {
    metrics.RecordBackgroundRun(task, outcome.ok(), clock.Now());
  };
  const auto due_soon = DueSoonWindows(*config);
  PeriodicTask sweep(kTaskSlaSweep, ToAbsl(platform.sla_sweep_interval()), [&] {
    // A pass of at most a second: a backlog goes on in the next pass, and a
    // stopping service waits for no more than that.
    return sla.Sweep(**db, /*batch_size=*/100, /*max_pass=*/absl::Seconds(1)).status();
  }, observe);
  std::map<std::string, OutboxRelay::Counts> reported_counts;
  PeriodicTask relay(kTaskOutboxRelay, ToAbsl(platform.outbox_poll_interval()), [&] {
    // A peer that does not answer is not a failed run: its messages wait, and
    // the outbox metrics count the attempts. An error here is the store's.
    auto delivered = outbox.DeliverDue();
    for (const auto& [topic, counts] : outbox.counts()) {
      auto& seen = reported_counts[topic];
      metrics.CountOutboxDeliveries(topic, counts.delivered - seen.delivered, counts.failed_attempts - seen.failed_attempts,
                                    counts.rejected - seen.rejected);
      seen = counts;
    }
    return delivered.status();
  }, observe);
  PeriodicTask gauges(kTaskGauges, ToAbsl(platform.gauge_refresh_interval()), [&] {
    absl::Status outcome = sla.RefreshGauges(**db, spec.name, due_soon);
    auto pending = outbox.PendingByTopic();
    if (pending.ok()) {
      for (const char* topic : {kTopicRiskBreach, kTopicRiskRedLine, kTopicRepairDispatch}) {
        auto it = pending->find(topic);
        metrics.SetOutboxPending(topic, it == pending->end() ? 0 : it->second);
      }
    }
    outcome.Update(pending.status());
    return outcome;
  }, observe);
  PeriodicTask service_pass(kTaskServicePass, ToAbsl(platform.gauge_refresh_interval()), [&] {
    absl::Status outcome;  // every part runs; the first error is the run's
    for (const auto& pass : parts->background_pass) outcome.Update(pass());
    return outcome;
  }, observe);
  const RetentionOptions retention_options{ToAbsl(platform.idempotency_retention()),
                                           ToAbsl(platform.delivered_outbox_retention())};
  PeriodicTask retention(kTaskRetention, ToAbsl(platform.retention_sweep_interval()), [&] {
    auto pruned = PruneExpired(**db, clock, retention_options, /*max_pass=*/absl::Seconds(1));
    if (!pruned.ok()) return pruned.status();
    if (pruned->idempotency_keys > 0 || pruned->outbox_messages > 0) {
      LogInfo("retention_pruned", {{"idempotency_keys", absl::StrCat(pruned->idempotency_keys)},
                                   {"outbox_messages", absl::StrCat(pruned->outbox_messages)}});
      if (pruned->more) retention.Wake();  // a backlog: go on right after this pass
    }
    return absl::OkStatus();
  }, observe);
  // Backups have their own metrics and alert (BackupMetrics).
  PeriodicTask backup("backup", BackupSchedule::CheckEvery(backup_options.interval), [&] {
    backups.RunIfDue();
    return absl::OkStatus();
  });
  sweep.Start();
  relay.Start();
  gauges.Start();
  service_pass.Start();
  retention.Start();
  if (backups_on) backup.Start();

  set_serving(true);
  auto metrics_ports = exposer->GetListeningPorts();
  LogInfo("serving", {{"grpc_service", spec.grpc_service},
                      {"grpc_port", absl::StrCat(grpc_port)},
                      {"metrics_port", absl::StrCat(metrics_ports.empty() ? 0 : metrics_ports.front())},
                      {"database", std::string((*db)->dialect())}});

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);

  // Drain: tell load balancers first, then let in-flight calls finish.
  set_serving(false);
  LogInfo("draining", {{"signal", absl::StrCat(signal_number)}});
  server->Shutdown(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(absl::ToInt64Milliseconds(ToAbsl(platform.drain_timeout()))));
  backup.Stop();
  retention.Stop();
  service_pass.Stop();
  gauges.Stop();
  relay.Stop();
  sweep.Stop();
  (*security)->Shutdown();
  LogInfo("stopped");
  return 0;
}

}  // namespace gridserve
