// The training loop (nnc_train) and evaluation (nnc_evaluate).
//
// Each epoch visits the training set in a fresh order: a Fisher–Yates shuffle driven by
// Rng(stream_seed(config->seed, "shuffle/<epoch>")), so a seed reproduces a run exactly. Batches
// hold config->batch samples; the last one holds the remainder. The loss reported is the mean over
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
// as its clamp. What has no device kernel runs on the host after a sync, correct but slower:
// gradient accumulation over several batches, an optimizer without a kernel (the max-norm
// constraints sync on their own, after the device update).
//
// Every counter lives in the model's TrainState (train_state.h), current after each batch; with
// config->resume the loop starts from it: the epoch's shuffle is recomputed from (seed, epoch) and
// the batches already done are skipped, so a resumed run repeats the uninterrupted one exactly.
#include "runtime/augment.h"
#include "runtime/dataset.h"
#include "runtime/divergence.h"
#include "runtime/errors.h"
#include "runtime/initializers.h"
#include "runtime/lr_schedule.h"
#include "runtime/model.h"
#include "runtime/param_stats.h"
#include "runtime/safeguards.h"
#include "runtime/standardize.h"
#include "runtime/train_state.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

namespace nnc::runtime {
namespace {

using Clock = std::chrono::steady_clock;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string show(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", x);
    return buf;
}

// Throws unless `data` can feed `model` (sizes, target kinds, class ranges).
void check_compatible(const nnc_model& model, const nnc_dataset& data, const char* what) {
    const std::string prefix = std::string(what) + " ";
    const std::string name = model.desc->model_name;
    require(data.sample_size == model.input_size, prefix + "samples have " + std::to_string(data.sample_size) +
                                                      " values but model '" + name + "' takes inputs of " +
                                                      std::to_string(model.input_size));
    require(static_cast<int>(data.targets.size()) == model.desc->num_targets,
            prefix + "has " + std::to_string(data.targets.size()) + " target(s) per sample but model '" + name +
                "' has " + std::to_string(model.desc->num_targets) +
                "; add one per model target (nnc_dataset_add_target)");
    for (int t = 0; t < model.desc->num_targets; ++t) {
        const DatasetTarget& have = data.targets[static_cast<size_t>(t)];
        const nnc_target_desc& want = model.desc->targets[t];
        const std::string which = "target '" + std::string(want.tensor.name) + "'";
        require(static_cast<int>(have.kind) == want.kind,
                prefix + "has " + (have.kind == NNC_TARGET_CLASSES ? "class" : "real") + " values for " + which +
                    " of model '" + name + "', which expects " + (want.kind == NNC_TARGET_CLASSES ? "class" : "real") +
                    " targets");
        if (have.kind == NNC_TARGET_CLASSES) {
            require(have.max_class < want.num_classes, prefix + "has labels up to " + std::to_string(have.max_class) +
                                                           " for " + which + " but model '" + name + "' has " +
                                                           std::to_string(want.num_classes) + " classes");
        } else {
            require(have.size == model.target_sizes[static_cast<size_t>(t)],
                    prefix + "has " + std::to_string(have.size) + " values per sample for " + which + " but model '" +
                        name + "' predicts " + std::to_string(model.target_sizes[static_cast<size_t>(t)]));
        }
    }
}

int64_t argmax(const float* row, int64_t n) {
    int64_t best = 0;
    for (int64_t j = 1; j < n; ++j) {
        if (row[j] > row[best]) best = j;
    }
    return best;
}

// Correct predictions among `batch` rows of `width` scores against class targets.
int64_t count_correct(const float* scores, int64_t width, const int32_t* classes, int64_t batch) {
    int64_t correct = 0;
    for (int64_t i = 0; i < batch; ++i) correct += argmax(scores + i * width, width) == classes[i];
    return correct;
}

// The loss whose output accuracy is measured: the first softmax cross-entropy (class targets);
// -1 when the model has none.
int accuracy_loss(const nnc_model& model) {
    for (int l = 0; l < model.desc->num_losses; ++l)
        if (model.desc->losses[l].kind == NNC_LOSS_SOFTMAX_CROSS_ENTROPY) return l;
    return -1;
}

// Gathers samples `order[0..n)` into contiguous input and target buffers, standardized with the
// model's statistics (datasets stay in the user's units); token-id inputs are converted to int32
// here (datasets store every sample as floats).
struct Batch {
    std::vector<float> input;
    std::vector<int32_t> tokens;
    std::vector<std::vector<float>> values;
    std::vector<std::vector<int32_t>> classes;
    std::vector<const void*> target_ptrs;

