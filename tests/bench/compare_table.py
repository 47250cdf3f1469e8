#!/usr/bin/python3
"""Prints the side-by-side tables of tests/bench/compare.sh from the files it wrote in DIR:
interleaved_t{1,2}.json (interleave.py), <model>.check.txt (`nnc check`: the analytic MAC count),
and, where present, torch_stock.json (torch_peer.py, one-shot), epoch_<model>.json
(epoch_vs_step.py), rss.json, compile.json and tune.json.

Per row, from the interleaved rounds (each round one slice of nnc, one of PyTorch at its best and
one of the register-only FMA loop, a second apart): the median samples/s of each side, PyTorch's
variant (torch_peer.py), the median of the rounds' nnc / PyTorch ratios with its interquartile
range, the verdict against each target (bench_stats.verdict: met, missed, or undecided when the
range straddles it), nnc's GFLOP/s (2 flops per multiply-add; a training step counts 3x the
forward: forward, input gradients, weight gradients) and its fraction of the FMA rate of the same
rounds, and the ceiling: the ratio nnc would reach at 100% of that rate (FMA / PyTorch's GFLOP/s).

usage: compare_table.py DIR
"""
import json
import os
import re
import sys

import bench_stats

ROWS = [(kind, batch) for kind in ("train_step", "forward") for batch in (1, 64, 256)]


def targets(kind, batch):
    """The speed targets of a row (nnc / PyTorch at its best): no row below 1.0x, and training at
    batch 64 at 1.5x or more."""
    return [1.0, 1.5] if kind == "train_step" and batch == 64 else [1.0]


def forward_macs(path):
    m = re.search(r"Total MACs: ([\d,]+)", open(path).read())
    if not m:
        raise SystemExit("compare_table.py: no 'Total MACs' line in %s" % path)
    return int(m.group(1).replace(",", ""))


def fmt(v):
    return "%.0f" % v if v >= 100 else "%.1f" % v


def load(d, name):
    path = os.path.join(d, name)
    return json.load(open(path)) if os.path.exists(path) else None


def row_line(row, r, flops, stock):
    """One table line, and the row's verdicts."""
    med = lambda v: bench_stats.quantile(v, 0.5)  # noqa: E731
    if "error" in r:
        return "| %s | – | – | failed: %s | | | | | |" % (row, r["error"].replace("|", "/")), []
    nnc, torch, fma = r["nnc_samples_per_s"], r["torch_samples_per_s"], r["fma_gflops"]
    of_fma = bench_stats.summary([n * flops / 1e9 / f for n, f in zip(nnc, fma)])
    ceiling = med([f / (t * flops / 1e9) for t, f in zip(torch, fma)])
    kind, batch = row.split("/")[1], int(row.split("/")[2])
    verdicts = [(goal, bench_stats.verdict(r["ratio"], goal)) for goal in targets(kind, batch)]
    s = stock["rows"].get(row, {}).get("samples_per_s") if stock else None
    return "| %s | %s | %s (%s) | **%s** | %s | %.1f× | %s | %.1f | %s |" % (
        row, fmt(med(nnc)), fmt(med(torch)), r["torch_variant"], bench_stats.spread_text(r["ratio"]) + "×",
        "; ".join("≥%.1f×: %s" % v for v in verdicts), ceiling, fmt(s) if s else "–", med(nnc) * flops / 1e9,
        bench_stats.spread_text({k: 100 * of_fma[k] for k in ("median", "q1", "q3")}, "%.0f") + "%"), verdicts


