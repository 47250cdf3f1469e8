// Where a training run stands at the end of an epoch: everything nnc_train needs, besides the
// weights and the optimizer state, to continue exactly as if it had never stopped. The loop
// keeps it in the model as it runs (after every batch and epoch), checkpoints carry it, and
// nnc_train with `resume` starts from it.
//
// The shuffling order of epoch e is a pure function of (seed, e) (trainer.cpp), so the seed and
// the epoch count are the whole state of the data-shuffling generator. The dropout masks come
// from the model's step counter, saved beside this.
#pragma once
#include "runtime/lr_schedule.h"
#include "runtime/safeguards.h"

#include <cstdint>
#include <string>
#include <vector>

namespace nnc::runtime {

struct TrainState {
    bool valid = false;          // set once nnc_train starts (or a checkpoint has it)
    uint64_t seed = 0;           // the shuffling seed of the run
    int64_t epochs_done = 0;     // completed epochs
    int64_t updates = 0;         // optimizer updates over the run (step warm-up counts these)
    LrSchedule::State schedule;  // reduce-on-plateau counters
    EarlyStopping::State early_stopping;

    // Inside epoch epochs_done + 1, so that a run stopped between batches (Ctrl-C) resumes at the
    // next batch; all zero at an epoch boundary. The epoch's running sums make its statistics
    // those of the whole epoch.
    int64_t batches_done = 0, samples_done = 0, correct = 0, epoch_updates = 0;
    // The labels behind `correct` (ignored ones left out; T per sample for sequence targets).
    int64_t counted = 0;
    double loss_sum = 0, norm_sum = 0, lr = 0, seconds = 0;
    std::vector<double> task_sums;  // per loss
    // A gradient accumulation in progress: `micro` batches of `pending` samples summed (n * grad)
    // into `accumulated` (the trainable prefix of the arena). Empty when micro is 0.
    int64_t pending = 0, micro = 0;
    std::vector<float> accumulated;

    // Divergence (divergence.h) and per-tensor statistics (param_stats.h), saved since format
    // extension 1: every lr of the run is multiplied by lr_scale (the product of the rollbacks'
    // cuts), `rollbacks` counts them, loss_reference is the lowest running mean loss of the
    // run's first epoch (0 before its first batch; fixed after it), param_norm_sums[p] sums
    // trainable tensor p's gradient norm over this epoch's updates.
    double lr_scale = 1.0;
    int64_t rollbacks = 0;
    double loss_reference = 0;
    std::vector<double> param_norm_sums;

    // Not saved: why this state cannot be resumed ("" if it can), e.g. a format-1 checkpoint or an
    // optimizer state that did not fit the model's optimizer.
    std::string not_resumable;
};

// Little-endian: u8 valid, u64 seed, i64 epochs_done, i64 updates, f64 plateau_lr, f64 best,
// i64 bad_epochs, i64 cooldown_left, f64 es best, i64 es best_epoch, i64 es wait,
// u64 n, f32 best_params[n], i64 batches_done, i64 samples_done, i64 correct, i64 epoch_updates,
// f64 loss_sum, f64 norm_sum, f64 lr, f64 seconds, u64 k, f64 task_sums[k], i64 pending,
// i64 micro, u64 m, f32 accumulated[m]; then (extension 1, absent in older files: defaults)
// u32 1, f64 lr_scale, i64 rollbacks, f64 loss_reference, u64 p, f64 param_norm_sums[p].
std::vector<uint8_t> serialize_train_state(const TrainState& state);
// Throws Error(NNC_ERR_FORMAT) naming `what` and the offset (base + position) if the bytes do not
// hold exactly one state.
TrainState deserialize_train_state(const uint8_t* data, size_t size, const std::string& what, size_t base);

}  // namespace nnc::runtime
