#ifndef GRIDSERVE_SERVICES_COMMON_BREACH_RECORDER_H_
#define GRIDSERVE_SERVICES_COMMON_BREACH_RECORDER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gridserve/v1/common.pb.h"
#include "services/common/clock.h"
#include "services/common/change_notifier.h"
#include "services/common/database.h"
#include "services/common/service_metrics.h"

namespace gridserve {

// Every breach a service finds: one row in its `breaches` table, one
// increment of gridserve_norm_breaches_total (after commit), and one message
// to risk's ledger (by default through the outbox, idempotent by breach_id).
class BreachRecorder {
 public:
  // Where a breach goes beyond the local table, in the same transaction.
  using Sink = std::function<absl::Status(Transaction&, const v1::Breach&)>;

  BreachRecorder(std::string service, const Clock& clock, ServiceMetrics* metrics, Sink sink);

  // The default sink: the outbox topic risk.breach.
  static Sink OutboxToRisk(const Clock& clock);

  // Records a breach; a breach_id already recorded is a no-op (returns false).
  // Fills in `service` and, if unset, `occurred_at`.
  absl::StatusOr<bool> Record(Transaction& txn, v1::Breach breach);

  // Replaces the sink (risk keeps its own breaches in its ledger).
  void SetSink(Sink sink) { sink_ = std::move(sink); }

  // Breach events after a sequence number (for WatchBreaches), oldest first;
  // `rule` empty means all rules.
  absl::StatusOr<std::vector<v1::BreachEvent>> ListEvents(Transaction& txn, int64_t after_sequence,
                                                          const std::string& rule, int limit);

  // Woken after every recorded breach commits (watch streams wait on it).
  ChangeNotifier& notifier() { return notifier_; }

  // The breaches recorded about a subject, oldest first.
  absl::StatusOr<std::vector<v1::Breach>> ListForSubject(Transaction& txn, const std::string& subject);

 private:
  const std::string service_;
  const Clock& clock_;
  ServiceMetrics* metrics_;
  Sink sink_;
  ChangeNotifier notifier_;
};

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_BREACH_RECORDER_H_
