#!/usr/bin/env bash
# The README's test command: installs dependencies, builds, runs the whole test suite.
# Usage: scripts/test.sh [preset]   (release by default; asan runs under ASan+UBSan)
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
bash scripts/build.sh "$preset"
ctest --preset "$preset" -j "$(nproc)"
