#!/bin/bash
# Builds, on this machine (no GPU needed), everything tests/gpu/check.sh needs into one folder:
#   tests/gpu/prepare.sh [BUNDLE]       (default: gpu-bundle at the repository root)
# For each reference model in samples/: <model>_cpu.so, <model>_cuda.so, <model>.graph.json;
# and gpu_check, the nnc side of the check. The libraries' host code targets AVX2 (not this
# machine's AVX-512 flavours) so they run on whatever CPU the GPU machine has; the C++ runtime is
# linked statically into gpu_check. Then, on the GPU machine: tests/gpu/check.sh BUNDLE.
# NNC_BUILD_DIR: the CMake build folder to use (default: build; configured if missing).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bundle=${1:-$root/gpu-bundle}
build=${NNC_BUILD_DIR:-$root/build}
cpu_target=x86-64-linux-avx-avx2-f16c-fma-sse41
cuda_target=$cpu_target-cuda-cuda_capability_70

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
cmake --build "$build" --target nnc
nnc=$build/codegen/nnc
mkdir -p "$bundle"
# Keep the bundle out of git status (it is carried to the GPU machine as an ignored path).
exclude=$(git -C "$root" rev-parse --git-path info/exclude 2>/dev/null || true)
if [ -n "$exclude" ]; then
  case $exclude in /*) ;; *) exclude=$root/$exclude ;; esac
  rel=${bundle#"$root"/}
  grep -qxF "/$rel/" "$exclude" 2>/dev/null || echo "/$rel/" >> "$exclude"
fi

for model in fashion_mlp fashion_cnn resnet8 lstm_classifier; do
  src=$root/samples/$model.nn
  [ -f "$src" ] || { echo "prepare: no samples/$model.nn, skipped"; continue; }
  "$nnc" "$src" --target "$cpu_target" -o "$bundle/${model}_cpu.so" --graph-json "$bundle/$model.graph.json"
  "$nnc" "$src" --target "$cuda_target" -o "$bundle/${model}_cuda.so"
done
rm -f "$bundle"/*.h
g++ -O2 -std=c++20 -I"$root/runtime/include" -I/usr/include/halide14 "$root/tests/gpu/gpu_check.cpp" \
  -o "$bundle/gpu_check" -static-libstdc++ -static-libgcc -ldl
# The libraries need GCC 12's libstdc++ (GLIBCXX_3.4.30) and glibc >= 2.34; check.sh puts this
# copy first on gpu_check's library path, in case the GPU machine's own is older.
mkdir -p "$bundle/lib"
cp -L "$(g++ -print-file-name=libstdc++.so.6)" "$bundle/lib/"
du -sh "$bundle"
ls -l "$bundle"
echo "prepare: done. On the GPU machine: tests/gpu/check.sh ${bundle#"$root"/}"
