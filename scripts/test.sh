#!/usr/bin/env bash
# The README's test command: installs dependencies, builds, runs the whole test suite.
# Usage: scripts/test.sh [preset]
#   release (default)  build + ctest: unit, golden, FileCheck, CLI (incl. the malformed-input
#                      and determinism tests) and e2e tests.
#   asan               the same whole suite under ASan + UBSan (build/asan).
#   debug              the same suite, unoptimized.
# Sanitizer stage (scripts/sanitizer_stage.sh): with CI=true (.ci/run sets it) or
# DSC_FUZZ_SMOKE=1, a release run is followed by, in the clang-19 ASan + UBSan fuzz build
# (build/fuzz), the unit tests of the libraries that read untrusted bytes (numerics, ir,
# frontend, tokenizer) and scripts/fuzz.sh 30 (every libFuzzer target for 30 s).
# DSC_FUZZ_SMOKE=0 skips it; a developer's plain `scripts/test.sh` stays the fast path.
#
# What CI runs, and why (budget: under 30 min on 2 cores). Measured: release build + ctest
# 404 s on the CI machine; the sanitizer stage from a fresh clone 15.5 CPU-min of build,
# 66 CPU-s of tests and 5 min of fuzzing (~14 min on 2 quiet cores; README "Reliability").
# The full `asan` preset is NOT in CI: its gcc build alone is ~55 CPU-min, about the whole
# budget. Run `scripts/test.sh asan` before merging changes to the runtime, passes or codegen.
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
bash scripts/build.sh "$preset"
ctest --preset "$preset" -j "$(nproc)"

# The sanitizer stage: by default only in CI, after a release run.
sanitizer_stage="${DSC_FUZZ_SMOKE:-}"
if [ -z "$sanitizer_stage" ]; then
  if [ "${CI:-}" = true ] && [ "$preset" = release ]; then sanitizer_stage=1; else sanitizer_stage=0; fi
fi
if [ "$sanitizer_stage" = 1 ]; then
  bash scripts/sanitizer_stage.sh
fi
