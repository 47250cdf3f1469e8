// Divergence: noticing, within the step, that training has blown up — a NaN or infinite loss or
// gradient norm, or a loss far above where the run started — and the policy for it: stop with
// NNC_ERR_NUMERIC (the default), or roll back to the start of the epoch, cut the lr and redo it.
//
// The rollback point is an in-memory copy taken at every epoch boundary (and where a resumed run
// starts): the whole parameter arena (batch-norm running statistics included), the optimizer
// state, the dropout step counter and the loop's TrainState. That is one copy of the weights and
// of the optimizer's buffers per epoch, nothing per step; it is taken only under the rollback
// policy.
#pragma once
#include <nnc/nnc.h>

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/train_state.h"

struct nnc_model;

namespace nnc::runtime {

struct DivergencePolicy {
    bool rollback = false;
    double factor = 0.3;          // lr multiplier per rollback
    int64_t retries = 3;          // rollbacks allowed before the error
    double explode_factor = 1e3;  // loss > explode_factor * reference diverges
};

// The config's policy with its zero fields defaulted; throws on values out of range.
DivergencePolicy divergence_policy(const nnc_train_config& config);

// Why this batch loss counts as divergence ("" if it does not). `reference` is the lowest running
// mean loss of the first epoch (TrainState::loss_reference; 0: none yet, only NaN/Inf count).
std::string loss_divergence(double loss, double reference, double explode_factor);
// Why this gradient norm counts as divergence ("" if it does not): NaN or infinite.
std::string norm_divergence(double norm);

// The state a rollback returns to.
class RollbackPoint {
public:
    void take(const nnc_model& model);
    // Puts the model back (parameters, optimizer state, step counter, train_state); false if
    // nothing was taken.
    bool restore(nnc_model& model) const;

private:
    bool valid_ = false;
    std::vector<float> params_;
    std::vector<uint8_t> optimizer_;
    uint64_t step_counter_ = 0;
    TrainState state_;
};

}  // namespace nnc::runtime
