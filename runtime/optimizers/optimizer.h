// Optimizers update the whole parameter arena in one call: one virtual call per step, then tight
// loops over contiguous floats. The loops are free functions compiled once per vector width
// (NNC_VECTOR_CLONES: AVX-512, AVX2, baseline; the loader picks one for the machine, so the
// runtime archive stays portable) and, for large arenas, run in chunks on the model's Workers.
// Each optimizer reproduces its torch.optim counterpart op for op, in float32, so results match
// PyTorch.
#pragma once
#include <nnc/nnc.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nnc/device_kernels.h>
#include "runtime/workers.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define NNC_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define NNC_VECTOR_CLONES
#endif

namespace nnc::runtime {

// The defaults are torch.optim's for each optimizer (see optimizer_defaults). The fields are
// nnc_optimizer_config's, by the same names (nnc/train_vocabulary.h sets them by name).
struct OptimizerConfig {
    std::string name = "sgd";  // one of nnc/train_vocabulary.h's kOptimizers
    double lr = 0.01;
    double momentum = 0.0;                                   // sgd, rmsprop
    bool nesterov = false;                                   // sgd
    double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;           // adam, adamw; eps for all but sgd
    double weight_decay = 0.0;                               // L2 (added to the gradient), decoupled for adamw
    double rho = 0.9;                                        // adadelta
    double alpha = 0.99;                                     // rmsprop
    bool centered = false;                                   // rmsprop
    double lr_decay = 0.0, initial_accumulator_value = 0.0;  // adagrad
};

// Walks an optimizer's state, field by field, in a fixed order (see Optimizer::visit_state).
class OptimizerStateFields {
public:
    virtual ~OptimizerStateFields() = default;
    virtual void counter(const char* name, int64_t& value) = 0;
    virtual void flag(const char* name, bool& value) = 0;
    virtual void buffer(const char* name, std::vector<float>& values) = 0;
};

// One step as its device kernel runs it (runtime/include/nnc/device_kernels.h): the kernel and
// its scalars in the kernel's order, grad_scale (scalars[0]) 1 and clip_value (scalars[1]) kNoClip.
struct DeviceUpdate {
    DeviceKernel kernel;
    std::vector<float> scalars;
};

class Optimizer {
public:
    Optimizer(const OptimizerConfig& config, int64_t count) : config_(config), count_(count), id_(next_id()) {}
    virtual ~Optimizer() = default;
    // params -= update(grads) over `count` contiguous elements (the same count as at creation).
    virtual void step(float* params, const float* grads) = 0;
    // The next step for the device kernel instead: the same scalars step() would use, and the
    // step count advanced as step() advances it; the state buffers are left alone (the device
    // holds the current ones until runtime/device.h copies them back).
    virtual DeviceUpdate device_update() = 0;
    // Forgets momentum / moments / the step count.
    virtual void reset() = 0;
    // Every piece of state the next steps depend on — moment buffers, step counts — so that a
    // checkpoint can resume exactly. Each optimizer lists its fields here once; saving and
    // loading both walk this list.
    virtual void visit_state(OptimizerStateFields& fields) = 0;

    // The state as bytes: the optimizer's name, its element count, then each field (name, kind,
    // value). Little-endian.
    std::vector<uint8_t> save_state();
    // Restores what save_state wrote. Checks everything (name, count, every field's name, kind and
    // length) before changing anything; throws Error(NNC_ERR_FORMAT) naming `what` and the offset
    // (relative to `base`, where the bytes sit in their file), or NNC_ERR_INVALID_ARGUMENT when the
    // state belongs to another optimizer, other settings (momentum, centered) or another model.
    void load_state(const uint8_t* data, size_t size, const std::string& what, size_t base = 0);

    // The learning rate of the next steps (schedules change it between steps).
    void set_lr(double lr) { config_.lr = lr; }
    double lr() const { return config_.lr; }
    int64_t count() const { return count_; }
    const std::string& name() const { return config_.name; }
    // Unique per optimizer object in this process (never reused, unlike an address): tells the
    // device which optimizer's state it holds (runtime/device.h).
    uint64_t id() const { return id_; }
    // Where large updates run; null: on the calling thread.
    void set_workers(Workers* workers) { workers_ = workers; }

protected:
    void for_chunks(const std::function<void(int64_t, int64_t)>& fn) { runtime::for_chunks(workers_, count_, fn); }

    OptimizerConfig config_;
    int64_t count_;
    Workers* workers_ = nullptr;

private:
    static uint64_t next_id();
    uint64_t id_;
};

// The names (nnc/train_vocabulary.h's kOptimizers), in the order error messages list them.
const char* const* optimizer_names();  // null-terminated
// torch.optim's defaults for `name` (lr included; the vocabulary's torch column); throws Error
// for an unknown name.
OptimizerConfig optimizer_defaults(const std::string& name);

// Throws Error(NNC_ERR_INVALID_ARGUMENT) with a message naming the bad field and its valid range.
OptimizerConfig validate_optimizer_config(const nnc_optimizer_config& config);
nnc_optimizer_config to_abi(const OptimizerConfig& config);

// A fresh optimizer (zero state) for an arena of `count` floats: the implementation of the
// optimizer's kernel family (the vocabulary's value).
std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig& config, int64_t count);
std::unique_ptr<Optimizer> make_sgd(const OptimizerConfig& config, int64_t count);
std::unique_ptr<Optimizer> make_adam(const OptimizerConfig& config, int64_t count);  // adam and adamw
std::unique_ptr<Optimizer> make_adagrad(const OptimizerConfig& config, int64_t count);
std::unique_ptr<Optimizer> make_adadelta(const OptimizerConfig& config, int64_t count);
std::unique_ptr<Optimizer> make_rmsprop(const OptimizerConfig& config, int64_t count);

}  // namespace nnc::runtime