    void gather(const nnc_model& model, const nnc_dataset& data, const int64_t* order, int64_t n) {
        input.resize(static_cast<size_t>(n * data.sample_size));
        for (int64_t i = 0; i < n; ++i) {
            std::copy_n(data.sample(order[i]), data.sample_size, input.data() + i * data.sample_size);
        }
        const DatasetStandardization& z = model.standardization;
        if (!z.inputs.empty()) standardize(z.inputs, input.data(), n);
        if (model.desc->input_dtype == NNC_DTYPE_INT32) {
            tokens.resize(input.size());
            for (size_t i = 0; i < input.size(); ++i) tokens[i] = static_cast<int32_t>(std::lround(input[i]));
        }
        const size_t nt = data.targets.size();
        values.resize(nt);
        classes.resize(nt);
        target_ptrs.resize(nt);
        for (size_t t = 0; t < nt; ++t) {
            const DatasetTarget& from = data.targets[t];
            if (from.kind == NNC_TARGET_CLASSES) {
                classes[t].resize(static_cast<size_t>(n));
                for (int64_t i = 0; i < n; ++i)
                    classes[t][static_cast<size_t>(i)] = from.classes[static_cast<size_t>(order[i])];
                target_ptrs[t] = classes[t].data();
            } else {
                values[t].resize(static_cast<size_t>(n * from.size));
                for (int64_t i = 0; i < n; ++i) {
                    std::copy_n(from.values.data() + order[i] * from.size, from.size, values[t].data() + i * from.size);
                }
                if (t < z.targets.size() && !z.targets[t].empty()) standardize(z.targets[t], values[t].data(), n);
                target_ptrs[t] = values[t].data();
            }
        }
    }
    const void* model_input(const nnc_model& model) const {
        return model.desc->input_dtype == NNC_DTYPE_INT32 ? static_cast<const void*>(tokens.data()) : input.data();
    }
};

// Mean total loss, accuracy (NaN without a softmax cross-entropy loss) and per-loss means, in
// inference mode (the evaluate pipeline: running statistics, no dropout).
void evaluate(nnc_model& model, const nnc_dataset& data, int64_t batch, double* loss, double* accuracy,
              double* task_losses) {
    check_compatible(model, data, "the evaluation dataset");
    const int acc = accuracy_loss(model);
    const int nl = model.desc->num_losses;
    std::vector<float> output(static_cast<size_t>(std::min(batch, data.count) *
                                                  (acc >= 0 ? model.loss_output_size[static_cast<size_t>(acc)] : 1)));
    std::vector<float*> outputs(static_cast<size_t>(nl), nullptr);
    if (acc >= 0) outputs[static_cast<size_t>(acc)] = output.data();
    std::vector<float> batch_losses(static_cast<size_t>(nl));
    std::vector<double> sums(static_cast<size_t>(nl), 0.0);
    std::vector<int64_t> order(static_cast<size_t>(std::min(batch, data.count)));
    Batch b;
    double total = 0.0;
    int64_t correct = 0;
    for (int64_t first = 0; first < data.count; first += batch) {
        const int64_t n = std::min(batch, data.count - first);
        std::iota(order.begin(), order.begin() + n, first);
        b.gather(model, data, order.data(), n);
        const float l =
            run_evaluate(model, b.model_input(model), b.target_ptrs.data(), n, batch_losses.data(), outputs.data());
        total += static_cast<double>(l) * static_cast<double>(n);
        for (int k = 0; k < nl; ++k)
            sums[static_cast<size_t>(k)] +=
                static_cast<double>(batch_losses[static_cast<size_t>(k)]) * static_cast<double>(n);
        if (acc >= 0) {
            const int t = model.desc->losses[acc].target;
            correct += count_correct(output.data(), model.loss_output_size[static_cast<size_t>(acc)],
                                     b.classes[static_cast<size_t>(t)].data(), n);
        }
    }
    const double count = static_cast<double>(data.count);
    *loss = total / count;
    *accuracy = acc >= 0 ? static_cast<double>(correct) / count : kNaN;
    if (task_losses)
        for (int k = 0; k < nl; ++k) task_losses[k] = sums[static_cast<size_t>(k)] / count;
}

// Puts the base lr back when nnc_train returns or throws: schedules change the optimizer's lr.
struct RestoreLr {
    nnc_model& model;
    ~RestoreLr() { model.optimizer->set_lr(model.optimizer_config.lr); }
};

}  // namespace
}  // namespace nnc::runtime

