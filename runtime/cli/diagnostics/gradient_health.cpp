#include "runtime/cli/diagnostics/gradient_health.h"

#include <cmath>

namespace nnc::diagnostics {
namespace {

constexpr double kRatioLow = 1e-4, kRatioHigh = 1e-2;
constexpr double kVanishingSpread = 1e-4, kVanishingAbsolute = 1e-7, kExploding = 1e3;

bool is_weight(const TensorReading& t) { return t.rank >= 2; }

std::string others(int count) {
    if (count <= 1) return "";
    return " (and " + std::to_string(count - 1) + " other weight tensor" + (count > 2 ? "s" : "") + ")";
}

}  // namespace

std::vector<Finding> update_ratio_findings(const std::vector<TensorReading>& tensors, int64_t epoch, double lr) {
    std::vector<Finding> out;
    const TensorReading *high = nullptr, *low = nullptr;
    int highs = 0, lows = 0;
    for (const TensorReading& t : tensors) {
        if (!is_weight(t) || !std::isfinite(t.update_ratio)) continue;
        if (t.update_ratio > kRatioHigh) {
            ++highs;
            if (!high || t.update_ratio > high->update_ratio) high = &t;
        } else if (t.update_ratio > 0 && t.update_ratio < kRatioLow) {  // 0: no gradient at all, not the lr
            ++lows;
            if (!low || t.update_ratio < low->update_ratio) low = &t;
        }
    }
    if (high) {
        out.push_back({"update-ratio-high", Severity::warning, high->name,
                       "an update changes " + high->name + " by " + num(high->update_ratio) + " of its norm" +
                           others(highs) + " at lr " + num(lr) +
                           "; about 1e-3 is healthy, above 1e-2 the weights are rewritten every few "
                           "hundred updates",
                       "lower the learning rate (about " + num(lr * 1e-3 / high->update_ratio) + " would give 1e-3)",
                       epoch});
    }
    if (low) {
        out.push_back({"update-ratio-low", Severity::warning, low->name,
                       "an update changes " + low->name + " by only " + num(low->update_ratio) + " of its norm" +
                           others(lows) + " at lr " + num(lr) + "; about 1e-3 is healthy, below 1e-4 it barely learns",
                       "raise the learning rate (about " + num(lr * 1e-3 / low->update_ratio) + " would give 1e-3)",
                       epoch});
    }
    return out;
}

std::vector<Finding> gradient_findings(const std::vector<TensorReading>& tensors, int64_t epoch) {
    std::vector<Finding> out;
    const TensorReading *smallest = nullptr, *largest = nullptr;
    for (const TensorReading& t : tensors) {
        if (!is_weight(t) || !std::isfinite(t.grad_norm)) continue;
        if (!smallest || t.grad_norm < smallest->grad_norm) smallest = &t;
        if (!largest || t.grad_norm > largest->grad_norm) largest = &t;
    }
    if (!largest) return out;
    const std::string advice =
        "residual connections (add) or batch norm between the layers keep gradients alive through depth; relu instead "
        "of "
        "sigmoid/tanh in hidden layers; he_normal initialization";
    if (largest->grad_norm > 0 && smallest != largest && smallest->grad_norm < kVanishingSpread * largest->grad_norm) {
        out.push_back({"gradient-vanishing", Severity::warning, smallest->name,
                       "the gradient of " + smallest->name + " (mean norm " + num(smallest->grad_norm) + ") is " +
                           num(smallest->grad_norm / largest->grad_norm) + " times that of " + largest->name + " (" +
                           num(largest->grad_norm) + "): the signal dies on its way back through the layers",
                       advice, epoch});
    } else if (epoch == 1 && largest->grad_norm < kVanishingAbsolute) {
        out.push_back({"gradient-vanishing", Severity::warning, largest->name,
                       "every weight gradient is below " + num(kVanishingAbsolute) + " in the first epoch (largest: " +
                           largest->name + ", " + num(largest->grad_norm) + "): nothing learns",
                       advice, epoch});
    }
    if (largest->grad_norm > kExploding) {
        out.push_back(
            {"gradient-exploding", Severity::warning, largest->name,
             "the gradient of " + largest->name + " has a mean norm of " + num(largest->grad_norm) + " per update",
             "set clip_norm (e.g. clip_norm = 1.0 in the train section); batch norm or residual connections steady "
             "deep stacks; check the scale of the inputs and targets",
             epoch});
    }
    return out;
}

}  // namespace nnc::diagnostics
