#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a set time, one after another,
# and prints the executions and findings of each.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# SECONDS_PER_TARGET defaults to 60; TARGET defaults to all of them. Needs
# cargo-fuzz (`cargo install cargo-fuzz`); RUSTC_BOOTSTRAP=1 lets the stable
# toolchain build with the sanitizer flags cargo-fuzz passes. The corpus
# grows in fuzz/corpus/TARGET (seeded from fuzz/seeds/TARGET), crashes and
# hangs land in fuzz/artifacts/TARGET; FUZZ_SANITIZER (default address; or
# none, faster) picks the sanitizer. Exits 1 if any target found something.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(RUSTC_BOOTSTRAP=1 cargo fuzz list)
fi
sanitizer="${FUZZ_SANITIZER:-address}"
export RUSTC_BOOTSTRAP=1

cargo fuzz build --sanitizer "$sanitizer"

logs="$(mktemp -d)"
found_any=0
summary=()
for target in "${targets[@]}"; do
  corpus="fuzz/corpus/$target"
  artifacts="fuzz/artifacts/$target"
  mkdir -p "$corpus" "$artifacts"
  before=$(find "$artifacts" -type f | wc -l)
  inputs=("$corpus")
  if [ -d "fuzz/seeds/$target" ]; then inputs+=("fuzz/seeds/$target"); fi
  options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1)
  if [ -f "fuzz/dicts/$target.dict" ]; then options+=(-dict="fuzz/dicts/$target.dict"); fi
  echo "== $target: ${seconds}s"
  status=0
  # -fork=1 keeps fuzzing after a finding, so one crash does not end the run.
  cargo fuzz run --sanitizer "$sanitizer" "$target" "${inputs[@]}" -- \
    "${options[@]}" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    >"$logs/$target.log" 2>&1 || status=$?
  after=$(find "$artifacts" -type f | wc -l)
  findings=$((after - before))
  # Fork mode's status lines: "#EXECS: cov: ... oom/timeout/crash: O/T/C time: ...".
  last=$(grep -E '^#[0-9]+: cov:' "$logs/$target.log" | tail -n 1 || true)
  execs=$(sed -nE 's/^#([0-9]+):.*/\1/p' <<<"$last")
  otc=$(sed -nE 's#.*oom/timeout/crash: ([0-9]+/[0-9]+/[0-9]+).*#\1#p' <<<"$last")
  line="$target: ${execs:-0} executions in ${seconds}s, oom/timeout/crash ${otc:-?}, ${findings} new artifact(s)"
  if [ "$findings" -gt 0 ] || [ "$status" -ne 0 ]; then
    found_any=1
    line="$line (exit $status); see $artifacts and $logs/$target.log"
    grep -E 'panicked at|ERROR: libFuzzer|SUMMARY' "$logs/$target.log" | sort | uniq -c | head -n 20 || true
  fi
  echo "$line"
  summary+=("$line")
done

echo
echo "== summary (logs in $logs)"
printf '%s\n' "${summary[@]}"
exit "$found_any"
