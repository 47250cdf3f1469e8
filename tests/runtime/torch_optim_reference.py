#!/usr/bin/env python3
"""Reference values for tests/runtime/optimizer_test.cpp: runs torch.optim on a fixed,
deterministic gradient sequence and prints the parameters after STEPS steps.

The formulas below give exact float32 values, so the C++ test builds bit-identical inputs:
    initial p[i]    = ((5 i) mod 11 - 5) / 4 + 1/8
    gradient g_t[i] = ((7 i + 13 t) mod 17 - 8) / 8        (t = 0, 1, ...)

usage: torch_optim_reference.py STEPS COUNT CONFIG...
  CONFIG is one of
    sgd,LR,MOMENTUM,NESTEROV,WEIGHT_DECAY
    adam,LR,BETA1,BETA2,EPS,WEIGHT_DECAY        adamw,LR,BETA1,BETA2,EPS,WEIGHT_DECAY
    adagrad,LR,LR_DECAY,WEIGHT_DECAY,INITIAL_ACCUMULATOR_VALUE,EPS
    adadelta,LR,RHO,EPS,WEIGHT_DECAY
    rmsprop,LR,ALPHA,EPS,WEIGHT_DECAY,MOMENTUM,CENTERED
Prints one line per CONFIG: its COUNT final parameter values. (One process for every config:
importing torch is the slow part.)
"""
import sys

import torch


def initial(count):
    return torch.tensor([((5 * i) % 11 - 5) / 4 + 0.125 for i in range(count)], dtype=torch.float32)


def gradient(t, count):
    return torch.tensor([((7 * i + 13 * t) % 17 - 8) / 8 for i in range(count)], dtype=torch.float32)


def run(config, steps, count):
    kind, *values = config.split(",")
    p = torch.nn.Parameter(initial(count))
    if kind == "sgd":
        lr, momentum, nesterov, weight_decay = float(values[0]), float(values[1]), bool(int(values[2])), float(values[3])
        opt = torch.optim.SGD([p], lr=lr, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay)
    elif kind in ("adam", "adamw"):
        lr, beta1, beta2, eps, weight_decay = (float(v) for v in values)
        cls = torch.optim.Adam if kind == "adam" else torch.optim.AdamW
        opt = cls([p], lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay)
    elif kind == "adagrad":
        lr, lr_decay, weight_decay, accumulator, eps = (float(v) for v in values)
        opt = torch.optim.Adagrad([p], lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                  initial_accumulator_value=accumulator, eps=eps)
    elif kind == "adadelta":
        lr, rho, eps, weight_decay = (float(v) for v in values)
        opt = torch.optim.Adadelta([p], lr=lr, rho=rho, eps=eps, weight_decay=weight_decay)
    elif kind == "rmsprop":
        lr, alpha, eps, weight_decay, momentum = (float(v) for v in values[:5])
        opt = torch.optim.RMSprop([p], lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                  centered=bool(int(values[5])))
    else:
        sys.exit("unknown optimizer " + kind)
    for t in range(steps):
        p.grad = gradient(t, count)
        opt.step()
    return p.detach().tolist()


def main(argv):
    steps, count = int(argv[1]), int(argv[2])
    for config in argv[3:]:
        print(" ".join("%.9e" % v for v in run(config, steps, count)))


if __name__ == "__main__":
    main(sys.argv)
