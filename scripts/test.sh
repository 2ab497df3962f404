#!/usr/bin/env bash
# The README's test command: installs dependencies, builds, runs the whole test suite.
# Usage: scripts/test.sh [preset]
#   release (default)  build + ctest: unit, golden, FileCheck, CLI (incl. the malformed-input
#                      and determinism tests) and e2e tests.
#   asan               the same whole suite under ASan + UBSan (build/asan).
#   debug              the same suite, unoptimized.
# Sanitizer stage (scripts/sanitizer_stage.sh): with CI=true (.ci/run sets it) or
# DSC_FUZZ_SMOKE=1, a release run is followed by scripts/fuzz.sh 30 in the clang-19 ASan +
# UBSan fuzz build (build/fuzz): every libFuzzer target for 30 s, one per core.
# DSC_SANITIZER_UNIT_TESTS=1 adds the unit tests of the libraries that read untrusted bytes
# (numerics, ir, frontend, tokenizer) in that build. DSC_FUZZ_SMOKE=0 skips the stage; a
# developer's plain `scripts/test.sh` stays the fast path.
#
# What CI runs, and why (aim: under 30 min on 2 cores; measured 45 min on a 2-core host
# like CI's, README "Reliability" has the stages). NOT in CI, for time: the full `asan` preset (~55 CPU-min of build) and
# the sanitizer unit tests (13 min on a 2-core host like CI's). Run `scripts/test.sh asan`
# before merging changes to the runtime, passes or codegen, and DSC_SANITIZER_UNIT_TESTS=1
# with DSC_FUZZ_SMOKE=1 before merging changes to a parser.
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
