#!/usr/bin/env bash
# Configures and builds nnc into build/: everything (the runtime, the sample models and the tests),
# or only the targets named, e.g. `./scripts/build.sh nnc` for the compiler and its runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=Release
fi
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build build --parallel "$(nproc)" "${targets[@]}"
