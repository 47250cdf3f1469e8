"""The statistics of tests/bench/compare.sh's interleaved measurements.

Two sides measured in alternating short slices, round after round, share the machine's swings
(on a shared VM its speed moves by 15% from one second to the next): each round's ratio of the
two slices cancels most of the swing, and the spread of those ratios says how far the median can
be trusted. A target is met only when the whole interquartile range clears it, missed only when
the whole range falls short; a range that straddles it is "undecided", not a verdict, and so is
one of fewer than MIN_ROUNDS rounds, whose range says nothing yet.
"""

MIN_ROUNDS = 3


def quantile(values, q):
    """The q-quantile (0 <= q <= 1) of values, interpolating linearly between the order statistics
    (numpy's default, and statistics.quantiles' "inclusive" method)."""
    if not values:
        raise ValueError("quantile of no values")
    if not 0.0 <= q <= 1.0:
        raise ValueError("quantile %r outside [0, 1]" % q)
    v = sorted(values)
    pos = q * (len(v) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def summary(values):
    """{"median", "q1", "q3", "n"} of values: the median and its interquartile range."""
    return {"median": quantile(values, 0.5), "q1": quantile(values, 0.25), "q3": quantile(values, 0.75),
            "n": len(values)}


def paired_ratios(numerators, denominators):
    """Each round's ratio numerators[i] / denominators[i]: the two slices of one round ran a
    fraction of a second apart, so they saw the same machine."""
    if len(numerators) != len(denominators):
        raise ValueError("%d numerators for %d denominators" % (len(numerators), len(denominators)))
    return [n / d for n, d in zip(numerators, denominators) if d > 0]


def verdict(spread, target):
    """"met" when the interquartile range of a ratio lies at or above target, "missed" when it lies
    below, "undecided" when it straddles target or comes from fewer than MIN_ROUNDS rounds."""
    if spread.get("n", MIN_ROUNDS) < MIN_ROUNDS:
        return "undecided"
    if spread["q1"] >= target:
        return "met"
    if spread["q3"] < target:
        return "missed"
    return "undecided"


def spread_text(spread, fmt="%.2f"):
    """"1.23 (1.10–1.31)": the median and, in brackets, the interquartile range."""
    return (fmt + " (" + fmt + "–" + fmt + ")") % (spread["median"], spread["q1"], spread["q3"])
