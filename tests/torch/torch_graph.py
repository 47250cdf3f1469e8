#!/usr/bin/python3
"""Rebuilds an nnc graph (nnc --graph-json, codegen/emit/graph_json.cpp) in PyTorch and computes, in
float64 from the given float32 values, what nnc's pipelines compute: the loss, the first loss's
prediction input, what inference returns, the gradient of every trainable parameter and of the
input, and the new values of the state parameters (batch norm's running statistics).

usage: torch_graph.py GRAPH_JSON DIR [GRAPH_JSON DIR ...]   (several cases in one run: torch
imports once)

DIR holds what the C++ test wrote:
  input.bin        the model input, N x input shape (float32; int32 for an int32 input)
  target.bin       the target (int32 class indices or float32 values); with several targets,
                   target_<k>.bin in the graph's target order
  param_<i>.bin    float32, row-major, in the graph's "params" order (trainables, then states)
  batch.txt        N
  seed.txt         optional: the training step's seed (attention dropout draws its mask from it)
  mode.txt         optional: "train" (default: batch statistics, dropout drops) or "eval"
                   (running statistics, dropout is the identity)
  mask_<node>.bin  train mode, each dropout node: float32 0/1 keep mask, N x the node's shape
                   (the test derives it from nnc's own output, so both drop the same elements)
It writes into DIR (float64):
  loss.bin         the weighted sum of the losses
  prediction.bin   the first loss's prediction input (logits for the classifiers)
  output.bin       what inference returns for it (probabilities for the classifiers)
  loss_<k>.bin, prediction_<k>.bin, output_<k>.bin
                   the same for each loss k in graph order (loss_<k> unweighted)
  grad_<i>.bin     train mode: the gradient of each trainable parameter i
  grad_input.bin   train mode, float input: the gradient with respect to the input
  state_<i>.bin    train mode: the new value of each state parameter i

Parameter layouts (each layer file's header comment): dense weight [in, out] (x @ W, torch's
Linear holds [out, in]); conv2d weight [F, C, K, K] (torch's own); batchnorm weight, bias,
running_mean, running_var [C]; embedding weight [V, D] (torch's own); lstm/gru weight_ih [F, G*H],
weight_hh [H, G*H], bias [G*H] (gates in torch's order, transposed from torch's [G*H, F]);
layernorm weight, bias [D]; attention weight_qkv [D, 3D], bias_qkv [3D], weight_out [D, D],
bias_out [D] (torch's in_proj_weight and out_proj.weight transposed). dense and layernorm on a
sequence (N, T, D) act on the last axis; a classes(C, [T]) target is read as (N, T).
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F


def window(attrs, dilation=True):
    """nnc's window arithmetic (codegen/layers/window.h): kernel, stride, dilation, padding."""
    k = int(attrs.get("kernel", 1))
    stride = int(attrs.get("stride", 0)) or k
    d = int(attrs.get("dilation", 1)) if dilation else 1
    pad = int(attrs.get("pad", -1))
    if pad < 0:
        pad = (d * (k - 1)) // 2 if attrs.get("padding") == "same" else 0
    return k, stride, d, pad


def dense(ctx, x, p, a):
    y = x @ p["weight"]  # nnc's dense weight is [in, out]
    return y + p["bias"] if "bias" in p else y


def conv2d(ctx, x, p, a):
    k, s, d, pad = window(a)
    return F.conv2d(x, p["weight"], p.get("bias"), stride=s, padding=pad, dilation=d)


def maxpool2d(ctx, x, p, a):
    k, s, _, pad = window(a, dilation=False)
    return F.max_pool2d(x, k, stride=s, padding=pad)


def avgpool2d(ctx, x, p, a):
    k, s, _, pad = window(a, dilation=False)
    return F.avg_pool2d(x, k, stride=s, padding=pad, count_include_pad=True)


def batchnorm(ctx, x, p, a):
    # torch updates the running statistics in place: give it copies and report them as states.
    mean, var = p["running_mean"].detach().clone(), p["running_var"].detach().clone()
    y = F.batch_norm(x, mean, var, p.get("weight"), p.get("bias"), training=ctx["training"],
                     momentum=float(a.get("momentum", 0.1)), eps=float(a.get("eps", 1e-5)))
    ctx["states"][(ctx["node"], "running_mean")] = mean
    ctx["states"][(ctx["node"], "running_var")] = var
    return y


def dropout(ctx, x, p, a):
    rate = float(a.get("rate", 0.5))
    if not ctx["training"] or rate == 0:
        return x
    mask = ctx["read_mask"](ctx["node"], list(x.shape))
    return x * mask / (1 - rate)


def embedding(ctx, x, p, a):
    return F.embedding(x.long(), p["weight"])


