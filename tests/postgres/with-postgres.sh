#!/usr/bin/env bash
# Runs a command with a real PostgreSQL on loopback: starts Debian's cluster
# if it is down, makes sure the gridserve role and test database exist, and
# exports GRIDSERVE_TEST_POSTGRES_URL (password through PGPASSWORD, never in the URL).
set -euo pipefail
if ! command -v pg_lsclusters >/dev/null; then
  echo "PostgreSQL is not installed (apt-get install postgresql)" >&2
  exit 1
fi
read -r version cluster port status _ < <(pg_lsclusters --no-header | head -n 1)
if [ "$status" != "online" ]; then
  pg_ctlcluster "$version" "$cluster" start
fi
as_postgres() { if [ "$(id -u)" -eq 0 ]; then su postgres -c "$1"; else sudo -u postgres sh -c "$1"; fi; }
as_postgres "psql -p $port -tAc \"SELECT 1 FROM pg_roles WHERE rolname='gridserve'\"" | grep -q 1 ||
  as_postgres "psql -p $port -qc \"CREATE ROLE gridserve LOGIN PASSWORD 'gridserve-test'\""
as_postgres "psql -p $port -tAc \"SELECT 1 FROM pg_database WHERE datname='gridserve_test'\"" | grep -q 1 ||
  as_postgres "createdb -p $port -O gridserve gridserve_test"
export PGPASSWORD=gridserve-test
export GRIDSERVE_TEST_POSTGRES_URL="postgresql://gridserve@127.0.0.1:$port/gridserve_test"
exec "$@"
