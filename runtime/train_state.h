// Where a training run stands at the end of an epoch: everything nnc_train needs, besides the
// weights and the optimizer state, to continue exactly as if it had never stopped. The loop
// records it in the model after every epoch, checkpoints carry it, and nnc_train with `resume`
// starts from it.
//
// The shuffling order of epoch e is a pure function of (seed, e) (train_loop.cpp), so the seed and
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
    bool valid = false;          // set once an epoch of nnc_train completes (or a checkpoint has it)
    uint64_t seed = 0;           // the shuffling seed of the run
    int64_t epochs_done = 0;     // completed epochs
    int64_t updates = 0;         // optimizer updates over the run (step warm-up counts these)
    LrSchedule::State schedule;  // reduce-on-plateau counters
    EarlyStopping::State early_stopping;
};

// Little-endian: u8 valid, u64 seed, i64 epochs_done, i64 updates, f64 plateau_lr, f64 best,
// i64 bad_epochs, i64 cooldown_left, f64 es best, i64 es best_epoch, i64 es wait,
// u64 n, f32 best_params[n].
std::vector<uint8_t> serialize_train_state(const TrainState& state);
// Throws Error(NNC_ERR_FORMAT) naming `what` and the offset (base + position) if the bytes do not
// hold exactly one state.
TrainState deserialize_train_state(const uint8_t* data, size_t size, const std::string& what, size_t base);

}  // namespace nnc::runtime
