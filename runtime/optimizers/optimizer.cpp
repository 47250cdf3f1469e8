#include "runtime/optimizers/optimizer.h"

#include "runtime/errors.h"

#include <cmath>
#include <cstring>

namespace nnc::runtime {
namespace {

void check_range(bool ok, const char* field, double value, const char* range) {
    require(ok, std::string("optimizer ") + field + " = " + std::to_string(value) + " is invalid; it must be " +
                    range);
}

}  // namespace

OptimizerConfig validate_optimizer_config(const nnc_optimizer_config& config) {
    require(config.name != nullptr, "optimizer name is NULL; expected one of: sgd, adam");
    OptimizerConfig out;
    out.name = config.name;
    require(out.name == "sgd" || out.name == "adam",
            "unknown optimizer '" + out.name + "'; expected one of: sgd, adam");
    check_range(std::isfinite(config.lr) && config.lr > 0, "lr", config.lr, "finite and > 0");
    check_range(std::isfinite(config.weight_decay) && config.weight_decay >= 0, "weight_decay", config.weight_decay,
                "finite and >= 0");
    out.lr = config.lr;
    out.weight_decay = config.weight_decay;
    if (out.name == "sgd") {
        check_range(std::isfinite(config.momentum) && config.momentum >= 0, "momentum", config.momentum,
                    "finite and >= 0");
        require(!config.nesterov || config.momentum > 0,
                "optimizer nesterov = 1 needs momentum > 0 (as torch.optim.SGD); set a momentum such as 0.9");
        out.momentum = config.momentum;
        out.nesterov = config.nesterov != 0;
    } else {
        check_range(config.beta1 >= 0 && config.beta1 < 1, "beta1", config.beta1, "in [0, 1)");
        check_range(config.beta2 >= 0 && config.beta2 < 1, "beta2", config.beta2, "in [0, 1)");
        check_range(std::isfinite(config.eps) && config.eps >= 0, "eps", config.eps, "finite and >= 0");
        out.beta1 = config.beta1;
        out.beta2 = config.beta2;
        out.eps = config.eps;
    }
    return out;
}

nnc_optimizer_config to_abi(const OptimizerConfig& config) {
    nnc_optimizer_config out;
    std::memset(&out, 0, sizeof out);
    // Static strings: the pointer stays valid after the model is gone.
    out.name = config.name == "adam" ? "adam" : "sgd";
    out.lr = config.lr;
    out.momentum = config.momentum;
    out.nesterov = config.nesterov ? 1 : 0;
    out.beta1 = config.beta1;
    out.beta2 = config.beta2;
    out.eps = config.eps;
    out.weight_decay = config.weight_decay;
    return out;
}

std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig& config, int64_t count) {
    if (config.name == "adam") return make_adam(config, count);
    return make_sgd(config, count);
}

}  // namespace nnc::runtime
