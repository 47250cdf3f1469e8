#!/usr/bin/python3
"""Unit tests of bench_stats.py: the quantiles, the paired ratios and the verdicts that
tests/bench/compare.sh's tables rest on."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_stats  # noqa: E402


class Quantiles(unittest.TestCase):
    def test_median_of_odd_and_even_counts(self):
        self.assertEqual(bench_stats.quantile([3, 1, 2], 0.5), 2)
        self.assertEqual(bench_stats.quantile([4, 1, 3, 2], 0.5), 2.5)

    def test_quartiles_interpolate_between_order_statistics(self):
        # positions 0.25 * 4 = 1 and 0.75 * 4 = 3 of [10, 20, 30, 40, 50]
        s = bench_stats.summary([50, 10, 40, 20, 30])
        self.assertEqual((s["q1"], s["median"], s["q3"], s["n"]), (20, 30, 40, 5))
        # position 0.25 * 3 = 0.75 of [1, 2, 3, 4]
        self.assertAlmostEqual(bench_stats.quantile([4, 3, 2, 1], 0.25), 1.75)

    def test_one_value_is_its_own_spread(self):
        s = bench_stats.summary([1.7])
        self.assertEqual((s["q1"], s["median"], s["q3"]), (1.7, 1.7, 1.7))

    def test_rejects_no_values_and_quantiles_outside_0_1(self):
        with self.assertRaises(ValueError):
            bench_stats.quantile([], 0.5)
        with self.assertRaises(ValueError):
            bench_stats.quantile([1], 1.5)


class PairedRatios(unittest.TestCase):
    def test_each_round_divides_its_own_slices(self):
        # The machine slowed by a third in round 2: the rates swing, the ratios do not.
        nnc, torch = [300, 200, 300], [150, 100, 150]
        self.assertEqual(bench_stats.paired_ratios(nnc, torch), [2.0, 2.0, 2.0])

    def test_unequal_lengths_are_an_error(self):
        with self.assertRaises(ValueError):
            bench_stats.paired_ratios([1, 2], [1])

    def test_a_zero_denominator_is_left_out(self):
        self.assertEqual(bench_stats.paired_ratios([1, 2], [0, 4]), [0.5])


class Verdicts(unittest.TestCase):
    def spread(self, q1, median, q3):
        return {"q1": q1, "median": median, "q3": q3}

    def test_met_when_the_whole_range_clears_the_target(self):
        self.assertEqual(bench_stats.verdict(self.spread(1.5, 1.6, 1.7), 1.5), "met")

    def test_missed_when_the_whole_range_falls_short(self):
        self.assertEqual(bench_stats.verdict(self.spread(1.2, 1.3, 1.49), 1.5), "missed")

    def test_undecided_when_the_range_straddles_the_target(self):
        # The median clears it, yet a quarter of the rounds fell short: no verdict either way.
        self.assertEqual(bench_stats.verdict(self.spread(1.45, 1.55, 1.6), 1.5), "undecided")
        self.assertEqual(bench_stats.verdict(self.spread(1.4, 1.45, 1.5), 1.5), "undecided")

    def test_too_few_rounds_are_undecided_however_far_from_the_target(self):
        two_rounds = bench_stats.summary([3.0, 3.1])
        self.assertEqual(bench_stats.verdict(two_rounds, 1.5), "undecided")
        self.assertEqual(bench_stats.verdict(bench_stats.summary([3.0, 3.1, 3.2]), 1.5), "met")

    def test_spread_text(self):
        self.assertEqual(bench_stats.spread_text(self.spread(1.0, 1.234, 1.5)), "1.23 (1.00–1.50)")


if __name__ == "__main__":
    unittest.main()
