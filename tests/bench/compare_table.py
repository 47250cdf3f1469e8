#!/usr/bin/python3
"""Prints the side-by-side table of tests/bench/compare.sh from the files it wrote in DIR:
nnc_t{1,2}.json (Google Benchmark), torch_t{1,2}.json and torch_stock.json (torch_peer.py),
<model>.check.txt (`nnc check`: the analytic MAC count) and rss.json.

Per row: samples/s of nnc and of PyTorch at its best on the same thread count, their ratio, the
stock PyTorch figure, nnc's achieved GFLOP/s (2 flops per multiply-add; a training step counts
3x the forward: forward, input gradients, weight gradients) and its fraction of the peak that a
large matrix product reached in the same run (torch_peer.py --peak).

usage: compare_table.py DIR
"""
import json
import os
import re
import sys

MODELS = ["fashion_mlp", "fashion_cnn", "resnet8", "lstm_classifier"]
ROWS = [("train_step", 1), ("train_step", 64), ("train_step", 256), ("forward", 1), ("forward", 64)]


def forward_macs(path):
    m = re.search(r"Total MACs: ([\d,]+)", open(path).read())
    if not m:
        raise SystemExit("compare_table.py: no 'Total MACs' line in %s" % path)
    return int(m.group(1).replace(",", ""))


def nnc_rates(path):
    """samples/s per row name from Google Benchmark's JSON (the median aggregate)."""
    rates = {}
    for b in json.load(open(path))["benchmarks"]:
        if b.get("aggregate_name", "median") != "median":
            continue
        name = b["run_name"] if "run_name" in b else b["name"]
        rates[name.replace("/real_time", "")] = b["samples/s"]
    return rates


def fmt(v):
    return "%.0f" % v if v >= 100 else "%.1f" % v


def main():
    d = sys.argv[1]
    models = [m for m in MODELS if os.path.exists(os.path.join(d, m + ".check.txt"))]
    macs = {m: forward_macs(os.path.join(d, m + ".check.txt")) for m in models}
    stock = json.load(open(os.path.join(d, "torch_stock.json")))
    lines = []
    for t in (1, 2):
        nnc = nnc_rates(os.path.join(d, "nnc_t%d.json" % t))
        torch = json.load(open(os.path.join(d, "torch_t%d.json" % t)))
        peak = torch["peak_gflops"]
        lines.append("")
        lines.append("### %d thread%s (large-matrix-product peak in this run: %.0f GFLOP/s)" % (t, "s" if t > 1 else "", peak))
        lines.append("")
        lines.append("| row | nnc samples/s | PyTorch best | nnc / PyTorch | PyTorch stock (%d threads) | nnc GFLOP/s | of peak |"
                     % stock["threads"])
        lines.append("|---|---:|---:|---:|---:|---:|---:|")
        for m in models:
            for kind, batch in ROWS:
                row = "%s/%s/%d" % (m, kind, batch)
                n = nnc.get(row)
                p = torch["rows"].get(row, {}).get("samples_per_s")
                s = stock["rows"].get(row, {}).get("samples_per_s")
                if n is None or p is None:
                    continue
                flops = 2.0 * macs[m] * (3 if kind == "train_step" else 1)
                gflops = n * flops / 1e9
                lines.append("| %s | %s | %s | **%.2f×** | %s | %.1f | %.0f%% |" % (
                    row, fmt(n), fmt(p), n / p, fmt(s) if s else "–", gflops, 100.0 * gflops / peak))
    rss = json.load(open(os.path.join(d, "rss.json")))
    lines.append("")
    lines.append("### Peak RSS, 50 training steps at batch 64, 1 thread (whole process)")
    lines.append("")
    lines.append("| model | nnc MiB | PyTorch MiB | nnc / PyTorch |")
    lines.append("|---|---:|---:|---:|")
    for m in models:
        r = rss[m]
        lines.append("| %s | %.0f | %.0f | %.2f× |" % (m, r["nnc_kib"] / 1024, r["torch_kib"] / 1024, r["nnc_kib"] / r["torch_kib"]))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
