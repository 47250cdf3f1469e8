#include "runtime/cli/diagnostics/overfitting.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace nnc::diagnostics {

namespace {

// A remedy and the inputs it fits.
struct Remedy {
    std::string text;
    InputKinds fits = kAnyInput;
};

// The remedies, ranked by how much they usually help for their cost.
std::vector<Remedy> remedies(const FitContext& context, int64_t best) {
    std::vector<Remedy> out;
    if (context.parameters > 0 && context.train_samples > 0 && context.parameters > 10 * context.train_samples)
        out.push_back({"more data or a smaller model (" + std::to_string(context.parameters) + " parameters for " +
                       std::to_string(context.train_samples) + " samples)"});
    if (context.dropout_layers == 0)
        out.push_back({"dropout(rate=0.2-0.5) after the wide hidden layers"});
    else if (context.max_dropout_rate <= 0)
        out.push_back(
            {"turning its dropout layers on (nnc train --dropout 0.3; nnc tune --dropout 0.2,0.5 compares "
             "rates without recompiling)"});
    else if (context.max_dropout_rate < 0.5)
        out.push_back({"a higher dropout rate than " + num(context.max_dropout_rate) +
                       " (nnc tune --dropout 0.3,0.5 tries rates without recompiling)"});
    else
        out.push_back({"more dropout layers (after each wide hidden layer)"});
    out.push_back({"data augmentation (--augment-flip, --augment-crop 4)", kImages});
    out.push_back({"weight decay (adamw(weight_decay=0.01), or sgd weight_decay=5e-4)"});
    out.push_back({"max_norm=3 on the dense layers"});
    if (!context.early_stopping)
        out.push_back({"early stopping (--early-stopping-patience 3 keeps the weights of epoch " +
                       std::to_string(best + 1) + ")"});
    return out;
}

int64_t best_index(const std::vector<double>& val, int64_t epochs, int64_t given) {
    if (given > 0 && given <= epochs && std::isfinite(val[static_cast<size_t>(given - 1)])) return given - 1;
    int64_t best = -1;
    for (int64_t e = 0; e < epochs; ++e)
        if (std::isfinite(val[e]) && (best < 0 || val[e] < val[best])) best = e;
    return best;
}

}  // namespace

MaybeFinding check_overfitting(const std::vector<double>& train, const std::vector<double>& val,
                               const FitContext& context) {
    const int64_t epochs = static_cast<int64_t>(std::min(train.size(), val.size()));
    const int64_t best = best_index(val, epochs, context.best_epoch);
    const int64_t last = epochs - 1;
    if (best < 0 || last - best < kOverfitEpochs) return std::nullopt;
    if (!std::isfinite(val[last]) || !std::isfinite(train[last]) || !std::isfinite(train[best])) return std::nullopt;
    if (val[last] <= val[best] + kOverfitRise * std::abs(val[best])) return std::nullopt;
    if (train[last] > train[best]) return std::nullopt;
    const double gap_then = val[best] - train[best], gap_now = val[last] - train[last];
    // Memorizing: the training set is now fit better than new data, and more so than at the minimum.
    if (gap_now <= 0 || gap_now <= gap_then) return std::nullopt;

    Finding f;
    f.code = "overfitting";
    f.epoch = last + 1;
    f.message = "the validation loss rose from " + num(val[best]) + " at epoch " + std::to_string(best + 1) +
                " (the best epoch) to " + num(val[last]) + " at epoch " + std::to_string(last + 1) +
                " while the training loss fell to " + num(train[last]) + " (gap " + num(gap_then) + " -> " +
                num(gap_now) + ")";
    std::string advice = "the model memorizes its training set; in order: ";
    int rank = 0;
    for (const Remedy& r : remedies(context, best)) {
        if (!fits(r.fits, context.input)) continue;
        if (rank++ > 0) advice += ", ";
        advice += "(" + std::to_string(rank) + ") " + r.text;
    }
    f.advice = advice;
    return f;
}

}  // namespace nnc::diagnostics
