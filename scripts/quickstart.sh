#!/usr/bin/env bash
# The README's first command: install what is missing, build in Release, run `beyond demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
exec build/apps/beyond/beyond demo "$@"
