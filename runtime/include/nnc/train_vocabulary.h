/* The words of a .nn file's train section, once: every train setting, optimizer, lr schedule,
 * warm-up, early-stopping rule, divergence policy, monitor and mode, each with its parameters
 * (type, default, valid range, meaning), the C ABI value or field it becomes, and the one
 * translation of bound values into the structs of nnc.h.
 *
 * Everything that names these reads this header: the .nn checker (dsl/train_config.cpp), which
 * binds a setting's text with its diagnostics; nnc_train_config_set (runtime/train_setting.cpp),
 * which binds the same text at run time; the optimizers' defaults and validation, the schedules
 * and the training loop's monitors (runtime/); the descriptor codegen writes (its enumerators);
 * and the commands (their --optimizer choices). Adding an optimizer is a row here and its update
 * (runtime/optimizers/); a schedule, a row here and its formula (runtime/lr_schedule.cpp).
 *
 * C++20, header only: the standard library and nnc.h, nothing else (the dsl includes it too).
 */
#ifndef NNC_TRAIN_VOCABULARY_H
#define NNC_TRAIN_VOCABULARY_H

#include "nnc/nnc.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nnc::vocab {

/* ---- words: a name of the train section and the C ABI value it stands for ---- */

struct Word {
    const char* name;    // as the train section writes it
    int value;           // in nnc.h
    const char* c_name;  // the enumerator, for generated C ("NNC_MONITOR_VAL_LOSS")
};
#define NNC_VOCAB_WORD(name, enumerator) \
    ::nnc::vocab::Word { name, enumerator, #enumerator }

inline constexpr Word kMonitors[] = {
    NNC_VOCAB_WORD("val_loss", NNC_MONITOR_VAL_LOSS),          // needs a validation set
    NNC_VOCAB_WORD("val_accuracy", NNC_MONITOR_VAL_ACCURACY),  // and class targets
    NNC_VOCAB_WORD("train_loss", NNC_MONITOR_TRAIN_LOSS),
};
inline constexpr Word kModes[] = {
    NNC_VOCAB_WORD("auto", NNC_MODE_AUTO),  // min for losses, max for accuracy
    NNC_VOCAB_WORD("min", NNC_MODE_MIN),
    NNC_VOCAB_WORD("max", NNC_MODE_MAX),
};
// reduce_on_plateau's threshold_mode: nnc_lr_schedule.threshold_abs.
inline constexpr Word kThresholdModes[] = {{"rel", 0, "0"}, {"abs", 1, "1"}};

/* ---- parameters ---- */

enum class Type { Float, Int, Bool, Name, IntList };

// The values a parameter accepts; range_rule says it in an error message.
enum class Range {
    Any,
    Positive,     // > 0
    NonNegative,  // >= 0
    AtLeast1,     // >= 1
    Below1,       // [0, 1)
    Unit,         // [0, 1]
    Fraction,     // (0, 1]
    OpenUnit,     // (0, 1)
    Above1,       // > 1
    Milestones,   // a list: 1 to NNC_MAX_MILESTONES increasing epochs, each >= 1
};

inline bool in_range(Range r, double x) {
    switch (r) {
        case Range::Positive: return x > 0;
        case Range::NonNegative: return x >= 0;
        case Range::AtLeast1: return x >= 1;
        case Range::Below1: return x >= 0 && x < 1;
        case Range::Unit: return x >= 0 && x <= 1;
        case Range::Fraction: return x > 0 && x <= 1;
        case Range::OpenUnit: return x > 0 && x < 1;
        case Range::Above1: return x > 1;
        default: return true;
    }
}

inline bool in_range(Range r, const std::vector<int64_t>& list) {
    if (r != Range::Milestones) return true;
    bool ok = !list.empty() && list.size() <= NNC_MAX_MILESTONES && list.front() >= 1;
    for (size_t i = 1; i < list.size(); ++i) ok = ok && list[i] > list[i - 1];
    return ok;
}

inline std::string range_rule(Range r) {
    switch (r) {
        case Range::Positive: return "must be greater than 0";
        case Range::NonNegative: return "must not be negative";
        case Range::AtLeast1: return "must be at least 1";
        case Range::Below1: return "must be in [0, 1)";
        case Range::Unit: return "must be in [0, 1]";
        case Range::Fraction: return "must be in (0, 1]";
        case Range::OpenUnit: return "must be in (0, 1)";
        case Range::Above1: return "must be greater than 1";
        case Range::Milestones:
            return "must be 1 to " + std::to_string(NNC_MAX_MILESTONES) + " increasing epochs, each at least 1";
        default: return "";
    }
}

struct Param {
    const char* name;  // as the train section writes it
    Type type;
    double value;  // the default (Bool 0/1, Name the word's value); if required, what the field holds unset
    Range range;
    const char* help;
    const char* field = nullptr;       // the C struct field it sets; nullptr: the field is `name`
    std::span<const Word> words = {};  // Name: the choices
    bool required = false;
    double torch = std::numeric_limits<double>::quiet_NaN();  // optimizers: torch.optim's default, where nnc's differs
    bool keeps_buffer = false;  // optimizers: where nonzero, the state keeps one more buffer per parameter

    constexpr const char* c_field() const { return field ? field : name; }
    constexpr double torch_default() const { return torch == torch ? torch : value; }
};

constexpr Param real(const char* name, double def, Range range, const char* help, const char* field = nullptr) {
    return {name, Type::Float, def, range, help, field};
}
constexpr Param whole(const char* name, double def, Range range, const char* help, const char* field = nullptr) {
    return {name, Type::Int, def, range, help, field};
}
constexpr Param flag(const char* name, bool def, const char* help) {
    return {name, Type::Bool, def ? 1.0 : 0.0, Range::Any, help};
}
constexpr Param choice(const char* name, std::span<const Word> words, int def, const char* help,
                       const char* field = nullptr) {
    return {name, Type::Name, static_cast<double>(def), Range::Any, help, field, words};
}
constexpr Param required(Param p) {
    p.required = true;
    return p;
}
constexpr Param torch_default(Param p, double torch) {
    p.torch = torch;
    return p;
}
constexpr Param keeps_buffer(Param p) {
    p.keeps_buffer = true;
    return p;
}

/* ---- callables: NAME or NAME(args), the values of the optimizer, schedule, warmup,
 * early_stopping and on_divergence settings ---- */

struct Bound;
// What a callable needs beyond each parameter's range, checked once every value is in range.
struct Problem {
    const char* param;  // the parameter it is about; nullptr: the call as a whole
    std::string message;
};
using JointCheck = std::optional<Problem> (*)(const Bound&);

struct Callable {
    const char* name;
    std::span<const Param> params;
    const char* signature;  // how notes list it
    int value = 0;          // its C ABI value: the schedule kind, the divergence policy; optimizers:
                            // the kernel family (nnc_device_kernels.optimizers' index)
    const char* c_name = "0";
    JointCheck joint = nullptr;
    int buffers = 0;  // optimizers: the buffers per parameter its state always keeps (keeps_buffer adds)
};

// The values a text gave a callable's parameters, in the order of its params: what the .nn
// checker and nnc_train_config_set each make of a setting, and all its C form is made from.
struct Bound {
    const Callable* callee;
    std::vector<double> value;               // Float, Int; Bool 0/1; Name: the word's value
    std::vector<std::vector<int64_t>> list;  // IntList
    std::vector<bool> has;                   // given, or defaulted
    std::vector<bool> given;                 // written in the text

    explicit Bound(const Callable& c)
        : callee(&c), value(c.params.size()), list(c.params.size()), has(c.params.size()), given(c.params.size()) {}
    int index(std::string_view name) const {
        for (size_t i = 0; i < callee->params.size(); ++i)
            if (name == callee->params[i].name) return static_cast<int>(i);
        return -1;
    }
    bool is_given(std::string_view name) const {
        const int i = index(name);
        return i >= 0 && given[static_cast<size_t>(i)];
    }
    double number(std::string_view name, double otherwise = 0) const {
        const int i = index(name);
        return i >= 0 && has[static_cast<size_t>(i)] ? value[static_cast<size_t>(i)] : otherwise;
    }
};

// A callable with nothing written: each parameter at its default (a required one unset).
inline Bound with_defaults(const Callable& c) {
    Bound b(c);
    for (size_t i = 0; i < c.params.size(); ++i) {
        b.has[i] = !c.params[i].required;
        b.value[i] = c.params[i].value;
    }
    return b;
}

inline std::optional<Problem> nesterov_needs_momentum(const Bound& b) {
    if (b.is_given("nesterov") && b.number("nesterov") != 0 && b.number("momentum") == 0)
        return Problem{"nesterov", "'nesterov' of " + std::string(b.callee->name) + " needs a momentum greater than 0"};
    return std::nullopt;
}

inline std::optional<Problem> one_warmup_length(const Bound& b) {
    if ((b.number("steps") > 0) == (b.number("epochs") > 0))
        return Problem{nullptr, "warmup needs exactly one of 'steps' and 'epochs' greater than 0"};
    return std::nullopt;
}

/* Optimizers, each its torch.optim namesake. The defaults are torch's, except adam's lr (3e-4)
 * and sgd's momentum (0.9), which a .nn file has always had; nnc_optimizer_defaults gives
 * torch's. The parameter names are nnc_optimizer_config's fields. */
namespace detail {
inline constexpr Param kAdam[] = {
    torch_default(real("lr", 3e-4, Range::Positive, "learning rate"), 1e-3),
    real("beta1", 0.9, Range::Below1, "first-moment decay"),
    real("beta2", 0.999, Range::Below1, "second-moment decay"),
    real("eps", 1e-8, Range::Positive, "denominator guard"),
    real("weight_decay", 0.0, Range::NonNegative, "L2 penalty"),
};
inline constexpr Param kAdamW[] = {
    real("lr", 1e-3, Range::Positive, "learning rate"),
    real("beta1", 0.9, Range::Below1, "first-moment decay"),
    real("beta2", 0.999, Range::Below1, "second-moment decay"),
    real("eps", 1e-8, Range::Positive, "denominator guard"),
    real("weight_decay", 1e-2, Range::NonNegative, "decoupled weight decay"),
};
inline constexpr Param kSgd[] = {
    real("lr", 0.01, Range::Positive, "learning rate"),
    keeps_buffer(torch_default(real("momentum", 0.9, Range::Below1, "momentum"), 0.0)),
    flag("nesterov", false, "Nesterov momentum"),
    real("weight_decay", 0.0, Range::NonNegative, "L2 penalty"),
};
inline constexpr Param kAdagrad[] = {
    real("lr", 1e-2, Range::Positive, "learning rate"),
    real("lr_decay", 0.0, Range::NonNegative, "lr / (1 + (t - 1) * lr_decay)"),
    real("weight_decay", 0.0, Range::NonNegative, "L2 penalty"),
    real("initial_accumulator_value", 0.0, Range::NonNegative, "the squared-gradient sum's start"),
    real("eps", 1e-10, Range::Positive, "denominator guard"),
};
inline constexpr Param kAdadelta[] = {
    real("lr", 1.0, Range::Positive, "learning rate"),
    real("rho", 0.9, Range::Unit, "running-average decay"),
    real("eps", 1e-6, Range::Positive, "denominator guard"),
    real("weight_decay", 0.0, Range::NonNegative, "L2 penalty"),
};
inline constexpr Param kRmsprop[] = {
    real("lr", 1e-2, Range::Positive, "learning rate"),
    real("alpha", 0.99, Range::Unit, "smoothing constant"),
    real("eps", 1e-8, Range::Positive, "denominator guard"),
    real("weight_decay", 0.0, Range::NonNegative, "L2 penalty"),
    keeps_buffer(real("momentum", 0.0, Range::Below1, "momentum")),
    keeps_buffer(flag("centered", false, "normalize by the gradient's variance")),
};
}  // namespace detail

// In the order a .nn file's messages list them (its default first); the C ABI's lists go by
// kernel family (optimizer_names).
inline constexpr Callable kOptimizers[] = {
    {.name = "adam",
     .params = detail::kAdam,
     .signature = "adam(lr, beta1, beta2, eps, weight_decay)",
     .value = 1,
     .buffers = 2},
    {.name = "adamw",
     .params = detail::kAdamW,
     .signature = "adamw(lr, beta1, beta2, eps, weight_decay)",
     .value = 1,
     .buffers = 2},
    {.name = "sgd",
     .params = detail::kSgd,
     .signature = "sgd(lr, momentum, nesterov, weight_decay)",
     .value = 0,
     .joint = nesterov_needs_momentum},
    {.name = "adagrad",
     .params = detail::kAdagrad,
     .signature = "adagrad(lr, lr_decay, weight_decay, initial_accumulator_value, eps)",
     .value = 2,
     .buffers = 1},
    {.name = "adadelta",
     .params = detail::kAdadelta,
     .signature = "adadelta(lr, rho, eps, weight_decay)",
     .value = 3,
     .buffers = 2},
    {.name = "rmsprop",
     .params = detail::kRmsprop,
     .signature = "rmsprop(lr, alpha, eps, weight_decay, momentum, centered)",
     .value = 4,
     .buffers = 1},
};
// The optimizer of a train section that names none.
inline constexpr const char* kDefaultOptimizer = "adam";

/* lr schedules (torch.optim.lr_scheduler semantics, stepped once per epoch); the fields are
 * nnc_lr_schedule's. */
namespace detail {
inline constexpr Param kStep[] = {
    required(whole("every", 1, Range::AtLeast1, "epochs between decays")),
    real("factor", 0.1, Range::Fraction, "the lr multiplier"),
};
inline constexpr Param kMultistep[] = {
    required({"milestones", Type::IntList, 0, Range::Milestones, "epochs at which the lr decays"}),
    real("factor", 0.1, Range::Fraction, "the lr multiplier"),
};
inline constexpr Param kExponential[] = {
    required(real("gamma", 0.9, Range::Fraction, "the lr multiplier per epoch", "factor")),
};
inline constexpr Param kCosine[] = {
    whole("epochs", 0, Range::AtLeast1, "epochs to reach min_lr (default: the training epochs)"),
    real("min_lr", 0.0, Range::NonNegative, "the final lr"),
};
inline constexpr Param kPlateau[] = {
    choice("monitor", kMonitors, NNC_MONITOR_VAL_LOSS, "the metric watched"),
    choice("mode", kModes, NNC_MODE_AUTO, "min or max improves (auto: from the monitor)"),
    real("factor", 0.1, Range::Fraction, "the lr multiplier"),
    whole("patience", 10, Range::NonNegative, "epochs without improvement"),
    whole("cooldown", 0, Range::NonNegative, "epochs to wait after a reduction"),
    real("min_lr", 0.0, Range::NonNegative, "the lr floor"),
    real("threshold", 1e-4, Range::NonNegative, "what counts as an improvement"),
    choice("threshold_mode", kThresholdModes, 0, "relative or absolute threshold", "threshold_abs"),
};
inline constexpr Param kWarmup[] = {
    whole("steps", 0, Range::NonNegative, "updates of warm-up", "warmup_steps"),
    whole("epochs", 0, Range::NonNegative, "epochs of warm-up", "warmup_epochs"),
    real("start", 1.0 / 3.0, Range::Fraction, "the first lr factor, in (0, 1]", "warmup_start"),
};
}  // namespace detail

#define NNC_VOCAB_CALLABLE(name, params, signature, enumerator) \
    ::nnc::vocab::Callable { name, params, signature, enumerator, #enumerator }

inline constexpr Callable kSchedules[] = {
    NNC_VOCAB_CALLABLE("constant", {}, "constant", NNC_SCHEDULE_CONSTANT),
    NNC_VOCAB_CALLABLE("step", detail::kStep, "step(every, factor=0.1)", NNC_SCHEDULE_STEP),
    NNC_VOCAB_CALLABLE("multistep", detail::kMultistep, "multistep(milestones=[...], factor=0.1)",
                       NNC_SCHEDULE_MULTISTEP),
    NNC_VOCAB_CALLABLE("exponential", detail::kExponential, "exponential(gamma)", NNC_SCHEDULE_EXPONENTIAL),
    NNC_VOCAB_CALLABLE("cosine", detail::kCosine, "cosine(epochs, min_lr=0)", NNC_SCHEDULE_COSINE),
    NNC_VOCAB_CALLABLE(
        "reduce_on_plateau", detail::kPlateau,
        "reduce_on_plateau(monitor, mode, factor, patience, cooldown, min_lr, threshold, threshold_mode)",
        NNC_SCHEDULE_PLATEAU),
};

// Linear warm-up, multiplying any schedule (nnc_lr_schedule's warmup_* fields).
inline constexpr Callable kWarmups[] = {
    {"warmup", detail::kWarmup, "warmup(steps | epochs, start=1/3)", 0, "0", one_warmup_length},
};

// Early stopping (nnc_early_stopping); it always keeps the best epoch's weights.
namespace detail {
inline constexpr Param kEarlyStopping[] = {
    choice("monitor", kMonitors, NNC_MONITOR_VAL_LOSS, "the metric watched"),
    choice("mode", kModes, NNC_MODE_AUTO, "min or max improves (auto: from the monitor)"),
    whole("patience", 5, Range::NonNegative, "epochs without improvement before stopping"),
    real("min_delta", 0.0, Range::NonNegative, "the smallest change that counts as improvement"),
};
}  // namespace detail
inline constexpr Callable kEarlyStoppingRules[] = {
    {"early_stopping", detail::kEarlyStopping, "early_stopping(monitor, mode, patience, min_delta)", 1, "1"},
};

/* Divergence policies (nnc_train_config's on_divergence and the fields after it).
 * explode_factor: a loss this many times the first epoch's mean counts as divergence, like NaN. */
namespace detail {
inline constexpr Param kStop[] = {
    real("explode_factor", 1e3, Range::Above1, "loss / first epoch's mean that counts as divergence"),
};
inline constexpr Param kRollback[] = {
    real("factor", 0.3, Range::OpenUnit, "the lr multiplier per rollback, in (0, 1)", "divergence_factor"),
    whole("retries", 3, Range::AtLeast1, "rollbacks before giving up with the error", "divergence_retries"),
    real("explode_factor", 1e3, Range::Above1, "loss / first epoch's mean that counts as divergence"),
};
}  // namespace detail
inline constexpr Callable kDivergencePolicies[] = {
    NNC_VOCAB_CALLABLE("stop", detail::kStop, "stop(explode_factor=1e3)", NNC_DIVERGENCE_STOP),
    NNC_VOCAB_CALLABLE("rollback", detail::kRollback, "rollback(factor=0.3, retries=3, explode_factor=1e3)",
                       NNC_DIVERGENCE_ROLLBACK),
};

/* ---- train settings: the keys of a train { ... } section ---- */

enum class SettingKind {
    Callable,  // NAME | NAME(args) of `callables`
    Integer,   // an integer >= minimum
    Number,    // a number > 0 (leaving it out turns it off)
    Warmup,    // an integer >= minimum (updates), or warmup(...)
};

struct Setting {
    const char* key;
    SettingKind kind;
    const char* meaning;  // Callable: what a value is ("divergence policy")
    int64_t minimum = 0;
    std::span<const Callable> callables = {};
};

inline constexpr Setting kTrainSettings[] = {
    {"optimizer", SettingKind::Callable, "optimizer", 0, kOptimizers},
    {"batch", SettingKind::Integer, "the number of samples per step", 1},
    {"epochs", SettingKind::Integer, "passes over the training set", 1},
    {"seed", SettingKind::Integer, "the random seed", 0},
    {"validation", SettingKind::Integer, "samples held out for validation", 0},
    {"schedule", SettingKind::Callable, "schedule", 0, kSchedules},
    {"warmup", SettingKind::Warmup, "the number of warm-up updates", 1, kWarmups},
    {"clip_norm", SettingKind::Number, "the largest global L2 norm of the gradients"},
    {"clip_value", SettingKind::Number, "the largest absolute value of a gradient"},
    {"early_stopping", SettingKind::Callable, "early stopping rule", 0, kEarlyStoppingRules},
    {"accumulate", SettingKind::Integer, "batches whose gradients make one update", 1},
    {"on_divergence", SettingKind::Callable, "divergence policy", 0, kDivergencePolicies},
};

/* ---- look-ups ---- */

inline const Callable* find(std::span<const Callable> items, std::string_view name) {
    for (const Callable& c : items)
        if (name == c.name) return &c;
    return nullptr;
}
inline const Word* find(std::span<const Word> words, std::string_view name) {
    for (const Word& w : words)
        if (name == w.name) return &w;
    return nullptr;
}
inline const Setting* find_setting(std::string_view key) {
    for (const Setting& s : kTrainSettings)
        if (key == s.key) return &s;
    return nullptr;
}
// The item (a Word or Callable) with C ABI value `value`, or nullptr.
template <class Items>
auto find_value(const Items& items, int value) -> decltype(&*std::begin(items)) {
    for (const auto& w : items)
        if (w.value == value) return &w;
    return nullptr;
}
// Its name, or `otherwise` for a value none has.
template <class Items>
const char* name_of(const Items& items, int value, const char* otherwise = "?") {
    const auto* w = find_value(items, value);
    return w ? w->name : otherwise;
}
// Its enumerator, for generated C.
template <class Items>
const char* c_name_of(const Items& items, int value) {
    const auto* w = find_value(items, value);
    return w ? w->c_name : "0";
}
inline const char* monitor_name(int monitor) { return name_of(kMonitors, monitor, "val_loss"); }

/* ---- "did you mean": the one suggestion for a misspelled name, the .nn checker's
 * (dsl/nearest.h) and nnc_train_config_set's alike ---- */

// Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps.
inline int edit_distance(std::string_view a, std::string_view b) {
    const size_t n = a.size(), m = b.size();
    std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1));
    for (size_t i = 0; i <= n; ++i) d[i][0] = static_cast<int>(i);
    for (size_t j = 0; j <= m; ++j) d[0][j] = static_cast<int>(j);
    for (size_t i = 1; i <= n; ++i)
        for (size_t j = 1; j <= m; ++j) {
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    return d[n][m];
}

// The closest of `candidates` if it is close enough to be a plausible typo of `name` (ties go
// to the earlier one). Up to a third of the name may be wrong (at least one edit, at most
// three), and the suggestion must keep something of the original: 'x' is not a typo of 'y'.
inline std::optional<std::string> nearest(std::string_view name, const std::vector<std::string>& candidates) {
    const int limit = std::clamp(static_cast<int>(name.size()) / 3, 1, 3);
    std::optional<std::string> best;
    int best_d = limit + 1;
    for (const std::string& c : candidates) {
        // The distance is at least the length difference: skip the table (a 10 MB name would
        // otherwise cost a 10M-row table per candidate).
        const size_t gap = name.size() > c.size() ? name.size() - c.size() : c.size() - name.size();
        if (c == name || gap > static_cast<size_t>(limit)) continue;
        const int d = edit_distance(name, c);
        if (d < best_d && d < static_cast<int>(std::max(name.size(), c.size()))) {
            best = c;
            best_d = d;
        }
    }
    return best;
}

inline std::vector<std::string> names(std::span<const Callable> items) {
    std::vector<std::string> out;
    for (const Callable& c : items) out.emplace_back(c.name);
    return out;
}
inline std::vector<std::string> names(std::span<const Word> words) {
    std::vector<std::string> out;
    for (const Word& w : words) out.emplace_back(w.name);
    return out;
}
inline bool has_param(const Callable& c, std::string_view name) {
    for (const Param& p : c.params)
        if (name == p.name) return true;
    return false;
}
// Whether the named optimizer has a parameter `param` (tune's momentum: sgd and rmsprop).
inline bool optimizer_has(std::string_view optimizer, std::string_view param) {
    const Callable* c = find(kOptimizers, optimizer);
    return c && has_param(*c, param);
}
inline std::vector<std::string> param_names(const Callable& c) {
    std::vector<std::string> out;
    for (const Param& p : c.params) out.emplace_back(p.name);
    return out;
}
inline std::string join(const std::vector<std::string>& items, const std::string& sep = ", ") {
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
    return out;
}
// "a, b or c"
inline std::string either(const std::vector<std::string>& items) {
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) out += (i == 0 ? "" : i + 1 == items.size() ? " or " : ", ") + items[i];
    return out;
}
inline std::string signatures(std::span<const Callable> items) {
    std::string out;
    for (const Callable& c : items) out += (out.empty() ? "" : ", ") + std::string(c.signature);
    return out;
}
// The C enum's values as nnc.h's comments name them: "0 constant, 1 step, ..., 5 plateau" (the
// enumerator after `prefix`, in lower case).
template <class T>
std::string enumerators(const T& items, std::string_view prefix) {
    std::string out;
    for (const auto& t : items) {
        std::string_view c = t.c_name;
        if (c.substr(0, prefix.size()) == prefix) c.remove_prefix(prefix.size());
        std::string lower(c);
        for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        out += (out.empty() ? "" : ", ") + std::to_string(t.value) + " " + lower;
    }
    return out;
}

