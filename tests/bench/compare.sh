#!/usr/bin/env bash
# nnc vs PyTorch on this machine's CPU, interleaved, in one run: the tables in tests/bench/RESULTS.md.
#
#   tests/bench/compare.sh [--quick] [--models a,b,...] [BUILD_DIR] [OUT_DIR]
#                                              (defaults: build, BUILD_DIR/bench-compare)
#
# --models picks models by name, from samples/ or tests/bench/networks/ (default: the four samples
# and every network there). --quick is a smoke test: few short rounds, no cold compile, stock
# PyTorch, RSS or layer profile, and RESULTS.md is left as it is (the table goes to OUT_DIR only).
#
# 1. Compiles each model with BUILD_DIR's nnc, with its graph: cold (an empty build cache), then
#    unchanged again, timing both; `nnc check` gives its MAC count.
# 2. Interleaved, for T = 1 and 2 threads (tests/bench/interleave.py): two long-lived processes,
#    nnc's (model_serve, the compiled libraries) and PyTorch's at its best (torch_peer.py --serve:
#    the fastest of eager, channels_last and frozen TorchScript, on T threads or on one, checked
#    to compute the same values; the system BLAS must be OpenBLAS, which this script checks;
#    glibc keeps freed memory, MALLOC_MMAP_MAX_=0 and a large MALLOC_TRIM_THRESHOLD_, or every step
#    re-faults its buffers; OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, they pin OpenBLAS to
#    AVX2 code here). For every row (model x training step / inference x batch 1, 64, 256) they
#    alternate in short slices, round after round, with a slice of a register-only FMA loop: each
#    ratio is the median of the rounds' ratios with its interquartile range.
# 3. PyTorch in its stock configuration (the environment as it is, torch's default threads), each
#    row alone, for comparison only.
# 4. The epoch against the step: `nnc train` (diagnostics on, 2 threads, batch 64) on fashion_mlp
#    and fashion_cnn, alternating with model_serve's training step of the same library
#    (tests/bench/epoch_vs_step.py).
# 5. Peak RSS of 50 training steps at batch 64, one process per model, for both.
# 6. Per layer: each dense, conv2d and recurrent layer's share and GFLOP/s in the training step at
#    batch 256 on 1 thread, from Halide's profiler (a second build, --target host-profile), against
#    the FMA rate measured just before and after each model's profile run.
# 7. tests/bench/compare_table.py writes OUT_DIR/table.md, which replaces the generated part of
#    tests/bench/RESULTS.md.
# Run it on a quiet machine: the interleaving cancels the machine's swings, not a steady load.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
quick=0
models_arg=""
positional=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --models) models_arg="${2:?--models needs a comma-separated list}"; shift ;;
    --models=*) models_arg="${1#--models=}" ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    -*) echo "compare.sh: unknown option '$1' (--quick, --models a,b)" >&2; exit 2 ;;
    *) positional+=("$1") ;;
  esac
  shift
done
# PyTorch from Debian does its matrix products through the system BLAS: with the reference BLAS
# (libblas3 alone) it runs 10-50x below its best and the comparison would flatter nnc.
if ! readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 | grep -q openblas; then
  echo "compare.sh: the system BLAS is not OpenBLAS, so PyTorch would be measured far below its best;" >&2
  echo "  install it first: apt-get install libopenblas0-pthread" >&2
  exit 1
fi
build="$(cd "${positional[0]:-$root/build}" && pwd)"
out="${positional[1]:-$build/bench-compare}"
nnc="$build/codegen/nnc"
serve="$build/tests/bench/model_serve"
bench="$build/tests/bench/model_bench"
for tool in "$nnc" "$serve"; do
  [ -x "$tool" ] || { echo "compare.sh: $tool is missing; build it: cmake --build $build --target nnc model_serve model_bench" >&2; exit 1; }
done
if [ -n "$models_arg" ]; then
  IFS=, read -r -a models <<< "$models_arg"
