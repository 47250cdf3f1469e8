#include "runtime/optimizers/optimizer.h"

#include <nnc/train_vocabulary.h>

#include "runtime/errors.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <iterator>

namespace nnc::runtime {
namespace {

namespace vocab = nnc::vocab;

// The names, in the C ABI's order (nnc/train_vocabulary.h), as static strings.
struct Names {
    std::vector<std::string> list = vocab::optimizer_names();
    std::vector<const char*> pointers;
    Names() {
        for (const std::string& n : list) pointers.push_back(n.c_str());
        pointers.push_back(nullptr);
    }
};
const Names& names() {
    static const Names n;
    return n;
}

std::string name_list() { return vocab::join(names().list); }

const vocab::Callable* find_optimizer(const std::string& name) { return vocab::find(vocab::kOptimizers, name); }

void check_range(bool ok, const char* field, double value, const char* range) {
    require(ok, std::string("optimizer ") + field + " = " + std::to_string(value) + " is invalid; it must be " + range);
}

// What the C ABI accepts for a field (wider than a .nn file, which is torch's usual ranges).
void check_field(std::string_view field, double v) {
    const std::string f(field);
    if (f == "lr")
        check_range(std::isfinite(v) && v > 0, "lr", v, "finite and > 0");
    else if (f == "beta1" || f == "beta2")
        check_range(v >= 0 && v < 1, f.c_str(), v, "in [0, 1)");
    else if (f == "rho" || f == "alpha")
        check_range(v >= 0 && v <= 1, f.c_str(), v, "in [0, 1]");
    else if (f != "nesterov" && f != "centered")
        check_range(std::isfinite(v) && v >= 0, f.c_str(), v, "finite and >= 0");
}

}  // namespace

const char* const* optimizer_names() { return names().pointers.data(); }

uint64_t Optimizer::next_id() {
    static std::atomic<uint64_t> counter{0};
    return ++counter;
}

OptimizerConfig optimizer_defaults(const std::string& name) {
    const vocab::Callable* o = find_optimizer(name);
    require(o != nullptr, "unknown optimizer '" + name + "'; expected one of: " + name_list());
    OptimizerConfig c;
    c.name = name;
    for (const vocab::Param& p : o->params) vocab::set_optimizer_field(c, p.c_field(), p.torch_default());
    return c;
}

OptimizerConfig validate_optimizer_config(const nnc_optimizer_config& config) {
    require(config.name != nullptr, "optimizer name is NULL; expected one of: " + name_list());
    OptimizerConfig out;
    out.name = config.name;
    const vocab::Callable* o = find_optimizer(out.name);
    require(o != nullptr, "unknown optimizer '" + out.name + "'; expected one of: " + name_list());
    // lr and weight_decay first, as every optimizer has them; then the rest of its fields.
    for (const char* first : {"lr", "weight_decay"}) check_field(first, vocab::optimizer_field(config, first));
    for (const vocab::Param& p : o->params) {
        const double v = vocab::optimizer_field(config, p.c_field());
        check_field(p.c_field(), v);
        vocab::set_optimizer_field(out, p.c_field(), v);
    }
    const auto is_nesterov = [](const vocab::Param& p) { return std::string_view(p.name) == "nesterov"; };
    if (std::any_of(o->params.begin(), o->params.end(), is_nesterov))
        require(!config.nesterov || config.momentum > 0,
                "optimizer nesterov = 1 needs momentum > 0 (as torch.optim.SGD); set a momentum such as 0.9");
    return out;
}

nnc_optimizer_config to_abi(const OptimizerConfig& config) {
    nnc_optimizer_config out;
    std::memset(&out, 0, sizeof out);
    const vocab::Callable* o = find_optimizer(config.name);
    out.name = o ? o->name : "sgd";  // a static string: valid after the model is gone
#define NNC_COPY_FIELD(f) out.f = config.f;
    NNC_VOCAB_OPTIMIZER_FIELDS(NNC_COPY_FIELD)
#undef NNC_COPY_FIELD
    return out;
}

std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig& config, int64_t count) {
    // One implementation per kernel family (the vocabulary's value: adam and adamw share one).
    using Make = std::unique_ptr<Optimizer> (*)(const OptimizerConfig&, int64_t);
    static constexpr Make kByFamily[] = {make_sgd, make_adam, make_adagrad, make_adadelta, make_rmsprop};
    const vocab::Callable* o = find_optimizer(config.name);
    const int family = o ? o->value : 0;
    require(family >= 0 && family < static_cast<int>(std::size(kByFamily)),
            "internal error: optimizer '" + config.name + "' has no implementation");
    return kByFamily[family](config, count);
}

}  // namespace nnc::runtime
