// The shape of the training-loss curve, read at the end of a run the way the field guide reads it:
//   lr-too-high-early  the early curve rises above its first point, or zigzags so that its rises undo
//                      at least half of its falls (and are more than noise on a flat stretch)
//   lr-too-high-late   it flattens (or climbs) well above the lowest value it already reached
//   lr-too-low         slow, steady, near-linear descent still going at the end
//   curve-good         a fast fall (half of it in the first 35% of the run), then flattening
// The curve is first smoothed into at most 40 bins (means of consecutive points), and rises or
// falls within the minibatch noise left in a bin's mean are not counted. Thresholds are in units
// of the total fall D = first bin - lowest bin.
#pragma once
#include <vector>

#include "runtime/cli/diagnostics/finding.h"

namespace nnc::diagnostics {

constexpr int64_t kCurveMinPoints = 8;
constexpr int64_t kCurveBins = 40;

struct CurveShape {
    std::vector<double> smoothed;  // the bins
    double noise = 0;              // the sd of a bin's mean from the points' noise
    double start = 0, lowest = 0, end = 0;
    double fall = 0;                      // D = start - lowest
    double lowest_at = 0;                 // where the lowest bin lies, as a share of the run in [0, 1]
    double half_fall_at = 0;              // where the curve first got half of D below its start
    double early_rises = 0;               // share of steps between bins in the first third that rise
                                          // beyond noise (more than 3.5 noise: 2.5 sd of a difference)
    double early_up = 0, early_down = 0;  // the sums of those rises and of all falls there
    double first = 0;                     // the first point: the loss before any learning
    double point_noise = 0;               // the sd of one point's noise
    double early_peak = 0;                // the highest bin in the first third
    double late_rate = 0;                 // the last third's fall per run length, in units of D (>0: falling)
    double late_mean = 0;                 // the last third's mean
};

// Smooths and measures `losses` (in order); the series must have at least kCurveMinPoints finite
// values, else the result's `smoothed` is empty.
CurveShape measure_curve(const std::vector<double>& losses);

// One of the four codes above, or nothing for a curve too short, non-finite, or of none of the
// shapes (e.g. a slow start and then a plateau). `what` names the series in the message ("per-step
// training loss"). Always epoch 0 (the end of the run).
MaybeFinding diagnose_loss_curve(const std::vector<double>& losses, const std::string& what);

}  // namespace nnc::diagnostics
