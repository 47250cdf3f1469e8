// Attribute binding and value conversion.
#include "dsl/attr_binder.h"

#include <algorithm>
#include <cstdio>

#include "dsl/nearest.h"

namespace nnc::dsl {
namespace {

const char* expected_text(AttrType t) {
    switch (t) {
        case AttrType::Int: return "an integer";
        case AttrType::Float: return "a number";
        case AttrType::Bool: return "true or false";
        case AttrType::Ident: return "a name";
        case AttrType::Init: return "an initializer such as he_normal or gaussian(0.01)";
        case AttrType::IntList: return "a list of integers";
    }
    return "a value";
}

std::string format_number(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", x);
    return buf;
}

// How a value reads in "got ..." — the literal itself where short, else its kind.
std::string got_text(const ast::Value& v) {
    switch (v.kind) {
        case ast::Value::Kind::Int: return std::to_string(v.int_value);
        case ast::Value::Kind::Float: return format_number(v.float_value);
        case ast::Value::Kind::Bool: return v.bool_value ? "true" : "false";
        case ast::Value::Kind::String: return "a string";
        case ast::Value::Kind::Ident: return "'" + v.text + "'";
        case ast::Value::Kind::List: return "a list";
        case ast::Value::Kind::Call: return "a call to '" + v.text + "'";
    }
    return "a value";
}

// Parameterless initializers, then the two that take a number (with the number's name).
const std::vector<std::string>& plain_inits() {
    static const std::vector<std::string> v = {
        "he_normal", "he_uniform", "xavier_uniform", "xavier_normal", "orthogonal", "zeros", "ones"};
    return v;
}

struct ScaledInit {
    const char* kind;
    const char* param;
    const char* meaning;
};
const ScaledInit* scaled_init(const std::string& name) {
    static const ScaledInit table[] = {{"gaussian", "std", "standard deviation"},
                                       {"uniform", "a", "bound (samples in [-a, a])"}};
    for (const ScaledInit& s : table)
        if (name == s.kind) return &s;
    return nullptr;
}

class Binder {
public:
    Binder(const std::string& owner, const SourceFile& file, Diagnostics& diags)
        : owner_(owner), file_(file), diags_(diags) {}

    std::optional<AttrValue> convert(const AttrSchema& s, const ast::Value& v) {
        switch (s.type) {
            case AttrType::Int:
                if (v.kind == ast::Value::Kind::Int) return AttrValue(v.int_value);
                break;
            case AttrType::Float:
                if (v.is_number()) return AttrValue(v.as_double());
                break;
            case AttrType::Bool:
                if (v.kind == ast::Value::Kind::Bool) return AttrValue(v.bool_value);
                break;
            case AttrType::Ident: return convert_ident(s, v);
            case AttrType::Init: return convert_init(s, v);
            case AttrType::IntList: {
                if (v.kind != ast::Value::Kind::List) break;
                std::vector<int64_t> out;
                for (const ast::Value& item : v.items) {
                    if (item.kind != ast::Value::Kind::Int) {
                        diags_.error(file_, item.span,
                                     "attribute '" + s.name + "' of '" + owner_ + "' expects a list of integers, got " +
                                         got_text(item));
                        return std::nullopt;
                    }
                    out.push_back(item.int_value);
                }
                return AttrValue(std::move(out));
            }
        }
        diags_.error(
            file_, v.span,
            "attribute '" + s.name + "' of '" + owner_ + "' expects " + expected_text(s.type) + ", got " + got_text(v));
        return std::nullopt;
    }

private:
    std::optional<AttrValue> convert_ident(const AttrSchema& s, const ast::Value& v) {
        if (v.kind != ast::Value::Kind::Ident) {
            Diagnostic& d = diags_.error(
                file_, v.span, "attribute '" + s.name + "' of '" + owner_ + "' expects a name, got " + got_text(v));
            if (!s.choices.empty()) d.note("choices: " + join(s.choices));
            return std::nullopt;
        }
        if (s.choices.empty()) return AttrValue(v.text);
        for (const std::string& c : s.choices)
            if (c == v.text) return AttrValue(v.text);
        Diagnostic& d = diags_.error(
            file_, v.span, "unknown value '" + v.text + "' for attribute '" + s.name + "' of '" + owner_ + "'");
        if (auto m = nearest_match(v.text, s.choices)) d.help("did you mean '" + *m + "'?");
        d.note("choices: " + join(s.choices));
        return std::nullopt;
    }

