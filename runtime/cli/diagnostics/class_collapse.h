// class-collapse: a classifier that predicts one class for nearly the whole probe although the
// probe's labels are spread over several (a dead network, a too-high learning rate, or a loss
// dominated by a majority class).
#pragma once
#include "runtime/cli/diagnostics/finding.h"
#include "runtime/cli/diagnostics/probe.h"

namespace nnc::diagnostics {

constexpr double kCollapseFraction = 0.9;   // predicted as one class
constexpr double kSkewedLabelShare = 0.75;  // labels this concentrated may justify it

// A warning when more than 90% of the probe is predicted as one class while the most frequent
// label holds at most 75% of the probe (`label_top_share`, top_share of the labels). Epoch 1 is
// left alone: an untrained network often starts with one dominant logit.
MaybeFinding check_class_collapse(const ProbeStats& probe, double label_top_share, int64_t epoch);

}  // namespace nnc::diagnostics
