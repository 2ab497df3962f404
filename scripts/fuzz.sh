#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, the `fuzz` preset: clang-19, ASan + UBSan +
# coverage) and runs each one for SECONDS (default 30), one per core at a time, starting from
# the seed corpus in tests/fuzz/corpus/<target>. Prints the executions of every target and
# exits non-zero if any of them found a crash, leak, timeout or sanitizer report.
#
# Usage: scripts/fuzz.sh [SECONDS]
#   DSC_FUZZ_BUILD_DIR  build directory (default build/fuzz, i.e. `cmake --preset fuzz`)
#   DSC_FUZZ_TARGETS    space-separated subset, e.g. "ir_text chat" (default: all)
#   DSC_FUZZ_JOBS       targets run at once (default nproc)
#   DSC_FUZZ_WORK_DIR   where grown corpora, artifacts and logs go (default BUILD_DIR/fuzz-work)
# A crash leaves its input in WORK_DIR/artifacts/<target>-crash-*; reproduce it with
#   BUILD_DIR/tests/fuzz/<target>_fuzz WORK_DIR/artifacts/<target>-crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
build="${DSC_FUZZ_BUILD_DIR:-build/fuzz}"
work="${DSC_FUZZ_WORK_DIR:-$build/fuzz-work}"

bash scripts/setup.sh
if [ ! -f "$build/build.ninja" ]; then
  if [ "$build" = "build/fuzz" ]; then
    cmake --preset fuzz >/dev/null
  else
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDSC_FUZZ=ON \
      -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 >/dev/null
  fi
fi
# Only the fuzz targets and the libraries they need, not the whole project.
cmake --build "$build" --target dsc_fuzz_targets -- -j "${DSC_BUILD_JOBS:-$(nproc)}"

targets="${DSC_FUZZ_TARGETS:-$(cd tests/fuzz && ls ./*_fuzz.cc | sed 's|^\./||; s|_fuzz\.cc$||' | tr '\n' ' ')}"
mkdir -p "$work/artifacts" "$work/logs"
# The JSON and IR targets get a dictionary of their tokens.
dict_for() {
  case "$1" in
    ir_text) echo "-dict=tests/fuzz/ir.dict" ;;
    safetensors|checkpoint_json|model_config|tokenizer_json|chat) echo "-dict=tests/fuzz/json.dict" ;;
    *) echo "" ;;
  esac
}

# One target per core at a time (DSC_FUZZ_JOBS, default nproc): each runs SECONDS either way.
run_target() {
  local t="$1" bin="$build/tests/fuzz/${1}_fuzz" log="$work/logs/${1}.log" start result
  mkdir -p "$work/corpus/$t"
  start=$(date +%s)
  # Leaks are reported (ASan's LeakSanitizer); -timeout: one input may take at most 30 s;
  # -rss_limit_mb: an input that makes the parser allocate > 2 GB is a finding too.
  # shellcheck disable=SC2046
  if "$bin" -max_total_time="$seconds" -print_final_stats=1 -timeout=30 -rss_limit_mb=2048 \
      -artifact_prefix="$work/artifacts/$t-" $(dict_for "$t") \
      "$work/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
    result=ok
  else
    result="FAILED (see $log)"
  fi
  echo "$(( $(date +%s) - start ))|$result" >"$work/logs/$t.result"
}

jobs="${DSC_FUZZ_JOBS:-$(nproc)}"
for t in $targets; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  rm -f "$work/logs/$t.result"
  run_target "$t" &
done
wait

failed=0
printf '%-18s %12s %8s %10s  %s\n' target execs seconds exec/s result
for t in $targets; do
  log="$work/logs/$t.log"
  IFS='|' read -r elapsed result <"$work/logs/$t.result" || { elapsed='?'; result='FAILED (no result)'; }
  [ "$result" = ok ] || failed=1
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  printf '%-18s %12s %8s %10s  %s\n' "$t" "${execs:-?}" "$elapsed" "${rate:-?}" "$result"
done
exit $failed
