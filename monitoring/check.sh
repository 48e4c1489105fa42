#!/usr/bin/env bash
# Checks the rule files: syntax, unit tests of every alert, and that every SLA objective
# leaves a budget each burn-rate factor can exceed (14.4 x budget < 1).
set -euo pipefail
cd "$(dirname "$0")"
promtool check rules rules/*.yml
promtool test rules tests/*.yml
promtool check config prometheus.yml
awk -F'vector\\(' '/gridserve_sla_objective/ { split($2, v, ")"); if (14.4 * (1 - v[1]) >= 1) { print "objective " v[1] " cannot fire at 14.4x: " $0; bad = 1 } } END { exit bad }' rules/sla-objectives.yml
# Every SLA of the catalogue has an objective.
for sla in $(grep -o '"name": *"[a-z_]*"' ../norms/catalogue.json | sed 's/.*"\([a-z_]*\)"$/\1/'); do
  grep -q "sla: $sla}" rules/sla-objectives.yml || { echo "SLA $sla has no objective"; exit 1; }
done
# The committed dashboards are what dashboards/generate.py writes.
/usr/bin/python3 ../dashboards/generate.py --check
echo "monitoring rules and dashboards OK"