def recurrent(cell):
    """lstm / gru over (N, T, F): torch's module (batch_first) holding nnc's weights, transposed.
    The module's own parameters are the leaves (an RNN module reads flat weight copies, so a
    functional call would not reach them); their gradients go back to nnc's after backward."""
    def run(ctx, x, p, a):
        module = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
        m = module(x.shape[-1], int(a["hidden"]), batch_first=True).double()
        pairs = [(m.weight_ih_l0, p["weight_ih"], True), (m.weight_hh_l0, p["weight_hh"], True),
                 (m.bias_ih_l0, p["bias_ih"], False), (m.bias_hh_l0, p["bias_hh"], False)]
        with torch.no_grad():
            for theirs, ours, transposed in pairs:
                theirs.copy_(ours.t() if transposed else ours)

        def give_back():
            for theirs, ours, transposed in pairs:
                ours.grad = theirs.grad.t().contiguous() if transposed else theirs.grad
        ctx["after_backward"].append(give_back)
        out, _ = m(x)
        return out if a.get("return_sequences", False) else out[:, -1, :]
    return run


def layernorm(ctx, x, p, a):
    return F.layer_norm(x, [x.shape[-1]], p.get("weight"), p.get("bias"), eps=float(a.get("eps", 1e-5)))


def softmax(ctx, x, p, a):
    axis = int(a.get("axis", -1))  # per-sample axis: 0 is torch's dim 1
    return torch.softmax(x, dim=axis if axis < 0 else axis + 1)


U64 = np.uint64  # uint32 arithmetic in uint64, masked: products of two 32-bit values fit
M32 = U64(0xFFFFFFFF)


def fnv1a(name):
    h = 2166136261
    for c in name.encode():
        h = ((h ^ c) * 16777619) & 0xFFFFFFFF
    return h


def mix32(x):
    x = np.asarray(x, dtype=U64) & M32
    x ^= x >> U64(16)
    x = (x * U64(0x7FEB352D)) & M32
    x ^= x >> U64(15)
    x = (x * U64(0x846CA68B)) & M32
    return x ^ (x >> U64(16))


def uniform(seed, salt, index):
    """codegen/lower/random.h's uniform in float32: 24 bits of a hash of (seed, salt, index)."""
    key = mix32(U64(seed) ^ mix32(U64(salt)))
    h = mix32((mix32(index ^ key) + key) & M32)
    return (h >> U64(8)).astype(np.float32) * np.float32(1.0 / 16777216.0)


def attention(ctx, x, p, a):
    """Multi-head self-attention, the explicit formula (codegen/layers/attention.cpp's layout:
    x @ weight_qkv, columns q | k | v, head-major inside each)."""
    n, t, d = x.shape
    heads = int(a["heads"])
    width = d // heads
    q, k, v = (x @ p["weight_qkv"] + p["bias_qkv"]).split(d, dim=-1)

    def per_head(z):  # (N, T, D) -> (N, H, T, d)
        return z.reshape(n, t, heads, width).transpose(1, 2)

    scores = per_head(q) @ per_head(k).transpose(-1, -2) / math.sqrt(width)
    if a.get("causal", False):
        scores = scores.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    rate = float(a.get("dropout", 0))
    if ctx["training"] and rate > 0:  # nnc's own mask, drawn as codegen/lower/random.h draws it
        u = uniform(ctx["seed"], fnv1a(ctx["node"] + ".weights"), np.arange(n * heads * t * t, dtype=np.uint64))
        keep = (u >= np.float32(rate)).reshape(n, heads, t, t)
        weights = weights * torch.tensor(keep, dtype=torch.float64) / (1 - rate)
    out = weights @ per_head(v)
    return out.transpose(1, 2).reshape(n, t, d) @ p["weight_out"] + p["bias_out"]


LAYERS = {
    "dense": dense,
    "conv2d": conv2d,
    "maxpool2d": maxpool2d,
    "avgpool2d": avgpool2d,
    "global_avgpool": lambda c, x, p, a: x.mean(dim=(2, 3)),
    "flatten": lambda c, x, p, a: x.reshape(x.shape[0], -1),
    "reshape": lambda c, x, p, a: x.reshape([x.shape[0]] + c["shape"]),
    "add": lambda c, *xs_p_a: sum(xs_p_a[:-2]),
    "concat": lambda c, *xs_p_a: torch.cat(xs_p_a[:-2], dim=int(xs_p_a[-1].get("axis", 0)) + 1),
    "relu": lambda c, x, p, a: torch.relu(x),
    "leaky_relu": lambda c, x, p, a: F.leaky_relu(x, float(a.get("alpha", 0.01))),
    "linear": lambda c, x, p, a: x,
    "tanh": lambda c, x, p, a: torch.tanh(x),
    "sigmoid": lambda c, x, p, a: torch.sigmoid(x),
    "softmax": softmax,
    "batchnorm": batchnorm,
    "dropout": dropout,
    "embedding": embedding,
    "lstm": recurrent("lstm"),
    "gru": recurrent("gru"),
    "layernorm": layernorm,
    "gelu": lambda c, x, p, a: F.gelu(x, approximate=a.get("approximate", "none")),
    "attention": attention,
}

def softmax_cross_entropy(pred, target, a):
    """Per sample, or per position of a sequence (N, T, C) against (N, T): torch wants the classes
    at dim 1."""
    if pred.dim() > 2:
        pred = pred.movedim(-1, 1)
    return F.cross_entropy(pred, target.long(), ignore_index=int(a.get("ignore_index", -100)))


