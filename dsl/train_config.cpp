// Checking the train section. Optimizers are calls bound through the same attribute binder as
// ops, so adam(lr=...) and dense(units=...) report errors alike.
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

const std::vector<AttrSchema>& adam_schema() {
    static const std::vector<AttrSchema> s = {
        float_attr("lr", 3e-4, "learning rate"),
        float_attr("beta1", 0.9, "first-moment decay"),
        float_attr("beta2", 0.999, "second-moment decay"),
        float_attr("eps", 1e-8, "denominator guard"),
        float_attr("weight_decay", 0.0, "L2 penalty"),
    };
    return s;
}

const std::vector<AttrSchema>& sgd_schema() {
    static const std::vector<AttrSchema> s = {
        float_attr("lr", 0.01, "learning rate"),
        float_attr("momentum", 0.9, "momentum"),
        {"nesterov", AttrType::Bool, false, AttrValue(false), {}, "Nesterov momentum"},
        float_attr("weight_decay", 0.0, "L2 penalty"),
    };
    return s;
}

class TrainChecker {
public:
    TrainChecker(const SourceFile& file, Diagnostics& diags) : file_(file), diags_(diags) {}

    TrainConfig run(const ast::Stmt& train) {
        static const std::vector<std::string> keys = {"optimizer", "batch", "epochs", "seed", "validation"};
        std::map<std::string, Span> seen;
        for (const ast::Setting& s : train.settings) {
            if (auto it = seen.find(s.key); it != seen.end()) {
                diags_.error(file_, s.key_span, "train setting '" + s.key + "' is set twice")
                    .note(it->second, "first set here");
                continue;
            }
            seen[s.key] = s.key_span;
            if (s.key == "optimizer") optimizer(s.value);
            else if (s.key == "batch") cfg_.batch = integer(s, 1, "the number of samples per step");
            else if (s.key == "epochs") cfg_.epochs = integer(s, 1, "passes over the training set");
            else if (s.key == "seed") cfg_.seed = static_cast<uint64_t>(integer(s, 0, "the random seed"));
            else if (s.key == "validation") cfg_.validation = integer(s, 0, "samples held out for validation");
            else {
                Diagnostic& d = diags_.error(file_, s.key_span, "unknown train setting '" + s.key + "'");
                if (auto m = nearest_match(s.key, keys)) d.help("did you mean '" + *m + "'?");
                d.note("train settings: " + join(keys));
            }
        }
        return cfg_;
    }

private:
    // An integer setting >= min; on error keeps the default.
    int64_t integer(const ast::Setting& s, int64_t min, const char* meaning) {
        const int64_t fallback = s.key == "batch" ? cfg_.batch
                                 : s.key == "epochs" ? cfg_.epochs
                                 : s.key == "seed"   ? static_cast<int64_t>(cfg_.seed)
                                                     : cfg_.validation;
        if (s.value.kind != ast::Value::Kind::Int) {
            diags_.error(file_, s.value.span, "train setting '" + s.key + "' expects an integer")
                .help(std::string("it is ") + meaning);
            return fallback;
        }
        if (s.value.int_value < min) {
            diags_.error(file_, s.value.span, "train setting '" + s.key + "' must be at least " + std::to_string(min) +
                                                  ", got " + std::to_string(s.value.int_value));
            return fallback;
        }
        return s.value.int_value;
    }

    // optimizer = adam | sgd | adam(args) | sgd(args)
    void optimizer(const ast::Value& v) {
        static const std::vector<std::string> names = {"adam", "sgd"};
        if (v.kind != ast::Value::Kind::Ident && v.kind != ast::Value::Kind::Call) {
            diags_.error(file_, v.span, "train setting 'optimizer' expects adam(...) or sgd(...)");
            return;
        }
        const Span name_span = v.kind == ast::Value::Kind::Call ? v.callee_span : v.span;
        if (v.text != "adam" && v.text != "sgd") {
            Diagnostic& d = diags_.error(file_, name_span, "unknown optimizer '" + v.text + "'");
            if (auto m = nearest_match(v.text, names)) d.help("did you mean '" + *m + "'?");
            d.note("optimizers: adam(lr, beta1, beta2, eps, weight_decay), sgd(lr, momentum, nesterov, weight_decay)");
            return;
        }
        const bool adam = v.text == "adam";
        std::vector<const ast::Arg*> args;
        for (const ast::Arg& a : v.args) args.push_back(&a);
        BoundAttrs b = bind_attrs(v.text, adam ? adam_schema() : sgd_schema(), args, name_span, file_, diags_);
        // Ranges, for every value that bound (even if another argument failed); each error points
        // at the value the user wrote. Defaults are always in range.
        auto check = [&](const char* key, bool (*ok)(double), const char* rule) {
            if (!b.attrs.has(key) || !b.given_at.count(key)) return;
            const double x = b.attrs.get_float(key);
            if (ok(x)) return;
            char got[32];
            std::snprintf(got, sizeof got, "%g", x);
            diags_.error(file_, b.given_at.at(key),
                         "'" + std::string(key) + "' of " + v.text + " " + rule + ", got " + got);
            b.ok = false;
        };
        auto positive = [](double x) { return x > 0; };
        auto unit = [](double x) { return x >= 0 && x < 1; };
        check("lr", positive, "must be greater than 0");
        check("weight_decay", [](double x) { return x >= 0; }, "must not be negative");
        if (adam) {
            check("beta1", unit, "must be in [0, 1)");
            check("beta2", unit, "must be in [0, 1)");
            check("eps", positive, "must be greater than 0");
        } else {
            check("momentum", unit, "must be in [0, 1)");
        }
        if (!b.ok) return;
        OptimizerConfig& o = cfg_.optimizer;
        o.name = v.text;
        o.lr = b.attrs.get_float("lr");
        o.weight_decay = b.attrs.get_float("weight_decay");
        if (adam) {
            o.beta1 = b.attrs.get_float("beta1");
            o.beta2 = b.attrs.get_float("beta2");
            o.eps = b.attrs.get_float("eps");
        } else {
            o.momentum = b.attrs.get_float("momentum");
            o.nesterov = b.attrs.get_bool("nesterov");
        }
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
