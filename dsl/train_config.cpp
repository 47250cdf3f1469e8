// Checking the train section. Optimizers, schedules, warm-up and early stopping are calls bound
// through the same attribute binder as ops, so adam(lr=...) and dense(units=...) report errors
// alike; every range error points at the value the user wrote.
#include "dsl/train_config.h"

#include <cstdio>
#include <functional>

#include "dsl/attr_binder.h"
#include "dsl/nearest.h"

namespace nnc::dsl {
namespace {

AttrSchema float_attr(const char* name, double def, const char* help) {
    return {name, AttrType::Float, false, AttrValue(def), {}, help};
}
AttrSchema int_attr(const char* name, int64_t def, const char* help) {
    return {name, AttrType::Int, false, AttrValue(def), {}, help};
}
AttrSchema bool_attr(const char* name, bool def, const char* help) {
    return {name, AttrType::Bool, false, AttrValue(def), {}, help};
}
AttrSchema ident_attr(const char* name, const char* def, std::vector<std::string> choices, const char* help) {
    return {name, AttrType::Ident, false, AttrValue(std::string(def)), std::move(choices), help};
}
AttrSchema required(AttrSchema a) {
    a.required = true;
    a.default_value.reset();
    return a;
}

// A callable setting: its name, its arguments, and a one-line signature for notes.
struct Callable {
    std::string name;
    std::vector<AttrSchema> schema;
    std::string signature;
};

// Defaults as torch.optim's, except adam's lr (3e-4) and sgd's momentum (0.9), which nnc has
// always used.
const std::vector<Callable>& optimizers() {
    static const std::vector<Callable> all = {
        {"adam",
         {float_attr("lr", 3e-4, "learning rate"), float_attr("beta1", 0.9, "first-moment decay"),
          float_attr("beta2", 0.999, "second-moment decay"), float_attr("eps", 1e-8, "denominator guard"),
          float_attr("weight_decay", 0.0, "L2 penalty")},
         "adam(lr, beta1, beta2, eps, weight_decay)"},
        {"adamw",
         {float_attr("lr", 1e-3, "learning rate"), float_attr("beta1", 0.9, "first-moment decay"),
          float_attr("beta2", 0.999, "second-moment decay"), float_attr("eps", 1e-8, "denominator guard"),
          float_attr("weight_decay", 1e-2, "decoupled weight decay")},
         "adamw(lr, beta1, beta2, eps, weight_decay)"},
        {"sgd",
         {float_attr("lr", 0.01, "learning rate"), float_attr("momentum", 0.9, "momentum"),
          bool_attr("nesterov", false, "Nesterov momentum"), float_attr("weight_decay", 0.0, "L2 penalty")},
         "sgd(lr, momentum, nesterov, weight_decay)"},
        {"adagrad",
         {float_attr("lr", 1e-2, "learning rate"), float_attr("lr_decay", 0.0, "lr / (1 + (t - 1) * lr_decay)"),
          float_attr("weight_decay", 0.0, "L2 penalty"),
          float_attr("initial_accumulator_value", 0.0, "the squared-gradient sum's start"),
          float_attr("eps", 1e-10, "denominator guard")},
         "adagrad(lr, lr_decay, weight_decay, initial_accumulator_value, eps)"},
        {"adadelta",
         {float_attr("lr", 1.0, "learning rate"), float_attr("rho", 0.9, "running-average decay"),
          float_attr("eps", 1e-6, "denominator guard"), float_attr("weight_decay", 0.0, "L2 penalty")},
         "adadelta(lr, rho, eps, weight_decay)"},
        {"rmsprop",
         {float_attr("lr", 1e-2, "learning rate"), float_attr("alpha", 0.99, "smoothing constant"),
          float_attr("eps", 1e-8, "denominator guard"), float_attr("weight_decay", 0.0, "L2 penalty"),
          float_attr("momentum", 0.0, "momentum"),
          bool_attr("centered", false, "normalize by the gradient's variance")},
         "rmsprop(lr, alpha, eps, weight_decay, momentum, centered)"},
    };
    return all;
}

const std::vector<std::string> kMonitors = {"val_loss", "val_accuracy", "train_loss"};
const std::vector<std::string> kModes = {"auto", "min", "max"};

const std::vector<Callable>& schedules() {
    static const std::vector<Callable> all = {
        {"constant", {}, "constant"},
        {"step",
         {required(int_attr("every", 1, "epochs between decays")), float_attr("factor", 0.1, "the lr multiplier")},
         "step(every, factor=0.1)"},
        {"multistep",
         {required({"milestones", AttrType::IntList, false, {}, {}, "epochs at which the lr decays"}),
          float_attr("factor", 0.1, "the lr multiplier")},
         "multistep(milestones=[...], factor=0.1)"},
        {"exponential", {required(float_attr("gamma", 0.9, "the lr multiplier per epoch"))}, "exponential(gamma)"},
        {"cosine",
         {int_attr("epochs", 0, "epochs to reach min_lr (default: the training epochs)"),
          float_attr("min_lr", 0.0, "the final lr")},
         "cosine(epochs, min_lr=0)"},
        {"reduce_on_plateau",
         {ident_attr("monitor", "val_loss", kMonitors, "the metric watched"),
          ident_attr("mode", "auto", kModes, "min or max improves (auto: from the monitor)"),
          float_attr("factor", 0.1, "the lr multiplier"), int_attr("patience", 10, "epochs without improvement"),
          int_attr("cooldown", 0, "epochs to wait after a reduction"), float_attr("min_lr", 0.0, "the lr floor"),
          float_attr("threshold", 1e-4, "what counts as an improvement"),
          ident_attr("threshold_mode", "rel", {"rel", "abs"}, "relative or absolute threshold")},
         "reduce_on_plateau(monitor, mode, factor, patience, cooldown, min_lr, threshold, threshold_mode)"},
    };
    return all;
}

const Callable& warmup_callable() {
    static const Callable c = {"warmup",
                               {int_attr("steps", 0, "updates of warm-up"), int_attr("epochs", 0, "epochs of warm-up"),
                                float_attr("start", 1.0 / 3.0, "the first lr factor, in (0, 1]")},
                               "warmup(steps | epochs, start=1/3)"};
    return c;
}

const Callable& early_stopping_callable() {
    static const Callable c = {"early_stopping",
                               {ident_attr("monitor", "val_loss", kMonitors, "the metric watched"),
                                ident_attr("mode", "auto", kModes, "min or max improves (auto: from the monitor)"),
                                int_attr("patience", 5, "epochs without improvement before stopping"),
                                float_attr("min_delta", 0.0, "the smallest change that counts as improvement")},
                               "early_stopping(monitor, mode, patience, min_delta)"};
    return c;
}

// Divergence policies. explode_factor: a loss this many times the first epoch's mean counts as
// divergence, like NaN.
const std::vector<Callable>& divergence_policies() {
    static const std::vector<Callable> all = {
        {"stop",
         {float_attr("explode_factor", 1e3, "loss / first epoch's mean that counts as divergence")},
         "stop(explode_factor=1e3)"},
        {"rollback",
         {float_attr("factor", 0.3, "the lr multiplier per rollback, in (0, 1)"),
          int_attr("retries", 3, "rollbacks before giving up with the error"),
          float_attr("explode_factor", 1e3, "loss / first epoch's mean that counts as divergence")},
         "rollback(factor=0.3, retries=3, explode_factor=1e3)"},
    };
    return all;
}

std::vector<std::string> names_of(const std::vector<Callable>& cs) {
    std::vector<std::string> out;
    for (const Callable& c : cs) out.push_back(c.name);
    return out;
}

std::string signatures(const std::vector<Callable>& cs) {
    std::string out;
    for (const Callable& c : cs) out += (out.empty() ? "" : ", ") + c.signature;
    return out;
}

class TrainChecker {
public:
    TrainChecker(const SourceFile& file, Diagnostics& diags) : file_(file), diags_(diags) {}

