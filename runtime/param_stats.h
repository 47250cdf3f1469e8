// Per-parameter-tensor measurements of training, cheap enough to stay on: each trainable tensor's
// gradient norm (taken in the same pass as the global norm, which is built from them) and the
// size of the update relative to the weights (measured on one update per epoch).
//
// The update ratio ||w_after - w_before|| / ||w_before|| is the field guide's "update scale"
// check (Karpathy's ~1e-3): much larger and the lr is too high for that tensor, much smaller and
// it barely learns.
#pragma once
#include <cstdint>
#include <vector>

#include "runtime/workers.h"

struct nnc_model;

namespace nnc::runtime {

// sq[p] = the sum of squares of trainable tensor p's gradient in `grads` (the grads arena), for
// p < num_trainable; returns the global L2 norm sqrt(sum_p sq[p]). Summed in double in fixed
// blocks inside each tensor, so the result does not depend on the thread count. The padding
// between tensors is zero, so this is the arena's l2_norm up to rounding.
double tensor_grad_norms(const nnc_model& model, const float* grads, std::vector<double>& sq, Workers* workers);

// Keeps a copy of the trainable weights before one update and measures, after it, each tensor's
// ||w_after - w_before|| / ||w_before|| (NaN where ||w_before|| is 0).
class UpdateRatio {
public:
    void before(const nnc_model& model);
    void after(const nnc_model& model, std::vector<double>& ratios) const;

private:
    std::vector<float> before_;
};

}  // namespace nnc::runtime
