#!/usr/bin/env bash
# CI's sanitizer stage (scripts/test.sh runs it after the release suite when CI=true or
# DSC_FUZZ_SMOKE=1; run it alone with `bash scripts/sanitizer_stage.sh`). In the clang-19
# ASan + UBSan fuzz build (build/fuzz, or DSC_FUZZ_BUILD_DIR):
#   1. with DSC_SANITIZER_UNIT_TESTS=1 only: the unit tests of the libraries that read
#      untrusted bytes (numerics, ir, frontend, tokenizer), minus the few that run the dsc
#      binary, which this build does not make (they run in the release suite). Not in CI:
#      building them under ASan + coverage took 10 of the stage's 18 build minutes on a
#      2-core host like CI's (README "Reliability");
#   2. scripts/fuzz.sh DSC_FUZZ_SECONDS (default 30): every libFuzzer target from its seeds.
# Exits non-zero on any test failure, crash, leak or sanitizer report.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${DSC_FUZZ_BUILD_DIR:-build/fuzz}"
jobs="${DSC_BUILD_JOBS:-$(nproc)}"

bash scripts/setup.sh
if [ ! -f "$build/build.ninja" ]; then
  if [ "$build" = build/fuzz ]; then
    cmake --preset fuzz >/dev/null
  else
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDSC_FUZZ=ON \
      -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 >/dev/null
  fi
fi
if [ "${DSC_SANITIZER_UNIT_TESTS:-0}" = 1 ]; then
  cmake --build "$build" --target dsc_numerics_tests dsc_ir_tests dsc_frontend_tests \
    dsc_tokenizer_tests -- -j "$jobs"
  # Excluded: the tests that run the dsc binary (*Cli.*, tokenizer.CliTest.*, *ThroughTheCli).
  ctest --test-dir "$build" -j "$(nproc)" --output-on-failure \
    -R '^(numerics|ir|frontend|tokenizer)\.' -E 'Cli(Test)?\.|ThroughTheCli$'
fi
DSC_FUZZ_BUILD_DIR="$build" bash scripts/fuzz.sh "${DSC_FUZZ_SECONDS:-30}"
