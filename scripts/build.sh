#!/usr/bin/env bash
# Configures and builds beyond in Release into ./build (incremental: a second run rebuilds only what changed).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS="${JOBS:-$(nproc)}"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build build -j"$JOBS"