using namespace nnc::runtime;

extern "C" {

nnc_status nnc_evaluate_tasks(nnc_model* model, const nnc_dataset* data, int64_t batch, double* loss, double* accuracy,
                              double* task_losses) {
    return guarded("nnc_evaluate", [&] {
        nnc_model& m = require_model(model, "nnc_evaluate");
        require(data != nullptr, "nnc_evaluate: data is NULL");
        require(batch > 0, "nnc_evaluate: batch must be > 0, got " + std::to_string(batch));
        double l = 0, a = 0;
        evaluate(m, *data, batch, &l, &a, task_losses);
        if (loss) *loss = l;
        if (accuracy) *accuracy = a;
        return NNC_OK;
    });
}

nnc_status nnc_evaluate(nnc_model* model, const nnc_dataset* data, int64_t batch, double* loss, double* accuracy) {
    return nnc_evaluate_tasks(model, data, batch, loss, accuracy, nullptr);
}

nnc_status nnc_train(nnc_model* model, const nnc_dataset* train, const nnc_dataset* validation,
                     const nnc_train_config* config) {
    return guarded("nnc_train", [&]() -> nnc_status {
        nnc_model& m = require_model(model, "nnc_train");
        require(train != nullptr, "nnc_train: train is NULL");
        require(config != nullptr, "nnc_train: config is NULL; start from nnc_model_default_train_config");
        require(config->epochs > 0, "nnc_train: epochs must be > 0, got " + std::to_string(config->epochs));
        require(config->batch > 0, "nnc_train: batch must be > 0, got " + std::to_string(config->batch));
        require(config->accumulate >= 0,
                "nnc_train: accumulate must be >= 0, got " + std::to_string(config->accumulate));
        require(std::isfinite(config->clip_norm) && config->clip_norm >= 0,
                "nnc_train: clip_norm must be finite and >= 0 (0: off), got " + std::to_string(config->clip_norm));
        require(std::isfinite(config->clip_value) && config->clip_value >= 0,
                "nnc_train: clip_value must be finite and >= 0 (0: off), got " + std::to_string(config->clip_value));
        require(config->threads >= 0 && config->threads <= 256,
                "nnc_train: threads must be in [0, 256] (0: the model's), got " + std::to_string(config->threads));
        check_compatible(m, *train, "the training set");
        require(config->augment_crop_pad >= 0,
                "nnc_train: augment_crop_pad must be >= 0, got " + std::to_string(config->augment_crop_pad));
        AugmentConfig augment;
        augment.crop_pad = config->augment_crop_pad;
        augment.flip = config->augment_flip != 0;
        require(!augment.enabled() || (m.desc->input.rank == 3 && m.desc->input_dtype == NNC_DTYPE_FLOAT32),
                "nnc_train: augmentation needs image inputs [C, H, W], but model '" + std::string(m.desc->model_name) +
                    "' takes an input of rank " + std::to_string(m.desc->input.rank) + "; turn augmentation off");
        if (validation) check_compatible(m, *validation, "the validation set");
        const DivergencePolicy policy = divergence_policy(*config);

        const int acc = accuracy_loss(m);
        const bool classes = acc >= 0;
        const int nl = m.desc->num_losses;
        LrSchedule schedule(config->schedule, m.optimizer_config.lr);
        if (schedule.needs_metric())
            check_monitor(config->schedule.monitor, "the reduce_on_plateau schedule", validation, classes);
        const nnc_early_stopping& es = config->early_stopping;
        EarlyStopping stopper(es, m.arena_size);
        if (es.enabled) check_monitor(es.monitor, "early stopping", validation, classes);
        const int64_t accumulate = std::max<int64_t>(config->accumulate, 1);
        const int64_t trainable = m.trainable_size;  // states (after it) are not gradients

        // The loop's counters are the model's TrainState, kept current after every batch, so that
        // a checkpoint saved from a callback continues exactly (resume).
        TrainState& st = m.train_state;
        if (config->resume) {
            require(st.not_resumable.empty(), "nnc_train: cannot resume: " + st.not_resumable);
            require(st.valid,
                    "nnc_train: resume is set but the model holds no run to continue; load a checkpoint saved "
                    "during training (nnc train --out DIR writes DIR/last.ckpt), or train without resume");
            require(st.seed == config->seed, "nnc_train: the run being resumed shuffled with seed " +
                                                 std::to_string(st.seed) + " but config.seed is " +
                                                 std::to_string(config->seed) + "; resume with the run's seed");
            require(st.epochs_done < config->epochs,
                    "nnc_train: the run being resumed has completed " + std::to_string(st.epochs_done) + " of " +
                        std::to_string(config->epochs) + " epochs; raise epochs to train it further");
            require(st.micro == 0 || accumulate > 1,
                    "nnc_train: the run being resumed stopped inside a gradient accumulation; resume it with the same "
                    "accumulate");
            require(st.task_sums.empty() || static_cast<int>(st.task_sums.size()) == nl,
                    "nnc_train: the run being resumed has " + std::to_string(st.task_sums.size()) +
                        " losses, the model " + std::to_string(nl));
            require(st.samples_done == std::min(st.batches_done * config->batch, train->count),
                    "nnc_train: the run being resumed stopped after " + std::to_string(st.samples_done) +
                        " samples of an epoch but the training set has " + std::to_string(train->count) +
                        "; resume with the same data and batch size");
            schedule.set_state(st.schedule);
            if (es.enabled) stopper.set_state(st.early_stopping);
        } else {
            st = TrainState{};
            st.valid = true;
            st.seed = config->seed;
            st.schedule = schedule.state();
            st.early_stopping = stopper.state();
        }
        if (st.task_sums.empty()) st.task_sums.assign(static_cast<size_t>(nl), 0.0);
        if (accumulate > 1 && st.micro == 0) st.accumulated.assign(static_cast<size_t>(trainable), 0.0f);
        const int num_trainable = m.desc->num_trainable;
        if (static_cast<int>(st.param_norm_sums.size()) != num_trainable)
            st.param_norm_sums.assign(static_cast<size_t>(num_trainable), 0.0);
        if (config->threads > 0) set_threads(m, config->threads);
        RestoreLr restore_lr{m};
        Workers* workers = m.workers.get();
        const bool constrained = has_max_norm(m);
        float* const grads = m.grads.get();

        const int64_t width = classes ? m.loss_output_size[static_cast<size_t>(acc)] : 1;
        std::vector<int64_t> order(static_cast<size_t>(train->count));
        std::vector<float> prediction(static_cast<size_t>(std::min(config->batch, train->count) * width));
        std::vector<float*> predictions(static_cast<size_t>(nl), nullptr);
        if (classes) predictions[static_cast<size_t>(acc)] = prediction.data();
        std::vector<float> batch_losses(static_cast<size_t>(nl));
        Batch batch;
        double last_norm = kNaN;
        std::vector<double> tensor_sq;  // per trainable tensor, this update
        std::vector<double> update_ratios(static_cast<size_t>(num_trainable), kNaN);  // at the epoch's last update
        std::vector<double> grad_norms(static_cast<size_t>(num_trainable), kNaN);     // for on_epoch
        UpdateRatio ratio;
        RollbackPoint rollback_point;
        if (policy.rollback) rollback_point.take(m);

        // Keeps the best weights (early stopping) on every way out that is not an error.
        auto finish = [&] {
            if (es.enabled) {
                sync_params_to_host(m);  // restore may write only part of the arena
                if (stopper.restore(m.params.get())) host_wrote_params(m);
            }
            return NNC_OK;
        };
        // The per-update fast path of a CUDA model (see the top of this file).
        const bool on_device =
            m.device && accumulate == 1 && m.device->has_grad_sumsq() && m.device->can_step(*m.optimizer);

        // Divergence at batch `step` of `epoch`: under the stop policy (or with no retries left)
        // an error naming the lr; otherwise back to the rollback point with the lr cut. Returns
        // nonzero when the on_rollback callback asks to stop.
        auto diverged = [&](const std::string& why, int64_t epoch, int64_t step) -> int {
            const std::string where =
                " at epoch " + std::to_string(epoch) + " step " + std::to_string(step) + " (lr=" + show(st.lr) + ")";
            if (!policy.rollback) {
                throw Error(NNC_ERR_NUMERIC,
                            why + where +
                                "; lower the learning rate or set clip_norm (or on_divergence = rollback "
                                "in the train section to retry with a lower lr)");
            }
            if (st.rollbacks >= policy.retries) {
                throw Error(NNC_ERR_NUMERIC, why + where + " after " + std::to_string(st.rollbacks) +
                                                 " rollback(s) that cut the lr by " + show(st.lr_scale) +
                                                 " in all; lower the learning rate or set clip_norm");
            }
            nnc_rollback_info info{};
            info.epoch = epoch;
            info.step = step;
            info.reason = why.c_str();
            info.lr = st.lr;
            info.new_lr = st.lr * policy.factor;
            info.lr_scale = st.lr_scale * policy.factor;
            info.rollbacks = st.rollbacks + 1;
            info.retries = policy.retries;
            rollback_point.restore(m);  // st is m.train_state: now as at the rollback point
            st.lr_scale = info.lr_scale;
            st.rollbacks = info.rollbacks;
            schedule.set_state(st.schedule);
            if (es.enabled) stopper.set_state(st.early_stopping);
            last_norm = kNaN;
            return config->on_rollback ? config->on_rollback(config->user, &info) : 0;
        };

        for (int64_t epoch = st.epochs_done + 1; epoch <= config->epochs; ++epoch) {
            // A resumed epoch keeps its clock running from where it stopped.
            const Clock::time_point start =
                Clock::now() - std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(st.seconds));
            std::iota(order.begin(), order.end(), int64_t{0});
            Rng rng(stream_seed(config->seed, "shuffle/" + std::to_string(epoch)));
            for (int64_t i = train->count - 1; i > 0; --i) {
                std::swap(order[i], order[rng.below(static_cast<uint64_t>(i) + 1)]);
            }
            const double epoch_lr = schedule.epoch_lr(epoch - 1) * st.lr_scale;
            if (st.batches_done == 0) st.lr = epoch_lr;
            bool redo = false;
            for (int64_t first = st.batches_done * config->batch; first < train->count; first += config->batch) {
                const int64_t n = std::min(config->batch, train->count - first);
                batch.gather(m, *train, order.data() + first, n);
                if (augment.enabled()) {
                    const nnc_tensor_desc& in = m.desc->input;
                    augment_images(
                        batch.input.data(), n, in.dims[0], in.dims[1], in.dims[2], augment,
                        stream_seed(config->seed, "augment/" + std::to_string(epoch) + "/" + std::to_string(first)));
                }
                const float loss = run_gradients(m, batch.model_input(m), batch.target_ptrs.data(), n,
                                                 batch_losses.data(), predictions.data());
                {
                    const std::string why = loss_divergence(loss, st.loss_reference, policy.explode_factor);
                    if (!why.empty()) {
                        if (diverged(why, epoch, st.batches_done + 1) != 0) return finish();
                        redo = true;
                        break;
                    }
                }
                st.loss_sum += static_cast<double>(loss) * static_cast<double>(n);
                for (int k = 0; k < nl; ++k)
                    st.task_sums[static_cast<size_t>(k)] +=
                        static_cast<double>(batch_losses[static_cast<size_t>(k)]) * static_cast<double>(n);
                if (classes) {
                    const int t = m.desc->losses[acc].target;
                    st.correct +=
                        count_correct(prediction.data(), width, batch.classes[static_cast<size_t>(t)].data(), n);
                }
                st.samples_done += n;
                ++st.batches_done;
                if (st.epochs_done == 0) {
                    // The explosion reference: the first epoch's running mean at its lowest so far
                    // (a blow-up inside the first epoch drags the running mean up with it).
                    const double running = st.loss_sum / static_cast<double>(st.samples_done);
                    if (std::isfinite(running) && running > 0 &&
                        (st.loss_reference == 0 || running < st.loss_reference))
                        st.loss_reference = running;
                }

                bool update = true;
                if (!on_device) sync_grads_to_host(m);  // the host path reads and changes them
                if (accumulate > 1) {
                    // sum += n * grads; the effective batch's gradient is sum / (its samples).
                    const float weight = static_cast<float>(n);
                    float* sum = st.accumulated.data();
                    for_chunks(workers, trainable, [&](int64_t b, int64_t e) {
                        for (int64_t i = b; i < e; ++i) sum[i] += weight * grads[i];
                    });
                    st.pending += n;
                    update = ++st.micro == accumulate || st.samples_done == train->count;
                    if (update) {
                        std::copy_n(sum, trainable, grads);
                        std::fill_n(sum, trainable, 0.0f);
                        scale(grads, trainable, static_cast<float>(1.0 / static_cast<double>(st.pending)), workers);
                        st.pending = 0;
                        st.micro = 0;
                    }
                }
                if (update) {
                    const double norm =
                        on_device ? m.device->grad_norms(tensor_sq) : tensor_grad_norms(m, grads, tensor_sq, workers);
                    if (const std::string why = norm_divergence(norm); !why.empty()) {
                        if (diverged(why, epoch, st.batches_done) != 0) return finish();
                        redo = true;
                        break;
                    }
                    st.norm_sum += norm;
                    for (int p = 0; p < num_trainable; ++p)
                        st.param_norm_sums[static_cast<size_t>(p)] += std::sqrt(tensor_sq[static_cast<size_t>(p)]);
                    last_norm = norm;
                    const bool last_update = st.samples_done == train->count;  // every epoch ends with an update
                    const float grad_scale = config->clip_norm > 0 ? clip_norm_factor(norm, config->clip_norm) : 1.0f;
                    if (!on_device && grad_scale < 1.0f) scale(grads, trainable, grad_scale, workers);
                    const float clip_value = config->clip_value > 0 ? static_cast<float>(config->clip_value) : kNoClip;
                    if (!on_device && config->clip_value > 0) clip_by_value(grads, trainable, clip_value, workers);
                    st.lr = epoch_lr * schedule.warmup(epoch - 1, st.updates);
                    m.optimizer->set_lr(st.lr);
                    if (last_update) ratio.before(m);
                    if (on_device) {
                        m.device->step(*m.optimizer, grad_scale, clip_value);
                    } else {
                        host_wrote_grads(m);
                        sync_params_to_host(m);
                        sync_optimizer_to_host(m);
                        m.optimizer->step(m.params.get(), grads);
                        host_wrote_params(m);
                        host_wrote_optimizer(m);
                    }
                    if (constrained) apply_max_norm(m);
                    if (last_update) ratio.after(m, update_ratios);
                    ++st.updates;
                    ++st.epoch_updates;
                }
                const double elapsed = seconds_since(start);
                st.seconds = elapsed;
                if (config->on_batch) {
                    const double done = static_cast<double>(st.samples_done);
                    nnc_progress progress{};
                    progress.epoch = epoch;
                    progress.epochs = config->epochs;
                    progress.samples_done = st.samples_done;
                    progress.samples_total = train->count;
                    progress.loss = st.loss_sum / done;
                    progress.accuracy = classes ? static_cast<double>(st.correct) / done : kNaN;
                    progress.samples_per_second = elapsed > 0 ? done / elapsed : 0.0;
                    progress.elapsed_seconds = elapsed;
                    progress.step = st.batches_done;
                    progress.updates = st.updates;
                    progress.lr = st.lr;
                    progress.grad_norm = last_norm;
                    if (config->on_batch(config->user, &progress) != 0) return finish();
                }
            }

            if (redo) {
                epoch = st.epochs_done;  // the rollback point's epoch comes next
                continue;
            }
            const double seconds = seconds_since(start);  // training only, before validation
            const double done = static_cast<double>(st.samples_done);
            nnc_epoch_stats stats{};
            stats.epoch = epoch;
            stats.epochs = config->epochs;
            stats.train_loss = st.loss_sum / done;
            stats.train_accuracy = classes ? static_cast<double>(st.correct) / done : kNaN;
            stats.val_loss = kNaN;
            stats.val_accuracy = kNaN;
            stats.num_losses = nl;
            for (int k = 0; k < NNC_MAX_LOSSES; ++k) {
                stats.train_task_loss[k] = k < nl ? st.task_sums[static_cast<size_t>(k)] / done : kNaN;
                stats.val_task_loss[k] = kNaN;
            }
            if (validation)
                evaluate(m, *validation, config->batch, &stats.val_loss, &stats.val_accuracy, stats.val_task_loss);
            stats.samples_per_second = seconds > 0 ? done / seconds : 0.0;
            stats.seconds = seconds;
            stats.lr = st.lr;
            stats.grad_norm = st.epoch_updates > 0 ? st.norm_sum / static_cast<double>(st.epoch_updates) : kNaN;
            for (int p = 0; p < num_trainable; ++p)
                grad_norms[static_cast<size_t>(p)] = st.epoch_updates > 0 ? st.param_norm_sums[static_cast<size_t>(p)] /
                                                                                static_cast<double>(st.epoch_updates)
                                                                          : kNaN;
            stats.num_params = num_trainable;
            stats.param_grad_norm = grad_norms.data();
            stats.param_update_ratio = update_ratios.data();
            stats.rollbacks = st.rollbacks;
            schedule.observe(metric_of(config->schedule.monitor, stats));
            if (es.enabled) {
                sync_params_to_host(m);
                stats.stopping = stopper.observe(epoch, metric_of(es.monitor, stats), m.params.get()) ? 1 : 0;
                stats.best_epoch = stopper.best_epoch();
            }
            // The epoch is complete: the state moves to the boundary before on_epoch, where a
            // checkpoint continues with the next epoch.
            const int64_t updates = st.updates;
            std::vector<float> accumulated = std::move(st.accumulated);
            TrainState next;
            next.valid = true;
            next.seed = st.seed;
            next.epochs_done = epoch;
            next.updates = updates;
            next.schedule = schedule.state();
            next.early_stopping = stopper.state();
            next.task_sums.assign(static_cast<size_t>(nl), 0.0);
            next.accumulated = std::move(accumulated);  // all zero: every epoch ends with an update
            next.lr_scale = st.lr_scale;
            next.rollbacks = st.rollbacks;
            next.loss_reference = st.loss_reference;
            next.param_norm_sums.assign(static_cast<size_t>(num_trainable), 0.0);
            st = std::move(next);
            if (policy.rollback) rollback_point.take(m);
            if (config->on_epoch && config->on_epoch(config->user, &stats) != 0) return finish();
            if (stats.stopping) return finish();
        }
        return finish();
    });
}

}  // extern "C"