else
  models=(fashion_mlp fashion_cnn resnet8 lstm_classifier)
  for f in "$root"/tests/bench/networks/*.nn; do models+=("$(basename "$f" .nn)"); done
fi
declare -A source
for m in "${models[@]}"; do
  for dir in "$root/samples" "$root/tests/bench/networks"; do
    [ -f "$dir/$m.nn" ] && { source[$m]="$dir/$m.nn"; break; }
  done
  [ -n "${source[$m]:-}" ] || { echo "compare.sh: no model '$m' in samples/ or tests/bench/networks/" >&2; exit 2; }
done
mkdir -p "$out"
out="$(cd "$out" && pwd)"
py=/usr/bin/python3
bench_py="$root/tests/bench"
if [ $quick = 1 ]; then
  rounds=3 slice=0.05 tournament=1 epoch_rounds=1 epoch_limit=3200
else
  rounds="${NNC_BENCH_ROUNDS:-12}" slice="${NNC_BENCH_SLICE:-0.3}" tournament=3 epoch_rounds=5 epoch_limit=19200
fi
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
printf '[%s]\n' "$(printf '"%s",' "${models[@]}" | sed 's/,$//')" > "$out/models.json"
rm -f "$out"/interleaved_t*.json "$out"/epoch_*.json "$out"/torch_stock.json "$out"/rss.json "$out"/compile.json "$out"/tune.json

# 1. Each model compiled cold (an empty build cache of its own), then once more unchanged (the
#    cache's copy): the compile-time targets, in OUT_DIR/compile.json. --quick compiles once,
#    through the user's build cache.
# 0. The schedule tuning made on this machine: each model tuned quick from an empty tuning file
#    of this run (OUT_DIR/tuning.json; shipped tunings still apply), timed (the target is at most
#    60 s a model); every build below uses that file. --quick builds the template defaults.
if [ $quick = 1 ]; then
  export NNC_AUTOTUNE=off
else
  export NNC_TUNING_CACHE="$out/tuning.json" NNC_AUTOTUNE=cached
  rm -f "$NNC_TUNING_CACHE"
  tune_json="{"
  for m in "${models[@]}"; do
    echo "== quick tuning: $m"
    t0=$(date +%s%N)
    "$nnc" tune-kernels --mode quick "${source[$m]}"
    t1=$(date +%s%N)
    tune_json+="\"$m\": {\"quick_tune_ms\": $(( (t1 - t0) / 1000000 ))},"
  done
  echo "${tune_json%,}}" > "$out/tune.json"
fi

compile_json="{"
[ $quick = 1 ] || rm -rf "$out/nnc-cache"
for m in "${models[@]}"; do
  if [ $quick = 1 ]; then
    "$nnc" "${source[$m]}" -o "$out/$m.so" --graph-json "$out/$m.graph.json"
  else
    t0=$(date +%s%N)
    XDG_CACHE_HOME="$out/nnc-cache" "$nnc" "${source[$m]}" -o "$out/$m.so" --graph-json "$out/$m.graph.json"
    t1=$(date +%s%N)
    XDG_CACHE_HOME="$out/nnc-cache" "$nnc" "${source[$m]}" -o "$out/$m.so" --graph-json "$out/$m.graph.json"
    t2=$(date +%s%N)
    compile_json+="\"$m\": {\"cold_ms\": $(( (t1 - t0) / 1000000 )), \"again_ms\": $(( (t2 - t1) / 1000000 ))},"
  fi
  "$nnc" check "${source[$m]}" > "$out/$m.check.txt"
done
[ $quick = 1 ] || echo "${compile_json%,}}" > "$out/compile.json"
libs=()
for m in "${models[@]}"; do libs+=("$out/$m.so"); done
model_list=$(IFS=,; echo "${models[*]}")

# 2. Interleaved, 1 and 2 threads.
best_env="env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=4294967296"
for t in 1 2; do
  echo "== nnc and PyTorch at its best, interleaved, $t thread(s)"
  "$py" "$bench_py/interleave.py" --threads $t --models "$model_list" --rounds "$rounds" --slice "$slice" \
    --nnc "$(printf '%q ' "$serve" --threads=$t "${libs[@]}")" \
    --torch "$best_env OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t $(printf '%q ' "$py" "$bench_py/torch_peer.py" "$out") --threads $t --serve --tournament $tournament --tournament-slice $slice" \
    --json "$out/interleaved_t$t.json"
done

# 3. PyTorch in its stock configuration, each row alone.
if [ $quick = 0 ]; then
  echo "== PyTorch, stock configuration"
  "$py" "$bench_py/torch_peer.py" "$out" --models "$model_list" --json "$out/torch_stock.json"
fi

# 4. The epoch against the step, on the models that train on Fashion-MNIST's IDX files.
for m in fashion_mlp fashion_cnn; do
  [[ ",$model_list," == *",$m,"* ]] || continue
  echo "== the epoch against the step: $m, 2 threads, batch 64"
  "$py" "$bench_py/epoch_vs_step.py" --row "$m/train_step/64" --rounds "$epoch_rounds" \
    --serve "$(printf '%q ' "$serve" --threads=2 "$out/$m.so")" \
    --train "$(printf '%q ' "$nnc" train "$out/$m.so") --limit $epoch_limit --validation 0 --epochs 2 --batch 64 --threads 2 --out {out}" \
    --json "$out/epoch_$m.json"
done

if [ $quick = 0 ]; then
  # 5. Peak RSS.
  echo "== peak RSS, 50 training steps at batch 64, 1 thread"
  rss_json="{"
  for m in "${models[@]}"; do
    nnc_kib=$(/usr/bin/time -f '%M' "$bench" --threads=1 --benchmark_filter="$m/train_step/64" \
      --benchmark_min_time=0.01 "$out/$m.so" 2>&1 >/dev/null | tail -1)
    torch_kib=$($best_env OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
      "$py" "$bench_py/torch_peer.py" "$out" --threads 1 --rss "$m" | tail -1)
    echo "$m: nnc $nnc_kib KiB, PyTorch $torch_kib KiB"
    rss_json+="\"$m\": {\"nnc_kib\": $nnc_kib, \"torch_kib\": $torch_kib},"
  done
  echo "${rss_json%,}}" > "$out/rss.json"

  # 6. Per layer. A profile run is one process, so it cannot be interleaved: its FMA rate is the
  #    mean of one FMA slice just before it and one just after (model_serve, 1 thread).
  fma_now() {
    printf 'fma 0.5\nquit\n' | "$serve" --threads=1 "$out/${models[0]}.so" | awk '$1 == "done" { print $3 / $4 / 1e9 }'
  }
  {
    echo
    echo "### Dense, conv2d and recurrent layers in the training step, batch 256, 1 thread (Halide profiler; \"of peak\": of the FMA rate measured just before and after each model's profile run)"
    echo
    header=1
    notes=()
    for m in "${models[@]}"; do
      if [ ! -f "$out/$m.profile.so" ] || [ "$out/$m.so" -nt "$out/$m.profile.so" ]; then
        "$nnc" "${source[$m]}" -o "$out/$m.profile.so" --target host-profile >/dev/null
      fi
      before=$(fma_now)
      "$bench" --threads=1 --benchmark_filter="$m.profile/train_step/256" --benchmark_min_time=1 \
        "$out/$m.profile.so" > "$out/$m.profile.txt" 2>&1
      after=$(fma_now)
      fma=$(awk -v a="$before" -v b="$after" 'BEGIN { printf "%.0f", (a + b) / 2 }')
      notes+=("$m $fma ($(printf '%.0f' "$before") before, $(printf '%.0f' "$after") after)")
      "$py" "$bench_py/layer_efficiency.py" "$out/$m.profile.txt" "$out/$m.check.txt" \
        --batch 256 --peak "$fma" --model "$m" --graph "$out/$m.graph.json" --peak-range "$before,$after" \
        | tail -n +$((header ? 1 : 3))
      header=0
    done
    echo
    echo "FMA rate, GFLOP/s: $(IFS=';'; echo "${notes[*]}" | sed 's/;/; /g')."
  } > "$out/layers.md"
fi

{
  echo
  echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores available."
  "$py" "$bench_py/compare_table.py" "$out"
  [ $quick = 1 ] || cat "$out/layers.md"
} | tee "$out/table.md"
if [ $quick = 1 ]; then
  echo "compare.sh: --quick leaves tests/bench/RESULTS.md as it is; the table is in $out/table.md"
  exit 0
fi

# 7. The tables replace the generated part of tests/bench/RESULTS.md (between its two markers),
#    stamped with the date, the commit and the machine's load at the start.
"$py" - "$root/tests/bench/RESULTS.md" "$out/table.md" "$(date -u +%F)" \
  "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)" "$load_at_start" <<'PY'
import os
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
os.replace(tmp, results)
print("compare.sh: updated %s" % results)
PY
