#!/usr/bin/env bash
# Cold compile time of every sample: wall and CPU seconds of `nnc samples/<m>.nn -o <m>.so`,
# one model at a time, as a Markdown table (tests/bench/RESULTS.md). --no-cache: nnc's build cache
# would otherwise copy a library it built before. The schedule tuning is not timed here
# (NNC_AUTOTUNE=off unless set; compare.sh times it): a first compile would otherwise measure its
# layers for up to the quick budget.
#   tests/bench/compile_times.sh [path/to/nnc] [extra nnc options...]
set -euo pipefail
cd "$(dirname "$0")/../.."
nnc=${1:-build/codegen/nnc}
shift || true
export NNC_AUTOTUNE="${NNC_AUTOTUNE:-off}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "| model | wall s | CPU s (user+sys) | pipelines |"
echo "|---|---|---|---|"
for f in samples/*.nn; do
    m=$(basename "$f" .nn)
    /usr/bin/time -f "%e %U %S" -o "$out/time" env NNC_VERBOSE=1 "$nnc" "$f" -o "$out/$m.so" --no-cache "$@" 2> "$out/log" >/dev/null ||
        { echo "| $m | failed | | |"; cat "$out/log" >&2; continue; }
    read -r wall user sys < "$out/time"
    units=$(grep -c "^nnc: compiled " "$out/log" || true)
    awk -v m="$m" -v w="$wall" -v u="$user" -v s="$sys" -v n="$((units - 1))" 'BEGIN { printf "| %s | %.1f | %.1f | %d |\n", m, w, u + s, n }'
done
