#!/usr/bin/python3
"""nnc and PyTorch measured in alternating short slices, row after row (tests/bench/compare.sh).

Two long-lived processes (serve_protocol.py) keep each row's model warm; every round runs one
slice of nnc, one of PyTorch (the order swapped every other round) and one of the register-only
FMA loop, so that the three see the same machine within a second. Each row's ratio is the median
of the rounds' nnc / PyTorch ratios with its interquartile range (bench_stats.py); the FMA slices
give the machine's peak of that moment, to read GFLOP/s against.

usage: interleave.py --nnc 'CMD' --torch 'CMD' --models a,b [--kinds train_step,forward]
                     [--batches 1,64,256] [--rounds N] [--slice S] [--json FILE]
CMD: a command line (shell words) that starts a measuring process.
"""
import argparse
import json
import shlex
import sys

import bench_stats
from serve_protocol import RowError, Server, ServerError


def measure_row(nnc, torch, row, batch, rounds, slice_s, fma_slice_s):
    """One row's slices and their statistics; {"error": ...} when a side cannot run it."""
    try:
        nnc.prepare(row)
        variant = torch.prepare(row)
        rates = {"nnc": [], "torch": []}
        fma = []
        for r in range(rounds):
            sides = [("nnc", nnc), ("torch", torch)]
            for name, server in sides if r % 2 == 0 else reversed(sides):
                steps, seconds = server.run(row, slice_s)
                rates[name].append(steps * batch / seconds)
            flops, seconds = nnc.fma(fma_slice_s)
            fma.append(flops / seconds / 1e9)
    except RowError as e:
        return {"error": str(e)}
    return {"torch_variant": variant, "nnc_samples_per_s": rates["nnc"], "torch_samples_per_s": rates["torch"],
            "fma_gflops": fma, "ratio": bench_stats.summary(bench_stats.paired_ratios(rates["nnc"], rates["torch"]))}


def report_line(row, r):
    if "error" in r:
        return "%-36s %s" % (row, r["error"])
    return "%-36s nnc %10.0f  torch %10.0f (%s)  nnc/torch %s  FMA %.0f GFLOP/s" % (
        row, bench_stats.quantile(r["nnc_samples_per_s"], 0.5), bench_stats.quantile(r["torch_samples_per_s"], 0.5),
        r["torch_variant"], bench_stats.spread_text(r["ratio"]), bench_stats.quantile(r["fma_gflops"], 0.5))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nnc", required=True, help="command line of nnc's measuring process (model_serve)")
    ap.add_argument("--torch", required=True, help="command line of PyTorch's (torch_peer.py --serve)")
    ap.add_argument("--models", required=True, help="comma-separated model names")
    ap.add_argument("--kinds", default="train_step,forward")
    ap.add_argument("--batches", default="1,64,256")
    ap.add_argument("--rounds", type=int, default=12)
    ap.add_argument("--slice", type=float, default=0.3, help="seconds per slice of each side")
    ap.add_argument("--fma-slice", type=float, default=0.0, help="seconds per FMA slice (default: half a slice)")
    ap.add_argument("--threads", type=int, default=0, help="recorded in the JSON")
    ap.add_argument("--json")
    args = ap.parse_args()
    if args.rounds < 1 or args.slice <= 0:
        ap.error("--rounds must be at least 1 and --slice positive")
    fma_slice = args.fma_slice or args.slice / 2
    batches = [int(b) for b in args.batches.split(",")]
    results = {"threads": args.threads, "rounds": args.rounds, "slice_s": args.slice, "fma_slice_s": fma_slice,
               "rows": {}}
    nnc = torch = None
    try:
        nnc = Server("nnc (model_serve)", shlex.split(args.nnc))
        torch = Server("PyTorch (torch_peer.py)", shlex.split(args.torch))
        for model in args.models.split(","):
            for kind in args.kinds.split(","):
                for batch in batches:
                    row = "%s/%s/%d" % (model, kind, batch)
                    r = measure_row(nnc, torch, row, batch, args.rounds, args.slice, fma_slice)
                    results["rows"][row] = r
                    print(report_line(row, r), flush=True)
    except ServerError as e:
        print("interleave.py: %s" % e, file=sys.stderr)
        return 1
    finally:
        for server in (nnc, torch):
            if server:
                server.close()
    all_fma = [g for r in results["rows"].values() for g in r.get("fma_gflops", [])]
    if all_fma:
        results["fma_gflops"] = bench_stats.summary(all_fma)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
