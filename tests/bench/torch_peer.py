#!/usr/bin/python3
"""The PyTorch side of tests/bench/compare.sh, on the CPU: the models rebuilt from nnc's checked
graph (nnc --graph-json; the module mapping is tests/gpu/peer.py's GraphModel, so the layers,
shapes and parameter counts are nnc's), measured the way nnc is:

  train_step/B  forward, loss, backward, Adam step (lr 3e-4), loss.item(); batch B
  forward/B     inference (eval mode, inference_mode): what nnc_model_forward returns

--serve: PyTorch at its best, for interleave.py (the protocol is in serve_protocol.py). Each row
is built in every variant that applies and the fastest is kept, named in the answer:
  eager                  the modules as they are
  channels_last          models with a convolution: parameters and input in NHWC, PyTorch's
                         recommended layout for CPU convolutions
  frozen                 inference: torch.jit.freeze(torch.jit.trace(model)) (trace, since the
                         graph-walking forward is not scriptable), alone and with channels_last
  ... (1 thread)         on 2 threads, each variant also on one (torch and OpenBLAS both): small
                         steps are sometimes faster there
A variant whose outputs (inference) or loss and gradients (training, from the same initial
parameters) differ from eager's is left out, with a message on stderr. The choice is a short
tournament, the variants alternating slice by slice (--tournament rounds of --tournament-slice s).

Without --serve (one process per figure, not interleaved): the median of --timed steps after
--warmup, per model in DIR, for the stock configuration's table column; --rss MODEL trains MODEL at
batch 64 for 50 steps and prints the peak RSS in KiB.

Thread counts: torch.set_num_threads(--threads); OpenBLAS's pool starts with OPENBLAS_NUM_THREADS,
which the caller sets (compare.sh), and is narrowed for the 1-thread variants through its API.

usage: torch_peer.py DIR [--threads N] [--serve] [--json FILE] [--timed N] [--rss MODEL]
DIR holds <model>.graph.json for each model.
"""
import argparse
import ctypes
import glob
import json
import os
import resource
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gpu"))
from peer import GraphModel, host_batch  # noqa: E402

WARMUP = 5  # untimed steps before a row is measured, as model_serve


def set_threads(n):
    """torch's pool and OpenBLAS's (through libblas.so.3, when it is OpenBLAS) on n threads."""
    torch.set_num_threads(n)
    try:
        ctypes.CDLL("libblas.so.3").openblas_set_num_threads(n)
    except (OSError, AttributeError):
        pass  # another BLAS: its threads follow the environment only


def uses_conv(graph):
    return any(n.get("op") == "conv2d" for n in graph["nodes"])


class Variant:
    """One way to run a row: a step function, its thread count and what it computes (for the
    check against eager)."""

    def __init__(self, name, step, threads, probe):
        self.name, self.step, self.threads, self.probe = name, step, threads, probe


def train_variant(graph, batch, layout):
    torch.manual_seed(0)  # the same initial parameters in every variant
    model = GraphModel(graph).train()
    x, targets = host_batch(graph, batch, torch.Generator().manual_seed(5))
    if layout == "channels_last":
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    # The loss and gradients of the initial parameters, before any step changes them.
    torch.manual_seed(1)  # the same dropout masks
    loss = model(x, targets)
    loss.backward()
    probe = [loss.detach().clone()] + [p.grad.detach().clone() for p in model.parameters() if p.grad is not None]
    model.zero_grad(set_to_none=True)
    opt = torch.optim.Adam(model.parameters(), lr=3e-4)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = model(x, targets)
        loss.backward()
        opt.step()
        loss.item()

    return step, probe


def forward_variant(graph, batch, layout, frozen):
    torch.manual_seed(0)
    model = GraphModel(graph).eval()
    x, _ = host_batch(graph, batch, torch.Generator().manual_seed(5))
    if layout == "channels_last":
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    if frozen:
        with torch.no_grad():
            model = torch.jit.freeze(torch.jit.trace(model, (x,), check_trace=False))

    def step():
        with torch.inference_mode():
            return model(x)

    return step, [step().clone()]


def variants(graph, kind, batch, threads):
    """Every variant that applies to the row, eager first."""
    layouts = ["contiguous"] + (["channels_last"] if uses_conv(graph) else [])
    built = []
    for frozen in ((False,) if kind == "train_step" else (False, True)):
        for layout in layouts:
            name = "+".join(([("frozen")] if frozen else []) + ([layout] if layout != "contiguous" else [])) or "eager"
            step, probe = (train_variant(graph, batch, layout) if kind == "train_step"
                           else forward_variant(graph, batch, layout, frozen))
            for t in sorted({threads, 1}, reverse=True):
                built.append(Variant(name + (" (1 thread)" if t != threads else ""), step, t, probe))
    return built


def same_outputs(a, b):
    """Whether two variants computed the same thing, to float32 rounding across layouts."""
    return len(a) == len(b) and all(x.shape == y.shape and torch.allclose(x, y, rtol=1e-3, atol=1e-4)
                                    for x, y in zip(a, b))


