// The learning-rate range test (Leslie Smith, "Cyclical Learning Rates", 2017; fastai's lr_find):
// one training step per learning rate on an exponential sweep, recording the loss, until it
// explodes. `nnc lr-find` (lr_find_command.cpp) prints and writes what this returns.
#pragma once
#include <nnc/nnc.h>

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/cli/loaded_model.h"

namespace nnc::driver {

struct LrFindSettings {
    double start = 1e-7, end = 10;  // lr of the first and of the last step
    int64_t steps = 200;            // at most; the sweep stops early when the loss explodes
    int64_t batch = 64;
    uint64_t seed = 0;  // step k trains on the first batch of shuffle seed + k
    int threads = 0;
    double beta = 0.98;      // smoothing of the recorded loss (bias-corrected EMA)
    double stop_factor = 4;  // stop once the smoothed loss exceeds this times its minimum
};

struct LrFindPoint {
    int64_t step = 0;  // 1-based
    double lr = 0;
    double loss = 0;      // the batch's training loss before the step's update (NaN: non-finite)
    double smoothed = 0;  // bias-corrected EMA of `loss`
};

struct LrFindResult {
    std::vector<LrFindPoint> points;
    std::string stopped;  // why the sweep ended ("", "the smoothed loss exceeded 4x its minimum", ...)
    // The suggestion (suggest_lr): NaN when the curve never falls.
    double suggested_lr = 0, min_loss_lr = 0;
    std::string method;
};

// Runs the sweep with the model's optimizer (only its lr changes; its state carries from step to
// step as in training) and puts the model back as it was: weights, optimizer and its state, step
// counter. Throws std::runtime_error on failure (the model is restored then too). A non-finite
// loss ends the sweep; it is not an error.
LrFindResult lr_find(const LoadedModel& lib, nnc_model* model, const nnc_dataset* train,
                     const LrFindSettings& settings);

// Fills suggested_lr, min_loss_lr and method from result.points (pure: unit-testable).
void suggest_lr(LrFindResult& result);

}  // namespace nnc::driver
