#!/usr/bin/env bash
# Installs the Debian 12 packages dsc needs. Idempotent: when everything is present it only
# asks dpkg (well under a second) and installs nothing.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config python3
  llvm-19-dev llvm-19-tools clang-19 libclang-rt-19-dev   # ORC JIT, FileCheck + lit, libFuzzer
  libprotobuf-dev protobuf-compiler                       # IR serialization
  libabsl-dev                                             # Status/StatusOr, strings, flags
  libdnnl-dev                                             # oneDNN matmuls and baselines
  ocl-icd-opencl-dev  # dnnl-config.cmake requires OpenCL (a Recommends, skipped by --no-install-recommends)
  libgtest-dev libgmock-dev libbenchmark-dev              # tests and benchmarks
  libpcre2-dev                                            # tokenizer regexes
  nlohmann-json3-dev                                      # JSON (config, safetensors headers)
  tmux                                                    # scripted `dsc chat` test
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
