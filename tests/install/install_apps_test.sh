#!/usr/bin/env bash
# install_apps_test.sh BUILD_DIR SOURCE_DIR
# Installs the nnc build into a fresh prefix and builds and runs samples/apps against it:
# fashion_app (C++: train with callbacks, save, reload, classify an index and a PGM file),
# fashion_infer (C, built with CMake and again with pkg-config only), compare_torch.py (ctypes
# against PyTorch). Then checks that the model rebuilds when its .nn file changes, and only then,
# and that a model with a saved SCHEDULE builds and recompiles when the schedule changes.
set -euo pipefail
build=$(realpath "$1")
source=$(realpath "$2")
data=/usr/share/datasets/fashion-mnist
work=$(mktemp -d /tmp/nnc-install-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

fail() { echo "install_apps_test: FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

step "cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" > "$work/install.log" || { cat "$work/install.log"; fail "cmake --install"; }
for f in bin/nnc lib/nnc/libnnc_runtime.a lib/nnc/exports.map include/nnc/nnc.h include/nnc/nnc.hpp \
         include/nnc/model_desc.h lib/cmake/nnc/nncConfig.cmake lib/cmake/nnc/nncConfigVersion.cmake \
         lib/cmake/nnc/nnc_add_model.cmake share/pkgconfig/nnc.pc share/nnc/python/torch_graph.py; do
  [[ -e $prefix/$f ]] || fail "$f was not installed"
done

# Only the prefix from here on: no build-tree variables, the installed nnc first on PATH.
unset NNC_RUNTIME_DIR CMAKE_PREFIX_PATH PKG_CONFIG_PATH
export PATH=$prefix/bin:/usr/bin:/bin

step "nnc --version"
version=$(nnc --version)
echo "$version"
[[ $version =~ ^nnc\ [0-9]+\.[0-9]+\.[0-9]+\ \(Halide\ [0-9]+\.[0-9]+\.[0-9]+,\ LLVM\ [0-9]+ ]] || fail "nnc --version: '$version'"

step "nnc --help and each subcommand's --help"
help=$(nnc --help)
grep -q "^Examples:" <<< "$help" || fail "nnc --help has no examples"
subcommands=$(sed -n '/^Subcommands:/,/^$/p' <<< "$help" | sed -n 's/^  \([a-z]\+\) .*/\1/p')
[[ $(wc -w <<< "$subcommands") -ge 5 ]] || fail "nnc --help lists subcommands '$subcommands'"
for c in $subcommands; do
  text=$(nnc "$c" --help) || fail "nnc $c --help exits nonzero"
  grep -q "^Usage: .*nnc $c" <<< "$text" || fail "nnc $c --help: no usage line"
  [[ $(head -1 <<< "$text") != Usage* ]] || fail "nnc $c --help: no description"
done

# The apps, copied out of the source tree (the .nn file is edited below).
cp -r "$source/samples/apps" "$work/apps"
apps=$work/apps
out=$work/apps-build

# nnc links every model with CC/CXX: log those commands to see which runtime it links.
for c in cc c++; do
  printf '#!/bin/sh\necho "$*" >> %s/compile.log\nexec /usr/bin/%s "$@"\n' "$work" "$c" > "$work/log-$c"
  chmod +x "$work/log-$c"
done
export CC=$work/log-cc CXX=$work/log-c++

step "configure and build samples/apps against $prefix"
cmake -S "$apps" -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" -DNNC_APPS_CUDA=ON \
  > "$work/configure.log" \
  || { cat "$work/configure.log"; fail "configure"; }
cmake --build "$out" > "$work/build.log" 2>&1 || { cat "$work/build.log"; fail "build"; }
if grep -rlF "$build" "$out/CMakeCache.txt" "$out/build.ninja" "$out"/*.h; then
  fail "the app build refers to the nnc build tree $build"
fi

grep -F "libnnc_runtime.a" "$work/compile.log" > "$work/runtime-links.txt" || fail "no model was linked with the runtime"
if grep -vF "$prefix/bin/../lib/nnc/libnnc_runtime.a" "$work/runtime-links.txt"; then
  fail "a model was linked with a runtime outside the prefix"
fi
grep -q -- "-cuda-" "$out/fashion_classifier_cuda.so" || fail "fashion_classifier_cuda.so is not a CUDA build"
nm -D --defined-only "$out/fashion_classifier_cuda.so" | grep -q " nnc_model_create$" || fail "the CUDA library lacks the C ABI"

"$out/fashion_app" --help | grep -q -- "--no-train" || fail "fashion_app --help"

step "fashion_app: train 3000 images for 1 epoch with callbacks, save, reload, classify test image 0"
"$out/fashion_app" --limit 3000 --epochs 1 --weights "$work/w.ckpt" 0 | tee "$work/app.txt"
grep -q "^epoch 1/1: train loss" "$work/app.txt" || fail "no per-epoch callback line"
grep -q "^  epoch 1 " "$work/app.txt" || fail "no per-batch callback line"
[[ -s $work/w.ckpt ]] || fail "no checkpoint written"
accuracy=$(sed -n 's/^test accuracy \([0-9.]*\).*/\1/p' "$work/app.txt")
python3 -c "import sys; sys.exit(0 if float('$accuracy') > 0.65 else 1)" || fail "test accuracy $accuracy after 3000 images"
class_by_index=$(sed -n 's/^0: class \([0-9]\).*/\1/p' "$work/app.txt")
[[ -n $class_by_index ]] || fail "no classification of image 0"

step "fashion_app --no-train: the same image as a PGM file"
python3 - "$data" "$work/image0.pgm" <<'PY'
import gzip, sys
pixels = gzip.open(sys.argv[1] + "/t10k-images-idx3-ubyte.gz").read()[16:16 + 784]
open(sys.argv[2], "wb").write(b"P5\n28 28\n255\n" + pixels)
PY
"$out/fashion_app" --no-train --weights "$work/w.ckpt" "$work/image0.pgm" | tee "$work/app_pgm.txt"
grep -q "image0.pgm: class $class_by_index " "$work/app_pgm.txt" || fail "the PGM of image 0 is not class $class_by_index"
if "$out/fashion_app" --no-train --weights "$work/missing.ckpt" 0 2> "$work/err.txt"; then fail "a missing checkpoint was accepted"; fi
grep -q "missing.ckpt" "$work/err.txt" || fail "the error does not name the missing file: $(cat "$work/err.txt")"

step "fashion_infer (C)"
"$out/fashion_infer" "$work/w.ckpt" "$data" 1000 | tee "$work/infer.txt"
grep -q "^fashion_classifier: accuracy 0\.[6-9]" "$work/infer.txt" || fail "fashion_infer accuracy"
grep -q "^image 0: class $class_by_index " "$work/infer.txt" || fail "fashion_infer disagrees with fashion_app on image 0"

step "fashion_infer built with pkg-config alone"
export PKG_CONFIG_PATH=$prefix/share/pkgconfig
[[ -x $(pkg-config --variable=nnc nnc) ]] || fail "pkg-config --variable=nnc nnc: $(pkg-config --variable=nnc nnc)"
cc -std=c11 -O1 "$apps/fashion_infer.c" -I"$out" $(pkg-config --cflags nnc) "$out/fashion_classifier.so" \
   -Wl,-rpath,"$out" -o "$work/fashion_infer_pc"
"$work/fashion_infer_pc" "$work/w.ckpt" "$data" 1000 | cmp - "$work/infer.txt" || fail "the pkg-config build differs"

step "compare_torch.py (ctypes vs PyTorch)"
/usr/bin/python3 "$apps/compare_torch.py" "$out/fashion_classifier.so" "$out/fashion_classifier.graph.json" "$work/w.ckpt" \
  --count 256

step "rebuilds: none when nothing changed, the model when its .nn file changes"
cmake --build "$out" -- -n > "$work/noop.txt"
if grep -q "nnc fashion_classifier.nn" "$work/noop.txt"; then fail "the model recompiles with nothing changed"; fi
sed -i 's/units=128/units=64/' "$apps/fashion_classifier.nn"
cmake --build "$out" --target fashion_app > "$work/rebuild.txt" 2>&1 || { cat "$work/rebuild.txt"; fail "rebuild"; }
grep -q "nnc fashion_classifier.nn" "$work/rebuild.txt" || fail "the model did not recompile after its .nn changed"
grep -q "fc1.weight \[784, 64\]" "$out/fashion_classifier.h" || fail "the header was not regenerated"
step "nnc_add_model SCHEDULE: a saved schedule builds against the package; editing it recompiles"
[[ -x $prefix/bin/nnc-import-schedule ]] || fail "nnc-import-schedule was not installed"
sched=$work/sched
mkdir -p "$sched"
cp "$source/samples/fashion_mlp.nn" "$sched/"
nnc "$sched/fashion_mlp.nn" --scheduler Mullapudi2016 --save-schedule "$sched/mlp.json" -o "$sched/saved.so" -q \
  || fail "nnc --save-schedule with the installed nnc-import-schedule"
cat > "$sched/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.20)
project(scheduled_model C)
find_package(nnc REQUIRED)
nnc_add_model(TARGET mlp SOURCE fashion_mlp.nn SCHEDULE mlp.json)
CMAKE
cmake -S "$sched" -B "$sched/build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" > "$work/sched-configure.log" \
  || { cat "$work/sched-configure.log"; fail "configure the SCHEDULE project"; }
cmake --build "$sched/build" > "$work/sched-build.log" 2>&1 || { cat "$work/sched-build.log"; fail "build with SCHEDULE"; }
grep -q "s with $sched/mlp.json" "$work/sched-build.log" || fail "the saved schedule was not applied: $(cat "$work/sched-build.log")"
cmake --build "$sched/build" -- -n > "$work/sched-noop.txt"
if grep -q "nnc fashion_mlp.nn" "$work/sched-noop.txt"; then fail "the SCHEDULE-d model recompiles with nothing changed"; fi
python3 - "$sched/mlp.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); s["stamps"]["halide_version"] = "13.0.0"; json.dump(s, open(sys.argv[1], "w"))
PY
if cmake --build "$sched/build" > "$work/sched-stale.log" 2>&1; then fail "a stale SCHEDULE was applied"; fi
grep -q "stamp 'halide_version'" "$work/sched-stale.log" || fail "the stale schedule's refusal: $(cat "$work/sched-stale.log")"

echo "install_apps_test: OK"
