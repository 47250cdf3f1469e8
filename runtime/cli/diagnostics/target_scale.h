// target-scale: regression targets far from unit scale, trained without standardization. The
// loss (and its gradients) then scale with the targets' square, the output layer's bias must walk
// a long way, and lr-s tuned for unit targets diverge or crawl.
#pragma once
#include <string>

#include "runtime/cli/diagnostics/finding.h"

namespace nnc::diagnostics {

constexpr double kTargetScale = 10;  // root mean square sqrt(mean^2 + std^2) of the targets

// A lower bound on the targets' root mean square sqrt(mean(y^2)) from what the ABI gives: the mse
// of a model's predictions f over some samples and the root mean square of f there. By the
// triangle inequality RMS(y) >= RMS(y - f) - RMS(f) = sqrt(mse) - RMS(f); before training f is
// small, so the bound is tight.
double target_rms_lower_bound(double mse, double prediction_rms);

// A warning when a target that is not standardized has a root mean square above 10 (so its mean's
// size or its std is above ~7). `target_rms` is its value or a lower bound of it.
MaybeFinding check_target_scale(const std::string& target, double target_rms, bool standardized, int64_t epoch);

}  // namespace nnc::diagnostics
