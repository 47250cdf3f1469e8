#!/usr/bin/python3
"""The PyTorch side of tests/bench/compare.sh, on the CPU: the reference models rebuilt from
nnc's checked graph (nnc --graph-json; the module mapping is tests/gpu/peer.py's GraphModel, so
the layers, shapes and parameter counts are nnc's), measured the way model_bench measures nnc:

  train_step/B  forward, loss, backward, Adam step (lr 3e-4), loss.item(); batch B
  forward/B     inference (eval mode, inference_mode): what nnc_model_forward returns

Each figure is the median of `--timed` steps after `--warmup` steps, on fixed random inputs of
the model's shapes (the speed does not depend on the values). Also:
  --peak        GFLOP/s of a large float32 matrix product (torch.mm, n = 2048), the achievable
                peak this table's fractions refer to
  --rss MODEL   trains MODEL at batch 64 for 50 steps in this process and prints its peak RSS

Thread counts: torch.set_num_threads(--threads); OpenBLAS's own pool is governed only by
OPENBLAS_NUM_THREADS, which the caller sets (compare.sh) before this process starts.

usage: torch_peer.py DIR [--threads N] [--json FILE] [--timed N] [--peak] [--rss MODEL]
DIR holds <model>.graph.json for each model.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gpu"))
from peer import MODELS, GraphModel, host_batch  # noqa: E402


def median_ms(step, warmup, timed):
    for _ in range(warmup):
        step()
    times = []
    for _ in range(timed):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def train_step_ms(graph, batch, warmup, timed):
    torch.manual_seed(0)
    model = GraphModel(graph).train()
    opt = torch.optim.Adam(model.parameters(), lr=3e-4)
    x, targets = host_batch(graph, batch, torch.Generator().manual_seed(5))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = model(x, targets)
        loss.backward()
        opt.step()
        loss.item()

    return median_ms(step, warmup, timed)


def forward_ms(graph, batch, warmup, timed):
    torch.manual_seed(0)
    model = GraphModel(graph).eval()
    x, _ = host_batch(graph, batch, torch.Generator().manual_seed(5))

    def step():
        with torch.inference_mode():
            model(x)

    return median_ms(step, warmup, timed)


def peak_gflops(n=2048, timed=10):
    a = torch.rand(n, n)
    b = torch.rand(n, n)
    ms = median_ms(lambda: torch.mm(a, b), 3, timed)
    return 2.0 * n ** 3 / (ms * 1e-3) / 1e9


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: torch's default)")
    ap.add_argument("--json")
    ap.add_argument("--timed", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--peak", action="store_true")
    ap.add_argument("--rss")
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)

    if args.rss:
        graph = json.load(open(os.path.join(args.dir, args.rss + ".graph.json")))
        train_step_ms(graph, 64, 5, 45)
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB
        return 0

    results = {"torch": torch.__version__, "threads": torch.get_num_threads(),
               "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", ""), "rows": {}}
    print("PyTorch %s on the CPU, %d thread(s)" % (torch.__version__, torch.get_num_threads()), flush=True)
    if args.peak:
        results["peak_gflops"] = peak_gflops()
        print("torch.mm 2048x2048: %.0f GFLOP/s" % results["peak_gflops"], flush=True)
    for name in MODELS:
        path = os.path.join(args.dir, name + ".graph.json")
        if not os.path.exists(path):
            continue
        graph = json.load(open(path))
        for kind, batches, fn in (("train_step", (1, 64, 256), train_step_ms), ("forward", (1, 64), forward_ms)):
            for batch in batches:
                ms = fn(graph, batch, args.warmup, args.timed)
                row = "%s/%s/%d" % (name, kind, batch)
                results["rows"][row] = {"ms": ms, "samples_per_s": batch * 1e3 / ms}
                print("torch %-32s %9.3f ms %10.0f samples/s" % (row, ms, batch * 1e3 / ms), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