    TrainConfig run(const ast::Stmt& train) {
        static const std::vector<std::string> keys = {"optimizer",  "batch",          "epochs",     "seed",
                                                      "validation", "schedule",       "warmup",     "clip_norm",
                                                      "clip_value", "early_stopping", "accumulate", "on_divergence"};
        std::map<std::string, Span> seen;
        for (const ast::Setting& s : train.settings) {
            if (auto it = seen.find(s.key); it != seen.end()) {
                diags_.error(file_, s.key_span, "train setting '" + s.key + "' is set twice")
                    .note(it->second, "first set here");
                continue;
            }
            seen[s.key] = s.key_span;
            if (s.key == "optimizer")
                optimizer(s.value);
            else if (s.key == "batch")
                cfg_.batch = integer(s, 1, cfg_.batch, "the number of samples per step");
            else if (s.key == "epochs")
                cfg_.epochs = integer(s, 1, cfg_.epochs, "passes over the training set");
            else if (s.key == "seed")
                cfg_.seed = static_cast<uint64_t>(integer(s, 0, static_cast<int64_t>(cfg_.seed), "the random seed"));
            else if (s.key == "validation")
                cfg_.validation = integer(s, 0, cfg_.validation, "samples held out for validation");
            else if (s.key == "accumulate")
                cfg_.accumulate = integer(s, 1, cfg_.accumulate, "batches whose gradients make one update");
            else if (s.key == "clip_norm")
                cfg_.clip_norm = positive_number(s, "the largest global L2 norm of the gradients");
            else if (s.key == "clip_value")
                cfg_.clip_value = positive_number(s, "the largest absolute value of a gradient");
            else if (s.key == "schedule")
                schedule(s.value);
            else if (s.key == "warmup")
                warmup(s);
            else if (s.key == "early_stopping")
                early_stopping(s.value);
            else if (s.key == "on_divergence")
                on_divergence(s.value);
            else {
                Diagnostic& d = diags_.error(file_, s.key_span, "unknown train setting '" + s.key + "'");
                if (auto m = nearest_match(s.key, keys)) d.help("did you mean '" + *m + "'?");
                d.note("train settings: " + join(keys));
            }
        }
        if (cfg_.schedule.kind == "cosine" && cfg_.schedule.epochs == 0) cfg_.schedule.epochs = cfg_.epochs;
        return cfg_;
    }

private:
    // An integer setting >= min; on error keeps `fallback`.
    int64_t integer(const ast::Setting& s, int64_t min, int64_t fallback, const char* meaning) {
        if (s.value.kind != ast::Value::Kind::Int) {
            diags_.error(file_, s.value.span, "train setting '" + s.key + "' expects an integer")
                .help(std::string("it is ") + meaning);
            return fallback;
        }
        if (s.value.int_value < min) {
            diags_.error(file_, s.value.span,
                         "train setting '" + s.key + "' must be at least " + std::to_string(min) + ", got " +
                             std::to_string(s.value.int_value));
            return fallback;
        }
        return s.value.int_value;
    }

