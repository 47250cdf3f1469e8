#!/usr/bin/python3
"""How close each dense, conv2d and recurrent layer of a training step comes to the machine's FP32 peak.

Reads Halide's profiler report (a model built with `nnc ... --target host-profile`, run by
model_bench: every pipeline of the step prints its Funcs' milliseconds per run at exit) and the
model's `nnc check` table (each layer's forward MACs per sample), and prints per layer: the time
of all its Funcs per step (forward, input and weight gradients, their tiles, padding and
transposes; stage-output copies are counted apart), its achieved GFLOP/s and the fraction of
the given peak. A layer fed by the model's input has no input gradient, so it counts 2x its
forward MACs; any other 3x.

usage: layer_efficiency.py PROFILE.txt CHECK.txt --batch N --peak GFLOPS [--model NAME]
"""
import argparse
import re
import sys

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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("profile")
    ap.add_argument("check")
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--peak", type=float, required=True, help="GFLOP/s measured in the same run")
    ap.add_argument("--model", default="")
    args = ap.parse_args()
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
    print("| %slayer | op | ms per step | share of step | GFLOP/s | of peak |" % ("model | " if args.model else ""))
    print("|%s---|---|---:|---:|---:|---:|" % ("---|" if args.model else ""))
    product_ms, product_flops = 0.0, 0.0
    for name, op, macs, inputs in layers:
        if op not in PRODUCT_OPS or per_layer.get(name, 0.0) <= 0.0:
            continue  # too short for the profiler's samples
        passes = 2 if any(i not in layer_names for i in inputs) else 3
        flops = 2.0 * macs * passes * args.batch
        ms = per_layer[name]
        gflops = flops / (ms / 1e3) / 1e9
        product_ms += ms
        product_flops += flops
        print("| %s%s | %s | %.2f | %.0f%% | %.1f | %.0f%% |" % (
            model, name, op, ms, 100 * ms / total, gflops, 100 * gflops / args.peak))
    if product_ms:
        gflops = product_flops / (product_ms / 1e3) / 1e9
        print("| %sall of these layers | | %.2f | %.0f%% | %.1f | %.0f%% |" % (
            model, product_ms, 100 * product_ms / total, gflops, 100 * gflops / args.peak))
    print("| %sstage-output copies | | %.2f | %.0f%% | | |" % (model, copies, 100 * copies / total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
