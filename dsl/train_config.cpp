// Checking the train section. Its words — the settings, optimizers, schedules, warm-up, early
// stopping, divergence policies, their parameters, defaults and ranges — are
// nnc/train_vocabulary.h's, which nnc_train_config_set reads too. Calls are bound through the
// same attribute binder as ops, so adam(lr=...) and dense(units=...) report errors alike; every
// range error points at the value the user wrote; the values then become the C ABI's structs by
// the vocabulary's one translation (vocab::apply).
#include "dsl/train_config.h"

#include <cstdio>

#include "dsl/attr_binder.h"
#include "dsl/nearest.h"

namespace nnc::dsl {
namespace {

// A vocabulary parameter as the binder's attribute schema.
AttrSchema schema_of(const vocab::Param& p) {
    AttrSchema a{p.name, AttrType::Float, p.required, std::nullopt, {}, p.help};
    switch (p.type) {
        case vocab::Type::Float: a.default_value = AttrValue(p.value); break;
        case vocab::Type::Int:
            a.type = AttrType::Int;
            a.default_value = AttrValue(static_cast<int64_t>(p.value));
            break;
        case vocab::Type::Bool:
            a.type = AttrType::Bool;
            a.default_value = AttrValue(p.value != 0);
            break;
        case vocab::Type::Name:
            a.type = AttrType::Ident;
            a.default_value = AttrValue(std::string(vocab::name_of(p.words, static_cast<int>(p.value))));
            a.choices = vocab::names(p.words);
            break;
        case vocab::Type::IntList: a.type = AttrType::IntList; break;
    }
    if (p.required) a.default_value.reset();
    return a;
}

std::vector<AttrSchema> schema_of(const vocab::Callable& c) {
    std::vector<AttrSchema> out;
    for (const vocab::Param& p : c.params) out.push_back(schema_of(p));
    return out;
}

// What the binder made of a call, as the vocabulary's bound values.
vocab::Bound to_bound(const vocab::Callable& c, const BoundAttrs& b) {
    vocab::Bound out(c);
    for (size_t i = 0; i < c.params.size(); ++i) {
        const vocab::Param& p = c.params[i];
        const auto it = b.attrs.values.find(p.name);
        if (it == b.attrs.values.end()) continue;
        const AttrValue& v = it->second;
        out.has[i] = true;
        out.given[i] = b.given_at.count(p.name) != 0;
        if (const auto* d = std::get_if<double>(&v)) out.value[i] = *d;
        if (const auto* n = std::get_if<int64_t>(&v)) out.value[i] = static_cast<double>(*n);
        if (const auto* f = std::get_if<bool>(&v)) out.value[i] = *f ? 1.0 : 0.0;
        if (const auto* l = std::get_if<std::vector<int64_t>>(&v)) out.list[i] = *l;
        if (const auto* s = std::get_if<std::string>(&v)) {
            const vocab::Word* w = vocab::find(p.words, *s);
            out.value[i] = w ? w->value : 0;
        }
    }
    return out;
}

std::string show(double x) { return vocab::show_number(x); }

class TrainChecker {
public:
    TrainChecker(const SourceFile& file, Diagnostics& diags) : file_(file), diags_(diags) {}

    TrainConfig run(const ast::Stmt& train) {
        std::map<std::string, Span> seen;
        for (const ast::Setting& s : train.settings) {
            if (auto it = seen.find(s.key); it != seen.end()) {
                diags_.error(file_, s.key_span, "train setting '" + s.key + "' is set twice")
                    .note(it->second, "first set here");
                continue;
            }
            seen[s.key] = s.key_span;
            const vocab::Setting* setting = vocab::find_setting(s.key);
            if (!setting) {
                const std::vector<std::string> keys = setting_keys();
                Diagnostic& d = diags_.error(file_, s.key_span, "unknown train setting '" + s.key + "'");
                if (auto m = nearest_match(s.key, keys)) d.help("did you mean '" + *m + "'?");
                d.note("train settings: " + join(keys));
                continue;
            }
            check(*setting, s);
        }
        vocab::settle_cosine(cfg_.schedule, cfg_.epochs);
        return cfg_;
    }

private:
    static std::vector<std::string> setting_keys() {
        std::vector<std::string> keys;
        for (const vocab::Setting& k : vocab::kTrainSettings) keys.emplace_back(k.key);
        return keys;
    }

