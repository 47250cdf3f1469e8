// Safeguards around the update: gradient clipping (torch.nn.utils.clip_grad_norm_ and
// clip_grad_value_ over the whole gradient arena), max-norm constraints on weights, and early
// stopping that keeps the best weights.
#pragma once
#include <nnc/nnc.h>

#include <cstdint>
#include <vector>

#include "runtime/workers.h"

struct nnc_model;

namespace nnc::runtime {

// Sum of squares of `count` floats in double (16 partial sums in a fixed order: vectorized).
double sum_of_squares(const float* x, int64_t count);
// The global L2 norm of `count` floats, summed in double in fixed blocks (the result does not
// depend on the thread count).
double l2_norm(const float* data, int64_t count, Workers* workers);
// data *= factor
void scale(float* data, int64_t count, float factor, Workers* workers);
// Clamps every element to [-bound, bound].
void clip_by_value(float* data, int64_t count, float bound, Workers* workers);
// clip_grad_norm_: scales by max_norm / (norm + 1e-6) when that is below 1. `norm` is the
// arena's l2_norm.
void clip_by_norm(float* data, int64_t count, double norm, double max_norm, Workers* workers);
// The factor clip_by_norm scales by (1: no clipping); a CUDA model's optimizer kernel applies it
// as its grad_scale.
float clip_norm_factor(double norm, double max_norm);

// Every parameter with max_norm > 0: each output unit (slice of the last dimension; rank <= 1:
// the whole tensor) whose L2 norm exceeds max_norm is scaled by max_norm / (norm + 1e-7), as
// torch.renorm. Returns the number of units rescaled.
int64_t apply_max_norm(nnc_model& model);
bool has_max_norm(const nnc_model& model);

// Early stopping on a per-epoch metric (Keras EarlyStopping with restore_best_weights=True).
class EarlyStopping {
public:
    EarlyStopping(const nnc_early_stopping& config, int64_t arena_size);  // validates
    // After an epoch: records the weights if `metric` improves on the best by more than
    // min_delta; returns true when training should stop.
    bool observe(int64_t epoch, double metric, const float* params);
    // Copies the best weights back; false if no epoch ever improved (NaN metrics).
    bool restore(float* params) const;
    int64_t best_epoch() const { return best_epoch_; }

    // Everything observe and restore depend on, for checkpoints.
    struct State {
        double best = 0;
        int64_t best_epoch = 0, wait = 0;
        std::vector<float> best_params;  // empty until an epoch improves
    };
    State state() const { return {best_, best_epoch_, wait_, best_params_}; }
    void set_state(State s) {
        best_ = s.best;
        best_epoch_ = s.best_epoch;
        wait_ = s.wait;
        best_params_ = std::move(s.best_params);
    }

private:
    nnc_early_stopping c_;
    bool minimize_;
    double best_;
    int64_t arena_size_ = 0, best_epoch_ = 0, wait_ = 0;
    std::vector<float> best_params_;
};

// Throws unless `config` is usable (patience >= 0, min_delta >= 0, known monitor and mode).
void validate_early_stopping(const nnc_early_stopping& config);

}  // namespace nnc::runtime
