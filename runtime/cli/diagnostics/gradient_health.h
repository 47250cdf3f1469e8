// Readings of the per-tensor numbers nnc_train measures each epoch (nnc.h, ABI 4): the size of
// the updates relative to the weights, and gradients that vanish or explode across the layers.
// Pure functions of plain numbers, like every analysis here.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/cli/diagnostics/finding.h"

namespace nnc::diagnostics {

struct TensorReading {
    std::string name;         // "fc1.weight"
    int rank = 0;             // weights are rank >= 2; biases, batch-norm scales rank 1
    double grad_norm = 0;     // mean L2 norm of its gradient per update this epoch (before clipping)
    double update_ratio = 0;  // ||dw|| / ||w|| at the epoch's last update (NaN: ||w|| was 0)
};

// update-ratio-high / update-ratio-low: the field guide's ~1e-3 rule (an update moves a weight
// matrix by about a thousandth of its norm). Only weight matrices (rank >= 2) count: a bias starts
// at 0, so its ratio is large for reasons that say nothing about the lr. Above 1e-2 the lr is too
// high for that tensor (it is rewritten every ~100 updates); below 1e-4 it barely moves. At most
// one finding per direction, naming the furthest tensor and how many others share it.
std::vector<Finding> update_ratio_findings(const std::vector<TensorReading>& tensors, int64_t epoch, double lr);

// gradient-vanishing / gradient-exploding, over the weight matrices:
//  - vanishing: the smallest mean gradient norm is below 1e-4 times the largest. Layer sizes alone
//    change a norm by ~10x (it grows with sqrt(elements)), a healthy deep network's layers by
//    another ~10x; four orders of magnitude is the signal dying on its way back (a sigmoid's
//    derivative is at most 1/4 per layer: 7 layers give 6e-5). Also when in the first epoch every
//    weight gradient is below 1e-7 (float32 rounding level for weights of order 1): nothing learns
//    from the start. Later, tiny gradients everywhere are a converged model, not a fault.
//  - exploding: a mean gradient norm above 1e3 (a step of lr 1e-3 would then move the weights by
//    more than their own scale).
std::vector<Finding> gradient_findings(const std::vector<TensorReading>& tensors, int64_t epoch);

}  // namespace nnc::diagnostics