    // init = IDENT | gaussian(std) | uniform(a)
    std::optional<AttrValue> convert_init(const AttrSchema& s, const ast::Value& v) {
        const bool named = v.kind == ast::Value::Kind::Ident || v.kind == ast::Value::Kind::Call;
        if (!named) {
            diags_.error(file_, v.span,
                         "attribute '" + s.name + "' of '" + owner_ + "' expects " + expected_text(s.type) + ", got " +
                             got_text(v));
            return std::nullopt;
        }
        const ScaledInit* scaled = scaled_init(v.text);
        bool plain = false;
        for (const std::string& p : plain_inits()) plain = plain || p == v.text;
        if (!plain && !scaled) {
            Diagnostic& d = diags_.error(file_, v.kind == ast::Value::Kind::Call ? v.callee_span : v.span,
                                         "unknown initializer '" + v.text + "'");
            if (auto m = nearest_match(v.text, initializer_names())) d.help("did you mean '" + *m + "'?");
            d.note(
                "initializers: he_normal, he_uniform, xavier_uniform, xavier_normal, orthogonal, gaussian(std), "
                "uniform(a), zeros, ones");
            return std::nullopt;
        }
        if (plain) {
            if (v.kind == ast::Value::Kind::Call && !v.args.empty()) {
                diags_.error(file_, v.args.front().value.span, "initializer '" + v.text + "' takes no arguments");
                return std::nullopt;
            }
            return AttrValue(InitSpec{v.text, 0.0});
        }
        if (v.kind == ast::Value::Kind::Ident) {
            diags_.error(file_, v.span, "initializer '" + v.text + "' needs its " + scaled->meaning)
                .help("write " + v.text + "(0.01) or " + v.text + "(" + scaled->param + "=0.01)");
            return std::nullopt;
        }
        std::vector<const ast::Arg*> args;
        for (const ast::Arg& a : v.args) args.push_back(&a);
        const std::vector<AttrSchema> schema = {
            {scaled->param, AttrType::Float, true, std::nullopt, {}, scaled->meaning}};
        BoundAttrs b = bind_attrs(v.text, schema, args, v.callee_span, file_, diags_);
        if (!b.ok) return std::nullopt;
        const double x = b.attrs.get_float(scaled->param);
        if (!(x > 0.0)) {
            diags_
                .error(file_, b.given_at.at(scaled->param),
                       std::string("'") + scaled->param + "' of " + v.text + " must be greater than 0, got " +
                           format_number(x))
                .help(std::string("the ") + scaled->meaning + " of the initial weights, e.g. 0.01");
            return std::nullopt;
        }
        return AttrValue(InitSpec{v.text, x});
    }

    const std::string& owner_;
    const SourceFile& file_;
    Diagnostics& diags_;
};

std::string attr_names(const std::vector<AttrSchema>& schema) {
    std::vector<std::string> names;
    for (const AttrSchema& s : schema) names.push_back(s.name);
    return join(names);
}

}  // namespace

std::vector<std::string> initializer_names() {
    std::vector<std::string> v = plain_inits();
    v.push_back("gaussian");
    v.push_back("uniform");
    return v;
}

BoundAttrs bind_attrs(const std::string& owner, const std::vector<AttrSchema>& schema,
                      const std::vector<const ast::Arg*>& args, Span call, const SourceFile& file, Diagnostics& diags) {
    BoundAttrs out;
    Binder binder(owner, file, diags);
    std::map<std::string, const ast::Arg*> given;
    size_t next_positional = 0;
    bool seen_keyword = false;
    std::vector<std::string> near_misses;
    for (const ast::Arg* a : args) {
        const AttrSchema* s = nullptr;
        Span where = a->positional() ? a->value.span : a->key_span;
        if (a->positional()) {
            if (seen_keyword) {
                diags.error(file, where, "positional argument after a keyword argument in call to '" + owner + "'")
                    .help("put positional arguments first, or name this one");
                out.ok = false;
                continue;
            }
            if (next_positional >= schema.size()) {
                Diagnostic& d = diags.error(file, where, "too many arguments to '" + owner + "'");
                if (schema.empty())
                    d.note("'" + owner + "' takes no attributes");
                else
                    d.note("'" + owner + "' takes: " + attr_names(schema));
                out.ok = false;
                break;
            }
            s = &schema[next_positional++];
        } else {
            seen_keyword = true;
            for (const AttrSchema& c : schema)
                if (c.name == a->key) s = &c;
            if (!s) {
                Diagnostic& d = diags.error(file, where, "unknown attribute '" + a->key + "' for '" + owner + "'");
                std::vector<std::string> names;
                for (const AttrSchema& c : schema) names.push_back(c.name);
                if (auto m = nearest_match(a->key, names)) {
                    d.help("did you mean '" + *m + "'?");
                    near_misses.push_back(*m);  // so it is not also reported as missing
                }
                if (schema.empty())
                    d.note("'" + owner + "' takes no attributes");
                else
                    d.note("'" + owner + "' takes: " + attr_names(schema));
                out.ok = false;
                continue;
            }
        }
        if (auto it = given.find(s->name); it != given.end()) {
            const ast::Arg* first = it->second;
            diags.error(file, where, "attribute '" + s->name + "' of '" + owner + "' is given twice")
                .note(first->positional() ? first->value.span : first->key_span, "first given here");
            out.ok = false;
            continue;
        }
        given[s->name] = a;
        out.given_at[s->name] = a->value.span;
        if (auto v = binder.convert(*s, a->value))
            out.attrs.values[s->name] = std::move(*v);
        else
            out.ok = false;
    }
    for (const AttrSchema& s : schema) {
        if (out.attrs.has(s.name) || given.count(s.name)) continue;
        if (std::find(near_misses.begin(), near_misses.end(), s.name) != near_misses.end()) continue;
        if (s.default_value) {
            out.attrs.values[s.name] = *s.default_value;
        } else if (s.required) {
            Diagnostic& d = diags.error(file, call, "missing required attribute '" + s.name + "' for '" + owner + "'");
            d.help("add " + s.name + "=..." + (s.help.empty() ? "" : " (" + s.help + ")"));
            out.ok = false;
        }
    }
    return out;
}

}  // namespace nnc::dsl
