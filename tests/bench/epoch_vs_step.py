#!/usr/bin/python3
"""Does the epoch keep up with the step? `nnc train`'s epoch throughput (its last epoch's
samples/s in metrics.jsonl: batch gathering, the loop's statistics, diagnostics, logging and
progress included) against the bare training step of the same library and batch (model_serve),
the two alternating round by round (the order swapped every other round) so that both see the
same machine. Each round's ratio epoch / step; their median and interquartile range
(bench_stats.py), and the verdict against the target (the epoch at 90% of the step or more).

usage: epoch_vs_step.py --serve 'CMD' --train 'CMD' --row MODEL/train_step/B [--rounds N]
                        [--json FILE] [--target 0.9]
--train's command line must contain {out}: the run folder of one round (made and removed here).
"""
import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

import bench_stats
from serve_protocol import RowError, Server, ServerError


def last_epoch(metrics_path):
    """The last epoch line of a run's metrics.jsonl."""
    epoch = None
    with open(metrics_path) as f:
        for line in f:
            record = json.loads(line)
            if record.get("type") == "epoch":
                epoch = record
    if epoch is None:
        raise RuntimeError("%s has no epoch line" % metrics_path)
    return epoch


def one_epoch_run(train_argv, scratch):
    """(samples/s, seconds) of the last epoch of one `nnc train` run."""
    out = tempfile.mkdtemp(prefix="epoch-", dir=scratch)
    try:
        argv = [a.replace("{out}", os.path.join(out, "run")) for a in train_argv]
        done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            raise RuntimeError("'%s' failed (status %d):\n%s" % (" ".join(argv), done.returncode, done.stderr))
        epoch = last_epoch(os.path.join(out, "run", "metrics.jsonl"))
        return float(epoch["samples_per_s"]), float(epoch["epoch_s"])
    finally:
        shutil.rmtree(out, ignore_errors=True)


def measure(server, train_argv, row, rounds, scratch):
    batch = int(row.rsplit("/", 1)[1])
    server.prepare(row)
    epoch_rates, step_rates = [], []
    epoch_seconds = 1.0  # the step's slice is as long as the last epoch
    for r in range(rounds):
        order = ("epoch", "step") if r % 2 == 0 else ("step", "epoch")
        for side in order:
            if side == "epoch":
                rate, epoch_seconds = one_epoch_run(train_argv, scratch)
                epoch_rates.append(rate)
            else:
                steps, elapsed = server.run(row, min(max(epoch_seconds, 0.2), 5.0))
                step_rates.append(steps * batch / elapsed)
    return epoch_rates, step_rates


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--serve", required=True, help="command line of nnc's measuring process (model_serve)")
    ap.add_argument("--train", required=True, help="command line of one `nnc train` run, with {out}")
    ap.add_argument("--row", required=True, help="MODEL/train_step/BATCH: the step of the same library and batch")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--target", type=float, default=0.9)
    ap.add_argument("--json")
    args = ap.parse_args()
    train_argv = shlex.split(args.train)
    if not any("{out}" in a for a in train_argv):
        ap.error("--train's command line must contain {out}, the run folder")
    server = None
    scratch = tempfile.mkdtemp(prefix="nnc-epoch-vs-step-")
    try:
        server = Server("nnc (model_serve)", shlex.split(args.serve))
        epoch_rates, step_rates = measure(server, train_argv, args.row, args.rounds, scratch)
    except (ServerError, RowError, RuntimeError) as e:
        print("epoch_vs_step.py: %s" % e, file=sys.stderr)
        return 1
    finally:
        if server:
            server.close()
        shutil.rmtree(scratch, ignore_errors=True)
    ratio = bench_stats.summary(bench_stats.paired_ratios(epoch_rates, step_rates))
    result = {"row": args.row, "epoch_samples_per_s": epoch_rates, "step_samples_per_s": step_rates,
              "ratio": ratio, "target": args.target, "verdict": bench_stats.verdict(ratio, args.target)}
    print("%s: epoch %.0f samples/s, step %.0f samples/s, epoch / step %s: %s (target %.0f%%)" % (
        args.row, bench_stats.quantile(epoch_rates, 0.5), bench_stats.quantile(step_rates, 0.5),
        bench_stats.spread_text(ratio), result["verdict"], 100 * args.target), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