def run_for(v, seconds):
    """(steps, seconds): v's steps until seconds have passed, at least one."""
    set_threads(v.threads)
    steps = 0
    t0 = time.perf_counter()
    while True:
        v.step()
        steps += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds:
            return steps, elapsed


class Peer:
    """torch_peer.py --serve: the rows' fastest variants, kept warm one row at a time."""

    def __init__(self, args):
        self.dir, self.threads = args.dir, args.threads or torch.get_num_threads()
        self.rounds, self.slice = args.tournament, args.tournament_slice
        self.row, self.best = None, None

    def prepare(self, row):
        if row == self.row:
            return self.best.name
        self.row, self.best = None, None
        model, kind, batch = row.split("/")
        batch = int(batch)
        if kind not in ("train_step", "forward") or batch < 1:
            raise ValueError("not a row: MODEL/train_step/BATCH or MODEL/forward/BATCH")
        path = os.path.join(self.dir, model + ".graph.json")
        if not os.path.exists(path):
            raise ValueError("no %s (nnc --graph-json)" % path)
        graph = json.load(open(path))
        candidates = variants(graph, kind, batch, self.threads)
        kept = [candidates[0]]
        for v in candidates[1:]:
            if same_outputs(v.probe, candidates[0].probe):
                kept.append(v)
            else:
                print("torch_peer.py: %s: %s computes other values than eager; left out" % (row, v.name),
                      file=sys.stderr, flush=True)
        for v in kept:
            set_threads(v.threads)
            for _ in range(WARMUP):
                v.step()
        self.best = self.tournament(kept)
        self.row = row
        return self.best.name

    def tournament(self, kept):
        """The variant with the highest median rate over alternating short slices."""
        if len(kept) == 1:
            return kept[0]
        rates = {v.name: [] for v in kept}
        for r in range(self.rounds):
            for v in kept[r % len(kept):] + kept[:r % len(kept)]:
                steps, seconds = run_for(v, self.slice)
                rates[v.name].append(steps / seconds)
        return max(kept, key=lambda v: statistics.median(rates[v.name]))

    def answer(self, line):
        words = line.split()
        try:
            if len(words) == 2 and words[0] == "prepare":
                return "ready %s %s" % (words[1], self.prepare(words[1]))
            if len(words) == 3 and words[0] == "run":
                self.prepare(words[1])
                steps, seconds = run_for(self.best, float(words[2]))
                return "done %s %d %.9g" % (words[1], steps, seconds)
        except Exception as e:  # one row's failure must not end the run
            self.row = None
            return "error %s %s" % (words[1], repr(e).replace("\n", " "))
        return "error - unknown command '%s' (prepare ROW, run ROW SECONDS, quit)" % line


def serve(args):
    peer = Peer(args)
    for line in sys.stdin:
        line = line.strip()
        if line == "quit":
            break
        if line:
            print(peer.answer(line), flush=True)
    return 0


def median_ms(step, warmup, timed):
    for _ in range(warmup):
        step()
    times = []
    for _ in range(timed):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def one_shot(args):
    """The eager model of every row, each measured on its own (the stock configuration's column)."""
    results = {"torch": torch.__version__, "threads": torch.get_num_threads(),
               "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", ""), "rows": {}}
    print("PyTorch %s on the CPU, %d thread(s)" % (torch.__version__, torch.get_num_threads()), flush=True)
    models = args.models.split(",") if args.models else sorted(
        os.path.basename(p)[:-len(".graph.json")] for p in glob.glob(os.path.join(args.dir, "*.graph.json")))
    for name in models:
        graph = json.load(open(os.path.join(args.dir, name + ".graph.json")))
        for kind in ("train_step", "forward"):
            for batch in (1, 64, 256):
                step, _ = train_variant(graph, batch, "contiguous") if kind == "train_step" else forward_variant(
                    graph, batch, "contiguous", False)
                ms = median_ms(step, args.warmup, args.timed)
                row = "%s/%s/%d" % (name, kind, batch)
                results["rows"][row] = {"ms": ms, "samples_per_s": batch * 1e3 / ms}
                print("torch %-32s %9.3f ms %10.0f samples/s" % (row, ms, batch * 1e3 / ms), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: torch's default)")
    ap.add_argument("--serve", action="store_true", help="answer interleave.py's commands on stdin")
    ap.add_argument("--tournament", type=int, default=3, help="--serve: rounds choosing each row's variant")
    ap.add_argument("--tournament-slice", type=float, default=0.15, help="--serve: seconds per variant per round")
    ap.add_argument("--models", help="one-shot: comma-separated models (default: every graph in DIR)")
    ap.add_argument("--json")
    ap.add_argument("--timed", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=WARMUP)
    ap.add_argument("--rss")
    args = ap.parse_args()
    if args.threads > 0:
        set_threads(args.threads)
    if args.serve:
        return serve(args)
    if args.rss:
        graph = json.load(open(os.path.join(args.dir, args.rss + ".graph.json")))
        step, _ = train_variant(graph, 64, "contiguous")
        median_ms(step, 5, 45)
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB
        return 0
    return one_shot(args)


if __name__ == "__main__":
    sys.exit(main())
