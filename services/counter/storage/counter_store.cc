#include "services/counter/storage/counter_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/clock.h"
#include "services/common/rpc_util.h"

namespace gridserve::counter {
namespace {

using Columns = std::vector<std::pair<std::string, SqlValue>>;

// Inserts or replaces a row; columns[0] is the primary key `id`.
absl::Status Upsert(Transaction& txn, const std::string& table, const Columns& columns) {
  std::vector<std::string> sets;
  std::vector<SqlValue> params;
  for (size_t i = 1; i < columns.size(); ++i) {
    sets.push_back(columns[i].first + " = ?");
    params.push_back(columns[i].second);
  }
  params.push_back(columns[0].second);
  auto updated = txn.Execute(absl::StrCat("UPDATE ", table, " SET ", absl::StrJoin(sets, ", "), " WHERE id = ?"),
                             params);
  if (!updated.ok()) return updated.status();
  if (*updated > 0) return absl::OkStatus();
  std::vector<std::string> names;
  std::vector<std::string> marks;
  std::vector<SqlValue> values;
  for (const auto& [name, value] : columns) {
    names.push_back(name);
    marks.push_back("?");
    values.push_back(value);
  }
  return txn
      .Execute(absl::StrCat("INSERT INTO ", table, " (", absl::StrJoin(names, ", "), ") VALUES (",
                            absl::StrJoin(marks, ", "), ")"),
               values)
      .status();
}

template <typename Msg>
absl::StatusOr<std::vector<Msg>> QueryBodies(Transaction& txn, const std::string& sql,
                                             const std::vector<SqlValue>& params) {
  auto rows = txn.Query(sql, params);
  if (!rows.ok()) return rows.status();
  std::vector<Msg> out;
  for (const Row& row : *rows) {
    Msg msg;
    if (!msg.ParseFromString(row.Text(0))) return absl::DataLossError("a stored counter record cannot be parsed");
    out.push_back(std::move(msg));
  }
  return out;
}

template <typename Msg>
absl::StatusOr<std::optional<Msg>> FindBody(Transaction& txn, const std::string& table, const std::string& id) {
  auto found = QueryBodies<Msg>(txn, absl::StrCat("SELECT body FROM ", table, " WHERE id = ?"), {id});
  if (!found.ok()) return found.status();
  if (found->empty()) return std::optional<Msg>();
  return std::optional<Msg>(std::move(found->front()));
}

// A WHERE clause built from the filters that are set.
class Where {
 public:
  void Add(const std::string& condition, SqlValue value) {
    conditions_.push_back(condition);
    params_.push_back(std::move(value));
  }
  void AddIf(bool set, const std::string& condition, SqlValue value) {
    if (set) Add(condition, std::move(value));
  }
  void AddTime(const std::optional<absl::Time>& t, const std::string& condition) {
    if (t.has_value()) Add(condition, ToMicros(*t));
  }
  std::string sql() const {
    return conditions_.empty() ? "" : absl::StrCat(" WHERE ", absl::StrJoin(conditions_, " AND "));
  }
  std::vector<SqlValue> params(int64_t offset, int limit) const {
    std::vector<SqlValue> p = params_;
    p.push_back(static_cast<int64_t>(limit));
    p.push_back(offset);
    return p;
  }
  const std::vector<SqlValue>& params() const { return params_; }

