// Optimizers update the whole parameter arena in one call: one virtual call per step, then a
// tight loop over contiguous floats that the compiler vectorizes (these files build with -O3).
// Each reproduces its torch.optim counterpart op for op, in float32, so results match PyTorch.
#pragma once
#include <nnc/nnc.h>

#include <cstdint>
#include <memory>
#include <string>

namespace nnc::runtime {

struct OptimizerConfig {
    std::string name = "sgd";  // "sgd" | "adam"
    double lr = 0.01;
    double momentum = 0.0;
    bool nesterov = false;
    double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
    double weight_decay = 0.0;
};

class Optimizer {
public:
    virtual ~Optimizer() = default;
    // params -= update(grads) over `count` contiguous elements (the same count as at creation).
    virtual void step(float* params, const float* grads) = 0;
    // Forgets momentum / moments / the step count.
    virtual void reset() = 0;
};

// Throws Error(NNC_ERR_INVALID_ARGUMENT) with a message naming the bad field and its valid range.
OptimizerConfig validate_optimizer_config(const nnc_optimizer_config& config);
nnc_optimizer_config to_abi(const OptimizerConfig& config);

// A fresh optimizer (zero state) for an arena of `count` floats.
std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig& config, int64_t count);
std::unique_ptr<Optimizer> make_sgd(const OptimizerConfig& config, int64_t count);
std::unique_ptr<Optimizer> make_adam(const OptimizerConfig& config, int64_t count);

}  // namespace nnc::runtime
