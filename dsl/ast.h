// The syntax tree: what the user wrote, located, before any name or type is resolved.
// It is deliberately generic — a call is a callee plus arguments, whatever it calls — so that
// new ops, blocks and `repeat` need new checker rules, not new node types in every stage.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "dsl/span.h"

namespace nnc::dsl::ast {

struct Arg;

// A value as written: 42, -0.5, true, "path", he_normal, [1, 28, 28], gaussian(std=0.01).
struct Value {
    enum class Kind { Int, Float, Bool, String, Ident, List, Call };
    Kind kind = Kind::Int;
    Span span;                 // the whole value on its first line (for a call: callee through ')')
    int64_t int_value = 0;     // Int
    double float_value = 0.0;  // Float
    bool bool_value = false;   // Bool
    std::string text;          // Ident, String, and the callee of a Call
    Span callee_span;          // Call: just the callee name
    std::vector<Value> items;  // List
    std::vector<Arg> args;     // Call

    bool is_ident() const { return kind == Kind::Ident; }
    bool is_number() const { return kind == Kind::Int || kind == Kind::Float; }
    double as_double() const { return kind == Kind::Int ? static_cast<double>(int_value) : float_value; }
};

// One call argument: positional (key empty) or key=value.
struct Arg {
    std::string key;
    Span key_span;
    Value value;
    bool positional() const { return key.empty(); }
};

// One `key = value` line of a train { } section.
struct Setting {
    std::string key;
    Span key_span;
    Value value;
};

// A statement in a model body.
struct Stmt {
    enum class Kind {
        Input,   // input NAME : [dims]
        Target,  // target NAME : [dims] | classes(C)
        Layer,   // NAME = op(args)
        Loss,    // loss [NAME] = op(args)
        Train,   // train { settings }
    };
    Kind kind = Kind::Layer;
    Span keyword_span;       // `input`, `loss`, `train`...; for a layer, the name
    std::string name;        // empty for `train` and for an unnamed loss
    Span name_span;
    Value value;             // Input/Target: the type; Layer/Loss: the call
    std::vector<Setting> settings;  // Train
};

struct Model {
    std::string name;
    Span name_span;
    Span open_brace;
    std::vector<Stmt> stmts;
};

// A whole .nn file. Today exactly one model; `block` definitions will sit beside it.
struct File {
    std::vector<Model> models;
};

const char* value_kind_name(Value::Kind kind);  // "integer", "identifier", "call", ...

}  // namespace nnc::dsl::ast
