#!/bin/bash
# The GPU check, in one go on a machine with an NVIDIA GPU, its driver and PyTorch with CUDA:
#   tests/gpu/check.sh BUNDLE      (BUNDLE from tests/gpu/prepare.sh, carried as built)
# 1. nnc CUDA vs nnc CPU: loss, every gradient and state, inference output (relative error < 1e-4)
#    for each reference model in the bundle; throughput of the training step at batch 64 and 256;
#    a few hundred training steps of fashion_cnn (fashion_mlp if absent) with the loss falling.
# 2. PyTorch on the same GPU, the same models (from nnc's graph JSON), the same measurement.
# 3. The table, last. Full results (JSON, logs, summary.md) go to $OUT when it is set.
# Exit status: 0 all checks passed; 1 a check failed; 2 no GPU usable (the CPU parts still ran).
set -u
here=$(cd "$(dirname "$0")" && pwd)
bundle=${1:?usage: tests/gpu/check.sh BUNDLE}
bundle=$(cd "$bundle" && pwd)
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
start=$(date +%s)

{ nvidia-smi -L 2>&1 || echo "nvidia-smi: not available"; } | tee "$out/gpu.txt"
# Built on Debian 12 (glibc 2.36, GCC 12): the bundle brings its libstdc++ for the model libraries.
orig_ld_path=${LD_LIBRARY_PATH-}
export LD_LIBRARY_PATH="$bundle/lib${orig_ld_path:+:$orig_ld_path}"
ldd "$bundle/fashion_mlp_cuda.so" 2>&1 | grep -iE "not found|version" && echo "check.sh: the bundle's libraries do not load here"

echo "== nnc (gpu_check) =="
timeout 240 "$bundle/gpu_check" "$bundle" --json "$out/nnc.json" 2>&1 | tee "$out/nnc.log"
rc=${PIPESTATUS[0]}
echo "gpu_check exit status $rc after $(( $(date +%s) - start )) s"

echo "== PyTorch (peer.py) =="
LD_LIBRARY_PATH=$orig_ld_path timeout 150 python3 "$here/peer.py" "$bundle" --json "$out/torch.json" 2>&1 | tee "$out/torch.log"
peer_rc=${PIPESTATUS[0]}
echo "peer.py exit status $peer_rc after $(( $(date +%s) - start )) s"

echo
python3 "$here/summary.py" "$out/nnc.json" "$out/torch.json" "$out/summary.md"
echo "($(( $(date +%s) - start )) s in all; results in $out)"
if [ "$rc" -eq 0 ] && [ "$peer_rc" -ne 0 ]; then rc=1; fi
exit "$rc"
