#!/usr/bin/python3
"""nnc export-onnx's refusals: each names what is wrong and what to pass instead, exits 1, and
leaves the disk as it found it (no .onnx, no temporary, an existing file untouched).

usage: export_onnx_errors_test.py NNC WORK_DIR MODEL.nn   (a small float-input model)
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np


def nnc(*args):
    r = subprocess.run([NNC] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return r.returncode, r.stdout


def refuses(args, message, out):
    """export-onnx with `args` exits 1 saying `message`, and `out` is as it was."""
    before = open(out, "rb").read() if os.path.exists(out) else None
    status, text = nnc("export-onnx", *args)
    problems = []
    if status != 1:
        problems.append("exit status %d, not 1" % status)
    if message not in text:
        problems.append("no '%s' in the message" % message)
    after = open(out, "rb").read() if os.path.exists(out) else None
    if after != before:
        problems.append("%s changed" % out)
    leftovers = [f for _, _, files in os.walk(WORK) for f in files if ".tmp." in f]
    if leftovers:
        problems.append("temporaries left: %s" % leftovers)
    print("%s: %s\n    %s" % ("FAIL" if problems else "ok", " ".join(args), text.strip()))
    for p in problems:
        print("    " + p)
    return not problems


def main(work, model):
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    so, graph_path = os.path.join(work, "model.so"), os.path.join(work, "graph.json")
    status, text = nnc(model, "-o", so, "--graph-json", graph_path)
    if status != 0:
        sys.exit("FAILED to compile %s:\n%s" % (model, text))
    graph = json.load(open(graph_path))
    good = os.path.join(work, "good.npz")
    np.savez(good, **{p["name"]: np.ones(p["shape"], np.float32) for p in graph["params"]})
    wrong = os.path.join(work, "wrong.npz")
    np.savez(wrong, **{p["name"]: np.ones([s + 1 for s in p["shape"]], np.float32) for p in graph["params"]})
    out = os.path.join(work, "model.onnx")
    ok = True
    ok &= refuses([so, "--weights", good, "-o", os.path.join(work, "model.txt")], "must end in .onnx",
                  os.path.join(work, "model.txt"))
    ok &= refuses([so, "-o", out], "--weights", out)
    ok &= refuses([so, "--weights", wrong, "-o", out], "wrong.npz", out)
    missing = os.path.join(work, "no", "such", "folder", "model.onnx")
    ok &= refuses([so, "--weights", good, "-o", missing], "does not exist; create it", missing)
    # A failed export leaves an existing file as it was.
    with open(out, "wb") as f:
        f.write(b"the previous export")
    ok &= refuses([so, "--weights", wrong, "-o", out], "wrong.npz", out)
    # And a good one replaces it.
    status, text = nnc("export-onnx", so, "--weights", good, "-o", out)
    if status != 0 or open(out, "rb").read() == b"the previous export":
        print("FAIL: a good export did not replace %s:\n%s" % (out, text))
        ok = False
    if not ok:
        sys.exit("FAILED")
    print("OK: every refusal says what to do and writes nothing")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    NNC, WORK = sys.argv[1], sys.argv[2]
    main(sys.argv[2], sys.argv[3])
