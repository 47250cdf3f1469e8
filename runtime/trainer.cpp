#include "runtime/trainer.h"

#include "runtime/errors.h"
#include "runtime/initializers.h"
#include "runtime/lr_schedule.h"
#include "runtime/model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>

namespace nnc::runtime {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The epoch's running accuracy over the labels counted so far.
double accuracy(const TrainState& st) {
    return st.counted > 0 ? static_cast<double>(st.correct) / static_cast<double>(st.counted) : kNaN;
}

std::string show(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", x);
    return buf;
}

// The config's checks that need nothing but the config, the model and the data; returns the
// augmentation they check.
AugmentConfig check_run(const nnc_model& m, const nnc_dataset& train, const nnc_dataset* validation,
                        const nnc_train_config& config) {
    require(config.epochs > 0, "nnc_train: epochs must be > 0, got " + std::to_string(config.epochs));
    require(config.batch > 0, "nnc_train: batch must be > 0, got " + std::to_string(config.batch));
    require(config.accumulate >= 0, "nnc_train: accumulate must be >= 0, got " + std::to_string(config.accumulate));
    require(std::isfinite(config.clip_norm) && config.clip_norm >= 0,
            "nnc_train: clip_norm must be finite and >= 0 (0: off), got " + std::to_string(config.clip_norm));
    require(std::isfinite(config.clip_value) && config.clip_value >= 0,
            "nnc_train: clip_value must be finite and >= 0 (0: off), got " + std::to_string(config.clip_value));
    require(config.threads >= 0 && config.threads <= 256,
            "nnc_train: threads must be in [0, 256] (0: the model's), got " + std::to_string(config.threads));
    check_compatible(m, train, "the training set");
    require(config.augment_crop_pad >= 0,
            "nnc_train: augment_crop_pad must be >= 0, got " + std::to_string(config.augment_crop_pad));
    AugmentConfig augment;
    augment.crop_pad = config.augment_crop_pad;
    augment.flip = config.augment_flip != 0;
    require(!augment.enabled() || (m.desc->input.rank == 3 && m.desc->input_dtype == NNC_DTYPE_FLOAT32),
            "nnc_train: augmentation needs image inputs [C, H, W], but model '" + std::string(m.desc->model_name) +
                "' takes an input of rank " + std::to_string(m.desc->input.rank) + "; turn augmentation off");
    if (validation) check_compatible(m, *validation, "the validation set");
    return augment;
}

// Throws unless the model's TrainState can continue under `config` on `train`.
void check_resumable(const TrainState& st, const nnc_train_config& config, const nnc_dataset& train, int64_t accumulate,
                     int nl) {
    require(st.not_resumable.empty(), "nnc_train: cannot resume: " + st.not_resumable);
    require(st.valid,
            "nnc_train: resume is set but the model holds no run to continue; load a checkpoint saved "
            "during training (nnc train --out DIR writes DIR/last.ckpt), or train without resume");
    require(st.seed == config.seed, "nnc_train: the run being resumed shuffled with seed " + std::to_string(st.seed) +
                                        " but config.seed is " + std::to_string(config.seed) +
                                        "; resume with the run's seed");
    require(st.epochs_done < config.epochs,
            "nnc_train: the run being resumed has completed " + std::to_string(st.epochs_done) + " of " +
                std::to_string(config.epochs) + " epochs; raise epochs to train it further");
    require(st.micro == 0 || accumulate > 1,
            "nnc_train: the run being resumed stopped inside a gradient accumulation; resume it with the same "
            "accumulate");
    require(st.task_sums.empty() || static_cast<int>(st.task_sums.size()) == nl,
            "nnc_train: the run being resumed has " + std::to_string(st.task_sums.size()) + " losses, the model " +
                std::to_string(nl));
    require(st.samples_done == std::min(st.batches_done * config.batch, train.count),
            "nnc_train: the run being resumed stopped after " + std::to_string(st.samples_done) +
                " samples of an epoch but the training set has " + std::to_string(train.count) +
                "; resume with the same data and batch size");
}

}  // namespace

