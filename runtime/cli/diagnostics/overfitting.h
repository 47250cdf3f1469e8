// overfitting: the validation loss has turned up from its minimum and keeps above it while the
// training loss still falls, so the train/validation gap widens: the model memorizes its training
// set. Named with remedies ranked by how much they usually help for their cost.
#pragma once
#include <vector>

#include "runtime/cli/diagnostics/finding.h"
#include "runtime/cli/diagnostics/input_kind.h"

namespace nnc::diagnostics {

// What the advice may depend on (0/false: unknown).
struct FitContext {
    int64_t parameters = 0;  // trainable parameters
    int64_t train_samples = 0;
    bool early_stopping = false;  // already on: not suggested again
    // The model's dropout layers and the highest rate they use now (nnc_model_dropout_info):
    // a model that already drops is told to raise the rate, not to add dropout.
    int dropout_layers = 0;
    double max_dropout_rate = 0;
    // What the model reads: each remedy fits some input kinds (augmentation: images only).
    InputKind input = InputKind::unknown;
    // The best epoch so far (1-based) by the rule best.ckpt is kept by (best_epoch.h); 0: the
    // epoch of the lowest validation loss.
    int64_t best_epoch = 0;
};

constexpr int64_t kOverfitEpochs = 3;  // epochs after the validation minimum
constexpr double kOverfitRise = 0.05;  // the validation loss at least 5% above its minimum

// train[e], val[e]: the losses after epoch e + 1 (NaN where not measured). A warning when the
// best epoch (context.best_epoch, else the validation minimum) lies at least 3 epochs back, the latest validation loss
// is more than 5% above it, the training loss has not risen since (a rising training loss is instability, not
// overfitting) and the gap val - train is positive and wider than at the minimum. Silent without validation losses.
MaybeFinding check_overfitting(const std::vector<double>& train, const std::vector<double>& val,
                               const FitContext& context);

}  // namespace nnc::diagnostics