// The optimizer names in the C ABI's order: by kernel family, then as listed ("sgd, adam, adamw, ...").
inline std::vector<std::string> optimizer_names() {
    std::vector<const Callable*> by_family;
    for (const Callable& c : kOptimizers) by_family.push_back(&c);
    std::stable_sort(by_family.begin(), by_family.end(),
                     [](const Callable* a, const Callable* b) { return a->value < b->value; });
    std::vector<std::string> out;
    for (const Callable* c : by_family) out.emplace_back(c->name);
    return out;
}

inline std::string show_number(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", x);
    return buf;
}

/* ---- checking bound values ---- */

// Every value the text gave (defaults are in range) that is out of its parameter's range, as
// "'factor' of rollback must be in (0, 1), got 2"; the param names the parameter.
inline std::vector<Problem> range_problems(const Bound& b) {
    std::vector<Problem> out;
    const std::string owner = b.callee->name;
    for (size_t i = 0; i < b.callee->params.size(); ++i) {
        const Param& p = b.callee->params[i];
        if (!b.given[i] || !b.has[i] || p.range == Range::Any) continue;
        const std::string about = "'" + std::string(p.name) + "' of " + owner + " " + range_rule(p.range);
        if (p.type == Type::IntList) {
            if (!in_range(p.range, b.list[i])) out.push_back({p.name, about});
        } else if (!in_range(p.range, b.value[i])) {
            out.push_back({p.name, about + ", got " + show_number(b.value[i])});
        }
    }
    return out;
}

