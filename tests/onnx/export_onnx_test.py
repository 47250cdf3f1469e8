#!/usr/bin/python3
"""nnc export-onnx refereed by a runtime nobody here wrote: exports one model, checks it with the
ONNX checker (full check: strict shape inference), runs it in ONNX Runtime (run_onnx.js,
onnxruntime-node) and compares every output with nnc's own forward (nnc predict) on the same
inputs.

usage: export_onnx_test.py NNC ORT_NODE_MODULES WORK_DIR MODEL.nn [--train]

Without --train the weights are random (seeded), batch-norm running statistics included, written
as an .npz: every parameter takes part. With --train the model trains one epoch on random .npy data
with --standardize both, so the export must fold the input standardization and the undoing of the
target standardization into the graph; the run folder is exported.

Outputs agree when |onnx - nnc| <= 1e-5 * max(|nnc|, 1e-2 * max |nnc| over that output): relative,
with a floor for the values near zero of an output whose scale is far larger (float32 sums taken
in another order differ there by more than 1e-5 of the small value itself).
Exits 77 (ctest's skip) with a message when onnxruntime-node is not installed.
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import onnx

BATCH = 5
SKIP = 77


def run(cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    if r.returncode != 0:
        sys.exit("FAILED (%d): %s\n%s" % (r.returncode, " ".join(cmd), r.stdout))
    return r.stdout


def fan_in(op, shape):
    if op == "conv2d":
        return int(np.prod(shape[1:]))
    return shape[0]


def random_weights(graph, rng):
    """Every parameter, at a scale that keeps activations O(1) through the network."""
    ops = {n["name"]: n["op"] for n in graph["nodes"]}
    weights = {}
    for p in graph["params"]:
        shape, op, kind = p["shape"], ops[p["node"]], p["param"]
        if kind == "running_var":
            v = rng.uniform(0.5, 2.0, shape)
        elif kind == "running_mean" or kind.startswith("bias"):
            v = rng.uniform(-0.3, 0.3, shape)
        elif op in ("batchnorm", "layernorm"):
            v = rng.uniform(0.5, 1.5, shape)
        elif op == "embedding":
            v = rng.normal(0, 1, shape)
        else:
            v = rng.normal(0, 1 / np.sqrt(fan_in(op, shape)), shape)
        weights[p["name"]] = v.astype(np.float32)
    return weights


def random_inputs(graph, rng, batch):
    x = [n for n in graph["nodes"] if n["kind"] == "input"][0]
    shape = [batch] + x["shape"]
    if x.get("dtype") == "int32":
        vocab = min(n["attrs"]["vocab"] for n in graph["nodes"] if n["op"] == "embedding")
        return x, rng.integers(0, vocab, shape).astype(np.int32)
    return x, rng.normal(0.5, 2.0, shape).astype(np.float32)


def random_targets(graph, rng, batch, work):
    paths = []
    for k, t in enumerate(n for n in graph["nodes"] if n["kind"] == "target"):
        if t["target_kind"] == "classes":
            y = rng.integers(0, t["num_classes"], [batch]).astype(np.int32)
        else:
            y = rng.normal(3.0, 5.0, [batch] + t["shape"]).astype(np.float32)
        paths.append(os.path.join(work, "target_%d.npy" % k))
        np.save(paths[-1], y)
    return paths


def check_names(graph, exported):
    """The .nn file's names: a node per layer (dropout, the identity at inference, is removed) and
    the parameters as initializers ("fc1.weight"; the recurrent ones become NAME.W/.R/.B)."""
    node_names = {n.name for n in exported.graph.node}
    initializers = {t.name for t in exported.graph.initializer}
    ops = {n["name"]: n["op"] for n in graph["nodes"]}
    missing = [n["name"] for n in graph["nodes"]
               if n["kind"] == "layer" and n["op"] != "dropout" and n["name"] not in node_names]
    missing += [p["name"] for p in graph["params"]
                if ops[p["node"]] not in ("lstm", "gru") and p["name"] not in initializers]
    missing += [n + suffix for n, op in ops.items() if op in ("lstm", "gru")
                for suffix in (".W", ".R", ".B") if n + suffix not in initializers]
    if missing:
        sys.exit("FAILED: the ONNX model lacks the .nn file's names %s" % missing)
    dropped = [n for n, op in ops.items() if op == "dropout" and n in node_names]
    if dropped:
        sys.exit("FAILED: dropout nodes were exported: %s" % dropped)


def compare(ort, ours, name):
    ort, ours = ort.astype(np.float64), ours.astype(np.float64)
    assert ort.shape == ours.shape, "%s: onnx shape %s, nnc %s" % (name, ort.shape, ours.shape)
    floor = 1e-2 * max(np.abs(ours).max(), 1e-30)
    err = np.abs(ort - ours) / np.maximum(np.abs(ours), floor)
    worst = np.unravel_index(np.argmax(err), err.shape)
    print("  %-12s %s  worst relative difference %.2e (onnx %.8g, nnc %.8g)" %
          (name, list(ort.shape), err[worst], ort[worst], ours[worst]))
    return err[worst] <= 1e-5


def main(nnc, modules, work, model, train):
    modules = os.path.abspath(modules)
    if not os.path.isdir(os.path.join(modules, "onnxruntime-node")):
        print("SKIPPED: onnxruntime-node is not installed in %s; run scripts/setup.sh" % modules)
        sys.exit(SKIP)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    rng = np.random.default_rng(7)
    so, graph_path = os.path.join(work, "model.so"), os.path.join(work, "graph.json")
    run([nnc, model, "-o", so, "--graph-json", graph_path])
    graph = json.load(open(graph_path))
    x_node, x = random_inputs(graph, rng, BATCH)
    x_path = os.path.join(work, "x.npy")
    np.save(x_path, x)
    onnx_path = os.path.join(work, "model.onnx")
    if train:
        x_train_node, x_train = random_inputs(graph, rng, 40)
        np.save(os.path.join(work, "x_train.npy"), x_train)
        targets = random_targets(graph, rng, 40, work)
        run_dir = os.path.join(work, "run")
        run([nnc, "train", so, "--data", os.path.join(work, "x_train.npy"), "--target", ",".join(targets),
             "--standardize", "both", "--epochs", "1", "--batch", "20", "--out", run_dir])
        subject = [run_dir]
    else:
        npz = os.path.join(work, "weights.npz")
        np.savez(npz, **random_weights(graph, rng))
        subject = [so, "--weights", npz]
    print(run([nnc, "export-onnx"] + subject + ["-o", onnx_path]).strip())
    exported = onnx.load(onnx_path)
    onnx.checker.check_model(exported, full_check=True)
    check_names(graph, exported)

    dtype = "int32" if x_node.get("dtype") == "int32" else "float32"
    x.tofile(os.path.join(work, "x.bin"))
    r = subprocess.run(["node", os.path.join(os.path.dirname(os.path.abspath(__file__)), "run_onnx.js"), modules,
                        onnx_path, os.path.join(work, "x.bin"), dtype, json.dumps(list(x.shape)), work],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode == 2:
        print("SKIPPED: " + r.stdout.strip())
        sys.exit(SKIP)
    if r.returncode != 0:
        sys.exit("FAILED: onnxruntime did not run %s:\n%s" % (onnx_path, r.stdout))
    outputs = json.load(open(os.path.join(work, "outputs.json")))

    ours_path = os.path.join(work, "nnc.npy")
    run([nnc, "predict"] + subject + ["--input", x_path, "--output", ours_path])
    ours = np.load(ours_path).reshape(BATCH, -1)
    ok, column = True, 0
    for o in outputs:  # nnc predict's columns: each loss's output in order, flattened
        theirs = np.fromfile(os.path.join(work, o["name"] + ".bin"), dtype=np.float32).reshape(o["dims"])
        width = int(np.prod(o["dims"][1:]))
        ok = compare(theirs.reshape(BATCH, -1), ours[:, column:column + width], o["name"]) and ok
        column += width
    if column != ours.shape[1]:
        sys.exit("FAILED: the ONNX outputs hold %d values per sample, nnc predict's %d" % (column, ours.shape[1]))
    if not ok:
        sys.exit("FAILED: ONNX Runtime and nnc differ by more than 1e-5 relative")
    print("OK: %s in ONNX Runtime matches nnc's forward" % os.path.basename(model))


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--train"]
    if len(args) != 4:
        sys.exit(__doc__)
    main(*args, train="--train" in sys.argv[1:])
