#!/usr/bin/python3
"""Tests of interleave.py and compare_table.py against stand-in measuring processes
(fake_serve.py): the two sides alternate round by round with an FMA slice in each, each round's
ratio cancels the machine's swing, a row that fails is reported and the run goes on, and the table
says "undecided" where a spread straddles a target; and the layer targets of layer_efficiency.py."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_stats  # noqa: E402
import layer_efficiency  # noqa: E402


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def fake(name, base, log):
    return "%s %s %s %g %s" % (sys.executable, os.path.join(HERE, "fake_serve.py"), name, base, log)


class InterleavedDriver(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.log = os.path.join(self.tmp.name, "log")
        self.out = os.path.join(self.tmp.name, "interleaved_t1.json")

    def tearDown(self):
        self.tmp.cleanup()

    def drive(self, models, rounds=4, nnc_base=12800, torch_base=6400):
        done = subprocess.run(
            [sys.executable, os.path.join(HERE, "interleave.py"), "--nnc", fake("nnc", nnc_base, self.log),
             "--torch", fake("torch", torch_base, self.log), "--models", models, "--kinds", "train_step",
             "--batches", "64", "--rounds", str(rounds), "--slice", "0.01", "--threads", "1", "--json", self.out],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        with open(self.out) as f:
            return json.load(f)

    def test_sides_alternate_with_an_fma_slice_every_round(self):
        self.drive("m", rounds=4)
        with open(self.log) as f:
            runs = [line.split()[0] + " " + line.split()[1] for line in f if " prepare " not in line]
        self.assertEqual(runs, ["nnc run", "torch run", "nnc fma",
                                "torch run", "nnc run", "nnc fma",
                                "nnc run", "torch run", "nnc fma",
                                "torch run", "nnc run", "nnc fma"])

    def test_paired_ratios_cancel_the_machine_swing(self):
        row = self.drive("m", rounds=6)["rows"]["m/train_step/64"]
        # Each side's rate swings by half between rounds; their ratio in every round is 2.
        self.assertEqual(sorted(set(row["nnc_samples_per_s"])), [12800, 19200])
        self.assertEqual((row["ratio"]["q1"], row["ratio"]["median"], row["ratio"]["q3"]), (2.0, 2.0, 2.0))
        self.assertEqual(row["fma_gflops"], [100.0] * 6)
        self.assertEqual(row["torch_variant"], "fake torch")

    def test_a_failing_row_is_reported_and_the_run_goes_on(self):
        rows = self.drive("broken,m", rounds=2)["rows"]
        self.assertIn("cannot be built", rows["broken/train_step/64"]["error"])
        self.assertEqual(rows["m/train_step/64"]["ratio"]["median"], 2.0)

    def test_a_dead_process_fails_the_run(self):
        done = subprocess.run(
            [sys.executable, os.path.join(HERE, "interleave.py"), "--nnc", sys.executable + " -c pass",
             "--torch", fake("torch", 1, self.log), "--models", "m", "--rounds", "1", "--slice", "0.01"],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 1)
        self.assertIn("exited", done.stderr)


class Table(unittest.TestCase):
    def test_a_straddling_spread_is_undecided_not_met(self):
        with tempfile.TemporaryDirectory() as d:
            # Rounds of 1.4x to 1.6x against the 1.5x target at batch 64; 1.1x to 1.3x at batch 1.
            rows = {}
            for batch, ratios in ((64, [1.4, 1.45, 1.55, 1.6]), (1, [1.1, 1.2, 1.2, 1.3])):
                torch = [100.0] * len(ratios)
                rows["m/train_step/%d" % batch] = {
                    "torch_variant": "eager", "nnc_samples_per_s": [100.0 * r for r in ratios],
                    "torch_samples_per_s": torch, "fma_gflops": [50.0] * len(ratios),
                    "ratio": bench_stats.summary(bench_stats.paired_ratios([100.0 * r for r in ratios], torch))}
            write(os.path.join(d, "interleaved_t1.json"), json.dumps(
                {"rounds": 4, "slice_s": 0.3, "rows": rows, "fma_gflops": bench_stats.summary([50.0])}))
            write(os.path.join(d, "models.json"), json.dumps(["m"]))
            write(os.path.join(d, "m.check.txt"), "Total MACs: 1,000,000 (1.0 M) per sample, forward\n")
            table = subprocess.run([sys.executable, os.path.join(HERE, "compare_table.py"), d], capture_output=True,
                                   text=True, timeout=60, check=True).stdout
        by_row = {line.split("|")[1].strip(): line for line in table.splitlines() if line.startswith("| m/")}
        self.assertIn("≥1.0×: met; ≥1.5×: undecided", by_row["m/train_step/64"])
        self.assertIn("≥1.0×: met", by_row["m/train_step/1"])
        # 1.2x of 100 samples/s x 6 MFLOP per training sample = 0.72 GFLOP/s, 1.4% of 50.
        self.assertIn("| 0.7 | 1 (1–1)% |", by_row["m/train_step/1"])
        self.assertIn("Targets: 2 met, 0 missed, 1 undecided", table)


class LayerTargets(unittest.TestCase):
    def conv(self, kernel):
        return {"op": "conv2d", "attrs": {"kernel": kernel}}

    def test_each_kind_of_layer_has_its_target(self):
        self.assertEqual(layer_efficiency.layer_target({"op": "dense"}, False), 0.75)
        self.assertEqual(layer_efficiency.layer_target({"op": "gru"}, False), 0.45)
        self.assertEqual(layer_efficiency.layer_target(self.conv(3), False), 0.65)
        self.assertEqual(layer_efficiency.layer_target(self.conv(3), True), 0.35)  # the first layer
        self.assertEqual(layer_efficiency.layer_target(self.conv(1), False), 0.35)
        self.assertIsNone(layer_efficiency.layer_target(self.conv(5), False))

    def test_the_verdict_holds_against_both_fma_rates(self):
        # 70 GFLOP/s against an FMA rate of 90 before and 100 after: 70-78% of it.
        self.assertEqual(layer_efficiency.target_cell({"op": "dense"}, False, 70, (90, 100)), "≥75%: undecided")
        self.assertEqual(layer_efficiency.target_cell({"op": "dense"}, False, 80, (90, 100)), "≥75%: met")
        self.assertEqual(layer_efficiency.target_cell({"op": "dense"}, False, 60, (90, 100)), "≥75%: missed")
        self.assertEqual(layer_efficiency.target_cell(self.conv(5), False, 60, (90, 100)), "–")


if __name__ == "__main__":
    unittest.main()
