#include "services/construction/storage/project_store.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/time_util.h"
#include "services/common/clock.h"
#include "services/common/sla_clock.h"
#include "services/construction/storage/construction_schema.h"
#include "services/construction/domain/effects.h"

namespace gridserve::construction {
namespace {

using google::protobuf::util::TimeUtil;

int64_t OpenDamages(const v1::Project& project) {
  int64_t n = 0;
  for (const auto& d : project.damages()) n += d.state() != v1::DAMAGE_STATE_CONFIRMED ? 1 : 0;
  return n;
}

// The stored form: the read model's computed parts are left out.
Blob Stored(const v1::Project& project) {
  v1::Project copy = project;
  copy.clear_slas();
  copy.clear_breaches();
  return Blob{copy.SerializeAsString()};
}

}  // namespace

absl::Status ProjectStore::Insert(Transaction& txn, const v1::Project& project, absl::Time now) {
  return txn
      .Execute("INSERT INTO construction_projects (project_id, subject, project_type, stage, department, applied_at,"
               " open_damages, updated_at, project) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
               {project.project_id(), ProjectSubject(project.project_id()),
                static_cast<int64_t>(project.project_type()), static_cast<int64_t>(project.stage()),
                project.department(), TimeUtil::TimestampToMicroseconds(project.applied_at()),
                OpenDamages(project), ToMicros(now), Stored(project)})
      .status();
}

absl::Status ProjectStore::Update(Transaction& txn, const v1::Project& project, absl::Time now) {
  auto changed = txn.Execute(
      "UPDATE construction_projects SET stage = ?, open_damages = ?, updated_at = ?, project = ? WHERE project_id = ?",
      {static_cast<int64_t>(project.stage()), OpenDamages(project), ToMicros(now), Stored(project),
       project.project_id()});
  if (!changed.ok()) return changed.status();
  if (*changed != 1) return absl::NotFoundError(absl::StrCat("project ", project.project_id(), " not found"));
  return absl::OkStatus();
}

absl::StatusOr<v1::Project> ProjectStore::Load(Transaction& txn, const std::string& project_id) {
  auto rows = txn.Query("SELECT project FROM construction_projects WHERE project_id = ?", {project_id});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return absl::NotFoundError(absl::StrCat("project ", project_id, " not found"));
  v1::Project project;
  if (!project.ParseFromString((*rows)[0].Text(0))) return absl::DataLossError("a stored project cannot be parsed");
  return project;
}

absl::StatusOr<std::vector<std::string>> ProjectStore::List(Transaction& txn, const Filter& filter, int64_t offset,
                                                            int limit) {
  std::string sql = "SELECT p.project_id FROM construction_projects p WHERE 1 = 1";
  std::vector<SqlValue> params;
  if (filter.project_type != v1::PROJECT_TYPE_UNSPECIFIED) {
    sql += " AND p.project_type = ?";
    params.push_back(static_cast<int64_t>(filter.project_type));
  }
  if (filter.stage != v1::PROJECT_STAGE_UNSPECIFIED) {
    sql += " AND p.stage = ?";
    params.push_back(static_cast<int64_t>(filter.stage));
  }
  if (!filter.department.empty()) {
    sql += " AND p.department = ?";
    params.push_back(filter.department);
  }
  if (filter.applied_from.has_value()) {
    sql += " AND p.applied_at >= ?";
    params.push_back(ToMicros(*filter.applied_from));
  }
  if (filter.applied_until.has_value()) {
    sql += " AND p.applied_at < ?";
    params.push_back(ToMicros(*filter.applied_until));
  }
  if (filter.open_damage_only) sql += " AND p.open_damages > 0";
  // The project's own clocks (subject) and its re-inspection clocks (subject/...).
  const std::string clocks =
      "FROM sla_timers t WHERE t.state = 'open' AND (t.subject = p.subject OR t.subject LIKE p.subject || '/%')";
  if (filter.due_before.has_value()) {
    sql += absl::StrCat(" AND EXISTS (SELECT 1 ", clocks, " AND t.due_at < ?)");
    params.push_back(ToMicros(*filter.due_before));
    sql += absl::StrCat(" ORDER BY (SELECT MIN(t.due_at) ", clocks, "), p.project_id");
  } else {
    sql += " ORDER BY p.applied_at, p.project_id";
  }
  sql += " LIMIT ? OFFSET ?";
  params.push_back(static_cast<int64_t>(limit));
  params.push_back(offset);
  auto rows = txn.Query(sql, params);
  if (!rows.ok()) return rows.status();
  std::vector<std::string> ids;
  for (const Row& row : *rows) ids.push_back(row.Text(0));
  return ids;
}

absl::StatusOr<std::map<int, int64_t>> ProjectStore::OpenDamagesByStage(Transaction& txn) {
  auto rows = txn.Query(
      "SELECT stage, SUM(open_damages) FROM construction_projects WHERE open_damages > 0 GROUP BY stage");
  if (!rows.ok()) return rows.status();
  std::map<int, int64_t> out;
  for (const Row& row : *rows) out[static_cast<int>(row.Int(0))] = row.Int(1);
  return out;
}

absl::StatusOr<std::vector<std::string>> ProjectStore::EndedWithOpenClocks(Transaction& txn) {
  // Each open clock names its project by subject: "project/<id>" or
  // "project/<id>/inspection/<inspection id>".
  auto clocks = SlaClock::OpenSubjects(txn, {kSlaFirstGuidance, kSlaProjectTimeLimit, kSlaReinspection});
  if (!clocks.ok()) return clocks.status();
  std::set<std::string> projects;
  for (const std::string& clock_subject : *clocks) {
    absl::string_view subject = clock_subject;
    if (!absl::ConsumePrefix(&subject, "project/")) continue;
    projects.insert(std::string(subject.substr(0, subject.find('/'))));
  }
  std::vector<std::string> ids;
  for (const std::string& id : projects) {
    auto rows = txn.Query("SELECT project_id FROM construction_projects WHERE project_id = ? AND stage IN (?, ?)",
                          {id, static_cast<int64_t>(v1::PROJECT_STAGE_COMPLETED),
                           static_cast<int64_t>(v1::PROJECT_STAGE_CANCELLED)});
    if (!rows.ok()) return rows.status();
    if (!rows->empty()) ids.push_back(id);
  }
  return ids;
}

absl::StatusOr<std::map<std::pair<int, int>, int64_t>> ProjectStore::CountByStageAndType(Transaction& txn,
                                                                                         absl::string_view dialect) {
  auto kept = ReadKeptPairCount(txn, dialect, ProjectsByStageAndType());
  if (!kept.ok()) return kept.status();
  std::map<std::pair<int, int>, int64_t> counts;
  for (const auto& [stage_type, n] : *kept) {
    counts[{static_cast<int>(stage_type.first), static_cast<int>(stage_type.second)}] = n;
  }
  return counts;
}

}  // namespace gridserve::construction
