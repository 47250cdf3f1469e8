// nnc_model: creation from the generated descriptor, parameter access, and the three pipeline
// calls (forward, compute_gradients, train_step) behind the C ABI.
#include "runtime/model.h"

#include "runtime/errors.h"
#include "runtime/halide_hooks.h"
#include "runtime/initializers.h"
#include "runtime/safeguards.h"
#include "runtime/tensor_buffer.h"

#include <cmath>
#include <cstring>
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
    if (t.rank < 0 || t.rank > NNC_MAX_RANK) throw Error(NNC_ERR_RUNTIME, where + " has rank " + std::to_string(t.rank) + kRebuild);
    for (int i = 0; i < t.rank; ++i) {
        if (t.dims[i] <= 0) throw Error(NNC_ERR_RUNTIME, where + " has a non-positive dimension" + kRebuild);
    }
}

// The descriptor comes from generated code; a bad one is an internal error, reported, not trusted.
void check_descriptor(const nnc_model_desc* d) {
    if (!d) throw Error(NNC_ERR_RUNTIME, std::string("internal error: nnc_model_descriptor() returned NULL") + kRebuild);
    if (d->abi_version != NNC_ABI_VERSION) {
        throw Error(NNC_ERR_RUNTIME, "the model was generated for nnc ABI " + std::to_string(d->abi_version) +
                                         " but this runtime implements ABI " + std::to_string(NNC_ABI_VERSION) + kRebuild);
    }
    const std::string bad = "internal error: model descriptor: ";
    if (!d->model_name || !d->forward || !d->train_step || d->num_params < 0 || (d->num_params > 0 && !d->params)) {
        throw Error(NNC_ERR_RUNTIME, bad + "missing name, pipelines or parameters" + kRebuild);
    }
    for (int p = 0; p < d->num_params; ++p) {
        const nnc_param_desc& param = d->params[p];
        const std::string name = param.name ? param.name : "#" + std::to_string(p);
        if (!param.name || param.rank < 0 || param.rank > NNC_MAX_RANK) {
            throw Error(NNC_ERR_RUNTIME, bad + "parameter " + name + " has no name or a bad rank" + kRebuild);
        }
        for (int i = 0; i < param.rank; ++i) {
            if (param.dims[i] <= 0) throw Error(NNC_ERR_RUNTIME, bad + "parameter " + name + " has a non-positive dimension" + kRebuild);
        }
        if (param.init < NNC_INIT_ZEROS || param.init > NNC_INIT_XAVIER_UNIFORM) {
            throw Error(NNC_ERR_RUNTIME, bad + "parameter " + name + " has an unknown initializer" + kRebuild);
        }
        if (!(param.max_norm >= 0) || !std::isfinite(param.max_norm)) {
            throw Error(NNC_ERR_RUNTIME, bad + "parameter " + name + " has a bad max_norm" + kRebuild);
        }
    }
    check_tensor_desc(d->input, "input");
    check_tensor_desc(d->output, "output");
    check_tensor_desc(d->prediction, "prediction");
    check_tensor_desc(d->target, "target");
    if (d->target_kind == NNC_TARGET_CLASSES) {
        if (d->num_classes <= 0 || d->target.rank != 0) throw Error(NNC_ERR_RUNTIME, bad + "class targets need num_classes > 0 and a rank-0 target" + kRebuild);
    } else if (d->target_kind != NNC_TARGET_REAL) {
        throw Error(NNC_ERR_RUNTIME, bad + "unknown target kind" + kRebuild);
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

void check_targets(const nnc_model& model, const void* target, int64_t batch) {
    if (model.desc->target_kind != NNC_TARGET_CLASSES) return;
    const int32_t* classes = static_cast<const int32_t*>(target);
    for (int64_t i = 0; i < batch; ++i) {
        require(classes[i] >= 0 && classes[i] < model.desc->num_classes,
                "target class " + std::to_string(classes[i]) + " of sample " + std::to_string(i) + " is outside [0, " +
                    std::to_string(model.desc->num_classes) + "); the labels do not match this model's classes");
    }
}

void call_pipeline(nnc_pipeline_fn fn, std::vector<void*>& args, const char* name) {
    clear_halide_error();
    const int result = fn(args.data());
    if (result != 0) {
        const std::string detail = last_halide_error();
        throw Error(NNC_ERR_RUNTIME, std::string("the generated ") + name + " pipeline failed (Halide error " +
                                         std::to_string(result) + ")" + (detail.empty() ? "" : ": " + detail));
    }
}

}  // namespace

AlignedFloats make_aligned_floats(int64_t count) {
    const size_t bytes = static_cast<size_t>(std::max<int64_t>(count, kArenaAlignFloats)) * sizeof(float);
    const size_t rounded = (bytes + 127) / 128 * 128;
    float* p = static_cast<float*>(std::aligned_alloc(128, rounded));
    if (!p) throw std::bad_alloc();
    std::memset(p, 0, rounded);
    return AlignedFloats(p);
}

nnc_model& require_model(nnc_model* model, const char* function) {
    require(model != nullptr, std::string(function) + ": model is NULL; create one with nnc_model_create");
    return *model;
}

const nnc_model& require_model(const nnc_model* model, const char* function) {
    require(model != nullptr, std::string(function) + ": model is NULL; create one with nnc_model_create");
    return *model;
}

void run_forward(nnc_model& model, const float* input, int64_t batch, float* output) {
    check_batch("nnc_model_forward", batch);
    require(input && output, "nnc_model_forward: input and output must not be NULL");
    const nnc_model_desc& d = *model.desc;
    std::vector<TensorView> views;
    views.reserve(static_cast<size_t>(d.num_params) + 2);
    views.emplace_back(const_cast<float*>(input), float32_type(), dims_of(d.input), batch, "input");
    for (int p = 0; p < d.num_params; ++p) {
        views.emplace_back(model.params.get() + model.offset[p], float32_type(), dims_of(d.params[p]), kNoBatch, d.params[p].name);
    }
    views.emplace_back(output, float32_type(), dims_of(d.output), batch, "output");
    std::vector<void*> args;
    for (TensorView& v : views) args.push_back(v.raw());
    call_pipeline(d.forward, args, "forward");
}

float run_gradients(nnc_model& model, const float* input, const void* target, int64_t batch, float* prediction) {
    check_batch("nnc_model_compute_gradients", batch);
    require(input && target, "nnc_model_compute_gradients: input and target must not be NULL");
    check_targets(model, target, batch);
    const nnc_model_desc& d = *model.desc;
    if (!prediction) {
        model.prediction_scratch.resize(static_cast<size_t>(batch * model.prediction_size));
        prediction = model.prediction_scratch.data();
    }
    float loss = 0.0f;
    const bool classes = d.target_kind == NNC_TARGET_CLASSES;
    std::vector<TensorView> views;
    views.reserve(2 * static_cast<size_t>(d.num_params) + 4);
    views.emplace_back(const_cast<float*>(input), float32_type(), dims_of(d.input), batch, "input");
    views.emplace_back(const_cast<void*>(target), classes ? int32_type() : float32_type(),
                       classes ? std::span<const int64_t>() : dims_of(d.target), batch, "target");
    for (int p = 0; p < d.num_params; ++p) {
        views.emplace_back(model.params.get() + model.offset[p], float32_type(), dims_of(d.params[p]), kNoBatch, d.params[p].name);
    }
    views.emplace_back(&loss, float32_type(), std::span<const int64_t>(), kNoBatch, "loss");
    views.emplace_back(prediction, float32_type(), dims_of(d.prediction), batch, "prediction");
    for (int p = 0; p < d.num_params; ++p) {
        views.emplace_back(model.grads.get() + model.offset[p], float32_type(), dims_of(d.params[p]), kNoBatch, d.params[p].name);
    }
    std::vector<void*> args;
    for (TensorView& v : views) args.push_back(v.raw());
    call_pipeline(d.train_step, args, "train_step");
    return loss;
}

float run_train_step(nnc_model& model, const float* input, const void* target, int64_t batch, float* prediction) {
    const float loss = run_gradients(model, input, target, batch, prediction);
    if (!std::isfinite(loss)) {
        throw Error(NNC_ERR_NUMERIC, "the loss became " + std::string(std::isnan(loss) ? "NaN" : "infinite") +
                                         " (lr=" + std::to_string(model.optimizer_config.lr) +
                                         "); the update was skipped; lower the learning rate or check the inputs");
    }
    model.optimizer->step(model.params.get(), model.grads.get());
    apply_max_norm(model);
    return loss;
}

void install_optimizer(nnc_model& model, OptimizerConfig config) {
    auto optimizer = make_optimizer(config, model.arena_size);  // may throw: the model is unchanged then
    optimizer->set_workers(model.workers.get());
    model.optimizer_config = std::move(config);
    model.optimizer = std::move(optimizer);
}

void set_threads(nnc_model& model, int threads) {
    const int n = threads > 0 ? threads : default_thread_count();
    if (model.workers && model.workers->threads() == n) return;
    model.workers = std::make_unique<Workers>(n);
    model.optimizer->set_workers(model.workers.get());
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
            model->offset.push_back(model->arena_size);
            model->count.push_back(n);
            model->arena_size += (n + kArenaAlignFloats - 1) / kArenaAlignFloats * kArenaAlignFloats;
        }
        model->params = make_aligned_floats(model->arena_size);
        model->grads = make_aligned_floats(model->arena_size);
        model->input_size = element_count(d->input);
        model->output_size = element_count(d->output);
        model->prediction_size = element_count(d->prediction);
        model->target_size = d->target_kind == NNC_TARGET_CLASSES ? 1 : element_count(d->target);
        try {
            model->optimizer_config = validate_optimizer_config(descriptor_optimizer(*d));
        } catch (const Error& e) {
            throw Error(NNC_ERR_RUNTIME, std::string("internal error: the model's default optimizer is invalid: ") + e.what());
        }
        model->optimizer = make_optimizer(model->optimizer_config, model->arena_size);
        set_threads(*model, 0);
        // A fresh model is usable at once: initialized from the .nn file's seed.
        for (int p = 0; p < d->num_params; ++p) {
            initialize_param(d->params[p], d->seed, model->params.get() + model->offset[p], model->count[p]);
        }
        *out = model.release();
        return NNC_OK;
    });
}