    // A number > 0; on error 0 (off).
    double positive_number(const ast::Setting& s, const char* meaning) {
        if (!s.value.is_number()) {
            diags_.error(file_, s.value.span, "train setting '" + s.key + "' expects a number")
                .help(std::string("it is ") + meaning);
            return 0.0;
        }
        if (!(s.value.as_double() > 0)) {
            diags_
                .error(file_, s.value.span,
                       "train setting '" + s.key + "' must be greater than 0, got " + show(s.value.as_double()))
                .help("leave it out to turn it off");
            return 0.0;
        }
        return s.value.as_double();
    }

    static std::string show(double x) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", x);
        return buf;
    }

    // NAME | NAME(args) where NAME is one of `choices`; nullptr (after reporting) otherwise.
    const Callable* callee(const ast::Value& v, const std::vector<Callable>& choices, const std::string& setting,
                           const std::string& what) {
        if (v.kind != ast::Value::Kind::Ident && v.kind != ast::Value::Kind::Call) {
            diags_
                .error(file_, v.span,
                       "train setting '" + setting + "' expects " + what + ", such as " + choices.front().signature)
                .note(what + "s: " + signatures(choices));
            return nullptr;
        }
        for (const Callable& c : choices) {
            if (c.name == v.text) return &c;
        }
        const Span name_span = v.kind == ast::Value::Kind::Call ? v.callee_span : v.span;
        Diagnostic& d = diags_.error(file_, name_span, "unknown " + what + " '" + v.text + "'");
        if (auto m = nearest_match(v.text, names_of(choices))) d.help("did you mean '" + *m + "'?");
        d.note(what + "s: " + signatures(choices));
        return nullptr;
    }

    BoundAttrs bind(const ast::Value& v, const Callable& c) {
        std::vector<const ast::Arg*> args;
        for (const ast::Arg& a : v.args) args.push_back(&a);
        const Span name_span = v.kind == ast::Value::Kind::Call ? v.callee_span : v.span;
        return bind_attrs(c.name, c.schema, args, name_span, file_, diags_);
    }

    // Reports `key` of `owner` unless ok(value); for every value that bound and the user wrote.
    void check(BoundAttrs& b, const std::string& owner, const char* key, const std::function<bool(double)>& ok,
               const char* rule) {
        if (!b.attrs.has(key) || !b.given_at.count(key)) return;
        const auto& value = b.attrs.values.at(key);
        const double x = std::holds_alternative<int64_t>(value) ? static_cast<double>(std::get<int64_t>(value))
                                                                : std::get<double>(value);
        if (ok(x)) return;
        diags_.error(file_, b.given_at.at(key),
                     "'" + std::string(key) + "' of " + owner + " " + rule + ", got " + show(x));
        b.ok = false;
    }

