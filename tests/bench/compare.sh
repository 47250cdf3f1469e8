#!/usr/bin/env bash
# nnc vs PyTorch on this machine's CPU, side by side, in one run: the table in tests/bench/RESULTS.md.
#
#   tests/bench/compare.sh [BUILD_DIR] [OUT_DIR]     (defaults: build, BUILD_DIR/bench-compare)
#
# 1. Compiles the four reference models (samples/) with BUILD_DIR's nnc, with their graphs: cold
#    (an empty build cache), then unchanged again, timing both.
# 2. nnc: model_bench --threads=T for T = 1 and 2 (training step at batch 1/64/256, inference at
#    batch 1/64; Google Benchmark, 5 warm-up steps, median of 20 repetitions).
# 3. PyTorch at its best (tests/bench/torch_peer.py, the same models from the same graphs; the
#    system BLAS must be OpenBLAS, libopenblas0-pthread, which this script checks):
#    glibc keeps freed memory in the process (MALLOC_MMAP_MAX_=0, a large MALLOC_TRIM_THRESHOLD_:
#    otherwise every step re-faults its buffers), OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset
#    (they pin OpenBLAS to AVX2 code here), torch and OpenBLAS both on T threads. And once in the
#    stock configuration (the environment as it is, torch's default threads).
# 4. Peak RSS of 50 training steps at batch 64, one process per model, for both.
# 5. tests/bench/compare_table.py prints the table (ratios, GFLOP/s from the analytic MAC counts of
#    `nnc check`, the fraction of the large-matrix-product peak measured in this run, the ceiling
#    and the speed targets) and, with step 6's per-layer table, writes OUT_DIR/table.md.
# 7. Puts the tables into tests/bench/RESULTS.md, replacing the previous run's.
# Run it on a quiet machine: every figure shares the cores with whatever else runs.
set -euo pipefail
# PyTorch from Debian does its matrix products through the system BLAS: with the reference BLAS
# (libblas3 alone) it runs 10-50x below its best and the comparison would flatter nnc.
if ! readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 | grep -q openblas; then
  echo "compare.sh: the system BLAS is not OpenBLAS, so PyTorch would be measured far below its best;" >&2
  echo "  install it first: apt-get install libopenblas0-pthread" >&2
  exit 1
fi
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
out="${2:-$build/bench-compare}"
mkdir -p "$out"
nnc="$build/codegen/nnc"
bench="$build/tests/bench/model_bench"
models=(fashion_mlp fashion_cnn resnet8 lstm_classifier)
# Each repetition times steps for at least min_time seconds (at least one step); the median of 20
# repetitions, after 5 warm-up steps, matches the peer's median of 20 steps after 5.
min_time="${NNC_BENCH_MIN_TIME:-0.02}"
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)

# Each model compiled cold (an empty build cache of its own), then once more unchanged (the
# cache's copy): the compile-time targets, in OUT_DIR/compile.json.
compile_json="{"
rm -rf "$out/nnc-cache"
for m in "${models[@]}"; do
  t0=$(date +%s%N)
  XDG_CACHE_HOME="$out/nnc-cache" "$nnc" "$root/samples/$m.nn" -o "$out/$m.so" --graph-json "$out/$m.graph.json"
  t1=$(date +%s%N)
  XDG_CACHE_HOME="$out/nnc-cache" "$nnc" "$root/samples/$m.nn" -o "$out/$m.so" --graph-json "$out/$m.graph.json"
  t2=$(date +%s%N)
  compile_json+="\"$m\": {\"cold_ms\": $(( (t1 - t0) / 1000000 )), \"again_ms\": $(( (t2 - t1) / 1000000 ))},"
  "$nnc" check "$root/samples/$m.nn" > "$out/$m.check.txt"
done
echo "${compile_json%,}}" > "$out/compile.json"
libs=()
for m in "${models[@]}"; do libs+=("$out/$m.so"); done

for t in 1 2; do
  echo "== nnc, $t thread(s)"
  "$bench" --threads=$t --benchmark_filter='train_step|forward' --benchmark_min_time="$min_time" \
    --benchmark_repetitions=20 --benchmark_report_aggregates_only=true \
    --benchmark_out="$out/nnc_t$t.json" --benchmark_out_format=json "${libs[@]}"
