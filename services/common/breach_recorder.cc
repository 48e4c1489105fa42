#include "services/common/breach_recorder.h"

#include "google/protobuf/util/time_util.h"
#include "services/common/log.h"
#include "services/common/outbox.h"

namespace gridserve {

using google::protobuf::util::TimeUtil;

BreachRecorder::BreachRecorder(std::string service, const Clock& clock, ServiceMetrics* metrics, Sink sink)
    : service_(std::move(service)), clock_(clock), metrics_(metrics), sink_(std::move(sink)) {}

BreachRecorder::Sink BreachRecorder::OutboxToRisk(const Clock& clock) {
  return [&clock](Transaction& txn, const v1::Breach& breach) {
    return EnqueueOutbox(txn, clock.Now(), breach.breach_id(), kTopicRiskBreach, breach.SerializeAsString());
  };
}

absl::StatusOr<bool> BreachRecorder::Record(Transaction& txn, v1::Breach breach) {
  if (breach.breach_id().empty() || breach.rule().empty()) {
    return absl::InternalError("a breach needs a breach_id and a rule");
  }
  breach.set_service(service_);
  if (!breach.has_occurred_at()) {
    *breach.mutable_occurred_at() = TimeUtil::MicrosecondsToTimestamp(ToMicros(clock_.Now()));
  }
  // Writers are serialised by the transaction, so MAX + 1 is a gap-free
  // sequence. A breach_id already recorded changes no row; a concurrent
  // writer on another replica taking the same sequence fails on the UNIQUE,
  // and the transaction is retried.
  auto inserted = txn.Execute(
      "INSERT INTO breaches (breach_id, sequence, rule, department, subject, occurred_at, recorded_at, breach)"
      " SELECT ?, COALESCE(MAX(sequence), 0) + 1, ?, ?, ?, ?, ?, ? FROM breaches WHERE true"
      " ON CONFLICT (breach_id) DO NOTHING",
      {breach.breach_id(), breach.rule(), breach.department(), breach.subject(),
       TimeUtil::TimestampToMicroseconds(breach.occurred_at()), ToMicros(clock_.Now()),
       Blob{breach.SerializeAsString()}});
  if (absl::IsAlreadyExists(inserted.status())) return absl::AbortedError("breach sequence taken concurrently; retry");
  if (!inserted.ok()) return inserted.status();
  if (*inserted == 0) return false;
  if (sink_) {
    if (auto s = sink_(txn, breach); !s.ok()) return s;
  }
  txn.AfterCommit([this, rule = breach.rule(), department = breach.department(), id = breach.breach_id()] {
    if (metrics_ != nullptr) metrics_->CountBreach(rule, department);
    notifier_.Notify();
    LogInfo("breach_recorded", {{"rule", rule}, {"breach_id", id}});
  });
  return true;
}

absl::StatusOr<std::vector<v1::BreachEvent>> BreachRecorder::ListEvents(Transaction& txn, int64_t after_sequence,
                                                                       const std::string& rule, int limit) {
  auto rows = txn.Query(
      "SELECT sequence, recorded_at, breach FROM breaches WHERE sequence > ? AND (? = '' OR rule = ?)"
      " ORDER BY sequence LIMIT ?",
      {after_sequence, rule, rule, static_cast<int64_t>(limit)});
  if (!rows.ok()) return rows.status();
  std::vector<v1::BreachEvent> out;
  for (const Row& row : *rows) {
    v1::BreachEvent event;
    event.set_sequence(row.Int(0));
    *event.mutable_recorded_at() = TimeUtil::MicrosecondsToTimestamp(row.Int(1));
    if (!event.mutable_breach()->ParseFromString(row.Text(2))) {
      return absl::DataLossError("a stored breach cannot be parsed");
    }
    out.push_back(std::move(event));
  }
  return out;
}

absl::StatusOr<std::vector<v1::Breach>> BreachRecorder::ListForSubject(Transaction& txn, const std::string& subject) {
  auto rows = txn.Query("SELECT breach FROM breaches WHERE subject = ? ORDER BY occurred_at, breach_id", {subject});
  if (!rows.ok()) return rows.status();
  std::vector<v1::Breach> out;
  for (const Row& row : *rows) {
    v1::Breach b;
    if (!b.ParseFromString(row.Text(0))) return absl::DataLossError("a stored breach cannot be parsed");
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace gridserve
