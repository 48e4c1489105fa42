#include "services/common/sla_clock.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "services/common/catalogue.h"
#include "services/common/log.h"

namespace gridserve {
namespace {

using google::protobuf::util::TimeUtil;

SlaTimer TimerFromRow(const Row& row) {
  // Column order: sla, subject, department, staff_id, started_at, due_at.
  return SlaTimer{row.Text(0), row.Text(1), row.Text(2), row.Text(3), FromMicros(row.Int(4)),
                  FromMicros(row.Int(5))};
}

constexpr char kTimerColumns[] = "sla, subject, department, staff_id, started_at, due_at";

}  // namespace

SlaClock::SlaClock(const Clock& clock, BreachRecorder& breaches, ServiceMetrics* metrics)
    : clock_(clock), breaches_(breaches), metrics_(metrics) {}

v1::Breach SlaClock::ExpiryBreach(const SlaTimer& timer) {
  v1::Breach breach;
  const v1::SlaDefinition* sla = FindSla(timer.sla);
  breach.set_breach_id(absl::StrCat(timer.sla, "/", timer.subject));
  breach.set_rule(sla != nullptr ? sla->clause() : "");
  breach.set_department(timer.department);
  breach.set_staff_id(timer.staff_id);
  breach.set_subject(timer.subject);
  breach.set_sla(timer.sla);
  breach.set_mechanism(v1::MECHANISM_TIMER);
  breach.set_detail(absl::StrCat("SLA ", timer.sla, " expired at ",
                                 absl::FormatTime(absl::RFC3339_sec, timer.due_at, absl::UTCTimeZone())));
  *breach.mutable_occurred_at() = TimeUtil::MicrosecondsToTimestamp(ToMicros(timer.due_at));
  return breach;
}

void SlaClock::SetExpiryRefiner(const std::string& sla, ExpiryRefiner refiner) {
  refiners_[sla] = std::move(refiner);
}

absl::Status SlaClock::Start(Transaction& txn, const SlaTimer& timer) {
  if (FindSla(timer.sla) == nullptr) return absl::InternalError(absl::StrCat("unknown SLA ", timer.sla));
  return txn
      .Execute(absl::StrCat("INSERT INTO sla_timers (", kTimerColumns, ", state) VALUES (?, ?, ?, ?, ?, ?, 'open')"),
               {timer.sla, timer.subject, timer.department, timer.staff_id, ToMicros(timer.started_at),
                ToMicros(timer.due_at)})
      .status();
}

absl::StatusOr<std::optional<SlaStatus>> SlaClock::Get(Transaction& txn, const std::string& sla,
                                                       const std::string& subject) {
  auto rows = txn.Query(absl::StrCat("SELECT ", kTimerColumns, ", state, closed_at FROM sla_timers"
                                     " WHERE sla = ? AND subject = ?"),
                        {sla, subject});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<SlaStatus>();
  const Row& row = (*rows)[0];
  SlaStatus status{TimerFromRow(row), SlaState::kOpen, std::nullopt};
  const std::string& state = row.Text(6);
  status.state = state == "met"         ? SlaState::kMet
                 : state == "breached"  ? SlaState::kBreached
                 : state == "cancelled" ? SlaState::kCancelled
                                        : SlaState::kOpen;
  if (!row.IsNull(7)) status.closed_at = FromMicros(row.Int(7));
  return std::optional<SlaStatus>(status);
}

absl::StatusOr<bool> SlaClock::Cancel(Transaction& txn, const std::string& sla, const std::string& subject,
                                      absl::Time at) {
  auto changed = txn.Execute(
      "UPDATE sla_timers SET state = 'cancelled', closed_at = ? WHERE sla = ? AND subject = ? AND state = 'open'",
      {ToMicros(at), sla, subject});
  if (!changed.ok()) return changed.status();
  return *changed == 1;
}

absl::StatusOr<std::vector<std::string>> SlaClock::OpenSubjects(Transaction& txn, const std::vector<std::string>& slas) {
  std::vector<std::string> subjects;
  if (slas.empty()) return subjects;
  std::string in = "?";
  for (size_t i = 1; i < slas.size(); ++i) in += ", ?";
  std::vector<SqlValue> params(slas.begin(), slas.end());
  auto rows = txn.Query(absl::StrCat("SELECT DISTINCT subject FROM sla_timers WHERE state = 'open' AND sla IN (", in,
                                     ") ORDER BY subject"),
                        params);
  if (!rows.ok()) return rows.status();
  for (const Row& row : *rows) subjects.push_back(row.Text(0));
  return subjects;
}

absl::StatusOr<bool> SlaClock::HandOverBreached(Transaction& txn, const std::string& sla,
                                                const std::string& from_subject, const std::string& to_subject) {
  auto moved = txn.Execute(
      "UPDATE sla_timers SET subject = ? WHERE sla = ? AND subject = ? AND state = 'breached' AND closed_at IS NULL",
      {to_subject, sla, from_subject});
  if (!moved.ok()) return moved.status();
  return *moved == 1;
}

absl::Status SlaClock::Withdraw(Transaction& txn, const std::string& sla, const std::string& subject, absl::Time at) {
  auto clock = Get(txn, sla, subject);
  if (!clock.ok()) return clock.status();
  if (!clock->has_value() || (*clock)->closed_at.has_value()) return absl::OkStatus();
  // Stop() would count a clock closed before its due time as met; the goal
  // was never reached.
  if ((*clock)->state == SlaState::kOpen && at <= (*clock)->timer.due_at) return Cancel(txn, sla, subject, at).status();
  return Stop(txn, sla, subject, at).status();
}

absl::Status SlaClock::AppendState(Transaction& txn, const std::string& sla, const std::string& subject,
                                   google::protobuf::RepeatedPtrField<v1::SlaState>* out) {
  auto status = Get(txn, sla, subject);
  if (!status.ok()) return status.status();
  if (status->has_value()) *out->Add() = ToProtoSlaState(**status);
  return absl::OkStatus();
}

v1::SlaState ToProtoSlaState(const SlaStatus& status) {
  v1::SlaState out;
  out.set_sla(status.timer.sla);
  if (const v1::SlaDefinition* definition = FindSla(status.timer.sla)) out.set_clause(definition->clause());
  *out.mutable_started_at() = TimeUtil::MicrosecondsToTimestamp(ToMicros(status.timer.started_at));
  *out.mutable_due_at() = TimeUtil::MicrosecondsToTimestamp(ToMicros(status.timer.due_at));
  switch (status.state) {
    case SlaState::kOpen: out.set_state(v1::SLA_STATUS_OPEN); break;
    case SlaState::kMet: out.set_state(v1::SLA_STATUS_MET); break;
    case SlaState::kCancelled: out.set_state(v1::SLA_STATUS_CANCELLED); break;
    case SlaState::kBreached:
      out.set_state(v1::SLA_STATUS_BREACHED);
      *out.mutable_breached_at() = TimeUtil::MicrosecondsToTimestamp(ToMicros(status.timer.due_at));
      break;
  }
  if (status.closed_at.has_value()) {
    *out.mutable_closed_at() = TimeUtil::MicrosecondsToTimestamp(ToMicros(*status.closed_at));
  }
  return out;
}

absl::Status SlaClock::Expire(Transaction& txn, const SlaTimer& timer) {
  auto changed = txn.Execute("UPDATE sla_timers SET state = 'breached' WHERE sla = ? AND subject = ? AND state = 'open'",
                             {timer.sla, timer.subject});
  if (!changed.ok()) return changed.status();
  if (*changed != 1) return absl::OkStatus();  // another sweep or replica got there first
  v1::Breach breach = ExpiryBreach(timer);
  if (auto refiner = refiners_.find(timer.sla); refiner != refiners_.end()) {
    if (auto s = refiner->second(txn, breach); !s.ok()) return s;
  }
  auto recorded = breaches_.Record(txn, std::move(breach));
  if (!recorded.ok()) return recorded.status();
  txn.AfterCommit([this, sla = timer.sla] {
    if (metrics_ != nullptr) metrics_->CountSla(sla, /*met=*/false);
  });
  return absl::OkStatus();
}

absl::StatusOr<SlaOutcome> SlaClock::Stop(Transaction& txn, const std::string& sla, const std::string& subject,
                                          absl::Time at) {
  auto current = Get(txn, sla, subject);
  if (!current.ok()) return current.status();
  if (!current->has_value()) {
    return absl::NotFoundError(absl::StrCat("no ", sla, " clock for ", subject));
  }
  const SlaStatus& status = **current;
  if (status.closed_at.has_value()) return SlaOutcome::kAlreadyClosed;
  SlaOutcome outcome = SlaOutcome::kBreached;
  if (status.state == SlaState::kOpen) {
    if (at <= status.timer.due_at) {
      auto changed = txn.Execute(
          "UPDATE sla_timers SET state = 'met', closed_at = ? WHERE sla = ? AND subject = ? AND state = 'open'",
          {ToMicros(at), sla, subject});
      if (!changed.ok()) return changed.status();
      txn.AfterCommit([this, sla] {
        if (metrics_ != nullptr) metrics_->CountSla(sla, /*met=*/true);
      });
      return SlaOutcome::kMet;
    }
    // Late, and the sweep has not seen it yet: the breach is still dated at the due time.
    if (auto s = Expire(txn, status.timer); !s.ok()) return s;
  } else if (status.state == SlaState::kBreached && at <= status.timer.due_at) {
    // Ended in time by its event time (the goal reached, or the case
    // withdrawn), but reported after the sweep recorded the expiry (a field
    // app synced late). The ledger is append-only: the breach stands until an
    // auditor voids it in risk (AddLedgerCorrection); counted and logged with
    // what finds its ledger entry (service, rule, occurred_at = the due time).
    const v1::Breach breach = ExpiryBreach(status.timer);  // dated at the due time
    txn.AfterCommit([this, sla, subject, breach, due_at = status.timer.due_at, at] {
      if (metrics_ != nullptr) metrics_->CountLateFact(sla);
      const auto time = [](absl::Time t) { return absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone()); };
      LogWarning("sla_fact_after_expiry", {{"sla", sla},
                                           {"subject", subject},
                                           {"breach_id", breach.breach_id()},
                                           {"rule", breach.rule()},
                                           {"occurred_at", time(due_at)},
                                           {"fact_at", time(at)}});
    });
  }
  auto closed = txn.Execute("UPDATE sla_timers SET closed_at = ? WHERE sla = ? AND subject = ?",
                            {ToMicros(at), sla, subject});
  if (!closed.ok()) return closed.status();
  return outcome;
}

