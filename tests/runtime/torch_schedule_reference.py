#!/usr/bin/env python3
"""Reference values for tests/runtime/lr_schedule_test.cpp and safeguards_test.cpp.

usage: torch_schedule_reference.py EPOCHS STEPS_PER_EPOCH CONFIG...
Prints one line per CONFIG: the lr of each of the EPOCHS * STEPS_PER_EPOCH updates, read from the
optimizer before each update, with the epoch scheduler stepped after each epoch (torch's usual
loop). CONFIG is an optional warm-up prefix and a schedule:
    [warmup_steps:N:START/ | warmup_epochs:N:START/] SCHEDULE
    SCHEDULE: constant | step:EVERY:FACTOR | multistep:FACTOR:M1-M2-... | exponential:FACTOR
            | cosine:T:MIN_LR | plateau:MODE:FACTOR:PATIENCE:COOLDOWN:THRESHOLD:THRESHOLD_MODE:MIN_LR
A plateau schedule sees metric(e) = 1 + ((7 e) mod 5) / 100 - (e // 6) / 50 after epoch e (in
double, as the C++ test computes it). The base lr is 0.1.

A CONFIG clip_norm:MAX:COUNT or clip_value:MAX:COUNT instead prints torch.nn.utils' clipping of
the gradient g[i] = ((7 i + 13 * 3) mod 17 - 8) / 8 * 3 (float32) of COUNT elements.
"""
import sys

import torch

BASE_LR = 0.1


def metric(e):
    return 1 + ((7 * e) % 5) / 100 - (e // 6) / 50


def schedule(opt, text):
    kind, *v = text.split(":")
    S = torch.optim.lr_scheduler
    if kind == "constant":
        return S.MultiplicativeLR(opt, lambda e: 1.0)  # chainable, unlike LambdaLR
    if kind == "step":
        return S.StepLR(opt, step_size=int(v[0]), gamma=float(v[1]))
    if kind == "multistep":
        return S.MultiStepLR(opt, milestones=[int(m) for m in v[1].split("-")], gamma=float(v[0]))
    if kind == "exponential":
        return S.ExponentialLR(opt, gamma=float(v[0]))
    if kind == "cosine":
        return S.CosineAnnealingLR(opt, T_max=int(v[0]), eta_min=float(v[1]))
    if kind == "plateau":
        return S.ReduceLROnPlateau(opt, mode=v[0], factor=float(v[1]), patience=int(v[2]), cooldown=int(v[3]),
                                   threshold=float(v[4]), threshold_mode=v[5], min_lr=float(v[6]))
    sys.exit("unknown schedule " + kind)


def lrs(config, epochs, steps):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=BASE_LR)
    warm_kind, warm = None, None
    if "/" in config:
        prefix, config = config.split("/")
        warm_kind, n, start = prefix.split(":")
        warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=float(start), total_iters=int(n))
    sched = schedule(opt, config)
    out = []
    for e in range(epochs):
        for _ in range(steps):
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            if warm_kind == "warmup_steps":
                warm.step()
        if warm_kind == "warmup_epochs":
            warm.step()
        if isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau):
            sched.step(metric(e))
        else:
            sched.step()
    return out


def clip(config):
    kind, bound, count = config.split(":")
    g = torch.tensor([((7 * i + 13 * 3) % 17 - 8) / 8 * 3 for i in range(int(count))], dtype=torch.float32)
    p = torch.nn.Parameter(torch.zeros(int(count)))
    p.grad = g
    if kind == "clip_norm":
        torch.nn.utils.clip_grad_norm_([p], float(bound))
    else:
        torch.nn.utils.clip_grad_value_([p], float(bound))
    return p.grad.tolist()


def main(argv):
    epochs, steps = int(argv[1]), int(argv[2])
    for config in argv[3:]:
        values = clip(config) if config.startswith("clip_") else lrs(config, epochs, steps)
        print(" ".join("%.12e" % v for v in values))


if __name__ == "__main__":
    main(sys.argv)
