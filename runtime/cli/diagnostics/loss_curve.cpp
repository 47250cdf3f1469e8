#include "runtime/cli/diagnostics/loss_curve.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace nnc::diagnostics {
namespace {

constexpr double kFastHalf = 0.35;     // half of the fall before this share of the run: fast
constexpr double kStillFalling = 0.3;  // late rate (D per run) above which the curve still falls
constexpr double kFlat = 0.05;         // late rate below which it is flat
constexpr double kAboveLowest = 0.2;   // late mean this far (in D) above the lowest bin: stalled high
constexpr double kRiseShare = 0.25, kUndone = 0.5, kAboveStart = 0.1, kUpSize = 0.1, kUpStart = 0.05;
constexpr double kNoFall = 0.05;    // a fall below 5% of the start (or 3 noise) is none
constexpr double kRiseNoise = 3.5;  // a rise between bins beyond this many noise units counts

std::string pct(double share) { return num(100 * share) + "%"; }

}  // namespace

CurveShape measure_curve(const std::vector<double>& losses) {
    CurveShape c;
    const int64_t n = static_cast<int64_t>(losses.size());
    if (n < kCurveMinPoints || std::any_of(losses.begin(), losses.end(), [](double v) { return !std::isfinite(v); }))
        return c;
    const int64_t m = std::min(n, kCurveBins);
    for (int64_t b = 0; b < m; ++b) {
        const int64_t lo = b * n / m, hi = (b + 1) * n / m;
        double sum = 0;
        for (int64_t i = lo; i < hi; ++i) sum += losses[static_cast<size_t>(i)];
        c.smoothed.push_back(sum / static_cast<double>(hi - lo));
    }
    // The points' own noise, robustly and with the trend left out: a point minus the mean of its
    // neighbours cancels a straight stretch, and for independent noise of sd s has sd s sqrt(1.5);
    // median |.| / 0.6745 estimates a Gaussian's sd. A bin's mean has sd / sqrt(points). Bins of
    // one point need it too: without it every minibatch wiggle on a falling curve would count as
    // an early rise.
    std::vector<double> wiggles;
    for (int64_t i = 1; i + 1 < n; ++i)
        wiggles.push_back(std::abs(losses[static_cast<size_t>(i)] -
                                   (losses[static_cast<size_t>(i - 1)] + losses[static_cast<size_t>(i + 1)]) / 2));
    std::nth_element(wiggles.begin(), wiggles.begin() + static_cast<int64_t>(wiggles.size() / 2), wiggles.end());
    c.point_noise = wiggles[wiggles.size() / 2] / (0.6745 * std::sqrt(1.5));
    c.noise = c.point_noise / std::sqrt(static_cast<double>(n) / static_cast<double>(m));
    const auto& s = c.smoothed;
    const auto low = std::min_element(s.begin(), s.end());
    c.start = s.front();
    c.end = s.back();
    c.lowest = *low;
    c.fall = c.start - c.lowest;
    c.lowest_at = static_cast<double>(low - s.begin()) / static_cast<double>(m - 1);
    for (int64_t b = 0; b < m; ++b) {
        if (s[static_cast<size_t>(b)] <= c.start - c.fall / 2) {
            c.half_fall_at = static_cast<double>(b) / static_cast<double>(m - 1);
            break;
        }
    }
    const int64_t third = std::max<int64_t>(3, m / 3);
    int64_t rises = 0;
    c.first = losses.front();
    c.early_peak = *std::max_element(s.begin(), s.begin() + third);  // the first bin too: a spike in it counts
    for (int64_t b = 1; b < third; ++b) {
        const double d = s[static_cast<size_t>(b)] - s[static_cast<size_t>(b - 1)];
        if (d > kRiseNoise * c.noise)
            ++rises, c.early_up += d;
        else if (d < 0)
            c.early_down -= d;
    }
    c.early_rises = static_cast<double>(rises) / static_cast<double>(third - 1);
    // The last third's least-squares slope per bin, scaled to the whole run.
    double mx = 0, my = 0;
    for (int64_t b = m - third; b < m; ++b) mx += static_cast<double>(b), my += s[static_cast<size_t>(b)];
    mx /= static_cast<double>(third);
    my /= static_cast<double>(third);
    double sxy = 0, sxx = 0;
    for (int64_t b = m - third; b < m; ++b) {
        sxy += (static_cast<double>(b) - mx) * (s[static_cast<size_t>(b)] - my);
        sxx += (static_cast<double>(b) - mx) * (static_cast<double>(b) - mx);
    }
    c.late_mean = my;
    c.late_rate = c.fall > 0 ? -(sxy / sxx) * static_cast<double>(m - 1) / c.fall : 0;
    return c;
}