absl::StatusOr<int> SlaClock::Sweep(Database& db, int batch_size, absl::Duration max_pass) {
  int expired = 0;
  const absl::Time pass_started = absl::Now();
  while (true) {
    int in_batch = 0;
    const absl::Time batch_started = absl::Now();  // pacing, not SLA time: the real clock
    absl::Status status = db.InTransaction([&](Transaction& txn) -> absl::Status {
      in_batch = 0;
      if (sweep_prologue_) {
        if (auto s = sweep_prologue_(txn); !s.ok()) return s;
      }
      // SLA by SLA on the (sla, due time) index, up to batch_size clocks in all.
      for (const v1::SlaDefinition& sla : Catalogue().slas()) {
        // Strictly before now (less the grace): a goal reached exactly at the
        // due time is on time.
        auto rows = txn.Query(absl::StrCat("SELECT ", kTimerColumns, " FROM sla_timers"
                                           " WHERE state = 'open' AND sla = ? AND due_at < ? ORDER BY due_at LIMIT ?"),
                              {sla.name(), ToMicros(clock_.Now() - expiry_grace_),
                               static_cast<int64_t>(batch_size - in_batch)});
        if (!rows.ok()) return rows.status();
        for (const Row& row : *rows) {
          if (auto s = Expire(txn, TimerFromRow(row)); !s.ok()) return s;
          ++in_batch;
        }
        if (in_batch == batch_size) break;
      }
      return absl::OkStatus();
    });
    // A conflict that outlasted the backend's retries means another replica is
    // recording these same clocks right now: leave them to it (or to the next pass).
    if (absl::IsAborted(status)) return expired;
    if (!status.ok()) return status;
    expired += in_batch;
    if (in_batch < batch_size) return expired;
    if (absl::Now() - pass_started >= max_pass) return expired;  // the next pass goes on
    // A backlog: leave the connection to calls for as long as this batch held
    // it, so the sweep takes at most half of it and calls keep being answered.
    absl::SleepFor(absl::Now() - batch_started);
  }
}

