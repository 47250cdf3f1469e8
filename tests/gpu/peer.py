#!/usr/bin/env python3
"""The PyTorch half of tests/gpu/check.sh: the same models as nnc's, built from nnc's checked
graph (nnc --graph-json: the same layers, shapes, attributes and parameters, as standard torch
modules), trained step by step the way nnc_model_train_step is measured: the batch goes up from
host memory, forward, loss, backward, the optimizer step (Adam, lr 3e-4, as the .nn files), and
the loss comes back (loss.item()). Median milliseconds of the timed steps after warm-up.

usage: peer.py BUNDLE [--json FILE] [--timed N] [--device cuda|cpu]
BUNDLE holds <model>.graph.json for each model (tests/gpu/prepare.sh).
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

MODELS = ["fashion_mlp", "fashion_cnn", "resnet8", "lstm_classifier"]


def window(attrs, dilation=True):
    """nnc's window arithmetic (codegen/layers/window.h), as tests/torch/torch_graph.py."""
    k = int(attrs.get("kernel", 1))
    stride = int(attrs.get("stride", 0)) or k
    d = int(attrs.get("dilation", 1)) if dilation else 1
    pad = int(attrs.get("pad", -1))
    if pad < 0:
        pad = (d * (k - 1)) // 2 if attrs.get("padding") == "same" else 0
    return k, stride, d, pad


def key(name):
    """A module name for a node name (torch rejects the dots of block nodes, "s1.a.c")."""
    return name.replace(".", "__")


class Recurrent(nn.Module):
    def __init__(self, cell, features, hidden, sequences):
        super().__init__()
        self.rnn = {"lstm": nn.LSTM, "gru": nn.GRU}[cell](features, hidden, batch_first=True)
        self.sequences = sequences

    def forward(self, x):
        out, _ = self.rnn(x)
        return out if self.sequences else out[:, -1, :]


class GraphModel(nn.Module):
    """nnc's graph, node by node, each layer a torch module."""

    def __init__(self, graph):
        super().__init__()
        self.nodes = graph["nodes"]
        shapes = {n["name"]: n["shape"] for n in self.nodes}
        params = {}
        for p in graph["params"]:
            params.setdefault(p["node"], {})[p["param"]] = p["shape"]
        self.layers = nn.ModuleDict()
        for n in self.nodes:
            if n["kind"] != "layer":
                continue
            op, a, p = n["op"], n["attrs"], params.get(n["name"], {})
            in_shape = shapes[n["inputs"][0]]
            if op == "dense":
                m = nn.Linear(p["weight"][0], p["weight"][1], bias="bias" in p)
            elif op == "conv2d":
                k, s, d, pad = window(a)
                w = p["weight"]
                m = nn.Conv2d(w[1], w[0], w[2], stride=s, padding=pad, dilation=d, bias="bias" in p)
            elif op == "batchnorm":
                cls = nn.BatchNorm2d if len(in_shape) == 3 else nn.BatchNorm1d
                m = cls(in_shape[0], eps=float(a.get("eps", 1e-5)), momentum=float(a.get("momentum", 0.1)),
                        affine="weight" in p)
            elif op == "dropout":
                m = nn.Dropout(float(a.get("rate", 0.5)))
            elif op == "embedding":
                m = nn.Embedding(p["weight"][0], p["weight"][1])
            elif op in ("lstm", "gru"):
                m = Recurrent(op, in_shape[-1], int(a["hidden"]), bool(a.get("return_sequences", False)))
            else:
                continue
            self.layers[key(n["name"])] = m

    def forward(self, x, targets=None):
        """The weighted loss; without targets, what nnc's inference returns: the first loss's
        output (probabilities for softmax cross-entropy, sigmoid for binary cross-entropy)."""
        values = {}
        inputs = [n for n in self.nodes if n["kind"] == "input"]
        values[inputs[0]["name"]] = x
        for n, t in zip([n for n in self.nodes if n["kind"] == "target"], targets or []):
            values[n["name"]] = t
        total = 0
        for n in self.nodes:
            if n["kind"] == "layer":
                xs = [values[i] for i in n["inputs"]]
                op, a = n["op"], n["attrs"]
                if key(n["name"]) in self.layers:
                    y = self.layers[key(n["name"])](xs[0])
                elif op == "relu":
                    y = torch.relu(xs[0])
                elif op == "maxpool2d":
                    k, s, _, pad = window(a, dilation=False)
                    y = F.max_pool2d(xs[0], k, stride=s, padding=pad)
                elif op == "avgpool2d":
                    k, s, _, pad = window(a, dilation=False)
                    y = F.avg_pool2d(xs[0], k, stride=s, padding=pad)
                elif op == "global_avgpool":
                    y = xs[0].mean(dim=(2, 3))
                elif op == "flatten":
                    y = xs[0].reshape(xs[0].shape[0], -1)
                elif op == "reshape":
                    y = xs[0].reshape([xs[0].shape[0]] + n["shape"])
                elif op == "add":
                    y = sum(xs)
                elif op == "concat":
                    y = torch.cat(xs, dim=int(a.get("axis", 0)) + 1)
                elif op == "leaky_relu":
                    y = F.leaky_relu(xs[0], float(a.get("alpha", 0.01)))
                elif op == "linear":
                    y = xs[0]
                elif op == "tanh":
                    y = torch.tanh(xs[0])
                elif op == "sigmoid":
                    y = torch.sigmoid(xs[0])
                elif op == "softmax":
                    y = torch.softmax(xs[0], dim=-1)
                else:
                    raise SystemExit("peer.py: op %s is not mapped" % op)
                values[n["name"]] = y
            elif n["kind"] == "loss":
                pred = values[n["inputs"][0]]
                if targets is None:
                    if n["op"] == "softmax_cross_entropy":
                        return torch.softmax(pred, dim=-1)
                    return torch.sigmoid(pred) if n["op"] == "sigmoid_binary_cross_entropy" else pred
                target = values[n["inputs"][1]]
                loss = {"softmax_cross_entropy": lambda: F.cross_entropy(pred, target.long()),
                        "mse": lambda: F.mse_loss(pred, target),
                        "l1": lambda: F.l1_loss(pred, target),
                        "sigmoid_binary_cross_entropy": lambda: F.binary_cross_entropy_with_logits(pred, target)}
                total = total + n["weight"] * loss[n["op"]]()
        return total


