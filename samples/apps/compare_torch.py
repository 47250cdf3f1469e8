#!/usr/bin/python3
"""Loads a model library compiled by nnc through ctypes (its C ABI, nnc/nnc.h), runs inference on
Fashion-MNIST test images and compares the class probabilities with PyTorch running the same graph
with the same weights (torch_graph.py, installed by nnc in <prefix>/share/nnc/python).

usage: compare_torch.py LIBRARY.so GRAPH.json WEIGHTS [--data DIR] [--count N] [--tolerance T]
                        [--torch-graph DIR] [--nnc PATH]

GRAPH.json is written beside the library by nnc_add_model (or `nnc model.nn --graph-json`);
WEIGHTS is a checkpoint (nnc_model_save) or an .npz archive. Exits 1 if any probability differs by
more than the tolerance (default 1e-5) or the predicted classes differ.
"""
import argparse
import ctypes
import gzip
import importlib
import json
import os
import shutil
import sys
import tempfile

import numpy as np

c_float_p = ctypes.POINTER(ctypes.c_float)


def load_library(path):
    lib = ctypes.CDLL(os.path.abspath(path))
    lib.nnc_last_error.restype = ctypes.c_char_p
    lib.nnc_abi_version.restype = ctypes.c_int
    lib.nnc_model_create.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
    lib.nnc_model_destroy.argtypes = [ctypes.c_void_p]
    lib.nnc_model_name.argtypes = [ctypes.c_void_p]
    lib.nnc_model_name.restype = ctypes.c_char_p
    for f in ("nnc_model_input_size", "nnc_model_output_size"):
        getattr(lib, f).argtypes = [ctypes.c_void_p]
        getattr(lib, f).restype = ctypes.c_int64
    lib.nnc_model_num_params.argtypes = [ctypes.c_void_p]
    lib.nnc_model_param_count.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.nnc_model_param_count.restype = ctypes.c_int64
    lib.nnc_model_param_info.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_char_p),
                                         ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.POINTER(ctypes.c_int64))]
    lib.nnc_model_get_param.argtypes = [ctypes.c_void_p, ctypes.c_int, c_float_p, ctypes.c_int64]
    lib.nnc_model_load.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.nnc_model_import_npz.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.nnc_model_forward.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, c_float_p]
    return lib


def check(lib, status, what):
    if status != 0:
        sys.exit("compare_torch: %s: %s" % (what, lib.nnc_last_error().decode()))


def read_idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def torch_graph_folders(nnc):
    """Where torch_graph.py may be, best first: beside an nnc executable (PREFIX/bin/nnc ->
    PREFIX/share/nnc/python; a build tree -> its source's tests/torch), then this script's own
    checkout (samples/apps -> tests/torch)."""
    folders = []
    if nnc:
        here = os.path.dirname(os.path.realpath(nnc))
        while True:
            folders.append(os.path.join(here, "share", "nnc", "python"))
            folders.append(os.path.join(here, "tests", "torch"))
            cache = os.path.join(here, "CMakeCache.txt")
            if os.path.exists(cache):
                with open(cache) as f:
                    for line in f:
                        if line.startswith("CMAKE_HOME_DIRECTORY:"):
                            folders.append(os.path.join(line.split("=", 1)[1].strip(), "tests", "torch"))
            parent = os.path.dirname(here)
            if parent == here:
                break
            here = parent
    script = os.path.dirname(os.path.realpath(__file__))
    folders.append(os.path.join(script, "..", "..", "tests", "torch"))
    return folders


