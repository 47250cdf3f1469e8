// One training run of nnc_train, as named steps:
//
//   Trainer trainer(model, train, validation, config);  // checks the config against model and data
//   trainer.begin();                                      // a fresh run, or the model's TrainState resumed
//   for (epoch = trainer.next_epoch(); epoch <= epochs; epoch = trainer.next_epoch()) {
//       trainer.begin_epoch(epoch);                       // shuffle, lr, clock
//       while (trainer.batches_left()) trainer.step();    // forward+backward, then the update when due
//       trainer.end_epoch();                              // validation, schedules, early stopping, on_epoch
//   }
//   trainer.finish();                                     // the best weights back (early stopping)
//
// step and end_epoch say how the run goes on (Flow): a callback's stop, or a divergence rolled
// back, which makes the rollback point's epoch the next one (nnc_train in train_loop.cpp).
//
// Each epoch visits the training set in a fresh order: a Fisher–Yates shuffle driven by
// Rng(stream_seed(config.seed, "shuffle/<epoch>")), so a seed reproduces a run exactly. Batches
// hold config.batch samples; the last one holds the remainder. The loss reported is the mean over
// samples (each batch's mean loss weighted by its size).
//
// One update, in order: gradients of `accumulate` batches (their sample-weighted mean: the mean
// over the effective batch), the global gradient norm, clip_norm, clip_value, the lr of this
// update (schedule times warm-up), the optimizer step, the max-norm constraints. After each epoch:
// validation, reduce-on-plateau, early stopping (which restores the best weights whenever
// training stops or ends), then the on_epoch callback.
//
// Measurements that stay on (param_stats.h): the global gradient norm is summed from per-tensor
// sums of squares in the same pass, so each tensor's gradient norm costs nothing extra; the
// update/weight ratio of each tensor is taken at the epoch's last update (one copy of the
// weights per epoch). Divergence (divergence.h) is checked on every batch's loss and every
// update's gradient norm, before anything is changed; the rollback policy returns to the state
// saved at the epoch's start, multiplies every later lr by its factor and redoes the epoch.
//
// A CUDA model keeps its parameters, gradients and optimizer state on the GPU (device.h): per
// update, the gradient pipeline leaves the gradients there, a kernel sums each tensor's squares
// (num_trainable doubles come down for the norms, the divergence check and clip_norm), and the
// optimizer's kernel applies the update with clip_norm's factor as its grad_scale and clip_value
// as its clamp. What has no device kernel runs on the host, where the arenas' accessors
// (mirrored.h) bring the values: correct but slower: gradient accumulation over several batches,
// an optimizer without a kernel, the max-norm constraints after the device update.
//
// Every counter lives in the model's TrainState (train_state.h), current after each batch; a
// resumed run starts from it: the epoch's shuffle is recomputed from (seed, epoch) and the batches
// already done are skipped, so a resumed run repeats the uninterrupted one exactly.
#pragma once
#include <nnc/nnc.h>

#include "runtime/augment.h"
#include "runtime/batch.h"
#include "runtime/divergence.h"
#include "runtime/lr_schedule.h"
#include "runtime/param_stats.h"
#include "runtime/safeguards.h"
#include "runtime/train_state.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

struct nnc_model;

namespace nnc::runtime {

// What the run does after a step or an epoch.
enum class Flow {
    Continue,
    Stop,  // a callback asked to stop, or early stopping did
    Redo,  // diverged and rolled back: the rollback point's epoch comes next
};

class Trainer {
public:
    // Checks the config against the model and the data (throwing Error); changes nothing.
    Trainer(nnc_model& model, const nnc_dataset& train, const nnc_dataset* validation, const nnc_train_config& config);
    ~Trainer();
    Trainer(const Trainer&) = delete;
    Trainer& operator=(const Trainer&) = delete;

    // A fresh TrainState, or (config.resume) the model's checked for continuing.
    void begin();
    // The checks begin() makes (a resumed run's state against the config), changing nothing.
    void check_begin() const;
    // The epoch to run next: the one after the last completed (after a rollback, the rollback
    // point's).
    int64_t next_epoch() const;
    // The epoch's shuffle, lr and clock (kept running when the epoch is resumed).
    void begin_epoch(int64_t epoch);
    bool batches_left() const;
    // One batch: forward and backward, the divergence check, the statistics, then the update when
    // the accumulation is complete, and on_batch.
    Flow step();
    // Validation, the schedule, early stopping, the state moved to the epoch boundary, the
    // rollback point, on_epoch.
    Flow end_epoch();
    // Every way out that is not an error: the best weights back under early stopping.
    nnc_status finish();

private:
    float run_batch(int64_t n);
    void record_batch(float loss, int64_t n);
    bool accumulate_grads(float* grads, int64_t n);
    Flow update(float* grads);
    void apply_update(float* grads, double norm);
    Flow report_progress();
    Flow diverged(const std::string& why, int64_t step);
    nnc_epoch_stats epoch_stats(double seconds);
    void move_to_epoch_boundary();
    // Throws unless `monitor` can be measured in this run; `who` names the setting.
    static void check_monitor_of(int monitor, const char* who, bool have_validation, bool classes);
    static EarlyStopping checked_stopper(const LrSchedule& schedule, const nnc_train_config& config, int64_t arena_size,
                                         bool have_validation, bool classes);
    // The epoch's value of what `monitor` names.
    static double metric(int monitor, const nnc_epoch_stats& stats);

    using Clock = std::chrono::steady_clock;

    nnc_model& m_;
    const nnc_dataset& train_;
    const nnc_dataset* validation_;
    const nnc_train_config& config_;
    // Checked in the constructor in this order (the first bad setting is the one reported).
    AugmentConfig augment_;
    DivergencePolicy policy_;
    int acc_;  // accuracy_loss; -1: none
    bool classes_;
    int nl_;  // losses
    LrSchedule schedule_;
    EarlyStopping stopper_;
    int64_t accumulate_;
    int64_t trainable_;  // the gradients' prefix of the arenas (states after it)
    int num_trainable_;
    bool on_device_ = false;  // the per-update fast path of a CUDA model
    bool constrained_ = false;
    bool began_ = false;

    int64_t width_;                    // per-sample scores of the accuracy loss
    std::vector<int64_t> order_;       // the epoch's shuffle
    std::vector<float> prediction_;    // (batch, width) scores of the accuracy loss
    std::vector<float*> predictions_;  // per loss: where its predictions go (null: not kept)
    std::vector<float> batch_losses_;  // per loss
    Batch batch_;
    double last_norm_;                   // the latest update's gradient norm, for on_batch
    std::vector<double> tensor_sq_;      // per trainable tensor, this update
    std::vector<double> update_ratios_;  // at the epoch's last update
    std::vector<double> grad_norms_;     // for on_epoch
    UpdateRatio ratio_;
    RollbackPoint rollback_point_;

    int64_t epoch_ = 0;
    Clock::time_point start_;
    double epoch_lr_ = 0;
};

}  // namespace nnc::runtime
