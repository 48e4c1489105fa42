#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time on a fresh corpus seeded with
# the given files. Fails on any finding (crash, sanitizer report, hang, leak);
# the input that caused it is kept as crash-*/timeout-*/leak-* in the work dir.
#   run-fuzzer.sh FUZZER SECONDS [SEED_FILE...]
set -euo pipefail
fuzzer=$(realpath "$1") seconds=$2
shift 2
work=$(mktemp -d "${TMPDIR:-/tmp}/$(basename "$fuzzer").XXXXXX")
mkdir -p "$work/corpus"
for seed in "$@"; do cp "$(realpath "$seed")" "$work/corpus/"; done
cd "$work"
# -timeout: one input may take at most 10 s; -rss_limit_mb: memory is bounded;
# -max_len/-len_control=0: inputs up to 4 KiB from the start (whole requests,
# not only the few bytes libFuzzer would begin with).
if "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 -len_control=0 \
  -print_final_stats=1 corpus; then
  rm -rf "$work"
else
  status=$?
  echo "finding kept in $work" >&2
  exit "$status"
fi
