// underfitting: training and validation losses both high and flat. "High" needs a reference: the
// loss of a model that has learned nothing but the targets' average (a constant prediction) — ln C
// for softmax cross-entropy over C classes, 1 for mse on standardized targets. A model that fits
// its data ends far below that; one still above half of it, whose training loss moved less than 2%
// over the last 3 epochs, has stopped improving before fitting: too little capacity, time or lr.
#pragma once
#include <vector>

#include "runtime/cli/diagnostics/finding.h"
#include "runtime/cli/diagnostics/input_kind.h"

namespace nnc::diagnostics {

constexpr int64_t kUnderfitEpochs = 3;  // the window the training loss must be flat over
constexpr double kUnderfitFlat = 0.02;  // it fell by less than this share over the window
constexpr double kUnderfitHigh = 0.5;   // ... while above this share of the reference

// train[e], val[e]: losses after epoch e + 1 (val NaN without validation). `reference`: the
// constant-prediction loss; NaN or <= 0 if unknown, then the first epoch's training loss stands in
// (a weaker bar: that mean already includes the first epoch's learning). With validation losses
// the latest one must be high too and not far above the training loss (that would be overfitting).
// The remedies fit `input` (standardizing: float inputs only); a higher lr is among them only when
// `lr_may_rise` (the run's one verdict on the lr, lr_verdict.h, did not say lower or keep it).
MaybeFinding check_underfitting(const std::vector<double>& train, const std::vector<double>& val, double reference,
                                InputKind input = InputKind::unknown, bool lr_may_rise = true);

}  // namespace nnc::diagnostics
