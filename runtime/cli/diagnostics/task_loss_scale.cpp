#include "runtime/cli/diagnostics/task_loss_scale.h"

#include <cmath>
#include <cstdio>

namespace nnc::diagnostics {
namespace {

// Rounded to two significant digits, without an exponent for everyday sizes: 115 -> "120".
std::string two_digits(double v) {
    const double unit = std::pow(10.0, std::floor(std::log10(std::abs(v))) - 1);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", std::round(v / unit) * unit);
    return buf;
}

}  // namespace

std::vector<Finding> check_task_loss_scale(const std::vector<TaskLoss>& losses, int64_t epoch) {
    std::vector<Finding> out;
    if (losses.size() < 2) return out;
    const TaskLoss& ref = losses[0];
    const double ref_value = ref.weight * ref.loss;
    if (!std::isfinite(ref_value) || ref_value <= 0) return out;
    for (size_t l = 1; l < losses.size(); ++l) {
        const TaskLoss& t = losses[l];
        const double value = t.weight * t.loss;
        if (!std::isfinite(value) || value <= 0) continue;
        const double ratio = value / ref_value;
        if (ratio <= kTaskLossRatio && ratio >= 1 / kTaskLossRatio) continue;
        Finding f;
        f.code = "task-loss-scale";
        f.subject = t.name;
        f.epoch = epoch;
        f.message = "loss '" + t.name + "' contributes " + num(value) + " (weight " + num(t.weight) + " x " +
                    num(t.loss) + "), " + num(ratio > 1 ? ratio : 1 / ratio) + "x " + (ratio > 1 ? "more" : "less") +
                    " than loss '" + ref.name + "' (" + num(ref_value) + ")";
        f.advice = "bring them to one scale: `loss " + t.name + " = ...(..., weight=" + two_digits(t.weight / ratio) +
                   ")` in the .nn file" + (ratio > 1 ? "" : ", or standardize that task's targets") +
                   "; otherwise the gradient is almost only the " +
                   (ratio > 1 ? "'" + t.name + "'" : "'" + ref.name + "'") + " task's";
        out.push_back(f);
    }
    return out;
}

}  // namespace nnc::diagnostics
