#!/usr/bin/env bash
# The deploy manifests test (ctest: deploy_manifests_validate), offline apart from installing tools:
#   1. the committed monitoring objects are what deploy/k8s/generate-monitoring.sh makes now;
#   2. the Dockerfile's apt packages exist in this Debian release (the image cannot be built here);
#   3. validate.mjs renders base and every overlay with `kubectl kustomize` and checks every object
#      (schemas, security, probes, network paths, rules = monitoring/rules, dashboards, config).
# Installs what is missing: kubectl (apt), node/npm (apt), the npm packages (npm ci, package-lock.json);
# exit 77 (skipped) when step 3's tools cannot be had.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then $sudo apt-get update -q >/dev/null; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "$@" >/dev/null
}

# 1. Generated monitoring objects up to date.
"$root/deploy/k8s/generate-monitoring.sh" --check

# 2. Dockerfile: every apt package it installs exists here (Debian 12), five binaries copied, tests and
#    benchmarks off.
dockerfile="$root/deploy/container/Dockerfile"
# shellcheck disable=SC1003  # the backslash in tr's set is literal
mapfile -t packages < <(awk '/apt-get install/ {on=1} on {print} on && /rm -rf/ {on=0}' "$dockerfile" \
  | tr -s '[:space:]\\' '\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' \
  | grep -vxE 'apt-get|install|rm|update|groupadd|useradd' | sort -u)
if command -v apt-cache >/dev/null 2>&1 && compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
  found="$(apt-cache show --no-all-versions "${packages[@]}" 2>/dev/null | grep -c '^Package:' || true)"
  if [ "$found" -ne "${#packages[@]}" ]; then
    missing=()
    for p in "${packages[@]}"; do
      apt-cache show --no-all-versions "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    echo "FAIL Dockerfile installs packages unknown to apt: ${missing[*]}" >&2
    exit 1
  fi
  echo "run.sh: Dockerfile packages known to apt: ${packages[*]}"
else
  echo "run.sh: apt lists absent, Dockerfile package names not checked"
fi
for s in contact-center counter construction repair risk; do
  grep -q "build/bin/gridserve-$s" "$dockerfile" || { echo "FAIL Dockerfile does not install gridserve-$s" >&2; exit 1; }
done
# The image's build stage installs the services' packages only: every GRIDSERVE_BUILD_* part that is
# on by default (tests: GoogleTest, benchmarks: Google Benchmark) must be switched off there.
for option in $(sed -n 's/^option(\(GRIDSERVE_BUILD_[A-Z_]*\) .* ON)$/\1/p' "$root/CMakeLists.txt"); do
  grep -q -- "-D$option=OFF" "$dockerfile" || { echo "FAIL Dockerfile builds with $option on: its packages are not installed" >&2; exit 1; }
done

# 3. The rendered manifests. Needs kubectl (not packaged by Debian 12 itself: it comes from the machine's
#    Kubernetes apt source) and Node.js >= 20 (the pinned kubernetes-models packages). Where apt offers
#    neither, the step cannot run: exit 77, which ctest reports as skipped, naming what is missing.
skip() { echo "SKIP deploy manifests: $1 (steps 1 and 2 passed)"; exit 77; }
# Skipped only when no apt source offers the package; any other apt failure fails the test.
apt_offers() {
  if [ "$apt_updated" -eq 0 ]; then $sudo apt-get update -q >/dev/null; apt_updated=1; fi
  apt-cache policy "$1" 2>/dev/null | grep -q 'Candidate: [^(]'
}
if ! command -v kubectl >/dev/null 2>&1; then
  apt_offers kubectl || skip "kubectl is missing and no apt source offers it"
  echo "run.sh: installing kubectl"
  apt_install kubectl
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  apt_offers nodejs || skip "node is missing and no apt source offers it"
  echo "run.sh: installing nodejs and npm"
  apt_install nodejs npm
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || skip "Node.js $(node --version) is older than the 20 the pinned kubernetes-models need"
echo "run.sh: $(kubectl version --client 2>/dev/null | tr '\n' ' ')node $(node --version)"

# npm packages pinned by package-lock.json; reinstalled only when the lock file changed.
cd "$here"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
node "$here/validate.mjs"