MaybeFinding diagnose_loss_curve(const std::vector<double>& losses, const std::string& what) {
    const CurveShape c = measure_curve(losses);
    if (c.smoothed.empty()) return std::nullopt;
    Finding f;
    f.epoch = 0;
    const double scale = std::max(std::abs(c.start), 1e-12);

    // Above the very first point (the first bin's mean may already hold a blow-up), beyond noise.
    const bool rose = c.early_peak > c.first + kAboveStart * std::abs(c.first) + 3 * c.point_noise;
    if (!rose && c.fall < std::max(kNoFall * scale, 3 * c.noise)) {
        f.code = "lr-too-low";
        f.message = "the " + what + " barely fell: from " + num(c.start) + " to at best " + num(c.lowest);
        f.advice =
            "raise the learning rate 10x (nnc lr-find suggests one); if that does not move it, check the data "
            "and the model with nnc train --sanity";
        return f;
    }
    // Rises that matter: not the noise on a flat stretch (at least 10% of the fall, 5% of the start).
    const bool zigzag = c.early_rises >= kRiseShare && c.early_up >= kUndone * c.early_down &&
                        c.early_up >= std::max(kUpSize * c.fall, kUpStart * scale);
    if (rose || zigzag) {
        f.code = "lr-too-high-early";
        f.message =
            "the " + what + " " +
            (rose ? "rose early from " + num(c.first) + " to " + num(c.early_peak)
                  : "zigzags early: it rose in " + pct(c.early_rises) + " of the first third's intervals, undoing " +
                        pct(c.early_up / std::max(c.early_down, 1e-300)) + " of its falls");
        f.advice =
            "lower the learning rate 3-10x (nnc lr-find suggests one), or warm it up (--warmup 500); clipping "
            "(--clip-norm 1) tames single spikes";
        return f;
    }
    if (c.late_rate < kFlat && c.late_mean - c.lowest >= kAboveLowest * c.fall && c.lowest_at < 2.0 / 3.0) {
        f.code = "lr-too-high-late";
        f.message = "the " + what + " stalled at " + num(c.late_mean) + " in the last third, above the " +
                    num(c.lowest) + " it had reached at " + pct(c.lowest_at) + " of the run";
        f.advice =
            "decay the learning rate late in training: --schedule 'cosine(min_lr=1e-5)' or "
            "'reduce_on_plateau(factor=0.3, patience=2)', or a 3x lower lr";
        return f;
    }
    if (c.half_fall_at >= kFastHalf && c.late_rate >= kStillFalling) {
        f.code = "lr-too-low";
        f.message = "the " + what + " falls slowly and steadily: half of its fall took " + pct(c.half_fall_at) +
                    " of the run and at the end it still falls " + pct(c.late_rate) + " of that fall per run length";
        f.advice = "raise the learning rate 3x (nnc lr-find suggests one) or train longer";
        return f;
    }
    if (c.half_fall_at < kFastHalf && c.late_rate < kStillFalling) {
        f.code = "curve-good";
        f.severity = Severity::info;
        f.message = "the " + what + " fell fast (half of its fall in the first " + pct(c.half_fall_at) +
                    " of the run) and flattened at " + num(c.end);
        f.advice = "";
        return f;
    }
    if (c.half_fall_at < kFastHalf) {
        f.code = "curve-good";
        f.severity = Severity::info;
        f.message = "the " + what + " fell fast (half of its fall in the first " + pct(c.half_fall_at) +
                    " of the run) and still falls at the end (" + num(c.end) + ")";
        f.advice = "more epochs would lower it further";
        return f;
    }
    return std::nullopt;
}

}  // namespace nnc::diagnostics
