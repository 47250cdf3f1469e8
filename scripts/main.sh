#!/usr/bin/env bash
# The main job: set up, build, compile samples/fashion_mlp.nn into a library, and train it on
# Fashion-MNIST with the model's own settings, printing progress and the test accuracy.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh nnc   # the compiler and the runtime it links into models; no tests
./build/codegen/nnc check samples/fashion_mlp.nn
./build/codegen/nnc samples/fashion_mlp.nn -o build/fashion_mlp.so
./build/codegen/nnc train build/fashion_mlp.so "$@"