// The schedule's monitor, early stopping's settings, then its monitor: in the order the config
// lists them.
EarlyStopping Trainer::checked_stopper(const LrSchedule& schedule, const nnc_train_config& config, int64_t arena_size,
                                       bool have_validation, bool classes) {
    if (schedule.needs_metric())
        check_monitor_of(config.schedule.monitor, "the reduce_on_plateau schedule", have_validation, classes);
    EarlyStopping stopper(config.early_stopping, arena_size);
    if (config.early_stopping.enabled)
        check_monitor_of(config.early_stopping.monitor, "early stopping", have_validation, classes);
    return stopper;
}

Trainer::Trainer(nnc_model& model, const nnc_dataset& train, const nnc_dataset* validation,
                 const nnc_train_config& config)
    : m_(model),
      train_(train),
      validation_(validation),
      config_(config),
      augment_(check_run(model, train, validation, config)),
      policy_(divergence_policy(config)),
      acc_(accuracy_loss(model)),
      classes_(acc_ >= 0),
      nl_(model.desc->num_losses),
      schedule_(config.schedule, model.optimizer_config.lr),
      stopper_(checked_stopper(schedule_, config, model.arena_size, validation != nullptr, classes_)),
      accumulate_(std::max<int64_t>(config.accumulate, 1)),
      trainable_(model.trainable_size),
      num_trainable_(model.desc->num_trainable),
      width_(classes_ ? model.loss_output_size[static_cast<size_t>(acc_)] : 1),
      last_norm_(kNaN) {}

Trainer::~Trainer() {
    // Schedules change the optimizer's lr: the base lr comes back however the run ends.
    if (began_) m_.optimizer.set_lr(m_.optimizer_config.lr);
}

void Trainer::check_begin() const {
    if (config_.resume) check_resumable(m_.train_state, config_, train_, accumulate_, nl_);
}

void Trainer::begin() {
    // The loop's counters are the model's TrainState, kept current after every batch, so that a
    // checkpoint saved from a callback continues exactly (resume).
    TrainState& st = m_.train_state;
    const nnc_early_stopping& es = config_.early_stopping;
    if (config_.resume) {
        check_resumable(st, config_, train_, accumulate_, nl_);
        schedule_.set_state(st.schedule);
        if (es.enabled) stopper_.set_state(st.early_stopping);
    } else {
        st = TrainState{};
        st.valid = true;
        st.seed = config_.seed;
        st.schedule = schedule_.state();
        st.early_stopping = stopper_.state();
    }
    if (st.task_sums.empty()) st.task_sums.assign(static_cast<size_t>(nl_), 0.0);
    if (accumulate_ > 1 && st.micro == 0) st.accumulated.assign(static_cast<size_t>(trainable_), 0.0f);
    if (static_cast<int>(st.param_norm_sums.size()) != num_trainable_)
        st.param_norm_sums.assign(static_cast<size_t>(num_trainable_), 0.0);
    if (config_.threads > 0) set_threads(m_, config_.threads);
    began_ = true;
    constrained_ = has_max_norm(m_);
    order_.resize(static_cast<size_t>(train_.count));
    prediction_.resize(static_cast<size_t>(std::min(config_.batch, train_.count) * width_));
    predictions_.assign(static_cast<size_t>(nl_), nullptr);
    if (classes_) predictions_[static_cast<size_t>(acc_)] = prediction_.data();
    batch_losses_.resize(static_cast<size_t>(nl_));
    update_ratios_.assign(static_cast<size_t>(num_trainable_), kNaN);
    grad_norms_.assign(static_cast<size_t>(num_trainable_), kNaN);
    if (policy_.rollback) rollback_point_.take(m_);
    on_device_ = m_.device && accumulate_ == 1 && m_.device->has_grad_sumsq() && m_.device->can_step();
}

int64_t Trainer::next_epoch() const { return m_.train_state.epochs_done + 1; }

void Trainer::begin_epoch(int64_t epoch) {
    TrainState& st = m_.train_state;
    epoch_ = epoch;
    // A resumed epoch keeps its clock running from where it stopped.
    start_ = Clock::now() - std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(st.seconds));
    std::iota(order_.begin(), order_.end(), int64_t{0});
    Rng rng(stream_seed(config_.seed, "shuffle/" + std::to_string(epoch)));
    for (int64_t i = train_.count - 1; i > 0; --i)
        std::swap(order_[i], order_[rng.below(static_cast<uint64_t>(i) + 1)]);
    epoch_lr_ = schedule_.epoch_lr(epoch - 1) * st.lr_scale;
    if (st.batches_done == 0) st.lr = epoch_lr_;
}