def torch_graph_module(folder, nnc):
    if folder is None:
        nnc = nnc or shutil.which("nnc")
        found = [f for f in torch_graph_folders(nnc) if os.path.exists(os.path.join(f, "torch_graph.py"))]
        if not found:
            sys.exit("compare_torch: cannot find torch_graph.py: pass --nnc <the nnc executable> or "
                     "--torch-graph <prefix>/share/nnc/python")
        folder = found[0]
    sys.path.insert(0, folder)
    return importlib.import_module("torch_graph")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("library")
    ap.add_argument("graph_json")
    ap.add_argument("weights")
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--count", type=int, default=256)
    ap.add_argument("--tolerance", type=float, default=1e-5)
    ap.add_argument("--torch-graph", help="folder holding torch_graph.py (default: found from --nnc, the nnc on "
                    "PATH or this script's checkout)")
    ap.add_argument("--nnc", help="the nnc executable (installed or in a build tree) whose torch_graph.py to use")
    args = ap.parse_args()

    lib = load_library(args.library)
    model = ctypes.c_void_p()
    check(lib, lib.nnc_model_create(ctypes.byref(model)), "create")
    load = lib.nnc_model_import_npz if args.weights.endswith(".npz") else lib.nnc_model_load
    check(lib, load(model, args.weights.encode()), args.weights)
    print("%s (nnc ABI %d)" % (lib.nnc_model_name(model).decode(), lib.nnc_abi_version()))

    graph = json.load(open(args.graph_json))
    x_node = next(n for n in graph["nodes"] if n["kind"] == "input")
    images = read_idx(os.path.join(args.data, "t10k-images-idx3-ubyte.gz"), 16)
    labels = read_idx(os.path.join(args.data, "t10k-labels-idx1-ubyte.gz"), 8).astype(np.int32)
    n = min(args.count, len(labels))
    per_sample = lib.nnc_model_input_size(model)
    x = (images[: n * per_sample].astype(np.float32) / 255.0).reshape([n] + x_node["shape"])  # as nnc's IDX loader
    y = labels[:n]

    # nnc: inference through the C ABI.
    out_size = lib.nnc_model_output_size(model)
    nnc_out = np.empty((n, out_size), dtype=np.float32)
    check(lib, lib.nnc_model_forward(model, x.ctypes.data, n, nnc_out.ctypes.data_as(c_float_p)), "forward")

    # PyTorch: the same graph with the same weights (read back through the ABI), in float64.
    torch_graph = torch_graph_module(args.torch_graph, args.nnc)
    with tempfile.TemporaryDirectory() as folder:
        x.tofile(os.path.join(folder, "input.bin"))
        y.tofile(os.path.join(folder, "target.bin"))
        open(os.path.join(folder, "batch.txt"), "w").write(str(n))
        open(os.path.join(folder, "mode.txt"), "w").write("eval")
        for i, p in enumerate(graph["params"]):
            name = ctypes.c_char_p()
            rank = ctypes.c_int()
            dims = ctypes.POINTER(ctypes.c_int64)()
            check(lib, lib.nnc_model_param_info(model, i, ctypes.byref(name), ctypes.byref(rank), ctypes.byref(dims)), "param_info")
            assert name.value.decode() == "%s.%s" % (p["node"], p["param"]), (name.value, p)
            values = np.empty(lib.nnc_model_param_count(model, i), dtype=np.float32)
            check(lib, lib.nnc_model_get_param(model, i, values.ctypes.data_as(c_float_p), values.size), "get_param")
            values.tofile(os.path.join(folder, "param_%d.bin" % i))
        torch_graph.main(args.graph_json, folder)
        torch_out = np.fromfile(os.path.join(folder, "output.bin"), dtype=np.float64).reshape(n, out_size)
    lib.nnc_model_destroy(model)

    diff = float(np.abs(nnc_out - torch_out).max())
    same = int((nnc_out.argmax(1) == torch_out.argmax(1)).sum())
    print("%d images: max |nnc - torch| = %.3g, same class %d/%d, accuracy nnc %.4f torch %.4f" %
          (n, diff, same, n, (nnc_out.argmax(1) == y).mean(), (torch_out.argmax(1) == y).mean()))
    if diff > args.tolerance or same != n:
        sys.exit("compare_torch: nnc and PyTorch differ (tolerance %g)" % args.tolerance)


if __name__ == "__main__":
    main()
