#include "services/contact_center/storage/contact_center_schema.h"

namespace gridserve::contact_center {

// Each entity: the columns lists filter and sort on, plus the whole record as
// a serialized proto (the read model). Times are microseconds since the epoch.
const std::vector<Migration>& ContactCenterMigrations() {
  static const auto* kMigrations = new std::vector<Migration>{
      {1, "calls",
       // CC-1 / CC-4 / CC-6 / CC-8. external_call_id is the telephony id
       // (NULL when not given; UNIQUE allows several NULLs in both dialects).
       "CREATE TABLE cc_calls ("
       " call_id TEXT PRIMARY KEY, external_call_id TEXT UNIQUE, department TEXT NOT NULL,"
       " agent_staff_id TEXT NOT NULL, outcome INTEGER NOT NULL, disposition INTEGER NOT NULL,"
       " alerting_started_at INTEGER NOT NULL, call BLOB NOT NULL);"
       "CREATE INDEX cc_calls_alerting ON cc_calls (alerting_started_at);"},
      {2, "consultations",
       // CC-2. due_at is the callback due time (NULL when answered on the call).
       "CREATE TABLE cc_consultations ("
       " consultation_id TEXT PRIMARY KEY, department TEXT NOT NULL, state INTEGER NOT NULL,"
       " due_at INTEGER, opened_at INTEGER NOT NULL, consultation BLOB NOT NULL);"
       "CREATE INDEX cc_consultations_due ON cc_consultations (state, due_at);"},
      {3, "fault_reports",
       // CC-3. dispatch_status follows DispatchStatus (updated on delivery).
       "CREATE TABLE cc_fault_reports ("
       " fault_report_id TEXT PRIMARY KEY, department TEXT NOT NULL, classification INTEGER NOT NULL,"
       " dispatch_status INTEGER NOT NULL, reported_at INTEGER NOT NULL, fault_report BLOB NOT NULL);"
       "CREATE INDEX cc_fault_reports_reported ON cc_fault_reports (reported_at);"},
      {4, "cases",
       // CC-5 complaints and tip-offs; due_at is the reply due time.
       "CREATE TABLE cc_cases ("
       " case_id TEXT PRIMARY KEY, kind INTEGER NOT NULL, department TEXT NOT NULL,"
       " state INTEGER NOT NULL, red_line INTEGER NOT NULL, due_at INTEGER NOT NULL,"
       " received_at INTEGER NOT NULL, customer_case BLOB NOT NULL);"
       "CREATE INDEX cc_cases_due ON cc_cases (state, due_at);"},
      // The case gauges read this instead of counting every case (kept_counts.h).
      KeptCountMigration(5, CasesByKindAndState()),
  };
  return *kMigrations;
}

const KeptCount& CasesByKindAndState() {
  static const auto* kCount = new KeptCount{"cc_cases_by_kind_state", "cc_cases", PairKey("kind", "state")};
  return *kCount;
}

}  // namespace gridserve::contact_center
