#include "runtime/optimizers/optimizer.h"

#include "runtime/errors.h"

#include <atomic>
#include <cmath>
#include <cstring>

namespace nnc::runtime {
namespace {

constexpr const char* kNames[] = {"sgd", "adam", "adamw", "adagrad", "adadelta", "rmsprop", nullptr};

std::string name_list() {
    std::string out;
    for (const char* const* n = kNames; *n; ++n) out += std::string(out.empty() ? "" : ", ") + *n;
    return out;
}

// The static copy of a known name (the pointer stays valid after the model is gone), or null.
const char* static_name(const std::string& name) {
    for (const char* const* n = kNames; *n; ++n) {
        if (name == *n) return *n;
    }
    return nullptr;
}

void check_range(bool ok, const char* field, double value, const char* range) {
    require(ok, std::string("optimizer ") + field + " = " + std::to_string(value) + " is invalid; it must be " + range);
}

}  // namespace

const char* const* optimizer_names() { return kNames; }

uint64_t Optimizer::next_id() {
    static std::atomic<uint64_t> counter{0};
    return ++counter;
}

OptimizerConfig optimizer_defaults(const std::string& name) {
    require(static_name(name) != nullptr, "unknown optimizer '" + name + "'; expected one of: " + name_list());
    OptimizerConfig c;
    c.name = name;
    if (name == "sgd")
        c.lr = 0.01;  // torch requires an lr; 0.01 is the usual start
    else if (name == "adam")
        c.lr = 1e-3;
    else if (name == "adamw")
        c.lr = 1e-3, c.weight_decay = 1e-2;
    else if (name == "adagrad")
        c.lr = 1e-2, c.eps = 1e-10;
    else if (name == "adadelta")
        c.lr = 1.0, c.eps = 1e-6;
    else
        c.lr = 1e-2;  // rmsprop
    return c;
}

OptimizerConfig validate_optimizer_config(const nnc_optimizer_config& config) {
    require(config.name != nullptr, "optimizer name is NULL; expected one of: " + name_list());
    OptimizerConfig out;
    out.name = config.name;
    require(static_name(out.name) != nullptr, "unknown optimizer '" + out.name + "'; expected one of: " + name_list());
    const std::string& n = out.name;
    check_range(std::isfinite(config.lr) && config.lr > 0, "lr", config.lr, "finite and > 0");
    check_range(std::isfinite(config.weight_decay) && config.weight_decay >= 0, "weight_decay", config.weight_decay,
                "finite and >= 0");
    out.lr = config.lr;
    out.weight_decay = config.weight_decay;
    if (n != "sgd") {
        check_range(std::isfinite(config.eps) && config.eps >= 0, "eps", config.eps, "finite and >= 0");
        out.eps = config.eps;
    }
    if (n == "sgd" || n == "rmsprop") {
        check_range(std::isfinite(config.momentum) && config.momentum >= 0, "momentum", config.momentum,
                    "finite and >= 0");
        out.momentum = config.momentum;
    }
    if (n == "sgd") {
        require(!config.nesterov || config.momentum > 0,
                "optimizer nesterov = 1 needs momentum > 0 (as torch.optim.SGD); set a momentum such as 0.9");
        out.nesterov = config.nesterov != 0;
    } else if (n == "adam" || n == "adamw") {
        check_range(config.beta1 >= 0 && config.beta1 < 1, "beta1", config.beta1, "in [0, 1)");
        check_range(config.beta2 >= 0 && config.beta2 < 1, "beta2", config.beta2, "in [0, 1)");
        out.beta1 = config.beta1;
        out.beta2 = config.beta2;
    } else if (n == "adagrad") {
        check_range(std::isfinite(config.lr_decay) && config.lr_decay >= 0, "lr_decay", config.lr_decay,
                    "finite and >= 0");
        check_range(std::isfinite(config.initial_accumulator_value) && config.initial_accumulator_value >= 0,
                    "initial_accumulator_value", config.initial_accumulator_value, "finite and >= 0");
        out.lr_decay = config.lr_decay;
        out.initial_accumulator_value = config.initial_accumulator_value;
    } else if (n == "adadelta") {
        check_range(config.rho >= 0 && config.rho <= 1, "rho", config.rho, "in [0, 1]");
        out.rho = config.rho;
    } else {  // rmsprop
        check_range(config.alpha >= 0 && config.alpha <= 1, "alpha", config.alpha, "in [0, 1]");
        out.alpha = config.alpha;
        out.centered = config.centered != 0;
    }
    return out;
}

nnc_optimizer_config to_abi(const OptimizerConfig& config) {
    nnc_optimizer_config out;
    std::memset(&out, 0, sizeof out);
    out.name = static_name(config.name) ? static_name(config.name) : "sgd";
    out.lr = config.lr;
    out.momentum = config.momentum;
    out.nesterov = config.nesterov ? 1 : 0;
    out.beta1 = config.beta1;
    out.beta2 = config.beta2;
    out.eps = config.eps;
    out.weight_decay = config.weight_decay;
    out.rho = config.rho;
    out.alpha = config.alpha;
    out.centered = config.centered ? 1 : 0;
    out.lr_decay = config.lr_decay;
    out.initial_accumulator_value = config.initial_accumulator_value;
    return out;
}

std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig& config, int64_t count) {
    const std::string& n = config.name;
    if (n == "adam" || n == "adamw") return make_adam(config, count);
    if (n == "adagrad") return make_adagrad(config, count);
    if (n == "adadelta") return make_adadelta(config, count);
    if (n == "rmsprop") return make_rmsprop(config, count);
    return make_sgd(config, count);
}

}  // namespace nnc::runtime