    void check(const vocab::Setting& setting, const ast::Setting& s) {
        switch (setting.kind) {
            case vocab::SettingKind::Integer:
                if (s.key == "seed")
                    cfg_.seed = static_cast<uint64_t>(
                        integer(s, setting.minimum, static_cast<int64_t>(cfg_.seed), setting.meaning));
                else if (int64_t* field = integer_field(s.key))
                    *field = integer(s, setting.minimum, *field, setting.meaning);
                break;
            case vocab::SettingKind::Number:
                (s.key == "clip_norm" ? cfg_.clip_norm : cfg_.clip_value) = positive_number(s, setting.meaning);
                break;
            case vocab::SettingKind::Warmup: warmup(setting, s); break;
            case vocab::SettingKind::Callable:
                if (const vocab::Callable* c = callee(s.value, setting.callables, s.key, setting.meaning))
                    bind_and_apply(s.key, s.value, *c);
                break;
        }
    }

    int64_t* integer_field(const std::string& key) {
        if (key == "batch") return &cfg_.batch;
        if (key == "epochs") return &cfg_.epochs;
        if (key == "validation") return &cfg_.validation;
        if (key == "accumulate") return &cfg_.accumulate;
        return nullptr;  // seed: unsigned
    }

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

    // NAME | NAME(args) where NAME is one of `choices`; nullptr (after reporting) otherwise.
    const vocab::Callable* callee(const ast::Value& v, std::span<const vocab::Callable> choices,
                                  const std::string& setting, const std::string& what) {
        if (v.kind != ast::Value::Kind::Ident && v.kind != ast::Value::Kind::Call) {
            diags_
                .error(file_, v.span,
                       "train setting '" + setting + "' expects " + what + ", such as " + choices.front().signature)
                .note(what + "s: " + vocab::signatures(choices));
            return nullptr;
        }
        if (const vocab::Callable* c = vocab::find(choices, v.text)) return c;
        const Span name_span = v.kind == ast::Value::Kind::Call ? v.callee_span : v.span;
        Diagnostic& d = diags_.error(file_, name_span, "unknown " + what + " '" + v.text + "'");
        if (auto m = nearest_match(v.text, vocab::names(choices))) d.help("did you mean '" + *m + "'?");
        d.note(what + "s: " + vocab::signatures(choices));
        return nullptr;
    }

    // Binds the call's arguments, reports every value out of range, then what the callable needs
    // of its values together; when all is well, the values go where `key` puts them.
    void bind_and_apply(const std::string& key, const ast::Value& v, const vocab::Callable& c) {
        std::vector<const ast::Arg*> args;
        for (const ast::Arg& a : v.args) args.push_back(&a);
        const Span name_span = v.kind == ast::Value::Kind::Call ? v.callee_span : v.span;
        const BoundAttrs b = bind_attrs(c.name, schema_of(c), args, name_span, file_, diags_);
        const vocab::Bound bound = to_bound(c, b);
        const std::vector<vocab::Problem> problems = vocab::range_problems(bound);
        for (const vocab::Problem& p : problems) diags_.error(file_, b.given_at.at(p.param), p.message);
        if (!b.ok || !problems.empty()) return;
        if (const auto p = vocab::joint_problem(bound)) {
            const auto at = p->param ? b.given_at.find(p->param) : b.given_at.end();
            diags_.error(file_, at != b.given_at.end() ? at->second : name_span, p->message);
            return;
        }
        vocab::apply(key, bound,
                     vocab::Targets<OptimizerConfig, vocab::Divergence>{&cfg_.optimizer, &cfg_.schedule,
                                                                        &cfg_.early_stopping, &cfg_.divergence});
    }

    // warmup = STEPS | warmup(steps=N | epochs=N, start=F)
    void warmup(const vocab::Setting& setting, const ast::Setting& s) {
        const vocab::Callable& call = setting.callables.front();
        if (s.value.kind == ast::Value::Kind::Int) {
            const int64_t steps = integer(s, setting.minimum, 0, setting.meaning);
            if (steps > 0) vocab::apply_warmup_steps(steps, cfg_.schedule);
            return;
        }
        if (s.value.kind != ast::Value::Kind::Call || s.value.text != call.name) {
            diags_
                .error(file_, s.value.span,
                       "train setting 'warmup' expects a number of updates or " + std::string(call.signature))
                .help("for example: warmup = 500, or warmup = warmup(epochs=2, start=0.1)");
            return;
        }
        bind_and_apply(s.key, s.value, call);
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
