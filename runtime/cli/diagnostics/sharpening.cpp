#include "runtime/cli/diagnostics/sharpening.h"

#include <cmath>
#include <string>

namespace nnc::diagnostics {

MaybeFinding check_not_sharpening(const ProbeStats& now, int64_t epochs) {
    if (epochs < kSharpeningEpochs) return std::nullopt;
    if (now.max_entropy <= 0 || now.samples == 0 || now.entropy <= kSharpeningEntropyShare * now.max_entropy)
        return std::nullopt;
    const double classes = std::exp(now.max_entropy);
    Finding f;
    f.code = "not-sharpening";
    f.epoch = epochs;
    f.message = "after " + std::to_string(epochs) + " epochs the predictions are still near uniform: mean entropy " +
                num(now.entropy) + " nats of at most " + num(now.max_entropy) + " (ln " + num(classes) +
                "), mean top-class probability " + num(now.mean_top_prob) + " (chance " + num(1 / classes) + ")";
    f.advice =
        "the model is not learning yet: check that inputs and labels line up (nnc train --sanity), raise the "
        "learning rate (nnc lr-find) or train longer; inputs far from unit scale (--standardize inputs) and "
        "saturated activations also stall it";
    return f;
}

}  // namespace nnc::diagnostics
