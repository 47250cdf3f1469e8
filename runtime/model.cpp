// nnc_model: creation from the generated descriptor, parameter access, and the three pipeline
// calls (forward, compute_gradients, train_step) behind the C ABI.
#include "runtime/model.h"

#include "runtime/class_labels.h"
#include "runtime/device.h"
#include "runtime/errors.h"
#include "runtime/halide_hooks.h"
#include "runtime/initializers.h"
#include "runtime/safeguards.h"
#include "runtime/tensor_buffer.h"

#include <nnc/train_vocabulary.h>

#include <cmath>
#include <cstring>
#include <deque>
#include <span>
#include <string>

using nnc::runtime::Error;
using nnc::runtime::fail;
using nnc::runtime::guarded;
using nnc::runtime::require;
using nnc::runtime::require_model;

namespace nnc::runtime {
namespace {

constexpr const char* kRebuild = "; rebuild the model with this version of nnc";

int64_t element_count(const nnc_tensor_desc& t) {
    int64_t n = 1;
    for (int i = 0; i < t.rank; ++i) n *= t.dims[i];
    return n;
}

void check_tensor_desc(const nnc_tensor_desc& t, const char* what) {
    const std::string where = std::string("internal error: model descriptor: ") + what;
    if (t.rank < 0 || t.rank > NNC_MAX_RANK)
        throw Error(NNC_ERR_RUNTIME, where + " has rank " + std::to_string(t.rank) + kRebuild);
    for (int i = 0; i < t.rank; ++i) {
        if (t.dims[i] <= 0) throw Error(NNC_ERR_RUNTIME, where + " has a non-positive dimension" + kRebuild);
    }
}

// The descriptor comes from generated code; a bad one is an internal error, reported, not trusted.
void check_descriptor(const nnc_model_desc* d) {
    if (!d)
        throw Error(NNC_ERR_RUNTIME, std::string("internal error: nnc_model_descriptor() returned NULL") + kRebuild);
    if (d->abi_version != NNC_ABI_VERSION) {
        throw Error(NNC_ERR_RUNTIME, "the model was generated for nnc ABI " + std::to_string(d->abi_version) +
                                         " but this runtime implements ABI " + std::to_string(NNC_ABI_VERSION) +
                                         kRebuild);
    }
    const std::string bad = "internal error: model descriptor: ";
    for (const nnc_stage_plan* plan : {&d->forward_plan, &d->evaluate_plan, &d->train_plan}) {
        bool ok =
            plan->num_stages >= 0 &&
            (plan->num_stages == 0 || (plan->stages && plan->num_slots >= 0 && (plan->num_slots == 0 || plan->slots)));
        for (int k = 0; ok && k < plan->num_stages; ++k)
            ok = plan->stages[k].run && plan->stages[k].num_args >= 0 && plan->stages[k].args;
        if (!ok) throw Error(NNC_ERR_RUNTIME, bad + "malformed pipeline stages" + kRebuild);
    }
    if (!d->model_name || (!d->forward && d->forward_plan.num_stages == 0) ||
        (!d->evaluate && d->evaluate_plan.num_stages == 0) || (!d->train_step && d->train_plan.num_stages == 0) ||
        d->num_params < 0 || (d->num_params > 0 && !d->params) || d->num_trainable < 0 ||
        d->num_trainable > d->num_params) {
        throw Error(NNC_ERR_RUNTIME, bad + "missing name, pipelines or parameters" + kRebuild);
    }
    for (int p = 0; p < d->num_params; ++p) {
        const nnc_param_desc& param = d->params[p];
        const std::string name = param.name ? param.name : "#" + std::to_string(p);
        if (!param.name || param.rank < 0 || param.rank > NNC_MAX_RANK) {
            throw Error(NNC_ERR_RUNTIME, bad + "parameter " + name + " has no name or a bad rank" + kRebuild);
        }
        for (int i = 0; i < param.rank; ++i) {
            if (param.dims[i] <= 0)
                throw Error(NNC_ERR_RUNTIME, bad + "parameter " + name + " has a non-positive dimension" + kRebuild);
        }
        if (param.init < NNC_INIT_ZEROS || param.init > NNC_INIT_ORTHOGONAL) {
            throw Error(NNC_ERR_RUNTIME, bad + "parameter " + name + " has an unknown initializer" + kRebuild);
        }
        if (!(param.max_norm >= 0) || !std::isfinite(param.max_norm)) {
            throw Error(NNC_ERR_RUNTIME, bad + "parameter " + name + " has a bad max_norm" + kRebuild);
        }
        if ((param.trainable != 0) != (p < d->num_trainable)) {
            throw Error(NNC_ERR_RUNTIME,
                        bad + "parameter " + name + " is out of the trainables-then-states order" + kRebuild);
        }
    }
    check_tensor_desc(d->input, "input");
    if (d->num_dropouts < 0 || (d->num_dropouts > 0 && !d->dropouts))
        throw Error(NNC_ERR_RUNTIME, bad + "malformed dropout table" + kRebuild);
    for (int k = 0; k < d->num_dropouts; ++k)
        if (!d->dropouts[k].name || !(d->dropouts[k].rate >= 0 && d->dropouts[k].rate < 1))
            throw Error(NNC_ERR_RUNTIME,
                        bad + "dropout " + std::to_string(k) + " has no name or a rate outside [0, 1)" + kRebuild);
    if (d->input_dtype != NNC_DTYPE_FLOAT32 && d->input_dtype != NNC_DTYPE_INT32)
        throw Error(NNC_ERR_RUNTIME, bad + "unknown input dtype" + kRebuild);
    if (d->num_targets < 1 || !d->targets || d->num_losses < 1 || d->num_losses > NNC_MAX_LOSSES || !d->losses)
        throw Error(NNC_ERR_RUNTIME,
                    bad + "needs 1 or more targets and 1 to " + std::to_string(NNC_MAX_LOSSES) + " losses" + kRebuild);
    for (int t = 0; t < d->num_targets; ++t) {
        const nnc_target_desc& target = d->targets[t];
        check_tensor_desc(target.tensor, "target");
        if (target.kind == NNC_TARGET_CLASSES) {
            if (target.num_classes <= 0 || target.tensor.rank > 1)
                throw Error(NNC_ERR_RUNTIME,
                            bad + "class targets need num_classes > 0 and a rank-0 or [T] target" + kRebuild);
        } else if (target.kind != NNC_TARGET_REAL) {
            throw Error(NNC_ERR_RUNTIME, bad + "unknown target kind" + kRebuild);
        }
    }
    for (int l = 0; l < d->num_losses; ++l) {
        const nnc_loss_desc& loss = d->losses[l];
        check_tensor_desc(loss.prediction, "loss prediction");
        if (!loss.name || loss.kind < NNC_LOSS_SOFTMAX_CROSS_ENTROPY || loss.kind > NNC_LOSS_L1 || loss.target < 0 ||
            loss.target >= d->num_targets || !std::isfinite(loss.weight))
            throw Error(NNC_ERR_RUNTIME, bad + "loss " + std::to_string(l) + " is malformed" + kRebuild);
    }
}

nnc_optimizer_config descriptor_optimizer(const nnc_model_desc& d) {
    nnc_optimizer_config c;
    std::memset(&c, 0, sizeof c);
    c.name = d.optimizer ? d.optimizer : "sgd";
    c.lr = d.lr;
    c.momentum = d.momentum;
    c.nesterov = d.nesterov;
    c.beta1 = d.beta1;
    c.beta2 = d.beta2;
    c.eps = d.eps;
    c.weight_decay = d.weight_decay;
    c.rho = d.rho;
    c.alpha = d.alpha;
    c.centered = d.centered;
    c.lr_decay = d.lr_decay;
    c.initial_accumulator_value = d.initial_accumulator_value;
    return c;
}

std::span<const int64_t> dims_of(const nnc_tensor_desc& t) { return {t.dims, static_cast<size_t>(t.rank)}; }
std::span<const int64_t> dims_of(const nnc_param_desc& p) { return {p.dims, static_cast<size_t>(p.rank)}; }

void check_batch(const char* function, int64_t batch) {
    require(batch > 0, std::string(function) + ": batch must be > 0, got " + std::to_string(batch));
}

void check_targets(const nnc_model& model, const void* const* targets, int64_t batch) {
    require(targets != nullptr, "targets must not be NULL");
    for (int t = 0; t < model.desc->num_targets; ++t) {
        const nnc_target_desc& desc = model.desc->targets[t];
        require(targets[t] != nullptr, "target '" + std::string(desc.tensor.name) + "' must not be NULL");
        if (desc.kind != NNC_TARGET_CLASSES) continue;
        const int32_t* classes = static_cast<const int32_t*>(targets[t]);
        const int64_t positions = model.target_sizes[static_cast<size_t>(t)];
        for (int64_t i = 0; i < batch * positions; ++i) {
            require(valid_label(desc, classes[i]), "target class " + std::to_string(classes[i]) + " of " +
                                                       label_place(i, positions) + " is out of range: the model has " +
                                                       label_range(desc) +
                                                       "; the labels do not match this model's classes");
        }
    }
}

// Builds a pipeline's argv piece by piece; the views live as long as the call.
struct Args {
    // A deque: growing it never moves a view, so the buffer pointers taken below stay valid for
    // any number of parameters (a fixed reserve capped deep models).
    std::deque<TensorView> views;           // the caller's tensors: temporaries on a GPU
    std::vector<halide_buffer_t*> buffers;  // argv order: views and the device's parameter windows
    void add(void* data, halide_type_t type, std::span<const int64_t> dims, int64_t batch, const char* what) {
        views.emplace_back(data, type, dims, batch, what);
        buffers.push_back(views.back().raw());
    }
    void add_buffer(halide_buffer_t* b) { buffers.push_back(b); }
    std::vector<void*> argv() { return {buffers.begin(), buffers.end()}; }
    std::vector<halide_buffer_t*> temporaries() {
        std::vector<halide_buffer_t*> out;
        for (TensorView& v : views) out.push_back(v.raw());
        return out;
    }
};

// On a CUDA model the parameters go up first and the results come down after (runtime/device.h).
void call_pipeline(nnc_model& model, Args& a, nnc_pipeline_fn fn, std::vector<void*>& args, const char* name,
                   bool writes_grads = false) {
    clear_halide_error();
    const int result = fn(args.data());
    if (model.device) {
        try {
            model.device->finish_call(a.temporaries(), result == 0 && writes_grads);
        } catch (const Error&) {
            if (result == 0) throw;  // else the pipeline's own error says more
        }
    }
    if (result != 0) {
        const std::string detail = last_halide_error();
        throw Error(NNC_ERR_RUNTIME, std::string("the generated ") + name + " pipeline failed (Halide error " +
                                         std::to_string(result) + ")" + (detail.empty() ? "" : ": " + detail));
    }
}

}  // namespace

nnc_model& require_model(nnc_model* model, const char* function) {
    require(model != nullptr, std::string(function) + ": model is NULL; create one with nnc_model_create");
    return *model;
}

const nnc_model& require_model(const nnc_model* model, const char* function) {
    require(model != nullptr, std::string(function) + ": model is NULL; create one with nnc_model_create");
    return *model;
}

namespace {

void add_input(Args& a, const nnc_model& model, const void* input, int64_t batch) {
    const nnc_model_desc& d = *model.desc;
    a.add(const_cast<void*>(input), d.input_dtype == NNC_DTYPE_INT32 ? int32_type() : float32_type(), dims_of(d.input),
          batch, "input");
    if (model.device) a.buffers.back()->set_host_dirty(true);  // Halide uploads only host-dirty inputs
}

void add_targets(Args& a, const nnc_model& model, const void* const* targets, int64_t batch) {
    for (int t = 0; t < model.desc->num_targets; ++t) {
        const nnc_target_desc& d = model.desc->targets[t];
        // Classes: (N) labels, or (N, T) for a sequence target.
        a.add(const_cast<void*>(targets[t]), d.kind == NNC_TARGET_CLASSES ? int32_type() : float32_type(),
              dims_of(d.tensor), batch, d.tensor.name);
        if (model.device) a.buffers.back()->set_host_dirty(true);
    }
}

// Every parameter of `arena` (host memory) or of the device's `windows`.
void add_arena(Args& a, nnc_model& model, float* arena, halide_buffer_t* (DeviceState::*windows)(int)) {
    for (int p = 0; p < model.desc->num_params; ++p)
        if (model.device)
            a.add_buffer((model.device.get()->*windows)(p));
        else
            a.add(arena + model.offset[p], float32_type(), dims_of(model.desc->params[p]), kNoBatch,
                  model.desc->params[p].name);
}

// The parameters, as the pipeline reads them: on the GPU (uploaded if the host changed them) or on
// the host.
void add_params(Args& a, nnc_model& model) {
    float* host = nullptr;
    if (model.device)
        model.params.device_read();
    else
        host = const_cast<float*>(model.params.host_read());  // the pipelines never write them
    add_arena(a, model, host, &DeviceState::param);
}

// The gradients and the states' new values, as the pipeline writes them (on a GPU, finish_call
// says which side holds them afterwards).
void add_grads(Args& a, nnc_model& model) {
    add_arena(a, model, model.device ? nullptr : model.grads.host_overwrite(), &DeviceState::grad);
}

// After a training step with a finite loss: the states' new values (the grads arena past the
// trainable prefix) into the parameters, on the side where the step left them.
void copy_states_to_params(nnc_model& model) {
    if (model.trainable_size == model.arena_size) return;
    if (model.device && model.grads.fresh() == Fresh::Device) {
        model.device->copy_states_to_params();
        return;
    }
    const size_t states = static_cast<size_t>(model.arena_size - model.trainable_size);
    std::memcpy(model.params.host_write() + model.trainable_size, model.grads.host_read() + model.trainable_size,
                states * sizeof(float));
}

// outputs[l], or this model's scratch for loss l when the caller passes none.
void add_per_loss(Args& a, nnc_model& model, float* const* outputs, int64_t batch, const char* what) {
    const nnc_model_desc& d = *model.desc;
    for (int l = 0; l < d.num_losses; ++l) {
        float* out = outputs ? outputs[l] : nullptr;
        if (!out) {
            auto& scratch = model.scratch[static_cast<size_t>(l)];
            scratch.resize(static_cast<size_t>(batch * model.loss_output_size[static_cast<size_t>(l)]));
            out = scratch.data();
        }
        a.add(out, float32_type(), dims_of(d.losses[l].prediction), batch, what);
    }
}

uint32_t step_seed(const nnc_model& model) {
    uint64_t z = model.desc->seed + 0x9e3779b97f4a7c15ull * (model.step_counter + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return static_cast<uint32_t>(z ^ (z >> 31));
}

}  // namespace

void run_forward(nnc_model& model, const void* input, int64_t batch, float* const* outputs) {
    const PipelineWorkersScope pool(model.workers.get());  // the generated parallel loops run on it
    check_batch("nnc_model_forward", batch);
    require(input != nullptr, "nnc_model_forward: input must not be NULL");
    Args a;
    add_input(a, model, input, batch);
    add_params(a, model);
    add_per_loss(a, model, outputs, batch, "output");
    auto argv = a.argv();
    if (model.desc->forward_plan.num_stages > 0)
        run_stage_plan(model.desc->forward_plan, argv, batch, model.forward_stage_buffers, "forward");
    else
        call_pipeline(model, a, model.desc->forward, argv, "forward");
}

float run_evaluate(nnc_model& model, const void* input, const void* const* targets, int64_t batch, float* task_losses,
                   float* const* outputs) {
    const PipelineWorkersScope pool(model.workers.get());  // the generated parallel loops run on it
    check_batch("nnc_evaluate", batch);
    require(input != nullptr, "nnc_evaluate: input must not be NULL");
    check_targets(model, targets, batch);
    const nnc_model_desc& d = *model.desc;
    float loss = 0.0f;
    std::vector<float> losses(static_cast<size_t>(d.num_losses));
    Args a;
    add_input(a, model, input, batch);
    add_targets(a, model, targets, batch);
    add_params(a, model);
    a.add(&loss, float32_type(), {}, kNoBatch, "loss");
    for (float& l : losses) a.add(&l, float32_type(), {}, kNoBatch, "task loss");
    add_per_loss(a, model, outputs, batch, "output");
    auto argv = a.argv();
    if (d.evaluate_plan.num_stages > 0)
        run_stage_plan(d.evaluate_plan, argv, batch, model.evaluate_stage_buffers, "evaluate");
    else
        call_pipeline(model, a, d.evaluate, argv, "evaluate");
    if (task_losses) std::copy(losses.begin(), losses.end(), task_losses);
    return loss;
}

float run_gradients(nnc_model& model, const void* input, const void* const* targets, int64_t batch, float* task_losses,
                    float* const* predictions) {
    const PipelineWorkersScope pool(model.workers.get());  // the generated parallel loops run on it
    check_batch("nnc_model_compute_gradients", batch);
    require(input != nullptr, "nnc_model_compute_gradients: input must not be NULL");
    check_targets(model, targets, batch);
    const nnc_model_desc& d = *model.desc;
    float loss = 0.0f;
    std::vector<float> losses(static_cast<size_t>(d.num_losses));
    uint32_t seed = step_seed(model);
    Args a;
    add_input(a, model, input, batch);
    add_targets(a, model, targets, batch);
    add_params(a, model);
    const int64_t rates_extent = static_cast<int64_t>(model.dropout_rates.size());
    a.add(model.dropout_rates.data(), float32_type(), std::span<const int64_t>(&rates_extent, 1), kNoBatch,
          "dropout rates");
    if (model.device) a.buffers.back()->set_host_dirty(true);
    std::vector<void*> argv;
    a.add(&loss, float32_type(), {}, kNoBatch, "loss");
    for (float& l : losses) a.add(&l, float32_type(), {}, kNoBatch, "task loss");
    add_per_loss(a, model, predictions, batch, "prediction");
    add_grads(a, model);  // gradients, then the states' new values
    argv = a.argv();
    // The seed scalar sits between the params and the dropout rates.
    const size_t seed_at = 1 + static_cast<size_t>(d.num_targets) + static_cast<size_t>(d.num_params);
    argv.insert(argv.begin() + static_cast<std::ptrdiff_t>(seed_at), &seed);
    if (d.train_plan.num_stages > 0)  // a large model's step, compiled as stages (CPU only)
        run_stage_plan(d.train_plan, argv, batch, model.train_stage_buffers, "train_step");
    else
        call_pipeline(model, a, d.train_step, argv, "train_step", /*writes_grads=*/true);
    ++model.step_counter;
    if (task_losses) std::copy(losses.begin(), losses.end(), task_losses);
    if (std::isfinite(loss)) copy_states_to_params(model);
    return loss;
}

float run_train_step(nnc_model& model, const void* input, const void* const* targets, int64_t batch, float* task_losses,
                     float* const* predictions) {
    const float loss = run_gradients(model, input, targets, batch, task_losses, predictions);
    if (!std::isfinite(loss)) {
        throw Error(NNC_ERR_NUMERIC, "the loss became " + std::string(std::isnan(loss) ? "NaN" : "infinite") +
                                         " (lr=" + std::to_string(model.optimizer_config.lr) +
                                         "); the update was skipped; lower the learning rate or check the inputs");
    }
    if (model.device && model.device->can_step()) {
        model.device->step(1.0f);  // parameters and state stay on the GPU
    } else {
        // No device kernel for this optimizer: the host steps (the arenas come down, go back up).
        float* params = model.params.host_write();
        model.optimizer.host_write().step(params, model.grads.host_read());
    }
    apply_max_norm(model);  // on the host when the model has constraints
    return loss;
}

void install_optimizer(nnc_model& model, OptimizerConfig config) {
    auto optimizer = make_optimizer(config, model.trainable_size);  // may throw: the model is unchanged then
    optimizer->set_workers(model.workers.get());
    model.optimizer_config = std::move(config);
    model.optimizer.replace(std::move(optimizer));  // fresh state, on the host
}

void set_threads(nnc_model& model, int threads) {
    const int n = threads > 0 ? threads : default_thread_count();
    if (model.workers && model.workers->threads() == n) return;
    model.workers = std::make_unique<Workers>(n);
    model.optimizer.set_workers(model.workers.get());
}

}  // namespace nnc::runtime

using namespace nnc::runtime;

extern "C" {

nnc_status nnc_model_create(nnc_model** out) {
    return guarded("nnc_model_create", [&] {
        require(out != nullptr, "nnc_model_create: out is NULL");
        *out = nullptr;
        install_halide_hooks();
        const nnc_model_desc* d = nnc_model_descriptor();
        check_descriptor(d);
        auto model = std::make_unique<nnc_model>();
        model->desc = d;
        for (int p = 0; p < d->num_params; ++p) {
            int64_t n = 1;
            for (int i = 0; i < d->params[p].rank; ++i) n *= d->params[p].dims[i];
            if (p == d->num_trainable) model->trainable_size = model->arena_size;
            model->offset.push_back(model->arena_size);
            model->count.push_back(n);
            model->arena_size += (n + kArenaAlignFloats - 1) / kArenaAlignFloats * kArenaAlignFloats;
        }
        if (d->num_trainable == d->num_params) model->trainable_size = model->arena_size;
        model->params = Arena(model->arena_size);
        model->grads = Arena(model->arena_size);
        if (d->device == NNC_DEVICE_CUDA)
            model->device = std::make_unique<DeviceState>(*d, model->params, model->grads, model->optimizer,
                                                          model->offset, model->arena_size, model->trainable_size);
        model->input_size = element_count(d->input);
        for (int l = 0; l < d->num_losses; ++l)
            model->loss_output_size.push_back(element_count(d->losses[l].prediction));
        for (int t = 0; t < d->num_targets; ++t)
            model->target_sizes.push_back(element_count(d->targets[t].tensor));  // classes: one label per position
        model->scratch.resize(static_cast<size_t>(d->num_losses));
        model->dropout_rates.assign(static_cast<size_t>(std::max(1, d->num_dropouts)), 0.0f);
        for (int k = 0; k < d->num_dropouts; ++k)
            model->dropout_rates[static_cast<size_t>(k)] = static_cast<float>(d->dropouts[k].rate);
        model->output_size = model->prediction_size = model->loss_output_size[0];
        model->target_size = model->target_sizes[0];
        try {
            model->optimizer_config = validate_optimizer_config(descriptor_optimizer(*d));
        } catch (const Error& e) {
            throw Error(NNC_ERR_RUNTIME,
                        std::string("internal error: the model's default optimizer is invalid: ") + e.what());
        }
        model->optimizer.replace(make_optimizer(model->optimizer_config, model->trainable_size));
        set_threads(*model, 0);
        // A fresh model is usable at once: initialized from the .nn file's seed.
        float* params = model->params.host_overwrite();
        for (int p = 0; p < d->num_params; ++p)
            initialize_param(d->params[p], d->seed, params + model->offset[p], model->count[p]);
        *out = model.release();
        return NNC_OK;
    });
}

void nnc_model_destroy(nnc_model* model) { delete model; }

// Accessors cannot return a status: on a NULL model they answer neutrally and record why.
namespace {
bool present(const nnc_model* model, const char* function) {
    if (!model)
        fail(NNC_ERR_INVALID_ARGUMENT, std::string(function) + ": model is NULL; create one with nnc_model_create");
    return model != nullptr;
}
}  // namespace

const char* nnc_model_name(const nnc_model* model) {
    return present(model, "nnc_model_name") ? model->desc->model_name : "";
}
int64_t nnc_model_input_size(const nnc_model* model) {
    return present(model, "nnc_model_input_size") ? model->input_size : 0;
}
int64_t nnc_model_output_size(const nnc_model* model) {
    return present(model, "nnc_model_output_size") ? model->output_size : 0;
}
nnc_target_kind nnc_model_target_kind(const nnc_model* model) {
    return present(model, "nnc_model_target_kind") ? static_cast<nnc_target_kind>(model->desc->targets[0].kind)
                                                   : NNC_TARGET_CLASSES;
}
int64_t nnc_model_num_classes(const nnc_model* model) {
    if (!present(model, "nnc_model_num_classes")) return 0;
    return model->desc->targets[0].kind == NNC_TARGET_CLASSES ? model->desc->targets[0].num_classes : 0;
}
nnc_dtype nnc_model_input_dtype(const nnc_model* model) {
    return present(model, "nnc_model_input_dtype") ? static_cast<nnc_dtype>(model->desc->input_dtype)
                                                   : NNC_DTYPE_FLOAT32;
}
int nnc_model_num_targets(const nnc_model* model) {
    return present(model, "nnc_model_num_targets") ? model->desc->num_targets : 0;
}
int nnc_model_num_losses(const nnc_model* model) {
    return present(model, "nnc_model_num_losses") ? model->desc->num_losses : 0;
}
int nnc_model_num_trainable_params(const nnc_model* model) {
    return present(model, "nnc_model_num_trainable_params") ? model->desc->num_trainable : 0;
}
uint64_t nnc_model_step_counter(const nnc_model* model) {
    return present(model, "nnc_model_step_counter") ? model->step_counter : 0;
}
int64_t nnc_model_target_size(const nnc_model* model) {
    return present(model, "nnc_model_target_size") ? model->target_size : 0;
}
int nnc_model_num_params(const nnc_model* model) {
    return present(model, "nnc_model_num_params") ? model->desc->num_params : 0;
}

int64_t nnc_model_param_count(const nnc_model* model, int index) {
    if (!present(model, "nnc_model_param_count")) return 0;
    if (index < 0 || index >= model->desc->num_params) {
        fail(NNC_ERR_INVALID_ARGUMENT,
             "nnc_model_param_count: parameter index " + std::to_string(index) + " is out of range");
        return 0;
    }
    return model->count[index];
}

int64_t nnc_model_total_param_count(const nnc_model* model) {
    if (!present(model, "nnc_model_total_param_count")) return 0;
    int64_t total = 0;
    for (int64_t n : model->count) total += n;
    return total;
}

}  // extern "C"

namespace {

void check_index(const nnc_model& model, int index, const char* function) {
    require(index >= 0 && index < model.desc->num_params,
            std::string(function) + ": parameter index " + std::to_string(index) + " is out of range; the model has " +
                std::to_string(model.desc->num_params) + " parameters (0.." +
                std::to_string(model.desc->num_params - 1) + ")");
}

void check_count(const nnc_model& model, int index, int64_t count, const char* function) {
    require(count == model.count[index], std::string(function) + ": parameter '" + model.desc->params[index].name +
                                             "' has " + std::to_string(model.count[index]) + " elements, got count " +
                                             std::to_string(count));
}

}  // namespace

extern "C" {

nnc_status nnc_model_param_info(const nnc_model* model, int index, const char** name, int* rank, const int64_t** dims) {
    return guarded("nnc_model_param_info", [&] {
        const nnc_model& m = require_model(model, "nnc_model_param_info");
        check_index(m, index, "nnc_model_param_info");
        const nnc_param_desc& p = m.desc->params[index];
        if (name) *name = p.name;
        if (rank) *rank = p.rank;
        if (dims) *dims = p.dims;
        return NNC_OK;
    });
}

nnc_status nnc_model_input_shape(const nnc_model* model, int* rank, const int64_t** dims) {
    return guarded("nnc_model_input_shape", [&] {
        const nnc_model& m = require_model(model, "nnc_model_input_shape");
        if (rank) *rank = m.desc->input.rank;
        if (dims) *dims = m.desc->input.dims;
        return NNC_OK;
    });
}

nnc_status nnc_model_graph_json(const nnc_model* model, const char** json) {
    return guarded("nnc_model_graph_json", [&] {
        const nnc_model& m = require_model(model, "nnc_model_graph_json");
        require(json != nullptr, "nnc_model_graph_json: json is NULL");
        require(m.desc->graph_json != nullptr, "nnc_model_graph_json: model '" + std::string(m.desc->model_name) +
                                                   "' was built without its graph (an older nnc); rebuild it with nnc");
        *json = m.desc->graph_json;
        return NNC_OK;
    });
}

nnc_status nnc_model_target_info(const nnc_model* model, int index, const char** name, nnc_target_kind* kind,
                                 int64_t* size, int64_t* num_classes) {
    return guarded("nnc_model_target_info", [&] {
        const nnc_model& m = require_model(model, "nnc_model_target_info");
        require(index >= 0 && index < m.desc->num_targets,
                "nnc_model_target_info: target index " + std::to_string(index) + " is out of range; the model has " +
                    std::to_string(m.desc->num_targets) + " targets");
        const nnc_target_desc& t = m.desc->targets[index];
        if (name) *name = t.tensor.name;
        if (kind) *kind = static_cast<nnc_target_kind>(t.kind);
        if (size) *size = m.target_sizes[static_cast<size_t>(index)];
        if (num_classes) *num_classes = t.kind == NNC_TARGET_CLASSES ? t.num_classes : 0;
        return NNC_OK;
    });
}

nnc_status nnc_model_loss_info(const nnc_model* model, int index, const char** name, double* weight, int* target,
                               int64_t* output_size) {
    return guarded("nnc_model_loss_info", [&] {
        const nnc_model& m = require_model(model, "nnc_model_loss_info");
        require(index >= 0 && index < m.desc->num_losses, "nnc_model_loss_info: loss index " + std::to_string(index) +
                                                              " is out of range; the model has " +
                                                              std::to_string(m.desc->num_losses) + " losses");
        const nnc_loss_desc& l = m.desc->losses[index];
        if (name) *name = l.name;
        if (weight) *weight = l.weight;
        if (target) *target = l.target;
        if (output_size) *output_size = m.loss_output_size[static_cast<size_t>(index)];
        return NNC_OK;
    });
}

nnc_status nnc_model_set_step_counter(nnc_model* model, uint64_t counter) {
    return guarded("nnc_model_set_step_counter", [&] {
        require_model(model, "nnc_model_set_step_counter").step_counter = counter;
        return NNC_OK;
    });
}

nnc_status nnc_model_init(nnc_model* model, uint64_t seed) {
    return guarded("nnc_model_init", [&] {
        nnc_model& m = require_model(model, "nnc_model_init");
        float* params = m.params.host_overwrite();
        for (int p = 0; p < m.desc->num_params; ++p)
            initialize_param(m.desc->params[p], seed, params + m.offset[p], m.count[p]);
        m.optimizer.host_overwrite().reset();
        return NNC_OK;
    });
}

nnc_status nnc_model_get_param(const nnc_model* model, int index, float* dst, int64_t count) {
    return guarded("nnc_model_get_param", [&] {
        const nnc_model& m = require_model(model, "nnc_model_get_param");
        check_index(m, index, "nnc_model_get_param");
        require(dst != nullptr, "nnc_model_get_param: dst is NULL");
        check_count(m, index, count, "nnc_model_get_param");
        std::memcpy(dst, m.params.host_read() + m.offset[index], static_cast<size_t>(count) * sizeof(float));
        return NNC_OK;
    });
}

nnc_status nnc_model_set_param(nnc_model* model, int index, const float* src, int64_t count) {
    return guarded("nnc_model_set_param", [&] {
        nnc_model& m = require_model(model, "nnc_model_set_param");
        check_index(m, index, "nnc_model_set_param");
        require(src != nullptr, "nnc_model_set_param: src is NULL");
        check_count(m, index, count, "nnc_model_set_param");
        // A partial write: the other parameters stay as they are.
        std::memcpy(m.params.host_write() + m.offset[index], src, static_cast<size_t>(count) * sizeof(float));
        return NNC_OK;
    });
}

nnc_status nnc_model_get_grad(const nnc_model* model, int index, float* dst, int64_t count) {
    return guarded("nnc_model_get_grad", [&] {
        const nnc_model& m = require_model(model, "nnc_model_get_grad");
        check_index(m, index, "nnc_model_get_grad");
        require(dst != nullptr, "nnc_model_get_grad: dst is NULL");
        check_count(m, index, count, "nnc_model_get_grad");
        std::memcpy(dst, m.grads.host_read() + m.offset[index], static_cast<size_t>(count) * sizeof(float));
        return NNC_OK;
    });
}

nnc_status nnc_model_forward(nnc_model* model, const void* input, int64_t batch, float* output) {
    return guarded("nnc_model_forward", [&] {
        nnc_model& m = require_model(model, "nnc_model_forward");
        require(output != nullptr, "nnc_model_forward: output must not be NULL");
        std::vector<float*> outputs(static_cast<size_t>(m.desc->num_losses), nullptr);
        outputs[0] = output;
        run_forward(m, input, batch, outputs.data());
        return NNC_OK;
    });
}

nnc_status nnc_model_forward_all(nnc_model* model, const void* input, int64_t batch, float* const* outputs) {
    return guarded("nnc_model_forward_all", [&] {
        nnc_model& m = require_model(model, "nnc_model_forward_all");
        require(outputs != nullptr, "nnc_model_forward_all: outputs must not be NULL");
        for (int l = 0; l < m.desc->num_losses; ++l)
            require(outputs[l] != nullptr, "nnc_model_forward_all: outputs[" + std::to_string(l) + "] is NULL");
        run_forward(m, input, batch, outputs);
        return NNC_OK;
    });
}

}  // extern "C"

namespace {

// The single-target entry points: a model with several targets needs the _multi ones.
std::vector<float*> first_output(nnc_model& m, float* output, const char* function) {
    require(m.desc->num_targets == 1, std::string(function) + ": model '" + m.desc->model_name + "' has " +
                                          std::to_string(m.desc->num_targets) +
                                          " targets; call the _multi variant with one pointer per target");
    std::vector<float*> outputs(static_cast<size_t>(m.desc->num_losses), nullptr);
    outputs[0] = output;
    return outputs;
}

// Runs `step`; on a non-finite loss the caller's loss reads NaN as well as the status saying so.
template <typename Step>
nnc_status stepping(const char* function, float* loss, Step step) {
    return guarded(function, [&] {
        float l = NAN;
        try {
            l = step();
        } catch (const Error& e) {
            if (loss && e.status() == NNC_ERR_NUMERIC) *loss = NAN;
            throw;
        }
        if (loss) *loss = l;
        return NNC_OK;
    });
}

}  // namespace

extern "C" {

nnc_status nnc_model_compute_gradients(nnc_model* model, const void* input, const void* target, int64_t batch,
                                       float* loss, float* output) {
    return stepping("nnc_model_compute_gradients", loss, [&] {
        nnc_model& m = require_model(model, "nnc_model_compute_gradients");
        auto outputs = first_output(m, output, "nnc_model_compute_gradients");
        return run_gradients(m, input, &target, batch, nullptr, outputs.data());
    });
}

nnc_status nnc_model_compute_gradients_multi(nnc_model* model, const void* input, const void* const* targets,
                                             int64_t batch, float* loss, float* task_losses) {
    return stepping("nnc_model_compute_gradients_multi", loss, [&] {
        nnc_model& m = require_model(model, "nnc_model_compute_gradients_multi");
        return run_gradients(m, input, targets, batch, task_losses, nullptr);
    });
}

nnc_status nnc_model_train_step(nnc_model* model, const void* input, const void* target, int64_t batch, float* loss,
                                float* output) {
    return stepping("nnc_model_train_step", loss, [&] {
        nnc_model& m = require_model(model, "nnc_model_train_step");
        auto outputs = first_output(m, output, "nnc_model_train_step");
        return run_train_step(m, input, &target, batch, nullptr, outputs.data());
    });
}

nnc_status nnc_model_train_step_multi(nnc_model* model, const void* input, const void* const* targets, int64_t batch,
                                      float* loss, float* task_losses) {
    return stepping("nnc_model_train_step_multi", loss, [&] {
        nnc_model& m = require_model(model, "nnc_model_train_step_multi");
        return run_train_step(m, input, targets, batch, task_losses, nullptr);
    });
}

nnc_status nnc_model_set_optimizer(nnc_model* model, const nnc_optimizer_config* config) {
    return guarded("nnc_model_set_optimizer", [&] {
        nnc_model& m = require_model(model, "nnc_model_set_optimizer");
        require(config != nullptr, "nnc_model_set_optimizer: config is NULL");
        install_optimizer(m, validate_optimizer_config(*config));
        return NNC_OK;
    });
}

nnc_status nnc_optimizer_defaults(const char* name, nnc_optimizer_config* config) {
    return guarded("nnc_optimizer_defaults", [&] {
        require(name != nullptr, "nnc_optimizer_defaults: name is NULL");
        require(config != nullptr, "nnc_optimizer_defaults: config is NULL");
        *config = to_abi(optimizer_defaults(name));
        return NNC_OK;
    });
}

nnc_status nnc_model_set_threads(nnc_model* model, int threads) {
    return guarded("nnc_model_set_threads", [&] {
        nnc_model& m = require_model(model, "nnc_model_set_threads");
        require(
            threads >= 0 && threads <= 256,
            "nnc_model_set_threads: threads must be in [0, 256] (0: this machine's), got " + std::to_string(threads));
        set_threads(m, threads);
        return NNC_OK;
    });
}

nnc_status nnc_model_get_optimizer(const nnc_model* model, nnc_optimizer_config* config) {
    return guarded("nnc_model_get_optimizer", [&] {
        const nnc_model& m = require_model(model, "nnc_model_get_optimizer");
        require(config != nullptr, "nnc_model_get_optimizer: config is NULL");
        *config = to_abi(m.optimizer_config);
        return NNC_OK;
    });
}

nnc_status nnc_model_default_train_config(const nnc_model* model, nnc_train_config* train,
                                          nnc_optimizer_config* optimizer, int64_t* validation) {
    return guarded("nnc_model_default_train_config", [&] {
        const nnc_model& m = require_model(model, "nnc_model_default_train_config");
        const nnc_model_desc& d = *m.desc;
        if (train) {
            std::memset(train, 0, sizeof *train);
#define NNC_COPY_FROM_DESC(f) train->f = d.f;
            NNC_VOCAB_TRAIN_CONFIG_FIELDS(NNC_COPY_FROM_DESC)
            NNC_VOCAB_DIVERGENCE_FIELDS(NNC_COPY_FROM_DESC)
#undef NNC_COPY_FROM_DESC
        }
        if (optimizer) *optimizer = to_abi(validate_optimizer_config(descriptor_optimizer(d)));
        if (validation) *validation = d.validation;
        return NNC_OK;
    });
}

}  // extern "C"
