#include "services/repair/storage/outage_store.h"

#include "absl/strings/str_cat.h"
#include "services/common/clock.h"
#include "services/common/rpc_util.h"

namespace gridserve::repair {
namespace {

std::string Body(const v1::Outage& outage) {
  v1::Outage stored = outage;
  stored.clear_breaches();
  return stored.SerializeAsString();
}

SqlValue OptionalTime(bool present, const google::protobuf::Timestamp& t) {
  if (!present) return nullptr;
  return ToMicros(FromProto(t));
}

// The interval an outage occupies: from the cut (or the planned start) to
// the restoration; open while active; the planned end while only scheduled.
struct Interval {
  int64_t start;
  std::optional<int64_t> end;
};

Interval IntervalOf(const v1::Outage& o) {
  Interval interval{ToMicros(FromProto(o.has_started_at() ? o.started_at() : o.planned_start())), std::nullopt};
  if (o.has_restored_at()) {
    interval.end = ToMicros(FromProto(o.restored_at()));
  } else if (o.state() != v1::OUTAGE_STATE_ACTIVE && o.has_planned_end()) {
    interval.end = ToMicros(FromProto(o.planned_end()));
  }
  return interval;
}

SqlValue Nullable(const std::optional<int64_t>& value) {
  if (!value.has_value()) return nullptr;
  return *value;
}

absl::StatusOr<std::vector<v1::Outage>> Parse(const std::vector<Row>& rows) {
  std::vector<v1::Outage> out;
  for (const Row& row : rows) {
    v1::Outage outage;
    if (!outage.ParseFromString(row.Text(0))) return absl::DataLossError("a stored outage cannot be parsed");
    out.push_back(std::move(outage));
  }
  return out;
}

}  // namespace

absl::Status OutageStore::Insert(Transaction& txn, const v1::Outage& o) {
  const Interval interval = IntervalOf(o);
  auto inserted = txn.Execute(
      "INSERT INTO repair_outages (outage_id, kind, state, department, start_at, end_at, started_at, restored_at,"
      " created_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {o.outage_id(), static_cast<int64_t>(o.kind()), static_cast<int64_t>(o.state()), o.department(), interval.start,
       Nullable(interval.end),
       OptionalTime(o.has_started_at(), o.started_at()), OptionalTime(o.has_restored_at(), o.restored_at()),
       ToMicros(FromProto(o.created_at())), Blob{Body(o)}});
  if (!inserted.ok()) return inserted.status();
  auto add_codes = [&](const char* kind, const auto& codes) -> absl::Status {
    for (const std::string& code : codes) {
      auto s = txn.Execute("INSERT INTO repair_outage_locations (kind, code, outage_id) VALUES (?, ?, ?)",
                           {std::string(kind), code, o.outage_id()});
      if (!s.ok() && !absl::IsAlreadyExists(s.status())) return s.status();  // a code listed twice
    }
    return absl::OkStatus();
  };
  if (auto s = add_codes("feeder", o.feeder_ids()); !s.ok()) return s;
  return add_codes("area", o.area_codes());
}

absl::Status OutageStore::Update(Transaction& txn, const v1::Outage& o) {
  const Interval interval = IntervalOf(o);
  auto changed = txn.Execute(
      "UPDATE repair_outages SET state = ?, start_at = ?, end_at = ?, started_at = ?, restored_at = ?, body = ?"
      " WHERE outage_id = ?",
      {static_cast<int64_t>(o.state()), interval.start, Nullable(interval.end), OptionalTime(o.has_started_at(), o.started_at()),
       OptionalTime(o.has_restored_at(), o.restored_at()), Blob{Body(o)}, o.outage_id()});
  if (!changed.ok()) return changed.status();
  if (*changed != 1) return absl::NotFoundError(absl::StrCat("outage ", o.outage_id(), " not found"));
  return absl::OkStatus();
}

absl::StatusOr<std::optional<v1::Outage>> OutageStore::Find(Transaction& txn, const std::string& outage_id) {
  auto rows = txn.Query("SELECT body FROM repair_outages WHERE outage_id = ?", {outage_id});
  if (!rows.ok()) return rows.status();
  auto outages = Parse(*rows);
  if (!outages.ok()) return outages.status();
  if (outages->empty()) return std::optional<v1::Outage>();
  return std::optional<v1::Outage>(std::move(outages->front()));
}

absl::StatusOr<std::vector<v1::Outage>> OutageStore::List(Transaction& txn, const OutageFilter& f) {
  std::string sql = "SELECT o.body FROM repair_outages o WHERE 1 = 1";
  std::vector<SqlValue> params;
  auto add = [&](const char* clause, SqlValue value) {
    sql += clause;
    params.push_back(std::move(value));
  };
  if (f.kind != v1::OUTAGE_KIND_UNSPECIFIED) add(" AND o.kind = ?", static_cast<int64_t>(f.kind));
  if (f.state != v1::OUTAGE_STATE_UNSPECIFIED) add(" AND o.state = ?", static_cast<int64_t>(f.state));
  if (!f.department.empty()) add(" AND o.department = ?", f.department);
  if (!f.feeder_id.empty()) {
    add(" AND EXISTS (SELECT 1 FROM repair_outage_locations l WHERE l.outage_id = o.outage_id"
        " AND l.kind = 'feeder' AND l.code = ?)",
        f.feeder_id);
  }
  if (!f.area_code.empty()) {
    add(" AND EXISTS (SELECT 1 FROM repair_outage_locations l WHERE l.outage_id = o.outage_id"
        " AND l.kind = 'area' AND l.code = ?)",
        f.area_code);
  }
  if (f.from.has_value()) add(" AND (o.end_at IS NULL OR o.end_at > ?)", ToMicros(*f.from));
  if (f.to.has_value()) add(" AND o.start_at < ?", ToMicros(*f.to));
  sql += " ORDER BY o.start_at, o.outage_id LIMIT ? OFFSET ?";
  params.push_back(static_cast<int64_t>(f.limit));
  params.push_back(f.offset);
  auto rows = txn.Query(sql, params);
  if (!rows.ok()) return rows.status();
  return Parse(*rows);
}

absl::StatusOr<std::vector<v1::Outage>> OutageStore::CoveringCandidates(Transaction& txn, const std::string& feeder_id,
                                                                        const std::string& area_code, absl::Time at) {
  auto rows = txn.Query(
      "SELECT o.body FROM repair_outages o WHERE o.started_at IS NOT NULL AND o.started_at <= ?"
      " AND (o.restored_at IS NULL OR o.restored_at > ?)"
      " AND o.outage_id IN (SELECT l.outage_id FROM repair_outage_locations l"
      "  WHERE (l.kind = 'feeder' AND l.code = ?) OR (l.kind = 'area' AND l.code = ?))"
      " ORDER BY o.outage_id",
      {ToMicros(at), ToMicros(at), feeder_id, area_code});
  if (!rows.ok()) return rows.status();
  return Parse(*rows);
}

absl::StatusOr<std::vector<std::pair<v1::OutageKind, int64_t>>> OutageStore::ActiveByKind(Transaction& txn) {
  auto rows = txn.Query("SELECT kind, COUNT(*) FROM repair_outages WHERE state = ? GROUP BY kind",
                        {static_cast<int64_t>(v1::OUTAGE_STATE_ACTIVE)});
  if (!rows.ok()) return rows.status();
  std::vector<std::pair<v1::OutageKind, int64_t>> out;
  for (const Row& row : *rows) out.emplace_back(static_cast<v1::OutageKind>(row.Int(0)), row.Int(1));
  return out;
}

}  // namespace gridserve::repair
