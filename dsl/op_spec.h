// What the checker needs to know about an op (a layer or a loss): its inputs, its attribute
// schema, its shape rule and its parameters. The ops themselves live in codegen/layers/ (each next
// to its forward and backward); the checker sees them only through OpCatalog, so dsl/ never
// depends on Halide.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dsl/model.h"

namespace nnc::dsl {

enum class AttrType { Int, Float, Bool, Ident, Init, IntList };

struct AttrSchema {
    std::string name;
    AttrType type = AttrType::Int;
    bool required = false;
    std::optional<AttrValue> default_value;  // used when absent and not required
    std::vector<std::string> choices;        // Ident only: the allowed identifiers
    std::string help;                        // one line, for --help and "did you mean"
};

// Result of a shape rule: the output shape, or a message naming both shapes ("dense expects a
// rank-1 input, got [32, 28, 28]; insert flatten() before it"). The checker adds the location.
struct ShapeResult {
    Shape shape;
    std::string error;  // empty on success
    static ShapeResult ok(Shape s) { return {std::move(s), {}}; }
    static ShapeResult fail(std::string msg) { return {{}, std::move(msg)}; }
};

struct ParamSpec {
    std::string name;  // suffix, e.g. "weight"; the full name is "<node>.weight"
    Shape shape;
    InitSpec init;  // after applying the node's init= attribute or the op's default
    int64_t fan_in = 0, fan_out = 0;
    double max_norm = 0;       // > 0: per-output-unit L2 bound applied after each update (0: none)
    bool units_first = false;  // max_norm's units are the first dimension (conv [F, C, K, K]), else the last
    // false: a state tensor (batch norm's running statistics). It gets no gradient and no
    // optimizer update; training steps replace it with the layer's Layer::state_update values.
    // It is saved in checkpoints like any parameter.
    bool trainable = true;
};

enum class OpKind { Layer, Loss };

struct OpSpec {
    std::string name;
    OpKind kind = OpKind::Layer;
    int min_inputs = 1, max_inputs = 1;  // tensor inputs; max_inputs < 0 means variadic
    std::vector<AttrSchema> attrs;       // positional attributes follow the inputs, in this order
    std::string summary;                 // one line, for docs and hints
    // true: the first input is an int32 token input (embedding); every other op takes float
    // tensors only. The checker enforces both directions.
    bool token_input = false;
    // Pure shape rule over per-sample input shapes. For losses, inputs are (prediction, target)
    // and the target node's kind is known through `target_kinds`.
    std::function<ShapeResult(const std::vector<Shape>& inputs, const Attrs& attrs)> shape;
    // Trainable parameters given the input shapes (empty for parameterless ops).
    std::function<std::vector<ParamSpec>(const std::vector<Shape>& inputs, const Attrs& attrs)> params;
    // Multiply-accumulates per sample of the forward pass (optional; empty if the op does not say).
    std::function<int64_t(const std::vector<Shape>& inputs, const Shape& output, const Attrs& attrs)> macs;
};

class OpCatalog {
public:
    virtual ~OpCatalog() = default;
    virtual const OpSpec* find(const std::string& name) const = 0;
    virtual std::vector<std::string> names() const = 0;  // sorted
};

}  // namespace nnc::dsl