    // optimizer = NAME | NAME(args)
    void optimizer(const ast::Value& v) {
        const Callable* c = callee(v, optimizers(), "optimizer", "optimizer");
        if (!c) return;
        BoundAttrs b = bind(v, *c);
        const std::string& n = c->name;
        auto positive = [](double x) { return x > 0; };
        auto unit = [](double x) { return x >= 0 && x < 1; };
        auto closed_unit = [](double x) { return x >= 0 && x <= 1; };
        auto non_negative = [](double x) { return x >= 0; };
        check(b, n, "lr", positive, "must be greater than 0");
        check(b, n, "weight_decay", non_negative, "must not be negative");
        check(b, n, "eps", positive, "must be greater than 0");
        check(b, n, "beta1", unit, "must be in [0, 1)");
        check(b, n, "beta2", unit, "must be in [0, 1)");
        check(b, n, "momentum", unit, "must be in [0, 1)");
        check(b, n, "rho", closed_unit, "must be in [0, 1]");
        check(b, n, "alpha", closed_unit, "must be in [0, 1]");
        check(b, n, "lr_decay", non_negative, "must not be negative");
        check(b, n, "initial_accumulator_value", non_negative, "must not be negative");
        if (!b.ok) return;
        OptimizerConfig& o = cfg_.optimizer;
        o = OptimizerConfig{};
        o.name = n;
        o.momentum = 0.0;
        auto set = [&](const char* key, double& field) {
            if (b.attrs.has(key)) field = b.attrs.get_float(key);
        };
        set("lr", o.lr);
        set("weight_decay", o.weight_decay);
        set("eps", o.eps);
        set("beta1", o.beta1);
        set("beta2", o.beta2);
        set("momentum", o.momentum);
        set("rho", o.rho);
        set("alpha", o.alpha);
        set("lr_decay", o.lr_decay);
        set("initial_accumulator_value", o.initial_accumulator_value);
        if (b.attrs.has("nesterov")) o.nesterov = b.attrs.get_bool("nesterov");
        if (b.attrs.has("centered")) o.centered = b.attrs.get_bool("centered");
        if (o.nesterov && o.momentum == 0 && b.given_at.count("nesterov")) {
            diags_.error(file_, b.given_at.at("nesterov"), "'nesterov' of sgd needs a momentum greater than 0");
        }
    }

    // schedule = NAME | NAME(args)
    void schedule(const ast::Value& v) {
        const Callable* c = callee(v, schedules(), "schedule", "schedule");
        if (!c) return;
        BoundAttrs b = bind(v, *c);
        const std::string& n = c->name;
        auto factor = [](double x) { return x > 0 && x <= 1; };
        check(b, n, "factor", factor, "must be in (0, 1]");
        check(b, n, "gamma", factor, "must be in (0, 1]");
        check(
            b, n, "every", [](double x) { return x >= 1; }, "must be at least 1");
        check(
            b, n, "epochs", [](double x) { return x >= 1; }, "must be at least 1");
        check(
            b, n, "min_lr", [](double x) { return x >= 0; }, "must not be negative");
        check(
            b, n, "patience", [](double x) { return x >= 0; }, "must not be negative");
        check(
            b, n, "cooldown", [](double x) { return x >= 0; }, "must not be negative");
        check(
            b, n, "threshold", [](double x) { return x >= 0; }, "must not be negative");
        if (b.attrs.has("milestones") && b.given_at.count("milestones")) {
            const auto& m = std::get<std::vector<int64_t>>(b.attrs.values.at("milestones"));
            bool increasing = !m.empty() && m.size() <= 16 && m.front() >= 1;
            for (size_t i = 1; i < m.size(); ++i) increasing = increasing && m[i] > m[i - 1];
            if (!increasing) {
                diags_.error(file_, b.given_at.at("milestones"),
                             "'milestones' of multistep must be 1 to 16 increasing epochs, each at least 1");
                b.ok = false;
            }
        }
        if (!b.ok) return;
        ScheduleConfig& s = cfg_.schedule;
        s = ScheduleConfig{};
        s.kind = n;
        if (b.attrs.has("factor")) s.factor = b.attrs.get_float("factor");
        if (b.attrs.has("gamma")) s.factor = b.attrs.get_float("gamma");
        if (b.attrs.has("every")) s.every = b.attrs.get_int("every");
        if (b.attrs.has("milestones")) s.milestones = std::get<std::vector<int64_t>>(b.attrs.values.at("milestones"));
        if (b.attrs.has("epochs")) s.epochs = b.attrs.get_int("epochs");
        if (b.attrs.has("min_lr")) s.min_lr = b.attrs.get_float("min_lr");
        if (b.attrs.has("monitor")) s.monitor = b.attrs.get_string("monitor");
        if (b.attrs.has("mode")) s.mode = b.attrs.get_string("mode");
        if (b.attrs.has("patience")) s.patience = b.attrs.get_int("patience");
        if (b.attrs.has("cooldown")) s.cooldown = b.attrs.get_int("cooldown");
        if (b.attrs.has("threshold")) s.threshold = b.attrs.get_float("threshold");
        if (b.attrs.has("threshold_mode")) s.threshold_abs = b.attrs.get_string("threshold_mode") == "abs";
    }

