#!/usr/bin/env bash
# Installs what beyond needs from Debian 12's archive; installs nothing that is already there.
# Idempotent: a second run checks the package list and returns.
set -euo pipefail

PACKAGES=(
  build-essential cmake ccache pkg-config
  libtorch-dev libopencv-dev libcli11-dev nlohmann-json3-dev libyaml-cpp-dev zlib1g-dev libgtest-dev
  # Pascal VOC: annotation XML, and segmentation PNGs read as palette indices (OpenCV gives colours).
  libpugixml-dev libpng-dev
  # LibTorch links the generic libblas.so.3; on the reference BLAS matrix products run ~25x slower.
  # The OpenMP build of OpenBLAS shares LibTorch's OpenMP threads (see select_blas below).
  libopenblas0-openmp
  dataset-fashion-mnist
  # Text corpora for the character language model: the King James Bible (`bible` prints it; `beyond
  # data kjv` extracts it), and two more texts for users' own experiments.
  bible-kjv bible-kjv-text fortunes jargon-text
  # Parity tests and the side-by-side benchmarks run PyTorch from Debian's python3.
  python3-torchvision python3-numpy
  # scripts/refine_demo.sh: `beyond refine` on scikit-image's photographs, panels drawn with PIL.
  python3-skimage python3-pil
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Runs a command as root (directly, or with sudo); explains and fails otherwise.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@";
  elif command -v sudo >/dev/null; then sudo "$@";
  else
    echo "setup: needs root for: $*" >&2
    echo "setup: run it as root, or do that step yourself" >&2
    exit 1
  fi
}

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
else
  echo "setup: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# libblas.so.3, liblapack.so.3 and libopenblas.so.0 (LibTorch links all three) are chosen by the
# alternatives system. The pthread build of OpenBLAS (preferred by default when installed) runs its own
# thread pool, which fights LibTorch's OpenMP threads: beyond then limits it to one thread. The OpenMP
# build uses the same threads as LibTorch and was faster for both beyond and PyTorch here
# (docs/results.md), so select it where the reference or the pthread build is in use; a deliberate
# other choice (BLIS, MKL, ...) is left alone.
for lib in libblas.so.3 liblapack.so.3 libopenblas.so.0; do
  alt="$lib-x86_64-linux-gnu"
  want="/usr/lib/x86_64-linux-gnu/openblas-openmp/$lib"
  current=$(update-alternatives --query "$alt" 2>/dev/null | awk '/^Value:/ {print $2}')
  case "$current" in
    */blas/* | */lapack/* | */openblas-pthread/* | "")
      if [ -e "$want" ] && [ "$current" != "$want" ]; then
        echo "setup: selecting the OpenMP build of OpenBLAS for $lib (was: ${current:-none})"
        as_root update-alternatives --set "$alt" "$want" >/dev/null
      fi ;;
  esac
done
