#!/usr/bin/env python3
"""The last table of tests/gpu/check.sh: nnc (gpu_check's JSON) beside PyTorch (peer.py's JSON),
training-step throughput per model and batch, and the equivalence and training verdicts.

usage: summary.py NNC_JSON TORCH_JSON [MARKDOWN_OUT]
"""
import json
import os
import sys

MODELS = ["fashion_mlp", "fashion_cnn", "resnet8", "lstm_classifier"]


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print("summary: cannot read %s: %s" % (path, e))
        return {}


def main():
    nnc, torch = load(sys.argv[1]), load(sys.argv[2])
    gpu = torch.get("gpu", "?")
    rows = ["| model | batch | nnc CUDA samples/s | PyTorch %s samples/s | nnc / PyTorch | nnc CUDA ms | PyTorch ms | "
            "nnc CPU ms | equivalence (worst rel. error) |" % torch.get("torch", "?"),
            "|---|---|---|---|---|---|---|---|---|"]
    for m in MODELS:
        for b in (64, 256):
            n = nnc.get("%s.b%d.cuda_samples_per_s" % (m, b))
            t = torch.get("%s.b%d.samples_per_s" % (m, b))
            if n is None and t is None:
                continue
            ratio = "%.2f" % (n / t) if n and t else "-"
            eq = nnc.get("%s.equivalence.worst" % m)
            rows.append("| %s | %d | %s | %s | %s | %s | %s | %s | %s |" % (
                m, b, "%.0f" % n if n else "-", "%.0f" % t if t else "-", ratio,
                "%.3f" % nnc["%s.b%d.cuda_ms" % (m, b)] if n else "-",
                "%.3f" % torch["%s.b%d.ms" % (m, b)] if t else "-",
                "%.2f" % nnc["%s.b%d.cpu_ms" % (m, b)] if n else "-",
                "%.1e" % eq if eq is not None else "-"))
    notes = []
    for m in MODELS:
        if "%s.training.first20" % m in nnc:
            notes.append("training %s on the GPU: loss %.4f (first 20 steps) -> %.4f (last 20)" % (
                m, nnc["%s.training.first20" % m], nnc["%s.training.last20" % m]))
        if "%s.create_error" % m in nnc:
            notes.append("%s: %s" % (m, nnc["%s.create_error" % m]))
    verdict = "PASS" if nnc.get("failures") == 0 and nnc.get("gpu_usable") == 1 else "FAIL"
    text = "\n".join(["GPU: %s" % gpu] + rows + notes + ["checks: %s (%s failures)" % (verdict, nnc.get("failures"))])
    print(text)
    if len(sys.argv) > 3:
        with open(sys.argv[3], "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