    // warmup = STEPS | warmup(steps=N | epochs=N, start=F)
    void warmup(const ast::Setting& s) {
        if (s.value.kind == ast::Value::Kind::Int) {
            cfg_.warmup.steps = integer(s, 1, 0, "the number of warm-up updates");
            return;
        }
        if (s.value.kind != ast::Value::Kind::Call || s.value.text != "warmup") {
            diags_
                .error(file_, s.value.span,
                       "train setting 'warmup' expects a number of updates or " + warmup_callable().signature)
                .help("for example: warmup = 500, or warmup = warmup(epochs=2, start=0.1)");
            return;
        }
        BoundAttrs b = bind(s.value, warmup_callable());
        check(
            b, "warmup", "steps", [](double x) { return x >= 0; }, "must not be negative");
        check(
            b, "warmup", "epochs", [](double x) { return x >= 0; }, "must not be negative");
        check(
            b, "warmup", "start", [](double x) { return x > 0 && x <= 1; }, "must be in (0, 1]");
        if (!b.ok) return;
        const int64_t steps = b.attrs.get_int("steps"), epochs = b.attrs.get_int("epochs");
        if ((steps > 0) == (epochs > 0)) {
            diags_.error(file_, s.value.callee_span, "warmup needs exactly one of 'steps' and 'epochs' greater than 0");
            return;
        }
        cfg_.warmup = {steps, epochs, b.attrs.get_float("start")};
    }

    // early_stopping = early_stopping(args)
    void early_stopping(const ast::Value& v) {
        const std::vector<Callable> only = {early_stopping_callable()};
        const Callable* c = callee(v, only, "early_stopping", "early stopping rule");
        if (!c) return;
        BoundAttrs b = bind(v, *c);
        check(
            b, "early_stopping", "patience", [](double x) { return x >= 0; }, "must not be negative");
        check(
            b, "early_stopping", "min_delta", [](double x) { return x >= 0; }, "must not be negative");
        if (!b.ok) return;
        EarlyStoppingConfig& e = cfg_.early_stopping;
        e.enabled = true;
        e.monitor = b.attrs.get_string("monitor");
        e.mode = b.attrs.get_string("mode");
        e.patience = b.attrs.get_int("patience");
        e.min_delta = b.attrs.get_float("min_delta");
    }

    // on_divergence = stop | rollback(factor, retries, explode_factor)
    void on_divergence(const ast::Value& v) {
        const Callable* c = callee(v, divergence_policies(), "on_divergence", "divergence policy");
        if (!c) return;
        BoundAttrs b = bind(v, *c);
        const std::string& n = c->name;
        check(
            b, n, "factor", [](double x) { return x > 0 && x < 1; }, "must be in (0, 1)");
        check(
            b, n, "retries", [](double x) { return x >= 1; }, "must be at least 1");
        check(
            b, n, "explode_factor", [](double x) { return x > 1; }, "must be greater than 1");
        if (!b.ok) return;
        DivergenceConfig& d = cfg_.divergence;
        d = DivergenceConfig{};
        d.rollback = n == "rollback";
        if (b.attrs.has("factor")) d.factor = b.attrs.get_float("factor");
        if (b.attrs.has("retries")) d.retries = b.attrs.get_int("retries");
        if (b.attrs.has("explode_factor")) d.explode_factor = b.attrs.get_float("explode_factor");
    }

    const SourceFile& file_;
    Diagnostics& diags_;
    TrainConfig cfg_;
};

}  // namespace

TrainConfig check_train(const ast::Stmt& train, const SourceFile& file, Diagnostics& diags) {
    return TrainChecker(file, diags).run(train);
}

}  // namespace nnc::dsl
