#include "services/construction/storage/construction_schema.h"

namespace gridserve::construction {

const std::vector<Migration>& ConstructionMigrations() {
  static const auto* kMigrations = new std::vector<Migration>{
      {1, "projects",
       // One row per project: the filter columns of ListProjects, plus the
       // whole project (without its read-model SLAs and breaches) as a proto.
       // subject = 'project/<id>' joins the platform's sla_timers / breaches.
       "CREATE TABLE construction_projects ("
       " project_id TEXT PRIMARY KEY, subject TEXT NOT NULL, project_type INTEGER NOT NULL,"
       " stage INTEGER NOT NULL, department TEXT NOT NULL, applied_at INTEGER NOT NULL,"
       " open_damages INTEGER NOT NULL, updated_at INTEGER NOT NULL, project BLOB NOT NULL);"
       "CREATE INDEX construction_projects_applied ON construction_projects (applied_at, project_id);"
       "CREATE INDEX construction_projects_stage ON construction_projects (stage, project_type);"
       "CREATE INDEX construction_projects_department ON construction_projects (department);"},
      // The project gauge reads this instead of counting every project (kept_counts.h).
      KeptCountMigration(2, ProjectsByStageAndType()),
      {3, "projects with an open damage",
       // CN-6 outlives the works: a damage may be recorded, remedied and
       // confirmed after the project completed or was withdrawn. The
       // open-damage gauge and ListProjects(open_damage_only) read the
       // projects owing a remedy through this index, so their cost grows with
       // the open damages, not with every project stored.
       "CREATE INDEX construction_projects_open_damage ON construction_projects (stage) WHERE open_damages > 0;"},
  };
  return *kMigrations;
}

const KeptCount& ProjectsByStageAndType() {
  static const auto* kCount =
      new KeptCount{"construction_projects_by_stage_type", "construction_projects", PairKey("stage", "project_type")};
  return *kCount;
}

}  // namespace gridserve::construction
