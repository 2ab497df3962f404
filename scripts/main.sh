#!/usr/bin/env bash
# The README's main command: installs dependencies, builds, and runs dsc's main job — generation
# on the embedded default model (a synthetic tiny DeepSeek V3.2 made on first use; its weights
# are random, so the text is meaningless: see the README for a trained model).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh release >&2
dsc=build/release/tools/dsc/dsc
"$dsc" --version
"$dsc" run -p "The quick brown fox" -n 32 --seed 1