LOSSES = {
    "softmax_cross_entropy": softmax_cross_entropy,
    "mse": lambda pred, target, a: F.mse_loss(pred, target),
    "l1": lambda pred, target, a: F.l1_loss(pred, target),
    "sigmoid_binary_cross_entropy": lambda pred, target, a: F.binary_cross_entropy_with_logits(pred, target),
}

# What inference returns for a loss's prediction (each loss's Layer::predict).
PREDICT = {
    "softmax_cross_entropy": lambda z: torch.softmax(z, dim=-1),
    "sigmoid_binary_cross_entropy": torch.sigmoid,
}


def read(path, dtype, shape):
    return np.fromfile(path, dtype=dtype).reshape(shape)


def main(graph_path, folder):
    graph = json.load(open(graph_path))
    nodes = graph["nodes"]
    batch = int(open(os.path.join(folder, "batch.txt")).read())
    mode_path = os.path.join(folder, "mode.txt")
    training = not os.path.exists(mode_path) or open(mode_path).read().strip() != "eval"

    params = {}
    trainable, states = [], []  # (index, tensor) in the graph's params order
    for i, p in enumerate(graph["params"]):
        is_trainable = p.get("trainable", True)
        t = torch.tensor(read(os.path.join(folder, "param_%d.bin" % i), np.float32, p["shape"]), dtype=torch.float64,
                         requires_grad=is_trainable)
        params.setdefault(p["node"], {})[p["param"]] = t
        (trainable if is_trainable else states).append((i, p))

    values = {}
    inputs = [n for n in nodes if n["kind"] == "input"]
    targets = [n for n in nodes if n["kind"] == "target"]
    assert len(inputs) == 1, "one model input supported"
    x_node = inputs[0]
    if x_node.get("dtype") == "int32":
        x = torch.tensor(read(os.path.join(folder, "input.bin"), np.int32, [batch] + x_node["shape"]))
    else:
        x = torch.tensor(read(os.path.join(folder, "input.bin"), np.float32, [batch] + x_node["shape"]),
                         dtype=torch.float64, requires_grad=training)
    values[x_node["name"]] = x
    for k, t in enumerate(targets):
        path = os.path.join(folder, "target.bin" if len(targets) == 1 else "target_%d.bin" % k)
        if t["target_kind"] == "classes":
            values[t["name"]] = torch.tensor(read(path, np.int32, [batch] + t["shape"]))
        else:
            values[t["name"]] = torch.tensor(read(path, np.float32, [batch] + t["shape"]), dtype=torch.float64)

    def read_mask(node, shape):
        return torch.tensor(read(os.path.join(folder, "mask_%s.bin" % node), np.float32, shape), dtype=torch.float64)

    seed_path = os.path.join(folder, "seed.txt")  # the training step's seed (attention dropout)
    seed = int(open(seed_path).read()) if os.path.exists(seed_path) else 0
    ctx = {"training": training, "states": {}, "read_mask": read_mask, "after_backward": [], "seed": seed}
    total = 0
    losses = []  # (node, unweighted value)
    for n in nodes:
        if n["kind"] == "layer":
            ctx["node"], ctx["shape"] = n["name"], n["shape"]
            xs = [values[i] for i in n["inputs"]]
            values[n["name"]] = LAYERS[n["op"]](ctx, *xs, params.get(n["name"], {}), n["attrs"])
        elif n["kind"] == "loss":
            value = LOSSES[n["op"]](values[n["inputs"][0]], values[n["inputs"][1]], n["attrs"])
            losses.append((n, value))
            total = total + n["weight"] * value

    def save(name, t):
        t.detach().numpy().astype(np.float64).tofile(os.path.join(folder, name))

    save("loss.bin", torch.tensor([float(total)], dtype=torch.float64))
    for k, (n, value) in enumerate(losses):
        prediction = values[n["inputs"][0]]
        output = PREDICT.get(n["op"], lambda z: z)(prediction)
        save("loss_%d.bin" % k, torch.tensor([float(value)], dtype=torch.float64))
        save("prediction_%d.bin" % k, prediction)
        save("output_%d.bin" % k, output)
        if k == 0:
            save("prediction.bin", prediction)
            save("output.bin", output)
    if not training:
        return
    total.backward()
    for hook in ctx["after_backward"]:
        hook()
    for i, p in trainable:
        leaf = params[p["node"]][p["param"]]
        grad = leaf.grad if leaf.grad is not None else torch.zeros_like(leaf)
        save("grad_%d.bin" % i, grad)
    if x.requires_grad:
        save("grad_input.bin", x.grad if x.grad is not None else torch.zeros_like(x))
    for i, p in states:
        save("state_%d.bin" % i, ctx["states"][(p["node"], p["param"])])


if __name__ == "__main__":
    if len(sys.argv) < 3 or len(sys.argv) % 2 != 1:
        sys.exit("usage: torch_graph.py GRAPH_JSON DIR [GRAPH_JSON DIR ...]")
    for k in range(1, len(sys.argv), 2):
        main(sys.argv[k], sys.argv[k + 1])
