// The best epoch of a run: the one whose weights best.ckpt holds. One definition for everything
// that names it — nnc train when it saves best.ckpt and writes "best_epoch" in each epoch line,
// the overfitting diagnosis, and the report — so that they cannot disagree. Under early stopping
// the runtime's own choice is the best epoch (the weights it restores, by its monitor, mode and
// min_delta); otherwise it is the epoch of the lowest validation loss, the first of equals.
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

namespace nnc::diagnostics {

// The rule without early stopping: the lowest validation loss, improved on by any decrease.
class BestEpoch {
public:
    // After epoch `epoch` (1-based): true when `val_loss` is a new best (NaN never is).
    bool observe(int64_t epoch, double val_loss);
    int64_t epoch() const { return epoch_; }  // 0: none yet
    double value() const { return value_; }

private:
    int64_t epoch_ = 0;
    double value_ = INFINITY;
};

// The best epoch (1-based) of val_loss[e] (after epoch e + 1) by the rule above; 0 when none is finite.
int64_t best_epoch_of(const std::vector<double>& val_loss);

}  // namespace nnc::diagnostics
