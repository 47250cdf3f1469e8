#!/usr/bin/python3
"""How close each dense, conv2d and recurrent layer of a training step comes to the machine's FP32 peak.

Reads Halide's profiler report (a model built with `nnc ... --target host-profile`, run by
model_bench: every pipeline of the step prints its Funcs' milliseconds per run at exit) and the
model's `nnc check` table (each layer's forward MACs per sample), and prints per layer: the time
of all its Funcs per step (forward, input and weight gradients, their tiles, padding and
transposes; stage-output copies are counted apart), its achieved GFLOP/s and the fraction of
the given peak. A layer fed by the model's input has no input gradient, so it counts 2x its
forward MACs; any other 3x.

With --graph (the model's nnc --graph-json) each layer also gets its efficiency target: dense
75% of the peak, LSTM and GRU 45%, 3x3 convolutions 65%, first-layer and 1x1 convolutions 35%
(other kernels: none), and a verdict (bench_stats.verdict) over the fractions of the lowest and
highest peak of --peak-range (the FMA rate measured before and after the profile run): met when
even the highest peak leaves the layer at its target, missed when even the lowest does not,
undecided between.

usage: layer_efficiency.py PROFILE.txt CHECK.txt --batch N --peak GFLOPS [--model NAME]
                           [--graph GRAPH.json --peak-range LOW,HIGH]
"""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_stats  # noqa: E402

PRODUCT_OPS = ("dense", "conv2d", "lstm", "gru")


def layers_of(check_path):
    """[(name, op, forward MACs per sample, inputs)] from `nnc check`'s table."""
    rows = []
    for line in open(check_path):
        # name (op)  shape  params  MACs  inputs
        m = re.match(r"(\S+) \((\w+)\)\s+(\[[^\]]*\]|\S+)\s+([\d,]+)\s+([\d,]+)\s*(.*)$", line.rstrip())
        if not m or m.group(2) in ("input", "target"):
            continue
        rows.append((m.group(1), m.group(2), int(m.group(5).replace(",", "")), m.group(6).split(", ")))
    return rows


def func_times(profile_path):
    """{Func name: ms per run}, summed over every pipeline (staged models have several)."""
    times = {}
    for line in open(profile_path):
        m = re.match(r"\s+([A-Za-z_][\w$]*):\s+([\d.]+)ms", line)
        if m and m.group(1) not in ("halide_malloc", "halide_free"):
            name = m.group(1).split("$")[0]
            times[name] = times.get(name, 0.0) + float(m.group(2))
    return times


def layer_target(node, first):
    """The fraction of the peak a layer should reach, or None."""
    op = node.get("op")
    if op == "dense":
        return 0.75
    if op in ("lstm", "gru"):
        return 0.45
    if op == "conv2d":
        kernel = int(node.get("attrs", {}).get("kernel", 3))
        if first or kernel == 1:
            return 0.35
        return 0.65 if kernel == 3 else None
    return None


def target_cell(node, first, gflops, peak_range):
    goal = layer_target(node, first) if node else None
    if goal is None:
        return "–"
    low, high = peak_range
    spread = {"q1": gflops / high, "median": gflops / ((low + high) / 2), "q3": gflops / low}
    return "≥%.0f%%: %s" % (100 * goal, bench_stats.verdict(spread, goal))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("profile")
    ap.add_argument("check")
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--peak", type=float, required=True, help="GFLOP/s measured in the same run")
    ap.add_argument("--model", default="")
    ap.add_argument("--graph", help="the model's graph JSON: adds each layer's target and verdict")
    ap.add_argument("--peak-range", help="LOW,HIGH GFLOP/s for the verdicts (default: --peak alone)")
    args = ap.parse_args()
    nodes = {}
    if args.graph:
        with open(args.graph) as f:
            nodes = {n["name"]: n for n in json.load(f)["nodes"]}
    peak_range = [float(v) for v in args.peak_range.split(",")] if args.peak_range else [args.peak, args.peak]
    layers = layers_of(args.check)
    if not layers:
        sys.exit("layer_efficiency.py: no layer table in %s" % args.check)
    layer_names = {l[0] for l in layers}
    times = func_times(args.profile)
    if not times:
        sys.exit("layer_efficiency.py: no Halide profiler report in %s (build with --target host-profile)" % args.profile)
    # Each Func belongs to the layer with the longest matching mangled prefix ("s1.b.c" ->
    # "s1__b__c__"); stage-output copies (v_out__, g_out__) and the rest are totalled apart.
    prefixes = sorted(((l[0].replace(".", "__") + "__", l) for l in layers), key=lambda p: -len(p[0]))
    per_layer, copies, other = {}, 0.0, 0.0
    for name, ms in times.items():
        if name.startswith(("v_out__", "g_out__")):
            copies += ms
            continue
        owner = next((l for p, l in prefixes if name.startswith(p)), None)
        if owner is None:
            other += ms
        else:
            per_layer[owner[0]] = per_layer.get(owner[0], 0.0) + ms
    total = sum(times.values())
    model = args.model + " | " if args.model else ""  # the first column, when a model is named
    target_head, target_rule = (" target |", "---|") if nodes else ("", "")
    print("| %slayer | op | ms per step | share of step | GFLOP/s | of peak |%s" % (
        "model | " if args.model else "", target_head))
    print("|%s---|---|---:|---:|---:|---:|%s" % ("---|" if args.model else "", target_rule))
    product_ms, product_flops = 0.0, 0.0
    for name, op, macs, inputs in layers:
        if op not in PRODUCT_OPS or per_layer.get(name, 0.0) <= 0.0:
            continue  # too short for the profiler's samples
        first = any(i not in layer_names for i in inputs)
        passes = 2 if first else 3
        flops = 2.0 * macs * passes * args.batch
        ms = per_layer[name]
        gflops = flops / (ms / 1e3) / 1e9
        product_ms += ms
        product_flops += flops
        target = " %s |" % target_cell(nodes.get(name), first, gflops, peak_range) if nodes else ""
        print("| %s%s | %s | %.2f | %.0f%% | %.1f | %.0f%% |%s" % (
            model, name, op, ms, 100 * ms / total, gflops, 100 * gflops / args.peak, target))
    if product_ms:
        gflops = product_flops / (product_ms / 1e3) / 1e9
        print("| %sall of these layers | | %.2f | %.0f%% | %.1f | %.0f%% |%s" % (
            model, product_ms, 100 * product_ms / total, gflops, 100 * gflops / args.peak, " |" if nodes else ""))
    print("| %sstage-output copies | | %.2f | %.0f%% | | |%s" % (model, copies, 100 * copies / total,
                                                           " |" if nodes else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
