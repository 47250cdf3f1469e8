#!/usr/bin/python3
"""Prints the side-by-side table of tests/bench/compare.sh from the files it wrote in DIR:
nnc_t{1,2}.json (Google Benchmark), torch_t{1,2}.json and torch_stock.json (torch_peer.py),
<model>.check.txt (`nnc check`: the analytic MAC count), rss.json and compile.json.

Per row: samples/s of nnc and of PyTorch at its best with the same cores (on 2 threads, the
better of PyTorch's 1- and 2-thread figures: its 2-thread runs are sometimes slower than 1),
their ratio, the stock PyTorch figure, nnc's achieved GFLOP/s (2 flops per multiply-add; a
training step counts 3x the forward: forward, input gradients, weight gradients), its fraction
of the peak that a large matrix product reached in the same run (torch_peer.py --peak), and
the ceiling: the ratio nnc would reach at 100% of that peak (peak / PyTorch's GFLOP/s). Rows
with a speed target (training at batch 64: 2x, 3x for fashion_mlp and lstm_classifier;
inference at batch 1: 5x) say whether it is met, and "above ceiling" where no code can meet it
on this machine because it would need more than the measured peak.

usage: compare_table.py DIR
"""
import json
import os
import re
import sys

MODELS = ["fashion_mlp", "fashion_cnn", "resnet8", "lstm_classifier"]


def target(model, kind, batch):
    """The speed target for a row (nnc / PyTorch), or None."""
    if kind == "train_step" and batch == 64:
        return 3.0 if model in ("fashion_mlp", "lstm_classifier") else 2.0
    if kind == "forward" and batch == 1:
        return 5.0
    return None
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
    torch_by_threads = {t: json.load(open(os.path.join(d, "torch_t%d.json" % t))) for t in (1, 2)}
    for t in (1, 2):
        nnc = nnc_rates(os.path.join(d, "nnc_t%d.json" % t))
        torch = torch_by_threads[t]
        peak = torch["peak_gflops"]
        lines.append("")
        lines.append("### %d thread%s (large-matrix-product peak in this run: %.0f GFLOP/s)" % (t, "s" if t > 1 else "", peak))
        lines.append("")
        lines.append("| row | nnc samples/s | PyTorch best | nnc / PyTorch | ceiling | target | PyTorch stock (%d threads) "
                     "| nnc GFLOP/s | of peak |" % stock["threads"])
        lines.append("|---|---:|---:|---:|---:|---|---:|---:|---:|")
        for m in models:
            for kind, batch in ROWS:
                row = "%s/%s/%d" % (m, kind, batch)
                n = nnc.get(row)
                # PyTorch's best with these cores: on 2 threads the better of its 1- and 2-thread runs.
                candidates = [(torch_by_threads[u]["rows"].get(row, {}).get("samples_per_s"), u) for u in range(1, t + 1)]
                candidates = [c for c in candidates if c[0] is not None]
                s = stock["rows"].get(row, {}).get("samples_per_s")
                if n is None or not candidates:
                    continue
                p, p_threads = max(candidates)
                flops = 2.0 * macs[m] * (3 if kind == "train_step" else 1)
                gflops = n * flops / 1e9
                ceiling = peak / (p * flops / 1e9)
                goal = target(m, kind, batch)
                verdict = ""
                if goal is not None:
                    verdict = "%.0f×: %s" % (goal, "met" if n / p >= goal else "above ceiling" if ceiling < goal else "not met")
                lines.append("| %s | %s | %s%s | **%.2f×** | %.1f× | %s | %s | %.1f | %.0f%% |" % (
                    row, fmt(n), fmt(p), " (1 thread)" if p_threads != t else "", n / p, ceiling, verdict,
                    fmt(s) if s else "–", gflops, 100.0 * gflops / peak))
    rss = json.load(open(os.path.join(d, "rss.json")))
    lines.append("")
    lines.append("### Peak RSS, 50 training steps at batch 64, 1 thread (whole process)")
    lines.append("")
    lines.append("| model | nnc MiB | PyTorch MiB | nnc / PyTorch |")
    lines.append("|---|---:|---:|---:|")
    for m in models:
        r = rss[m]
        lines.append("| %s | %.0f | %.0f | %.2f× |" % (m, r["nnc_kib"] / 1024, r["torch_kib"] / 1024, r["nnc_kib"] / r["torch_kib"]))
    compile_path = os.path.join(d, "compile.json")
    if os.path.exists(compile_path):
        times = json.load(open(compile_path))
        lines.append("")
        lines.append("### Compile time, `nnc samples/<model>.nn -o <model>.so` (target: cold ≤ 60 s, unchanged again ≤ 10 s)")
        lines.append("")
        lines.append("| model | cold, s | unchanged, again (build cache), s |")
        lines.append("|---|---:|---:|")
        for m in models:
            if m in times:
                lines.append("| %s | %.1f | %.2f |" % (m, times[m]["cold_ms"] / 1e3, times[m]["again_ms"] / 1e3))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
