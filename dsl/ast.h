// The syntax tree: what the user wrote, located, before any name or type is resolved.
// It is deliberately generic — a call is a callee plus arguments, whatever it calls — so that
// new ops, blocks and `repeat` need new checker rules, not new node types in every stage.
#pragma once
#include <cstdint>
#include <optional>
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

// Where an expanded statement came from: one block use (`r1 = residual(h, 32)`), its callee span.
struct UseSite {
    std::string block;
    Span span;
    Span name_span;                          // the name of the statement that uses the block (`r1`)
    int repeat_index = 0, repeat_count = 0;  // for `repeat N`: which instance (1-based) of how many
};

// A statement in a model or block body.
struct Stmt {
    enum class Kind {
        Input,   // input NAME : [int32|float32] [dims]
        Target,  // target NAME : [dims] | classes(C)
        Layer,   // NAME = op(args)
        Loss,    // loss [NAME] = op(args)
        Train,   // train { settings }
    };
    Kind kind = Kind::Layer;
    Span keyword_span;  // `input`, `loss`, `train`...; for a layer, the name
    std::string name;   // empty for `train` and for an unnamed loss
    Span name_span;
    Value value;        // Input/Target: the type; Layer/Loss: the call
    std::string dtype;  // Input only: the element type written before the shape ("int32"), or empty
    Span dtype_span;
    std::vector<Setting> settings;  // Train
    // Layer only: `NAME = repeat N block(args)`; the count as written (the checker wants >= 1).
    std::optional<Value> repeat_count;
    Span repeat_span;  // the `repeat` keyword
    // Set by block expansion (dsl/block_expander.h), never by the parser:
    std::vector<UseSite> trail;  // the block uses this statement was expanded through, outermost first
    bool failed_use = false;     // a block use that could not be expanded (already reported)
};

// One block parameter: `units` or `stride=1`.
struct Param {
    std::string name;
    Span span;
    std::optional<Value> default_value;
};

// block NAME(params) { layer statements; return NAME }
struct Block {
    std::string name;
    Span keyword_span;
    Span name_span;
    std::vector<Param> params;
    std::vector<Stmt> stmts;  // layer statements only (the parser reports anything else)
    std::string result;       // the name after `return`; empty if there is no return
    Span result_span;
    Span close_brace;
};

struct Model {
    std::string name;
    Span name_span;
    Span open_brace;
    std::vector<Stmt> stmts;
};

// A whole .nn file: one model, and the blocks it uses (before or after it).
struct File {
    std::vector<Model> models;
    std::vector<Block> blocks;
};

const char* value_kind_name(Value::Kind kind);  // "integer", "identifier", "call", ...

}  // namespace nnc::dsl::ast
