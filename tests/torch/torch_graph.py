#!/usr/bin/python3
"""Rebuilds an nnc graph (nnc --graph-json) in PyTorch and computes, in float64, the loss, the
loss's prediction input and the gradient of every parameter for the given weights and batch.

usage: torch_graph.py GRAPH_JSON DIR
DIR holds what the C++ test wrote: input.bin (float32, N x input), target.bin (int32 class
indices or float32 values), param_<i>.bin (float32, row-major, ABI order) and batch.txt.
It writes loss.bin, prediction.bin and grad_<i>.bin (float64) into DIR.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F


def dense(x, params, attrs):
    y = x @ params["weight"]  # nnc's dense weight is [in, out]
    return y + params["bias"] if "bias" in params else y


LAYERS = {
    "dense": dense,
    "relu": lambda x, p, a: torch.relu(x),
    "tanh": lambda x, p, a: torch.tanh(x),
    "sigmoid": lambda x, p, a: torch.sigmoid(x),
    "softmax": lambda x, p, a: torch.softmax(x, dim=-1),
}

LOSSES = {
    "softmax_cross_entropy": lambda pred, target: F.cross_entropy(pred, target.long()),
    "mse": lambda pred, target: F.mse_loss(pred, target),
}


def read(path, dtype, shape):
    return np.fromfile(path, dtype=dtype).reshape(shape)


def main(graph_path, folder):
    graph = json.load(open(graph_path))
    nodes = graph["nodes"]
    batch = int(open(os.path.join(folder, "batch.txt")).read())

    params = {}
    leaves = []
    for i, p in enumerate(graph["params"]):
        t = torch.tensor(read(os.path.join(folder, "param_%d.bin" % i), np.float32, p["shape"]), dtype=torch.float64,
                         requires_grad=True)
        params.setdefault(p["node"], {})[p["param"]] = t
        leaves.append(t)

    values = {}
    inputs = [n for n in nodes if n["kind"] == "input"]
    targets = [n for n in nodes if n["kind"] == "target"]
    assert len(inputs) == 1 and len(targets) == 1, "one input and one target supported"
    values[inputs[0]["name"]] = torch.tensor(read(os.path.join(folder, "input.bin"), np.float32,
                                                  [batch] + inputs[0]["shape"]), dtype=torch.float64)
    t = targets[0]
    if t["target_kind"] == "classes":
        values[t["name"]] = torch.tensor(read(os.path.join(folder, "target.bin"), np.int32, [batch]))
    else:
        values[t["name"]] = torch.tensor(read(os.path.join(folder, "target.bin"), np.float32, [batch] + t["shape"]),
                                         dtype=torch.float64)

    total = 0
    prediction = None
    for n in nodes:
        if n["kind"] == "layer":
            x = [values[i] for i in n["inputs"]]
            values[n["name"]] = LAYERS[n["op"]](*x, params.get(n["name"], {}), n["attrs"])
        elif n["kind"] == "loss":
            pred = values[n["inputs"][0]]
            if prediction is None:
                prediction = pred
            total = total + n["weight"] * LOSSES[n["op"]](pred, values[n["inputs"][1]])

    total.backward()
    np.array([total.item()], dtype=np.float64).tofile(os.path.join(folder, "loss.bin"))
    prediction.detach().numpy().astype(np.float64).tofile(os.path.join(folder, "prediction.bin"))
    for i, leaf in enumerate(leaves):
        leaf.grad.numpy().astype(np.float64).tofile(os.path.join(folder, "grad_%d.bin" % i))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