def speed_tables(d, models, macs, stock):
    lines = []
    for t in (1, 2):
        run = load(d, "interleaved_t%d.json" % t)
        if not run:
            continue
        fma = run.get("fma_gflops")
        lines += ["", "### %d thread%s (FMA rate in this run: %s GFLOP/s; %d rounds of %.2f s slices)" % (
            t, "s" if t > 1 else "", bench_stats.spread_text(fma, "%.0f") if fma else "–", run["rounds"],
            run["slice_s"]), ""]
        lines.append("| row | nnc samples/s | PyTorch at its best (variant) | nnc / PyTorch (IQR) | targets | ceiling "
                     "| PyTorch stock, alone | nnc GFLOP/s | of FMA rate (IQR) |")
        lines.append("|---|---:|---:|---:|---|---:|---:|---:|---:|")
        tally = {"met": 0, "missed": 0, "undecided": 0}
        for m in models:
            for kind, batch in ROWS:
                row = "%s/%s/%d" % (m, kind, batch)
                if row not in run["rows"]:
                    continue
                flops = 2.0 * macs[m] * (3 if kind == "train_step" else 1)
                line, verdicts = row_line(row, run["rows"][row], flops, stock)
                lines.append(line)
                for _, v in verdicts:
                    tally[v] += 1
        lines += ["", "Targets: %d met, %d missed, %d undecided (the interquartile range straddles the target, or "
                  "fewer than %d rounds)." % (
            tally["met"], tally["missed"], tally["undecided"], bench_stats.MIN_ROUNDS)]
    return lines


def epoch_table(d, models):
    runs = [(m, load(d, "epoch_%s.json" % m)) for m in models]
    runs = [(m, r) for m, r in runs if r]
    if not runs:
        return []
    lines = ["", "### The epoch keeps up with the step (`nnc train`, diagnostics on, 2 threads, against model_serve's "
             "step; interleaved)", "", "| model | row | epoch samples/s | step samples/s | epoch / step (IQR) | target |",
             "|---|---|---:|---:|---:|---|"]
    for m, r in runs:
        med = lambda v: bench_stats.quantile(v, 0.5)  # noqa: E731
        lines.append("| %s | %s | %s | %s | %s | ≥%.0f%%: %s |" % (
            m, r["row"], fmt(med(r["epoch_samples_per_s"])), fmt(med(r["step_samples_per_s"])),
            bench_stats.spread_text({k: 100 * r["ratio"][k] for k in ("median", "q1", "q3")}, "%.0f") + "%",
            100 * r["target"], r["verdict"]))
    return lines


def side_tables(d, models):
    lines = []
    rss = load(d, "rss.json")
    if rss:
        lines += ["", "### Peak RSS, 50 training steps at batch 64, 1 thread (whole process)", "",
                  "| model | nnc MiB | PyTorch MiB | nnc / PyTorch |", "|---|---:|---:|---:|"]
        for m in [m for m in models if m in rss]:
            r = rss[m]
            lines.append("| %s | %.0f | %.0f | %.2f× |" % (m, r["nnc_kib"] / 1024, r["torch_kib"] / 1024,
                                                       r["nnc_kib"] / r["torch_kib"]))
    times = load(d, "compile.json")
    tuning = load(d, "tune.json") or {}
    if times:
        lines += ["", "### Compile time, `nnc <model>.nn -o <model>.so` (target: cold ≤ 60 s, unchanged again ≤ 10 s), "
                  "and `nnc tune-kernels --mode quick` from an empty tuning file (target: ≤ 60 s)",
                  "", "| model | quick tuning, s | cold, tuned, s | unchanged, again (build cache), s |",
                  "|---|---:|---:|---:|"]
        for m in [m for m in models if m in times]:
            tune = "%.1f" % (tuning[m]["quick_tune_ms"] / 1e3) if m in tuning else "—"
            lines.append("| %s | %s | %.1f | %.2f |" % (m, tune, times[m]["cold_ms"] / 1e3, times[m]["again_ms"] / 1e3))
    return lines


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: compare_table.py DIR")
    d = sys.argv[1]
    order = load(d, "models.json") or []
    models = [m for m in order if os.path.exists(os.path.join(d, m + ".check.txt"))]
    macs = {m: forward_macs(os.path.join(d, m + ".check.txt")) for m in models}
    lines = speed_tables(d, models, macs, load(d, "torch_stock.json"))
    lines += epoch_table(d, models) + side_tables(d, models)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
