#ifndef GRIDSERVE_SERVICES_COMMON_SLA_CLOCK_H_
#define GRIDSERVE_SERVICES_COMMON_SLA_CLOCK_H_

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gridserve/v1/common.pb.h"
#include "services/common/breach_recorder.h"
#include "services/common/clock.h"
#include "services/common/database.h"
#include "services/common/kept_counts.h"
#include "services/common/service_metrics.h"

namespace gridserve {

// One SLA instance: "subject X must reach its goal by due_at".
struct SlaTimer {
  std::string sla;        // catalogue SLA name, e.g. "complaint_reply"
  std::string subject;    // e.g. "case/C-12"
  std::string department;
  std::string staff_id;
  absl::Time started_at;
  absl::Time due_at;
};

// kCancelled: withdrawn with its case (neither met nor breached).
enum class SlaState { kOpen, kMet, kBreached, kCancelled };

struct SlaStatus {
  SlaTimer timer;
  SlaState state = SlaState::kOpen;
  std::optional<absl::Time> closed_at;
};

// The read-model view of a clock, the same in every service.
v1::SlaState ToProtoSlaState(const SlaStatus& status);

// What Stop() found.
enum class SlaOutcome {
  kMet,             // closed in time (exactly at due_at counts as in time)
  kBreached,        // closed late; the breach is recorded now if the sweep had not yet
  kAlreadyClosed,   // a second Stop: nothing changes
};

// SLA clocks kept in the sla_timers table. A clock breaches the moment its
// due time passes: the sweep finds each SLA's expired clocks through an index
// on (SLA, due time) (cost grows with what is due, not with what is stored) and
// records each expiry exactly once — the conditional update decides, so
// several replicas on one database cannot double it.
class SlaClock {
 public:
  SlaClock(const Clock& clock, BreachRecorder& breaches, ServiceMetrics* metrics);

  // Starts a clock. Starting the same (sla, subject) again is ALREADY_EXISTS.
  absl::Status Start(Transaction& txn, const SlaTimer& timer);
  // Stops a clock at `at` (the goal's event time). NOT_FOUND without a clock.
  absl::StatusOr<SlaOutcome> Stop(Transaction& txn, const std::string& sla, const std::string& subject,
                                  absl::Time at);
  absl::StatusOr<std::optional<SlaStatus>> Get(Transaction& txn, const std::string& sla,
                                               const std::string& subject);

  // Withdraws a running clock whose case was cancelled: it is neither met nor
  // breached, and the sweep no longer sees it. Returns false if it was not running.
  absl::StatusOr<bool> Cancel(Transaction& txn, const std::string& sla, const std::string& subject, absl::Time at);

  // Ends a clock because its case ended without the goal (a hall closing on a
  // waiting ticket, a work order called off): withdrawn (Cancel) if `at` is
  // within the due time; past it the promise was already broken, so it is
  // stopped as a breach (Stop), never counted met. No clock, or one already
  // closed: nothing to do.
  absl::Status Withdraw(Transaction& txn, const std::string& sla, const std::string& subject, absl::Time at);

  // Hands a clock the sweep already expired (breached, not yet closed) over
  // to another subject as it is: its goal moved (a waiting ticket became a
  // visit) and its one breach stands. A fresh clock for the new subject with
  // the same past due time would be breached a second time. Returns false
  // when there is no such clock.
  absl::StatusOr<bool> HandOverBreached(Transaction& txn, const std::string& sla, const std::string& from_subject,
                                        const std::string& to_subject);

  // Appends the read-model view (v1::SlaState) of the clock, if one exists.
  absl::Status AppendState(Transaction& txn, const std::string& sla, const std::string& subject,
                           google::protobuf::RepeatedPtrField<v1::SlaState>* out);

  // Records every clock whose due time is before now, or as many as one pass
  // of `max_pass` allows; returns how many. batch_size clocks per transaction:
  // each holds the service's connection while it runs (~0.1 ms a clock), so a
  // backlog (1 M clocks overdue after an outage) is expired in steps of
  // ~10 ms, each followed by as long a pause in which calls have the
  // connection, and a pass ends after max_pass (the next one continues), so
  // a service stopping mid-backlog drains in time. Before: 500 at a time
  // without pauses until done, and reads waited 49 ms at the median meanwhile.
  absl::StatusOr<int> Sweep(Database& db, int batch_size = 100,
                            absl::Duration max_pass = absl::InfiniteDuration());

  // Refreshes gridserve_sla_open / _due_soon for the service's SLAs: reads the
  // kept count of open clocks and counts, per SLA, the clocks due within its
  // window, so its cost does not grow with how many clocks are open.
  absl::Status RefreshGauges(Database& db, const std::string& service,
                             const std::map<std::string, absl::Duration>& due_soon_windows);

  // Open clocks by SLA (kept on SQLite; PlatformMigrations keeps it).
  static const KeptCount& OpenClocks();

  // The breach an expired clock produces: the SLA's clause, at the due time.
  static v1::Breach ExpiryBreach(const SlaTimer& timer);

  // The subjects with a clock still open among `slas` (each once), read
  // through the sweep's index on open clocks: they are few, whatever is stored.
  static absl::StatusOr<std::vector<std::string>> OpenSubjects(Transaction& txn, const std::vector<std::string>& slas);

  // Completes the breach of each expiry of one SLA before it is recorded, so
  // the local row, the breach metric and the sink all carry the result. Why:
  // an SLA whose clause depends on its subject (risk's "investigation" breaches
  // the clause that was reported, not the catalogue's first one).
  using ExpiryRefiner = std::function<absl::Status(Transaction&, v1::Breach&)>;
  void SetExpiryRefiner(const std::string& sla, ExpiryRefiner refiner);

  // Runs as the first statement of each of the sweep's transactions (risk:
  // the ledger lock, since its expiries append to the ledger). Set before the
  // sweep starts.
  using Prologue = std::function<absl::Status(Transaction&)>;
  void SetSweepPrologue(Prologue prologue) { sweep_prologue_ = std::move(prologue); }

  // How long after its due time a clock is expired (platform.sla_expiry_grace,
  // default none). Why: facts imported from field apps and kiosks can arrive
  // after their event; a goal reached in time but synced within the grace is
  // judged by its event time instead of having been expired first. The breach
  // is still dated at the due time. Set before the sweep starts.
  void SetExpiryGrace(absl::Duration grace) { expiry_grace_ = grace; }

 private:
  absl::Status Expire(Transaction& txn, const SlaTimer& timer);

  const Clock& clock_;
  BreachRecorder& breaches_;
  ServiceMetrics* metrics_;
  std::map<std::string, ExpiryRefiner> refiners_;  // by SLA name; set before serving
  Prologue sweep_prologue_;
  absl::Duration expiry_grace_ = absl::ZeroDuration();
};

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_SLA_CLOCK_H_
