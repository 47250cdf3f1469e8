#!/usr/bin/env bash
# Installs the Debian packages nnc needs, then ONNX Runtime for Node (the tests' referee for
# nnc export-onnx). Idempotent: what is already present is skipped, so a second run costs one
# dpkg query, one file test and no network.
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
  libonnx-dev libprotobuf-dev python3-onnx
  libjpeg62-turbo-dev libpng-dev
  fortunes
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

install_packages() {
  if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all ${#PACKAGES[@]} packages present"
    return
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
install_packages

# onnxruntime-node from npm into tools/onnxruntime/ (git-ignored). --ignore-scripts: its CPU
# library ships inside the package; the install script would only fetch GPU builds. The version is
# pinned so that every machine referees with the same runtime.
ORT_VERSION=1.20.1
ORT_DIR="$(cd "$(dirname "$0")/.." && pwd)/tools/onnxruntime"
if [ -f "$ORT_DIR/node_modules/onnxruntime-node/package.json" ] &&
   grep -q "\"version\": \"$ORT_VERSION\"" "$ORT_DIR/node_modules/onnxruntime-node/package.json"; then
  echo "setup: onnxruntime-node $ORT_VERSION present in $ORT_DIR"
elif ! command -v npm >/dev/null 2>&1; then
  echo "setup: npm is missing, so onnxruntime-node was not installed and the ONNX export tests will be" >&2
  echo "       skipped; install Node.js 18 or newer with npm (Debian: apt-get install nodejs npm), then" >&2
  echo "       run scripts/setup.sh again" >&2
else
  echo "setup: installing onnxruntime-node $ORT_VERSION into $ORT_DIR"
  # Into a temporary folder, renamed when complete: an interrupted install never looks present.
  tmp="$ORT_DIR.tmp.$$"
  rm -rf "$tmp"
  if npm install --prefix "$tmp" --ignore-scripts --no-audit --no-fund --no-save "onnxruntime-node@$ORT_VERSION"; then
    rm -rf "$ORT_DIR"
    mv "$tmp" "$ORT_DIR"
  else
    rm -rf "$tmp"
    echo "setup: warning: npm could not install onnxruntime-node (offline?); the ONNX export tests will be" >&2
    echo "       skipped until scripts/setup.sh is run again with access to the npm registry" >&2
  fi
fi