bool Trainer::batches_left() const { return m_.train_state.batches_done * config_.batch < train_.count; }

Flow Trainer::step() {
    TrainState& st = m_.train_state;
    const int64_t first = st.batches_done * config_.batch;
    const int64_t n = std::min(config_.batch, train_.count - first);
    const float loss = run_batch(n);
    if (const std::string why = loss_divergence(loss, st.loss_reference, policy_.explode_factor); !why.empty())
        return diverged(why, st.batches_done + 1);
    record_batch(loss, n);
    // The host path reads and changes the gradients; the device path leaves them on the GPU.
    float* grads = on_device_ ? nullptr : m_.grads.host_write();
    if (accumulate_ > 1 && !accumulate_grads(grads, n)) return report_progress();
    if (const Flow flow = update(grads); flow != Flow::Continue) return flow;
    return report_progress();
}

// Forward and backward over the batch at the epoch's position; returns its loss.
float Trainer::run_batch(int64_t n) {
    const int64_t first = m_.train_state.batches_done * config_.batch;
    batch_.gather(m_, train_, order_.data() + first, n);
    if (augment_.enabled()) {
        const nnc_tensor_desc& in = m_.desc->input;
        augment_images(batch_.input.data(), n, in.dims[0], in.dims[1], in.dims[2], augment_,
                       stream_seed(config_.seed, "augment/" + std::to_string(epoch_) + "/" + std::to_string(first)));
    }
    return run_gradients(m_, batch_.model_input(m_), batch_.target_ptrs.data(), n, batch_losses_.data(),
                         predictions_.data());
}

void Trainer::record_batch(float loss, int64_t n) {
    TrainState& st = m_.train_state;
    st.loss_sum += static_cast<double>(loss) * static_cast<double>(n);
    for (int k = 0; k < nl_; ++k)
        st.task_sums[static_cast<size_t>(k)] +=
            static_cast<double>(batch_losses_[static_cast<size_t>(k)]) * static_cast<double>(n);
    if (classes_) {
        const int t = m_.desc->losses[acc_].target;
        const Hits hits = count_correct(prediction_.data(), width_, batch_.classes[static_cast<size_t>(t)].data(), n,
                                        m_.desc->targets[t]);
        st.correct += hits.correct;
        st.counted += hits.counted;
    }
    st.samples_done += n;
    ++st.batches_done;
    if (st.epochs_done == 0) {
        // The explosion reference: the first epoch's running mean at its lowest so far (a blow-up
        // inside the first epoch drags the running mean up with it).
        const double running = st.loss_sum / static_cast<double>(st.samples_done);
        if (std::isfinite(running) && running > 0 && (st.loss_reference == 0 || running < st.loss_reference))
            st.loss_reference = running;
    }
}

// sum += n * grads; when the effective batch is complete, its gradient (sum / its samples) goes
// into `grads` and this returns true.
bool Trainer::accumulate_grads(float* grads, int64_t n) {
    TrainState& st = m_.train_state;
    Workers* workers = m_.workers.get();
    const float weight = static_cast<float>(n);
    float* sum = st.accumulated.data();
    for_chunks(workers, trainable_, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) sum[i] += weight * grads[i];
    });
    st.pending += n;
    const bool update = ++st.micro == accumulate_ || st.samples_done == train_.count;
    if (update) {
        std::copy_n(sum, trainable_, grads);
        std::fill_n(sum, trainable_, 0.0f);
        scale(grads, trainable_, static_cast<float>(1.0 / static_cast<double>(st.pending)), workers);
        st.pending = 0;
        st.micro = 0;
    }
    return update;
}

// The norms and the divergence check, then the update itself.
Flow Trainer::update(float* grads) {
    TrainState& st = m_.train_state;
    const double norm =
        on_device_ ? m_.device->grad_norms(tensor_sq_) : tensor_grad_norms(m_, grads, tensor_sq_, m_.workers.get());
    if (const std::string why = norm_divergence(norm); !why.empty()) return diverged(why, st.batches_done);
    st.norm_sum += norm;
    for (int p = 0; p < num_trainable_; ++p)
        st.param_norm_sums[static_cast<size_t>(p)] += std::sqrt(tensor_sq_[static_cast<size_t>(p)]);
    last_norm_ = norm;
    apply_update(grads, norm);
    ++st.updates;
    ++st.epoch_updates;
    return Flow::Continue;
}