const KeptCount& SlaClock::OpenClocks() {
  static const auto* kCount = new KeptCount{"sla_open", "sla_timers", "CASE WHEN NEW.state = 'open' THEN NEW.sla END"};
  return *kCount;
}

absl::Status SlaClock::RefreshGauges(Database& db, const std::string& service,
                                     const std::map<std::string, absl::Duration>& due_soon_windows) {
  std::map<std::string, std::pair<double, double>> figures;  // sla -> (open, due soon)
  const absl::Time now = clock_.Now();
  absl::Status status = db.InReadTransaction([&](Transaction& txn) -> absl::Status {
    auto open = ReadKeptCount(txn, db.dialect(), OpenClocks());
    if (!open.ok()) return open.status();
    for (const v1::SlaDefinition* sla : SlasOfService(service)) {
      auto window = due_soon_windows.find(sla->name());
      const absl::Duration soon = window != due_soon_windows.end() ? window->second : absl::ZeroDuration();
      // On the (sla, due time) index: the cost follows what falls due soon.
      auto due = txn.Query("SELECT COUNT(*) FROM sla_timers WHERE state = 'open' AND sla = ? AND due_at <= ?",
                           {sla->name(), ToMicros(now + soon)});
      if (!due.ok()) return due.status();
      auto n = open->find(sla->name());
      figures[sla->name()] = {n == open->end() ? 0 : static_cast<double>(n->second),
                              static_cast<double>((*due)[0].Int(0))};
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (metrics_ != nullptr) {
    for (const auto& [sla, values] : figures) metrics_->SetSlaGauges(sla, values.first, values.second);
  }
  return absl::OkStatus();
}

}  // namespace gridserve
