#!/usr/bin/env bash
# The README's second command (and CI's): install what is missing, build, run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
cd build
ctest --output-on-failure -j"${JOBS:-$(nproc)}" "$@"