void nnc_model_destroy(nnc_model* model) { delete model; }

// Accessors cannot return a status: on a NULL model they answer neutrally and record why.
namespace {
bool present(const nnc_model* model, const char* function) {
    if (!model) fail(NNC_ERR_INVALID_ARGUMENT, std::string(function) + ": model is NULL; create one with nnc_model_create");
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
    return present(model, "nnc_model_target_kind") ? static_cast<nnc_target_kind>(model->desc->target_kind)
                                                   : NNC_TARGET_CLASSES;
}
int64_t nnc_model_num_classes(const nnc_model* model) {
    if (!present(model, "nnc_model_num_classes")) return 0;
    return model->desc->target_kind == NNC_TARGET_CLASSES ? model->desc->num_classes : 0;
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
        fail(NNC_ERR_INVALID_ARGUMENT, "nnc_model_param_count: parameter index " + std::to_string(index) + " is out of range");
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
                std::to_string(model.desc->num_params) + " parameters (0.." + std::to_string(model.desc->num_params - 1) + ")");
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

nnc_status nnc_model_init(nnc_model* model, uint64_t seed) {
    return guarded("nnc_model_init", [&] {
        nnc_model& m = require_model(model, "nnc_model_init");
        for (int p = 0; p < m.desc->num_params; ++p) {
            initialize_param(m.desc->params[p], seed, m.params.get() + m.offset[p], m.count[p]);
        }
        m.optimizer->reset();
        return NNC_OK;
    });
}

nnc_status nnc_model_get_param(const nnc_model* model, int index, float* dst, int64_t count) {
    return guarded("nnc_model_get_param", [&] {
        const nnc_model& m = require_model(model, "nnc_model_get_param");
        check_index(m, index, "nnc_model_get_param");
        require(dst != nullptr, "nnc_model_get_param: dst is NULL");
        check_count(m, index, count, "nnc_model_get_param");
        std::memcpy(dst, m.params.get() + m.offset[index], static_cast<size_t>(count) * sizeof(float));
        return NNC_OK;
    });
}

nnc_status nnc_model_set_param(nnc_model* model, int index, const float* src, int64_t count) {
    return guarded("nnc_model_set_param", [&] {
        nnc_model& m = require_model(model, "nnc_model_set_param");
        check_index(m, index, "nnc_model_set_param");
        require(src != nullptr, "nnc_model_set_param: src is NULL");
        check_count(m, index, count, "nnc_model_set_param");
        std::memcpy(m.params.get() + m.offset[index], src, static_cast<size_t>(count) * sizeof(float));
        return NNC_OK;
    });
}

nnc_status nnc_model_get_grad(const nnc_model* model, int index, float* dst, int64_t count) {
    return guarded("nnc_model_get_grad", [&] {
        const nnc_model& m = require_model(model, "nnc_model_get_grad");
        check_index(m, index, "nnc_model_get_grad");
        require(dst != nullptr, "nnc_model_get_grad: dst is NULL");
        check_count(m, index, count, "nnc_model_get_grad");
        std::memcpy(dst, m.grads.get() + m.offset[index], static_cast<size_t>(count) * sizeof(float));
        return NNC_OK;
    });
}

nnc_status nnc_model_forward(nnc_model* model, const float* input, int64_t batch, float* output) {
    return guarded("nnc_model_forward", [&] {
        run_forward(require_model(model, "nnc_model_forward"), input, batch, output);
        return NNC_OK;
    });
}

nnc_status nnc_model_compute_gradients(nnc_model* model, const float* input, const void* target, int64_t batch,
                                       float* loss, float* output) {
    return guarded("nnc_model_compute_gradients", [&] {
        nnc_model& m = require_model(model, "nnc_model_compute_gradients");
        const float l = run_gradients(m, input, target, batch, output);
        if (loss) *loss = l;
        return NNC_OK;
    });
}

nnc_status nnc_model_train_step(nnc_model* model, const float* input, const void* target, int64_t batch, float* loss,
                                float* output) {
    return guarded("nnc_model_train_step", [&] {
        nnc_model& m = require_model(model, "nnc_model_train_step");
        float l = NAN;
        try {
            l = run_train_step(m, input, target, batch, output);
        } catch (const Error& e) {
            if (loss && e.status() == NNC_ERR_NUMERIC) *loss = NAN;
            throw;
        }
        if (loss) *loss = l;
        return NNC_OK;
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
        require(threads >= 0 && threads <= 256,
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
            train->epochs = d.epochs;
            train->batch = d.batch;
            train->seed = d.seed;
            train->schedule = d.schedule;
            train->clip_norm = d.clip_norm;
            train->clip_value = d.clip_value;
            train->early_stopping = d.early_stopping;
            train->accumulate = d.accumulate;
        }
        if (optimizer) *optimizer = to_abi(validate_optimizer_config(descriptor_optimizer(d)));
        if (validation) *validation = d.validation;
        return NNC_OK;
    });
}

}  // extern "C"
