#!/usr/bin/env bash
# Runs every fuzz target (or those named) for FUZZ_SECONDS each, one after
# the other, and prints libFuzzer's final stats line per target.
#   FUZZ_SECONDS=60 fuzz/run.sh [target ...]
# New corpus entries go to fuzz/target/corpus/<target> (not committed); the
# committed seeds in fuzz/corpus/<target> and fuzz/regressions/<target> are
# read too. A crash stops that target: its input is in fuzz/artifacts/<target>/
# — copy it to fuzz/regressions/<target>/ once fixed (tests/fuzz_replay.rs
# replays it under `cargo test`).
set -uo pipefail
cd "$(dirname "$0")/.."
SECS=${FUZZ_SECONDS:-60}
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(cookie endpoint enforce negotiate filter url_host)
status=0
for t in "${TARGETS[@]}"; do
  mkdir -p "fuzz/target/corpus/$t" "fuzz/regressions/$t"
  extra=()
  [ "$t" = filter ] && extra=(-max_len=16384)
  echo "== fuzz $t for ${SECS}s"
  cargo +nightly fuzz run -O "$t" "fuzz/target/corpus/$t" "fuzz/corpus/$t" "fuzz/regressions/$t" -- \
    -max_total_time="$SECS" -print_final_stats=1 -timeout=20 -rss_limit_mb=2048 "${extra[@]}" \
    > "fuzz/target/$t.log" 2>&1
  rc=$?
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|^Done " "fuzz/target/$t.log" | sed "s/^/  $t: /"
  if [ $rc -ne 0 ]; then
    status=1
    echo "  $t: FAILED (exit $rc) — see fuzz/target/$t.log and fuzz/artifacts/$t/"
    grep -E "panicked|SUMMARY|ERROR" "fuzz/target/$t.log" | head -5 | sed "s/^/  $t: /"
  fi
done
exit $status