inline std::optional<Problem> joint_problem(const Bound& b) {
    return b.callee->joint ? b.callee->joint(b) : std::nullopt;
}

/* ---- the one translation: bound values -> the C ABI ----
 * Each parameter sets its field; the callable sets its own value (the schedule kind, the
 * divergence policy, the optimizer's name). Fields no parameter of the callable sets rest at
 * the default of the first parameter of its family that sets them (a schedule's factor 0.1). */

#define NNC_VOCAB_OPTIMIZER_FIELDS(X) \
    X(lr)                             \
    X(momentum)                       \
    X(nesterov)                       \
    X(beta1) X(beta2) X(eps) X(weight_decay) X(rho) X(alpha) X(centered) X(lr_decay) X(initial_accumulator_value)
#define NNC_VOCAB_SCHEDULE_FIELDS(X)                                                                          \
    X(factor)                                                                                                 \
    X(every)                                                                                                  \
    X(epochs)                                                                                                 \
    X(min_lr)                                                                                                 \
    X(monitor) X(mode) X(patience) X(cooldown) X(threshold) X(threshold_abs) X(warmup_steps) X(warmup_epochs) \
        X(warmup_start)
#define NNC_VOCAB_EARLY_STOPPING_FIELDS(X) X(monitor) X(mode) X(patience) X(min_delta)
#define NNC_VOCAB_DIVERGENCE_FIELDS(X) X(divergence_factor) X(divergence_retries) X(explode_factor)
// The train settings nnc_train_config holds and the descriptor (nnc_model_desc) carries, under
// the same names (with the divergence policy's NNC_VOCAB_DIVERGENCE_FIELDS).
#define NNC_VOCAB_TRAIN_CONFIG_FIELDS(X) \
    X(epochs) X(batch) X(seed) X(schedule) X(clip_norm) X(clip_value) X(early_stopping) X(accumulate) X(on_divergence)

