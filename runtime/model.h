// nnc_model: one model instance. Parameters live contiguously in one aligned arena, gradients in
// a second of the same layout, so the optimizer updates everything in one loop (llm.c style).
//
//   param p occupies arena[offset[p], offset[p] + count[p]); offsets are multiples of
//   kArenaAlignFloats; the padding between params is zero in both arenas and stays zero.
#pragma once
#include <nnc/model_desc.h>
#include <nnc/nnc.h>

#include "runtime/device.h"
#include "runtime/errors.h"
#include "runtime/mirrored.h"
#include "runtime/optimizers/optimizer.h"
#include "runtime/stage_plan.h"
#include "runtime/standardize.h"
#include "runtime/train_state.h"
#include "runtime/workers.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct nnc_model {
    const nnc_model_desc* desc = nullptr;
    std::vector<int64_t> offset, count;  // per parameter, in floats
    int64_t arena_size = 0;              // floats, padding included
    // The trainable parameters occupy [0, trainable_size); the states (batch-norm running
    // statistics) the rest. The optimizer, norms and clipping see only the trainable prefix; a
    // training step writes the states' new values into the grads arena at their offsets and
    // they are copied into params when its loss is finite.
    int64_t trainable_size = 0;
    nnc::runtime::Arena params, grads;  // host and device copies kept coherent by their accessors (mirrored.h)
    uint64_t step_counter = 0;          // advances per training pipeline call: the dropout seed
    // train_step's dropout_rates argument: rate k of descriptor dropout k (the declared rate until
    // nnc_model_set_dropout_rate), plus one unused 0 when the model has no dropout.
    std::vector<float> dropout_rates;

    nnc::runtime::OptimizerConfig optimizer_config;
    nnc::runtime::MirroredOptimizer optimizer;
    std::unique_ptr<nnc::runtime::Workers> workers;  // for the arena-wide loops (update, norms)

    int64_t input_size = 0, output_size = 0, prediction_size = 0, target_size = 0;  // of the first loss/target
    std::vector<int64_t> loss_output_size;    // per loss: per-sample elements of its output/prediction
    std::vector<int64_t> target_sizes;        // per target: 1 for classes
    std::vector<std::vector<float>> scratch;  // per loss: outputs/predictions the caller did not ask for
    // CUDA models only (descriptor device): the arenas and the optimizer's state mirrored on the
    // GPU. Declared after them, so it is destroyed (and detached from them) first.
    std::unique_ptr<nnc::runtime::DeviceState> device;
    // Staged pipelines' buffers between stages (descriptor *_plan), kept across calls.
    nnc::runtime::StageBuffers forward_stage_buffers, evaluate_stage_buffers, train_stage_buffers;

    // Where nnc_train stands (updated as it runs, saved in checkpoints, read by resume).
    nnc::runtime::TrainState train_state;
    // Statistics applied to every batch by nnc_train/evaluate/predict; `targets` per model target.
    nnc::runtime::DatasetStandardization standardization;
};

namespace nnc::runtime {

// Validate their arguments (throwing Error) and run one pipeline. `input` is (batch, input_size)
// float or int32 (the model's input dtype). `outputs[l]` is (batch, output size of loss l); null
// entries (or a null array) are not returned. targets[t] is (batch) int32 classes in
// [0, num_classes) or (batch, target size) floats. `task_losses` (may be null) gets each loss.
void run_forward(nnc_model& model, const void* input, int64_t batch, float* const* outputs);
// Inference mode with the losses (validation); returns the total loss.
float run_evaluate(nnc_model& model, const void* input, const void* const* targets, int64_t batch, float* task_losses,
                   float* const* outputs);
// Training mode: loss and gradients (into model.grads) without an update; the states are updated
// when the loss is finite. `predictions[l]` as outputs above. Returns the total mean batch loss.
float run_gradients(nnc_model& model, const void* input, const void* const* targets, int64_t batch, float* task_losses,
                    float* const* predictions);
// Gradients, then the optimizer update and the max-norm constraints unless the loss is not finite
// (then Error NNC_ERR_NUMERIC and the parameters are left as they were). Returns the loss.
float run_train_step(nnc_model& model, const void* input, const void* const* targets, int64_t batch, float* task_losses,
                     float* const* predictions);

// Replaces the optimizer (fresh state) and runs it on the model's workers.
void install_optimizer(nnc_model& model, OptimizerConfig config);
// Threads for the arena-wide loops; 0: default_thread_count().
void set_threads(nnc_model& model, int threads);

// "model is NULL" style checks shared by every ABI entry point.
nnc_model& require_model(nnc_model* model, const char* function);
const nnc_model& require_model(const nnc_model* model, const char* function);

// The ABI entry points that write a model to a file or read it from one (checkpoint, npz):
// checks the model and the path, then runs `action(model, path)` under guarded().
template <class Model, class Action>
nnc_status guarded_model_file(const char* function, Model* model, const char* path, Action&& action) noexcept {
    return guarded(function, [&] {
        auto& m = require_model(model, function);
        require(path != nullptr && *path != '\0', std::string(function) + ": path is NULL or empty");
        action(m, std::string(path));
        return NNC_OK;
    });
}

}  // namespace nnc::runtime
