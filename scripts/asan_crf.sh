#!/usr/bin/env bash
# The dense CRF under AddressSanitizer and UndefinedBehaviorSanitizer: compiles the torch-free CRF
# sources (crf/*.cpp with the core and .npy / PNG code they use) and the torch-free tests of
# tests/crf (lattice, dense CRF, its fused passes, parity with densecrf, .npy, mask refinement) with
# -fsanitize=address,undefined into build-asan/ (not the whole project: LibTorch is not rebuilt with
# sanitizers) and runs them. Any sanitizer report fails the run (halt_on_error, no recovery).
#   scripts/asan_crf.sh [gtest args, e.g. --gtest_filter=DenseCrf.*]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${ASAN_BUILD_DIR:-build-asan}
JOBS=${JOBS:-2}
mkdir -p "$OUT/obj"
SOURCES=(
  src/beyond/core/error.cpp src/beyond/core/log.cpp src/beyond/core/atomic_file.cpp
  src/beyond/data/formats/npy.cpp src/beyond/data/formats/png_image.cpp
  src/beyond/crf/permutohedral_lattice.cpp src/beyond/crf/dense_crf.cpp src/beyond/crf/mask_refinement.cpp
  tests/crf/permutohedral_lattice_test.cpp tests/crf/dense_crf_test.cpp tests/crf/dense_crf_parity_test.cpp
  tests/crf/dense_crf_passes_test.cpp tests/crf/npy_test.cpp tests/crf/mask_refinement_test.cpp
)
FLAGS=(-std=c++17 -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all -fopenmp
       -fno-trapping-math -Isrc -Itests "-DBEYOND_TEST_DATA_DIR=\"$PWD/tests/data\"")
export FLAGS_STR="${FLAGS[*]}" OUT
# One object per source, $JOBS at a time (only what changed is recompiled).
printf '%s\n' "${SOURCES[@]}" | xargs -P "$JOBS" -I{} bash -c '
  src={}; obj="$OUT/obj/$(echo "$src" | tr / _).o"
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find src/beyond tests/crf tests/support -name "*.h" -newer "$obj" | head -1)" ]; then
    echo "compiling $src"; g++ $FLAGS_STR -c "$src" -o "$obj"
  fi'
OBJECTS=()
for src in "${SOURCES[@]}"; do OBJECTS+=("$OUT/obj/$(echo "$src" | tr / _).o"); done
g++ -fsanitize=address,undefined -fopenmp "${OBJECTS[@]}" -o "$OUT/test_crf_asan" -lgtest_main -lgtest -lpng -lpthread
# OpenMP's runtime keeps thread pools alive at exit; leaks are checked but libgomp's are suppressed.
printf 'leak:libgomp\n' > "$OUT/lsan.supp"
ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0 \
LSAN_OPTIONS=suppressions=$PWD/$OUT/lsan.supp \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} \
  "$OUT/test_crf_asan" "$@"
