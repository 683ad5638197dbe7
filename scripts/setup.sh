#!/usr/bin/env bash
# Installs what beyond needs from Debian 12's archive; installs nothing that is already there.
# Idempotent: a second run checks the package list and returns.
set -euo pipefail

PACKAGES=(
  build-essential cmake ccache pkg-config
  libtorch-dev libopencv-dev libcli11-dev nlohmann-json3-dev libyaml-cpp-dev zlib1g-dev libgtest-dev
  # LibTorch links the generic libblas.so.3; without this the reference BLAS makes it ~25x slower.
  libopenblas0-pthread
  dataset-fashion-mnist
  # Parity tests and the side-by-side benchmarks run PyTorch from Debian's python3.
  python3-torchvision python3-numpy
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "setup: need root to install: ${missing[*]}" >&2
    echo "setup: run as root, or install them with apt-get yourself" >&2
    exit 1
  fi
fi
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
