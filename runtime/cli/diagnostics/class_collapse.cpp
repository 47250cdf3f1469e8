#include "runtime/cli/diagnostics/class_collapse.h"

namespace nnc::diagnostics {

MaybeFinding check_class_collapse(const ProbeStats& probe, double label_top_share, int64_t epoch) {
    if (epoch < 2 || probe.samples == 0) return std::nullopt;
    if (probe.majority_fraction <= kCollapseFraction || label_top_share > kSkewedLabelShare) return std::nullopt;
    Finding f;
    f.code = "class-collapse";
    f.epoch = epoch;
    f.message = num(100 * probe.majority_fraction) + "% of the probe's " + std::to_string(probe.samples) +
                " samples are predicted as one class, while its most frequent label covers only " +
                num(100 * label_top_share) + "%";
    f.advice =
        "lower the learning rate (a too-high one drives the logits into one class; try a tenth), check for "
        "dead ReLUs (he_normal init, leaky_relu) and that the labels are not shuffled against the inputs; "
        "for imbalanced training data, resample it";
    return f;
}

}  // namespace nnc::diagnostics