done

best_env=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=4294967296)
for t in 1 2; do
  echo "== PyTorch at its best, $t thread(s)"
  "${best_env[@]}" OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t \
    /usr/bin/python3 "$root/tests/bench/torch_peer.py" "$out" --threads $t --peak --json "$out/torch_t$t.json"
done
echo "== PyTorch, stock configuration"
/usr/bin/python3 "$root/tests/bench/torch_peer.py" "$out" --json "$out/torch_stock.json"

echo "== peak RSS, 50 training steps at batch 64, 1 thread"
rss_json="{"
for m in "${models[@]}"; do
  nnc_kib=$(/usr/bin/time -f '%M' "$bench" --threads=1 --benchmark_filter="$m/train_step/64" \
    --benchmark_min_time=0.01 "$out/$m.so" 2>&1 >/dev/null | tail -1)
  torch_kib=$("${best_env[@]}" OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
    /usr/bin/python3 "$root/tests/bench/torch_peer.py" "$out" --threads 1 --rss "$m" | tail -1)
  echo "$m: nnc $nnc_kib KiB, PyTorch $torch_kib KiB"
  rss_json+="\"$m\": {\"nnc_kib\": $nnc_kib, \"torch_kib\": $torch_kib},"
done
echo "${rss_json%,}}" > "$out/rss.json"

# 6. Per layer: each dense, conv2d and recurrent layer's share and GFLOP/s in the training step at batch 256
#    on 1 thread, from Halide's profiler (a second build of each model, --target host-profile),
#    against the 1-thread peak of this run.
peak1=$(/usr/bin/python3 -c 'import json,sys; print("%.0f" % json.load(open(sys.argv[1]))["peak_gflops"])' "$out/torch_t1.json")
{
  echo
  echo "### Dense, conv2d and recurrent layers in the training step, batch 256, 1 thread (Halide profiler; peak $peak1 GFLOP/s)"
  echo
  header=1
  for m in "${models[@]}"; do
    if [ ! -f "$out/$m.profile.so" ] || [ "$out/$m.so" -nt "$out/$m.profile.so" ]; then
      "$nnc" "$root/samples/$m.nn" -o "$out/$m.profile.so" --target host-profile >/dev/null
    fi
    "$bench" --threads=1 --benchmark_filter="$m.profile/train_step/256" --benchmark_min_time=1 \
      "$out/$m.profile.so" > "$out/$m.profile.txt" 2>&1
    /usr/bin/python3 "$root/tests/bench/layer_efficiency.py" "$out/$m.profile.txt" "$out/$m.check.txt" \
      --batch 256 --peak "$peak1" --model "$m" | tail -n +$((header ? 1 : 3))
    header=0
  done
} > "$out/layers.md"

{ /usr/bin/python3 "$root/tests/bench/compare_table.py" "$out"; cat "$out/layers.md"; } | tee "$out/table.md"

# 7. The tables replace the generated part of tests/bench/RESULTS.md (between its two markers),
#    stamped with the date, the commit and the machine's load at the start.
/usr/bin/python3 - "$root/tests/bench/RESULTS.md" "$out/table.md" "$(date -u +%F)" \
  "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)" "$load_at_start" <<'PY'
import sys
results, table, day, commit, load = sys.argv[1:6]
begin, end = "<!-- compare.sh: begin -->", "<!-- compare.sh: end -->"
text = open(results).read()
if begin not in text or end not in text:
    sys.exit("compare.sh: %s has no '%s' ... '%s' section to replace" % (results, begin, end))
head, rest = text.split(begin, 1)
tail = rest.split(end, 1)[1]
body = "\n_Generated by `tests/bench/compare.sh` on %s at commit %s (load average at the start: %s)._\n%s\n" % (
    day, commit, load, open(table).read())
tmp = results + ".tmp"
open(tmp, "w").write(head + begin + "\n" + body + end + tail)
import os
os.replace(tmp, results)
print("compare.sh: updated %s" % results)
PY
