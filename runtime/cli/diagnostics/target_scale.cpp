#include "runtime/cli/diagnostics/target_scale.h"

#include <algorithm>
#include <cmath>

namespace nnc::diagnostics {

double target_rms_lower_bound(double mse, double prediction_rms) {
    if (!std::isfinite(mse) || !std::isfinite(prediction_rms) || mse < 0) return NAN;
    return std::max(0.0, std::sqrt(mse) - prediction_rms);
}

MaybeFinding check_target_scale(const std::string& target, double target_rms, bool standardized, int64_t epoch) {
    if (standardized || !std::isfinite(target_rms) || target_rms <= kTargetScale) return std::nullopt;
    Finding f;
    f.code = "target-scale";
    f.subject = target;
    f.epoch = epoch;
    f.message = "regression target '" + target + "' is far from unit scale (root mean square at least " +
                num(target_rms) + ") and is not standardized";
    f.advice =
        "standardize it: nnc train --standardize both (or targets); the statistics are saved with the model and "
        "nnc predict undoes them, so predictions stay in your units. Or divide the target by about " +
        num(target_rms) + " in the data";
    return f;
}

}  // namespace nnc::diagnostics