// Clipping, the lr of this update, the optimizer step and the max-norm constraints; the update
// ratios at the epoch's last update.
void Trainer::apply_update(float* grads, double norm) {
    TrainState& st = m_.train_state;
    Workers* workers = m_.workers.get();
    const bool last_update = st.samples_done == train_.count;  // every epoch ends with an update
    const float grad_scale = config_.clip_norm > 0 ? clip_norm_factor(norm, config_.clip_norm) : 1.0f;
    if (!on_device_ && grad_scale < 1.0f) scale(grads, trainable_, grad_scale, workers);
    const float clip_value = config_.clip_value > 0 ? static_cast<float>(config_.clip_value) : kNoClip;
    if (!on_device_ && config_.clip_value > 0) clip_by_value(grads, trainable_, clip_value, workers);
    st.lr = epoch_lr_ * schedule_.warmup(epoch_ - 1, st.updates);
    m_.optimizer.set_lr(st.lr);
    if (last_update) ratio_.before(m_);
    if (on_device_) {
        m_.device->step(grad_scale, clip_value);
    } else {
        float* params = m_.params.host_write();
        m_.optimizer.host_write().step(params, grads);
    }
    if (constrained_) apply_max_norm(m_);
    if (last_update) ratio_.after(m_, update_ratios_);
}

// The epoch's clock into the state, then on_batch.
Flow Trainer::report_progress() {
    TrainState& st = m_.train_state;
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    st.seconds = elapsed;
    if (!config_.on_batch) return Flow::Continue;
    const double done = static_cast<double>(st.samples_done);
    nnc_progress progress{};
    progress.epoch = epoch_;
    progress.epochs = config_.epochs;
    progress.samples_done = st.samples_done;
    progress.samples_total = train_.count;
    progress.loss = st.loss_sum / done;
    progress.accuracy = classes_ ? accuracy(st) : kNaN;
    progress.samples_per_second = elapsed > 0 ? done / elapsed : 0.0;
    progress.elapsed_seconds = elapsed;
    progress.step = st.batches_done;
    progress.updates = st.updates;
    progress.lr = st.lr;
    progress.grad_norm = last_norm_;
    return config_.on_batch(config_.user, &progress) != 0 ? Flow::Stop : Flow::Continue;
}

// Divergence at batch `step` of this epoch: under the stop policy (or with no retries left) an
// error naming the lr; otherwise back to the rollback point with the lr cut (Redo), or Stop when
// the on_rollback callback asks for it.
Flow Trainer::diverged(const std::string& why, int64_t step) {
    TrainState& st = m_.train_state;
    const std::string where =
        " at epoch " + std::to_string(epoch_) + " step " + std::to_string(step) + " (lr=" + show(st.lr) + ")";
    if (!policy_.rollback) {
        throw Error(NNC_ERR_NUMERIC, why + where +
                                         "; lower the learning rate or set clip_norm (or on_divergence = rollback "
                                         "in the train section to retry with a lower lr)");
    }
    if (st.rollbacks >= policy_.retries) {
        throw Error(NNC_ERR_NUMERIC, why + where + " after " + std::to_string(st.rollbacks) +
                                         " rollback(s) that cut the lr by " + show(st.lr_scale) +
                                         " in all; lower the learning rate or set clip_norm");
    }
    nnc_rollback_info info{};
    info.epoch = epoch_;
    info.step = step;
    info.reason = why.c_str();
    info.lr = st.lr;
    info.new_lr = st.lr * policy_.factor;
    info.lr_scale = st.lr_scale * policy_.factor;
    info.rollbacks = st.rollbacks + 1;
    info.retries = policy_.retries;
    rollback_point_.restore(m_);  // st is m_.train_state: now as at the rollback point
    st.lr_scale = info.lr_scale;
    st.rollbacks = info.rollbacks;
    schedule_.set_state(st.schedule);
    if (config_.early_stopping.enabled) stopper_.set_state(st.early_stopping);
    last_norm_ = kNaN;
    if (config_.on_rollback && config_.on_rollback(config_.user, &info) != 0) return Flow::Stop;
    return Flow::Redo;
}

