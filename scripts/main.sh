#!/usr/bin/env bash
# The README's main command: installs dependencies, builds, and runs dsc's main job.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh release >&2
dsc=build/release/tools/dsc/dsc
"$dsc" --version
"$dsc" ir --parse tests/filecheck/ir/roundtrip_mlp.ir --format text