 private:
  std::vector<std::string> conditions_;
  std::vector<SqlValue> params_;
};

constexpr char kPage[] = " LIMIT ? OFFSET ?";
constexpr char kQueueOrder[] = " ORDER BY priority DESC, issued_at, id";

}  // namespace

// Tickets.
absl::StatusOr<std::optional<v1::Ticket>> CounterStore::FindTicket(const std::string& id) {
  return FindBody<v1::Ticket>(txn_, "counter_tickets", id);
}

absl::Status CounterStore::SaveTicket(const v1::Ticket& t, absl::Time wait_due_at) {
  return Upsert(txn_, "counter_tickets",
                {{"id", t.ticket_id()},
                 {"hall_id", t.hall_id()},
                 {"state", static_cast<int64_t>(t.state())},
                 {"priority", static_cast<int64_t>(t.priority())},
                 {"business_type", t.business_type()},
                 {"accessible", static_cast<int64_t>(t.accessibility_needs_size() > 0)},
                 {"issued_at", ToMicros(FromProto(t.issued_at()))},
                 {"wait_due_at", ToMicros(wait_due_at)},
                 {"counter_id", t.counter_id()},
                 {"body", Blob{t.SerializeAsString()}}});
}

absl::StatusOr<std::vector<v1::Ticket>> CounterStore::TicketsInStates(const std::string& hall_id,
                                                                      const std::vector<int>& states) {
  std::vector<std::string> marks;
  std::vector<SqlValue> params = {hall_id};
  for (int s : states) {
    marks.push_back("?");
    params.push_back(static_cast<int64_t>(s));
  }
  return QueryBodies<v1::Ticket>(txn_,
                                 absl::StrCat("SELECT body FROM counter_tickets WHERE hall_id = ? AND state IN (",
                                              absl::StrJoin(marks, ", "), ")", kQueueOrder),
                                 params);
}

absl::StatusOr<std::optional<v1::Ticket>> CounterStore::NextWaitingTicket(const std::string& hall_id) {
  auto first = QueryBodies<v1::Ticket>(
      txn_, absl::StrCat("SELECT body FROM counter_tickets WHERE hall_id = ? AND state = ?", kQueueOrder, " LIMIT 1"),
      {hall_id, static_cast<int64_t>(v1::TICKET_STATE_WAITING)});
  if (!first.ok()) return first.status();
  if (first->empty()) return std::nullopt;
  return std::move(first->front());
}

absl::StatusOr<int64_t> CounterStore::CountWaitingAhead(const v1::Ticket& ticket) {
  // The same order as kQueueOrder, counted on the queue index.
  const int64_t priority = ticket.priority();
  const int64_t issued_at = ToMicros(FromProto(ticket.issued_at()));
  auto rows = txn_.Query(
      "SELECT COUNT(*) FROM counter_tickets WHERE hall_id = ? AND state = ? AND"
      " (priority > ? OR (priority = ? AND (issued_at < ? OR (issued_at = ? AND id < ?))))",
      {ticket.hall_id(), static_cast<int64_t>(v1::TICKET_STATE_WAITING), priority, priority, issued_at, issued_at,
       ticket.ticket_id()});
  if (!rows.ok()) return rows.status();
  return (*rows)[0].Int(0);
}

absl::StatusOr<int64_t> CounterStore::CountTicketsIssued(const std::string& hall_id, absl::Time from, absl::Time to) {
  auto rows = txn_.Query("SELECT COUNT(*) FROM counter_tickets WHERE hall_id = ? AND issued_at >= ? AND issued_at < ?",
                         {hall_id, ToMicros(from), ToMicros(to)});
  if (!rows.ok()) return rows.status();
  return (*rows)[0].Int(0);
}

absl::StatusOr<int64_t> CounterStore::CountWaiting(const std::string& hall_id, std::optional<absl::Time> due_before) {
  Where where;
  where.Add("state = ?", static_cast<int64_t>(v1::TICKET_STATE_WAITING));
  where.AddIf(!hall_id.empty(), "hall_id = ?", hall_id);
  where.AddTime(due_before, "wait_due_at < ?");
  auto rows = txn_.Query(absl::StrCat("SELECT COUNT(*) FROM counter_tickets", where.sql()), where.params());
  if (!rows.ok()) return rows.status();
  return (*rows)[0].Int(0);
}

absl::StatusOr<std::vector<v1::Ticket>> CounterStore::ListTickets(const TicketFilter& f, int64_t offset, int limit) {
  Where where;
  where.AddIf(!f.hall_id.empty(), "hall_id = ?", f.hall_id);
  where.AddIf(f.state != 0, "state = ?", static_cast<int64_t>(f.state));
  where.AddIf(!f.business_type.empty(), "business_type = ?", f.business_type);
  where.AddIf(f.accessibility_only, "accessible = ?", int64_t{1});
  if (f.wait_due_before.has_value()) {
    where.Add("state = ?", static_cast<int64_t>(v1::TICKET_STATE_WAITING));
    where.AddTime(f.wait_due_before, "wait_due_at < ?");
  }
  where.AddTime(f.issued_from, "issued_at >= ?");
  where.AddTime(f.issued_to, "issued_at < ?");
  // Waiting tickets come in queue order; other listings in issue order.
  const char* order = f.state == v1::TICKET_STATE_WAITING ? kQueueOrder : " ORDER BY issued_at, id";
  return QueryBodies<v1::Ticket>(
      txn_, absl::StrCat("SELECT body FROM counter_tickets", where.sql(), order, kPage), where.params(offset, limit));
}

// Counters and sessions.
namespace {

absl::StatusOr<std::vector<StoredCounter>> QueryCounters(Transaction& txn, const std::string& sql,
                                                         const std::vector<SqlValue>& params) {
  auto rows = txn.Query(sql, params);
  if (!rows.ok()) return rows.status();
  std::vector<StoredCounter> out;
  for (const Row& row : *rows) {
    StoredCounter stored;
    if (!stored.counter.ParseFromString(row.Text(0))) {
      return absl::DataLossError("a stored counter record cannot be parsed");
    }
    stored.subject = row.Text(1);
    out.push_back(std::move(stored));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::optional<StoredCounter>> CounterStore::FindCounter(const std::string& hall_id,
                                                                       const std::string& counter_id) {
  auto found = QueryCounters(txn_, "SELECT body, subject FROM counter_counters WHERE hall_id = ? AND counter_id = ?",
                             {hall_id, counter_id});
  if (!found.ok()) return found.status();
  if (found->empty()) return std::optional<StoredCounter>();
  return std::optional<StoredCounter>(std::move(found->front()));
}

absl::StatusOr<std::vector<StoredCounter>> CounterStore::CountersNumbered(const std::string& counter_id) {
  return QueryCounters(txn_, "SELECT body, subject FROM counter_counters WHERE counter_id = ? ORDER BY hall_id",
                       {counter_id});
}

absl::Status CounterStore::SaveCounter(const StoredCounter& stored) {
  const v1::HallCounter& c = stored.counter;
  auto updated = txn_.Execute("UPDATE counter_counters SET state = ?, body = ? WHERE hall_id = ? AND counter_id = ?",
                              {static_cast<int64_t>(c.state()), Blob{c.SerializeAsString()}, c.hall_id(),
                               c.counter_id()});
  if (!updated.ok()) return updated.status();
  if (*updated > 0) return absl::OkStatus();
  return txn_
      .Execute("INSERT INTO counter_counters (hall_id, counter_id, subject, state, body) VALUES (?, ?, ?, ?, ?)",
               {c.hall_id(), c.counter_id(), stored.subject, static_cast<int64_t>(c.state()),
                Blob{c.SerializeAsString()}})
      .status();
}

absl::StatusOr<std::vector<StoredCounter>> CounterStore::ListCounters(const std::string& hall_id, int state,
                                                                      int64_t offset, int limit) {
  Where where;
  where.AddIf(!hall_id.empty(), "hall_id = ?", hall_id);
  where.AddIf(state != 0, "state = ?", static_cast<int64_t>(state));
  return QueryCounters(txn_,
                       absl::StrCat("SELECT body, subject FROM counter_counters", where.sql(),
                                    " ORDER BY hall_id, counter_id", kPage),
                       where.params(offset, limit));
}

absl::StatusOr<std::vector<std::pair<int, int64_t>>> CounterStore::CountCountersByState() {
  auto rows = txn_.Query("SELECT state, COUNT(*) FROM counter_counters GROUP BY state");
  if (!rows.ok()) return rows.status();
  std::vector<std::pair<int, int64_t>> out;
  for (const Row& row : *rows) out.emplace_back(static_cast<int>(row.Int(0)), row.Int(1));
  return out;
}

absl::StatusOr<std::optional<v1::CounterSession>> CounterStore::FindSession(const std::string& id) {
  return FindBody<v1::CounterSession>(txn_, "counter_sessions", id);
}

absl::Status CounterStore::SaveSession(const v1::CounterSession& s) {
  return Upsert(txn_, "counter_sessions",
                {{"id", s.session_id()},
                 {"hall_id", s.hall_id()},
                 {"counter_id", s.counter_id()},
                 {"staff_id", s.staff().staff_id()},
                 {"state", static_cast<int64_t>(s.state())},
                 {"body", Blob{s.SerializeAsString()}}});
}

absl::StatusOr<std::vector<v1::CounterSession>> CounterStore::OpenSessionsOfHall(const std::string& hall_id) {
  return QueryBodies<v1::CounterSession>(
      txn_, "SELECT body FROM counter_sessions WHERE hall_id = ? AND state = ? ORDER BY id",
      {hall_id, static_cast<int64_t>(v1::COUNTER_SESSION_STATE_OPEN)});
}

// Visits and forms.
absl::StatusOr<std::optional<v1::Visit>> CounterStore::FindVisit(const std::string& id) {
  return FindBody<v1::Visit>(txn_, "counter_visits", id);
}

absl::Status CounterStore::SaveVisit(const v1::Visit& v) {
  return Upsert(txn_, "counter_visits",
                {{"id", v.visit_id()},
                 {"hall_id", v.hall_id()},
                 {"ticket_id", v.ticket_id()},
                 {"owner_staff_id", v.owner().staff_id()},
                 {"department", v.owner().department()},
                 {"state", static_cast<int64_t>(v.state())},
                 {"outcome", static_cast<int64_t>(v.outcome())},
                 {"started_at", ToMicros(FromProto(v.started_at()))},
                 {"body", Blob{v.SerializeAsString()}}});
}

absl::StatusOr<std::vector<v1::Visit>> CounterStore::ListVisits(const VisitFilter& f, int64_t offset, int limit) {
  Where where;
  where.AddIf(!f.hall_id.empty(), "hall_id = ?", f.hall_id);
  where.AddIf(!f.owner_staff_id.empty(), "owner_staff_id = ?", f.owner_staff_id);
  where.AddIf(!f.department.empty(), "department = ?", f.department);
  where.AddIf(f.state != 0, "state = ?", static_cast<int64_t>(f.state));
  where.AddIf(f.outcome != 0, "outcome = ?", static_cast<int64_t>(f.outcome));
  where.AddTime(f.started_from, "started_at >= ?");
  where.AddTime(f.started_to, "started_at < ?");
  return QueryBodies<v1::Visit>(
      txn_, absl::StrCat("SELECT body FROM counter_visits", where.sql(), " ORDER BY started_at, id", kPage),
      where.params(offset, limit));
}

absl::StatusOr<std::optional<v1::ApplicationForm>> CounterStore::FindForm(const std::string& id) {
  return FindBody<v1::ApplicationForm>(txn_, "counter_forms", id);
}

absl::Status CounterStore::SaveForm(const v1::ApplicationForm& f) {
  return Upsert(txn_, "counter_forms",
                {{"id", f.form_id()}, {"visit_id", f.visit_id()}, {"body", Blob{f.SerializeAsString()}}});
}

// System failures and appointments.
absl::StatusOr<std::optional<v1::SystemFailure>> CounterStore::FindFailure(const std::string& id) {
  return FindBody<v1::SystemFailure>(txn_, "counter_failures", id);
}

absl::Status CounterStore::SaveFailure(const v1::SystemFailure& f) {
  return Upsert(txn_, "counter_failures",
                {{"id", f.failure_id()},
                 {"hall_id", f.hall_id()},
                 {"state", static_cast<int64_t>(f.state())},
                 {"started_at", ToMicros(FromProto(f.started_at()))},
                 {"body", Blob{f.SerializeAsString()}}});
}

absl::StatusOr<std::vector<v1::SystemFailure>> CounterStore::OpenFailures(const std::string& hall_id) {
  Where where;
  where.Add("state = ?", static_cast<int64_t>(v1::SYSTEM_FAILURE_STATE_OPEN));
  where.AddIf(!hall_id.empty(), "hall_id = ?", hall_id);
  return QueryBodies<v1::SystemFailure>(
      txn_, absl::StrCat("SELECT body FROM counter_failures", where.sql(), " ORDER BY started_at, id"),
      where.params());
}

absl::StatusOr<std::optional<v1::Appointment>> CounterStore::FindAppointment(const std::string& id) {
  return FindBody<v1::Appointment>(txn_, "counter_appointments", id);
}

absl::Status CounterStore::SaveAppointment(const v1::Appointment& a) {
  return Upsert(txn_, "counter_appointments",
                {{"id", a.appointment_id()},
                 {"hall_id", a.hall_id()},
                 {"visit_id", a.visit_id()},
                 {"failure_id", a.failure_id()},
                 {"state", static_cast<int64_t>(a.state())},
                 {"scheduled_at", ToMicros(FromProto(a.scheduled_at()))},
                 {"body", Blob{a.SerializeAsString()}}});
}

absl::StatusOr<std::vector<v1::Appointment>> CounterStore::ListAppointments(const AppointmentFilter& f,
                                                                            int64_t offset, int limit) {
  Where where;
  where.AddIf(!f.hall_id.empty(), "hall_id = ?", f.hall_id);
  where.AddIf(!f.failure_id.empty(), "failure_id = ?", f.failure_id);
  where.AddIf(f.state != 0, "state = ?", static_cast<int64_t>(f.state));
  where.AddTime(f.scheduled_before, "scheduled_at < ?");
  where.AddTime(f.scheduled_from, "scheduled_at >= ?");
  where.AddTime(f.scheduled_to, "scheduled_at < ?");
  return QueryBodies<v1::Appointment>(
      txn_, absl::StrCat("SELECT body FROM counter_appointments", where.sql(), " ORDER BY scheduled_at, id", kPage),
      where.params(offset, limit));
}

// Home service.
absl::StatusOr<std::optional<v1::HomeService>> CounterStore::FindHomeService(const std::string& id) {
  return FindBody<v1::HomeService>(txn_, "counter_home_services", id);
}

absl::Status CounterStore::SaveHomeService(const v1::HomeService& h, absl::Time due_at) {
  return Upsert(txn_, "counter_home_services",
                {{"id", h.home_service_id()},
                 {"hall_id", h.hall_id()},
                 {"state", static_cast<int64_t>(h.state())},
                 {"opened_at", ToMicros(FromProto(h.opened_at()))},
                 {"due_at", ToMicros(due_at)},
                 {"body", Blob{h.SerializeAsString()}}});
}

absl::StatusOr<std::vector<v1::HomeService>> CounterStore::ListHomeServices(const HomeServiceFilter& f,
                                                                            int64_t offset, int limit) {
  Where where;
  where.AddIf(!f.hall_id.empty(), "hall_id = ?", f.hall_id);
  where.AddIf(f.state != 0, "state = ?", static_cast<int64_t>(f.state));
  where.AddTime(f.due_before, "due_at < ?");
  where.AddTime(f.opened_from, "opened_at >= ?");
  where.AddTime(f.opened_to, "opened_at < ?");
  return QueryBodies<v1::HomeService>(
      txn_, absl::StrCat("SELECT body FROM counter_home_services", where.sql(), " ORDER BY opened_at, id", kPage),
      where.params(offset, limit));
}

// Hall closings.
absl::StatusOr<std::optional<v1::CloseHallResponse>> CounterStore::FindHallClosing(const std::string& hall_id,
                                                                                    const std::string& day) {
  return FindBody<v1::CloseHallResponse>(txn_, "counter_hall_closings", absl::StrCat(hall_id, "/", day));
}

absl::Status CounterStore::SaveHallClosing(const std::string& day, const v1::CloseHallResponse& c) {
  return Upsert(txn_, "counter_hall_closings",
                {{"id", absl::StrCat(c.hall_id(), "/", day)},
                 {"hall_id", c.hall_id()},
                 {"closed_at", ToMicros(FromProto(c.closed_at()))},
                 {"body", Blob{c.SerializeAsString()}}});
}

absl::StatusOr<int64_t> CounterStore::CountInState(const KeptCount& count, int state, absl::string_view dialect) {
  auto counts = ReadKeptCount(txn_, dialect, count);
  if (!counts.ok()) return counts.status();
  auto n = counts->find(absl::StrCat(state));
  return n == counts->end() ? 0 : n->second;
}

}  // namespace gridserve::counter
