#!/usr/bin/env bash
# Installs the Debian packages nnc needs. Idempotent: packages already present are skipped,
# so a second run costs one dpkg query and no network.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libhalide14-0-dev llvm-14-dev
  libgtest-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev zlib1g-dev
  dataset-fashion-mnist
  python3 python3-numpy python3-torch
  clang-14 libclang-rt-14-dev
  libclang-14-dev libclang-cpp14-dev
  gnuplot-nox fonts-dejavu-core chromium
  libopenblas0-pthread
  openmpi-bin libopenmpi-dev
  libonnx-dev python3-onnx
  libjpeg62-turbo-dev libpng-dev
  fortunes
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
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
