# Sourced by the other scripts: installs the Debian 12 packages the build,
# the suite and the tests need, when any is missing.
GRIDSERVE_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config curl
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev prometheus-cpp-dev libgtest-dev libgmock-dev libsqlite3-dev libpq-dev libbenchmark-dev
  prometheus postgresql python3-grpcio python3-protobuf
  clang libclang-rt-14-dev llvm-14
)

gridserve_install_deps() {
  local missing=()
  for p in "${GRIDSERVE_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -q
    # --no-install-recommends keeps Debian's prometheus from pulling a node exporter service.
    $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
    # On a systemd host, Debian's prometheus package starts its own server on :9090, where
    # run-suite starts the suite's; keep the package's service off (installed just now by us).
    if printf '%s\n' "${missing[@]}" | grep -qx prometheus && [ -d /run/systemd/system ]; then
      $sudo systemctl disable --now prometheus >/dev/null 2>&1 || true
    fi
  fi
}

# Configures and builds one preset: "default" (build/, for running the suite
# and the benchmarks) or "sanitize" (build-sanitize/: clang, ASan + UBSan and
# the fuzzers, where every test runs); all its targets, or the ones named
# after the preset.
gridserve_build() {
  local preset=${1:-default}
  local targets=("${@:2}")
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" ${targets[@]+--target "${targets[@]}"}
}

# The five services' binaries, the targets the suite runs.
GRIDSERVE_SERVICE_TARGETS=(gridserve-contact-center gridserve-counter gridserve-construction gridserve-repair gridserve-risk)
