#include "runtime/cli/diagnostics/underfitting.h"

#include <cmath>
#include <string>
#include <vector>

namespace nnc::diagnostics {

MaybeFinding check_underfitting(const std::vector<double>& train, const std::vector<double>& val, double reference,
                                InputKind input, bool lr_may_rise) {
    const int64_t epochs = static_cast<int64_t>(train.size());
    if (epochs < kUnderfitEpochs + 1) return std::nullopt;
    const bool known = std::isfinite(reference) && reference > 0;
    const double ref = known ? reference : train[0];
    const double now = train[static_cast<size_t>(epochs - 1)],
                 before = train[static_cast<size_t>(epochs - 1 - kUnderfitEpochs)];
    if (!std::isfinite(ref) || ref <= 0 || !std::isfinite(now) || !std::isfinite(before)) return std::nullopt;
    if (before - now >= kUnderfitFlat * std::abs(before) || now <= kUnderfitHigh * ref) return std::nullopt;
    const double v = val.size() == train.size() ? val.back() : NAN;
    if (std::isfinite(v) && (v <= kUnderfitHigh * ref || v - now > 0.25 * ref)) return std::nullopt;

    Finding f;
    f.code = "underfitting";
    f.message =
        "the training loss is stuck at " + num(now) + " (" + num(100 * (before - now) / std::abs(before)) +
        "% lower than " + std::to_string(kUnderfitEpochs) + " epochs before)" +
        (std::isfinite(v) ? ", validation " + num(v) : std::string()) + ", above half of " +
        (known ? "the loss of a constant prediction (" + num(ref) + ")" : "the first epoch's loss (" + num(ref) + ")");
    std::vector<std::string> remedies = {"more capacity (wider or more layers)"};
    if (lr_may_rise) remedies.push_back("a higher learning rate (nnc lr-find)");
    remedies.push_back("train longer");
    remedies.push_back("less regularization (lower dropout, weight decay)");
    f.advice = "the model does not fit even its training data; in order:";
    for (size_t i = 0; i < remedies.size(); ++i) f.advice += " (" + std::to_string(i + 1) + ") " + remedies[i];
    if (fits(kFloatInputs, input)) f.advice += "; also check the inputs are standardized (--standardize inputs)";
    return f;
}

}  // namespace nnc::diagnostics