Flow Trainer::end_epoch() {
    const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();  // training only
    nnc_epoch_stats stats = epoch_stats(seconds);
    schedule_.observe(metric(config_.schedule.monitor, stats));
    const nnc_early_stopping& es = config_.early_stopping;
    if (es.enabled) {
        stats.stopping = stopper_.observe(epoch_, metric(es.monitor, stats), m_.params.host_read()) ? 1 : 0;
        stats.best_epoch = stopper_.best_epoch();
    }
    move_to_epoch_boundary();
    if (policy_.rollback) rollback_point_.take(m_);
    if (config_.on_epoch && config_.on_epoch(config_.user, &stats) != 0) return Flow::Stop;
    return stats.stopping ? Flow::Stop : Flow::Continue;
}

// The epoch's statistics, validation included (before the schedule and early stopping see them).
nnc_epoch_stats Trainer::epoch_stats(double seconds) {
    const TrainState& st = m_.train_state;
    const double done = static_cast<double>(st.samples_done);
    nnc_epoch_stats stats{};
    stats.epoch = epoch_;
    stats.epochs = config_.epochs;
    stats.train_loss = st.loss_sum / done;
    stats.train_accuracy = classes_ ? accuracy(st) : kNaN;
    stats.val_loss = kNaN;
    stats.val_accuracy = kNaN;
    stats.num_losses = nl_;
    for (int k = 0; k < NNC_MAX_LOSSES; ++k) {
        stats.train_task_loss[k] = k < nl_ ? st.task_sums[static_cast<size_t>(k)] / done : kNaN;
        stats.val_task_loss[k] = kNaN;
    }
    if (validation_)
        evaluate(m_, *validation_, config_.batch, &stats.val_loss, &stats.val_accuracy, stats.val_task_loss);
    stats.samples_per_second = seconds > 0 ? done / seconds : 0.0;
    stats.seconds = seconds;
    stats.lr = st.lr;
    stats.grad_norm = st.epoch_updates > 0 ? st.norm_sum / static_cast<double>(st.epoch_updates) : kNaN;
    for (int p = 0; p < num_trainable_; ++p)
        grad_norms_[static_cast<size_t>(p)] =
            st.epoch_updates > 0 ? st.param_norm_sums[static_cast<size_t>(p)] / static_cast<double>(st.epoch_updates)
                                 : kNaN;
    stats.num_params = num_trainable_;
    stats.param_grad_norm = grad_norms_.data();
    stats.param_update_ratio = update_ratios_.data();
    stats.rollbacks = st.rollbacks;
    return stats;
}

// The epoch is complete: the state moves to the boundary before on_epoch, where a checkpoint
// continues with the next epoch.
void Trainer::move_to_epoch_boundary() {
    TrainState& st = m_.train_state;
    const int64_t updates = st.updates;
    std::vector<float> accumulated = std::move(st.accumulated);
    TrainState next;
    next.valid = true;
    next.seed = st.seed;
    next.epochs_done = epoch_;
    next.updates = updates;
    next.schedule = schedule_.state();
    next.early_stopping = stopper_.state();
    next.task_sums.assign(static_cast<size_t>(nl_), 0.0);
    next.accumulated = std::move(accumulated);  // all zero: every epoch ends with an update
    next.lr_scale = st.lr_scale;
    next.rollbacks = st.rollbacks;
    next.loss_reference = st.loss_reference;
    next.param_norm_sums.assign(static_cast<size_t>(num_trainable_), 0.0);
    st = std::move(next);
}

nnc_status Trainer::finish() {
    // The best weights replace the whole arena.
    if (config_.early_stopping.enabled && stopper_.best_epoch() > 0) stopper_.restore(m_.params.host_write());
    return NNC_OK;
}

// The Trainer's use of the monitor vocabulary (runtime/lr_schedule.h).
void Trainer::check_monitor_of(int monitor, const char* who, bool have_validation, bool classes) {
    check_monitor(monitor, who, have_validation, classes);
}

double Trainer::metric(int monitor, const nnc_epoch_stats& stats) { return metric_of(monitor, stats); }

}  // namespace nnc::runtime