def host_batch(graph, batch, gen):
    x_node = [n for n in graph["nodes"] if n["kind"] == "input"][0]
    if x_node.get("dtype") == "int32":
        vocab = min([p["shape"][0] for p in graph["params"] if p["param"] == "weight" and "embed" in p["node"]] or [2])
        x = torch.randint(0, vocab, [batch] + x_node["shape"], generator=gen, dtype=torch.int64)
    else:
        x = torch.rand([batch] + x_node["shape"], generator=gen)
    targets = []
    for n in [n for n in graph["nodes"] if n["kind"] == "target"]:
        if n["target_kind"] == "classes":
            targets.append(torch.randint(0, n["num_classes"], [batch], generator=gen))
        else:
            targets.append(torch.randn([batch] + n["shape"], generator=gen))
    return x, targets


def step_ms(graph, device, batch, warmup, timed):
    torch.manual_seed(0)
    model = GraphModel(graph).to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=3e-4)
    gen = torch.Generator().manual_seed(5)
    xh, th = host_batch(graph, batch, gen)
    times = []
    for i in range(warmup + timed):
        if device == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        x = xh.to(device)
        targets = [t.to(device) for t in th]
        opt.zero_grad(set_to_none=True)
        loss = model(x, targets)
        loss.backward()
        opt.step()
        loss.item()  # the loss comes back to the host, as nnc's train step returns it
        if i >= warmup:
            times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bundle")
    ap.add_argument("--json")
    ap.add_argument("--timed", type=int, default=30)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    torch.backends.cudnn.benchmark = True
    results = {"torch": torch.__version__, "device": args.device,
               "gpu": torch.cuda.get_device_name(0) if args.device == "cuda" else "none"}
    print("PyTorch %s on %s (%s)" % (torch.__version__, args.device, results["gpu"]), flush=True)
    failures = 0
    for name in MODELS:
        path = os.path.join(args.bundle, name + ".graph.json")
        if not os.path.exists(path):
            continue
        graph = json.load(open(path))
        for batch in (64, 256):
            try:
                ms = step_ms(graph, args.device, batch, warmup=10, timed=args.timed)
            except Exception as e:  # one model's failure must not hide the others' figures
                results["%s.b%d.error" % (name, batch)] = repr(e)
                print("torch %-16s batch %4d: FAILED %r" % (name, batch, e), flush=True)
                failures += 1
                continue
            results["%s.b%d.ms" % (name, batch)] = ms
            results["%s.b%d.samples_per_s" % (name, batch)] = batch * 1e3 / ms
            print("torch %-16s batch %4d: %8.3f ms/step %9.0f samples/s" % (name, batch, ms, batch * 1e3 / ms),
                  flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
