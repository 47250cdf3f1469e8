#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each from its seed corpus; CI calls it with a short time.
#
#   tests/fuzz/run.sh BUILD_DIR [SECONDS=60] [TARGET...]
#
# Seeds: samples/*.nn, tests/dsl/malformed/*.nn and the robustness corpus for the front end; the
# corpus's data files for the loaders; small valid IDX/.npy/.npz files and a checkpoint written
# here. The growing corpus lives in BUILD_DIR/corpus/TARGET (kept between runs: run longer by
# running again, or with a larger SECONDS). A crash, sanitizer report, leak, timeout (60 s per
# input) or allocation over 2 GiB stops the target and leaves the input in BUILD_DIR/artifacts/;
# reproduce with `BUILD_DIR/TARGET FILE`, then add it to tests/fuzz/regressions/TARGET/ (run
# here as seeds, so a fixed crash stays fixed).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "$1" && pwd)"
seconds="${2:-60}"
shift $(( $# >= 2 ? 2 : 1 ))
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(fuzz_frontend fuzz_idx fuzz_csv fuzz_npy fuzz_npz fuzz_checkpoint)

seeds="$build/seeds"
rm -rf "$seeds" && mkdir -p "$seeds"/{fuzz_frontend,fuzz_idx,fuzz_csv,fuzz_npy,fuzz_npz,fuzz_checkpoint}
cp "$root"/samples/*.nn "$root"/tests/dsl/malformed/*.nn "$root"/tests/robustness/corpus/nn/*.nn \
   "$root"/tests/robustness/corpus/models/*.nn "$seeds/fuzz_frontend/"
cp "$root"/tests/robustness/corpus/data/*.csv "$seeds/fuzz_csv/"
cp "$root"/tests/robustness/corpus/data/*.npy "$seeds/fuzz_npy/"
cp "$root"/tests/robustness/corpus/ckpt/* "$seeds/fuzz_checkpoint/"
python3 - "$seeds" <<'PY'
import gzip, io, struct, sys, zipfile
seeds = sys.argv[1]
def npy(shape, data, descr="<f4"):
    h = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (descr, "".join(f"{d}, " for d in shape))
    h += " " * (63 - (10 + len(h)) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode() + data
open(f"{seeds}/fuzz_csv/good.csv", "w").write("x1,x2,y\n0.5,-1e-3,2\n\"1.5\",2,\"0\"\n")
for name, arr in {"f4": npy((2, 3), struct.pack("<6f", *range(6))), "i4": npy((3,), struct.pack("<3i", 0, 1, 2), "<i4"),
                  "u1": npy((4,), bytes([0, 1, 2, 3]), "|u1"), "f8": npy((), struct.pack("<d", 1.5), "<f8")}.items():
    open(f"{seeds}/fuzz_npy/{name}.npy", "wb").write(arr)
for name, compression in (("stored", zipfile.ZIP_STORED), ("deflated", zipfile.ZIP_DEFLATED)):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", compression) as z:
        z.writestr("fc.weight.npy", npy((4, 3), struct.pack("<12f", *range(12))))
        z.writestr("fc.bias.npy", npy((3,), struct.pack("<3f", 1, 2, 3)))
    open(f"{seeds}/fuzz_npz/{name}.npz", "wb").write(b.getvalue())
images = struct.pack(">IIII", 0x803, 3, 2, 2) + bytes(range(12))
labels = struct.pack(">II", 0x801, 3) + bytes([0, 1, 2])
for name, data in (("images", images), ("labels", labels)):
    open(f"{seeds}/fuzz_idx/{name}.idx", "wb").write(data)
    open(f"{seeds}/fuzz_idx/{name}.idx.gz", "wb").write(gzip.compress(data))
PY
rm -f "$seeds/fuzz_frontend/huge_repeat.nn"  # 2e9 repeats: seconds per run under ASan (the corpus test covers it)
NNC_FUZZ_WRITE_SEED="$seeds/fuzz_checkpoint/valid.ckpt" "$build/fuzz_checkpoint" -runs=0 >/dev/null 2>&1

export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
mkdir -p "$build/artifacts"
status=0
for t in "${targets[@]}"; do
  mkdir -p "$build/corpus/$t"
  extra=()
  [ -d "$root/tests/fuzz/regressions/$t" ] && extra=("$root/tests/fuzz/regressions/$t")
  log="$build/$t.log"
  # -max_len 65536: room for deep nesting and long lines; -rss_limit_mb and -malloc_limit_mb make
  # an allocation a header merely claims a finding.
  if "$build/$t" "$build/corpus/$t" "$seeds/$t" "${extra[@]}" -max_total_time="$seconds" -max_len=65536 \
       -timeout=60 -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 \
       -artifact_prefix="$build/artifacts/$t-" >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    echo "fuzz: $t: $runs executions in ${seconds} s, no finding ($(ls "$build/corpus/$t" | wc -l) inputs in its corpus)"
  else
    echo "fuzz: $t: FINDING (log $log, input in $build/artifacts/):"
    grep -E "ERROR|SUMMARY|runtime error|==[0-9]+==" "$log" | head -20
    status=1
  fi
done
exit $status
