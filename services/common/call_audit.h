#ifndef GRIDSERVE_SERVICES_COMMON_CALL_AUDIT_H_
#define GRIDSERVE_SERVICES_COMMON_CALL_AUDIT_H_

#include "absl/status/status.h"
#include "services/common/database.h"

namespace gridserve {

// The audit record of the state-changing call a thread is handling. The
// security layer sets it around the call's handler (Scope); RunOnce appends
// it to the transaction that commits the call's change, so the change and
// its record are one commit — one fsync instead of two, and neither exists
// without the other. A call that fails, or commits nothing through RunOnce,
// is recorded by the security interceptor when it ends, as before.
class CallAudit {
 public:
  virtual ~CallAudit() = default;

  // The current call's audit if it can be written in a transaction of `db`
  // (its audit trail is in `db`, and the backend allows it), else nullptr.
  static CallAudit* For(const Database& db);

  // Appends the record with outcome OK to `txn`; once `txn` has committed,
  // the call's end writes no second record for an OK outcome.
  virtual absl::Status RecordInTransaction(Transaction& txn) = 0;

  // Makes `audit` the current thread's call audit for the Scope's lifetime.
  class Scope {
   public:
    explicit Scope(CallAudit* audit);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    CallAudit* previous_;
  };

 protected:
  virtual bool WritesTo(const Database& db) const = 0;
};

}  // namespace gridserve

#endif  // GRIDSERVE_SERVICES_COMMON_CALL_AUDIT_H_