namespace detail {
template <class F>
bool assign(F& field, double v) {
    field = static_cast<F>(v);
    return true;
}
}  // namespace detail
#define NNC_VOCAB_ASSIGN(f) \
    if (field == #f) return ::nnc::vocab::detail::assign(s.f, v);
#define NNC_VOCAB_READ(f) \
    if (field == #f) return static_cast<double>(s.f);

// Any struct with nnc_optimizer_config's field names (the runtime's and the dsl's have them too).
template <class Optimizer>
bool set_optimizer_field(Optimizer& s, std::string_view field, double v) {
    NNC_VOCAB_OPTIMIZER_FIELDS(NNC_VOCAB_ASSIGN)
    return false;
}
template <class Optimizer>
double optimizer_field(const Optimizer& s, std::string_view field) {
    NNC_VOCAB_OPTIMIZER_FIELDS(NNC_VOCAB_READ)
    return std::numeric_limits<double>::quiet_NaN();
}
// The float buffers per parameter an optimizer's state keeps (runtime/optimizers/): its row's
// buffers, plus one for each keeps_buffer parameter nonzero in `o` (a struct with
// nnc_optimizer_config's field names); 2 for a name no row has.
template <class Optimizer>
int state_buffers(const Optimizer& o) {
    const Callable* c = find(kOptimizers, o.name);
    if (!c) return 2;
    int n = c->buffers;
    for (const Param& p : c->params)
        if (p.keeps_buffer && optimizer_field(o, p.c_field()) != 0) ++n;
    return n;
}
inline bool set_field(nnc_lr_schedule& s, std::string_view field, double v) {
    NNC_VOCAB_SCHEDULE_FIELDS(NNC_VOCAB_ASSIGN)
    return false;
}
inline bool set_field(nnc_early_stopping& s, std::string_view field, double v) {
    NNC_VOCAB_EARLY_STOPPING_FIELDS(NNC_VOCAB_ASSIGN)
    return false;
}
// nnc_train_config's divergence fields, as Divergence below or nnc_train_config itself holds them.
template <class D>
bool set_divergence_field(D& s, std::string_view field, double v) {
    NNC_VOCAB_DIVERGENCE_FIELDS(NNC_VOCAB_ASSIGN)
    return false;
}

// on_divergence as nnc_train_config holds it, for the checker (which has no nnc_train_config).
struct Divergence {
    int on_divergence = NNC_DIVERGENCE_STOP;
    double divergence_factor = 0;
    int divergence_retries = 0;
    double explode_factor = 0;
};

namespace detail {
// Fields of `family` no earlier parameter has set get `p`'s default.
template <class Set>
void rest(std::span<const Callable> family, Set set) {
    std::vector<std::string_view> done;
    for (const Callable& c : family)
        for (const Param& p : c.params) {
            if (p.type == Type::IntList) continue;
            bool seen = false;
            for (std::string_view d : done) seen = seen || d == p.c_field();
            if (!seen && set(p.c_field(), p.value)) done.push_back(p.c_field());
        }
}
template <class Set>
void set_bound(const Bound& b, Set set) {
    for (size_t i = 0; i < b.callee->params.size(); ++i)
        if (b.has[i] && b.callee->params[i].type != Type::IntList) set(b.callee->params[i].c_field(), b.value[i]);
}
}  // namespace detail

// The schedule a train section without one has: constant, every other field at rest, no warm-up.
inline nnc_lr_schedule resting_schedule() {
    nnc_lr_schedule s{};
    s.kind = NNC_SCHEDULE_CONSTANT;
    auto set = [&](std::string_view f, double v) { return set_field(s, f, v); };
    detail::rest(kSchedules, set);
    detail::rest(kWarmups, set);
    return s;
}
inline nnc_early_stopping resting_early_stopping() {
    nnc_early_stopping e{};
    detail::rest(kEarlyStoppingRules, [&](std::string_view f, double v) { return set_field(e, f, v); });
    return e;  // enabled = 0
}
template <class D>
void rest_divergence(D& d) {
    d.on_divergence = NNC_DIVERGENCE_STOP;
    detail::rest(kDivergencePolicies, [&](std::string_view f, double v) { return set_divergence_field(d, f, v); });
}

inline Divergence resting_divergence() {
    Divergence d;
    rest_divergence(d);
    return d;
}

// optimizer = NAME(args): every field of the optimizer's, the others 0. `Optimizer`: a struct
// with nnc_optimizer_config's field names; its name is set to the callable's (a static string).
template <class Optimizer>
void apply_optimizer(const Bound& b, Optimizer& o) {
    auto zero = [&](std::string_view f) { set_optimizer_field(o, f, 0.0); };
#define NNC_VOCAB_ZERO(f) zero(#f);
    NNC_VOCAB_OPTIMIZER_FIELDS(NNC_VOCAB_ZERO)
#undef NNC_VOCAB_ZERO
    o.name = b.callee->name;
    detail::set_bound(b, [&](std::string_view f, double v) { return set_optimizer_field(o, f, v); });
}

// schedule = NAME(args): a fresh schedule; the warm-up is kept.
inline void apply_schedule(const Bound& b, nnc_lr_schedule& s) {
    nnc_lr_schedule out = resting_schedule();
    out.warmup_steps = s.warmup_steps;
    out.warmup_epochs = s.warmup_epochs;
    out.warmup_start = s.warmup_start;
    out.kind = b.callee->value;
    detail::set_bound(b, [&](std::string_view f, double v) { return set_field(out, f, v); });
    for (size_t i = 0; i < b.callee->params.size(); ++i) {
        if (b.callee->params[i].type != Type::IntList || !b.has[i]) continue;
        out.num_milestones = 0;
        for (int64_t m : b.list[i])
            if (out.num_milestones < NNC_MAX_MILESTONES) out.milestones[out.num_milestones++] = m;
    }
    s = out;
}

// warmup = warmup(args) | STEPS: only the warm-up fields.
inline void apply_warmup(const Bound& b, nnc_lr_schedule& s) {
    detail::set_bound(b, [&](std::string_view f, double v) { return set_field(s, f, v); });
}
inline void apply_warmup_steps(int64_t steps, nnc_lr_schedule& s) {
    const nnc_lr_schedule rest = resting_schedule();
    s.warmup_steps = steps;
    s.warmup_epochs = 0;
    s.warmup_start = rest.warmup_start;
}

inline void apply_early_stopping(const Bound& b, nnc_early_stopping& e) {
    e = resting_early_stopping();
    e.enabled = b.callee->value;
    detail::set_bound(b, [&](std::string_view f, double v) { return set_field(e, f, v); });
}

// on_divergence = NAME(args), into nnc_train_config or Divergence.
template <class D>
void apply_divergence(const Bound& b, D& d) {
    rest_divergence(d);
    d.on_divergence = b.callee->value;
    detail::set_bound(b, [&](std::string_view f, double v) { return set_divergence_field(d, f, v); });
}

// Where a setting's callable goes: the optimizer, the schedule (and warm-up), early stopping and
// the divergence policy, each as the caller holds it (the C structs, or the checker's own).
template <class Optimizer, class Divergence>
struct Targets {
    Optimizer* optimizer;
    nnc_lr_schedule* schedule;
    nnc_early_stopping* early_stopping;
    Divergence* divergence;
};

// A callable setting (`key` one of kTrainSettings' Callable or Warmup keys) into its target;
// false for another key or a missing target.
template <class Optimizer, class D>
bool apply(std::string_view key, const Bound& b, const Targets<Optimizer, D>& t) {
    if (key == "optimizer" && t.optimizer) {
        apply_optimizer(b, *t.optimizer);
    } else if (key == "schedule" && t.schedule) {
        apply_schedule(b, *t.schedule);
    } else if (key == "warmup" && t.schedule) {
        apply_warmup(b, *t.schedule);
    } else if (key == "early_stopping" && t.early_stopping) {
        apply_early_stopping(b, *t.early_stopping);
    } else if (key == "on_divergence" && t.divergence) {
        apply_divergence(b, *t.divergence);
    } else {
        return false;
    }
    return true;
}

// cosine without `epochs` runs over the training epochs.
inline void settle_cosine(nnc_lr_schedule& s, int64_t training_epochs) {
    if (s.kind == NNC_SCHEDULE_COSINE && s.epochs == 0) s.epochs = training_epochs;
}

}  // namespace nnc::vocab

#endif /* NNC_TRAIN_VOCABULARY_H */
