#!/usr/bin/env bash
# CI's bounded fuzzing: builds the fuzz targets with clang-14 into build-fuzz/ and runs each for
# SECONDS (default 20) from its seeds. scripts/test_sanitize.sh calls it. To fuzz longer, run
# tests/fuzz/run.sh build-fuzz 3600 (the corpus in build-fuzz/corpus grows across runs).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-20}"
generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
if [ ! -f build-fuzz/CMakeCache.txt ]; then
  cmake -S tests/fuzz -B build-fuzz "${generator[@]}" -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_C_COMPILER=clang-14
fi
cmake --build build-fuzz --parallel "$(nproc)"
exec tests/fuzz/run.sh build-fuzz "$seconds"
