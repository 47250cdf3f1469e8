#include "runtime/cli/diagnostics/best_epoch.h"

namespace nnc::diagnostics {

bool BestEpoch::observe(int64_t epoch, double val_loss) {
    if (!(val_loss < value_)) return false;  // NaN compares false
    value_ = val_loss;
    epoch_ = epoch;
    return true;
}

int64_t best_epoch_of(const std::vector<double>& val_loss) {
    BestEpoch best;
    for (size_t e = 0; e < val_loss.size(); ++e) best.observe(static_cast<int64_t>(e) + 1, val_loss[e]);
    return best.epoch();
}

}  // namespace nnc::diagnostics
