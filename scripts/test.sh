#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite. .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
ctest --test-dir build --output-on-failure --parallel "$(nproc)" "$@"
./scripts/test_sanitize.sh   # ASan+UBSan build of our code's tests, then bounded fuzzing
