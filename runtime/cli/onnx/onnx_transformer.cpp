// The transformer layers in opset 17: layernorm as LayerNormalization; gelu as its formula (ONNX's
// Gelu is opset 20); attention as a readable subgraph, torch's MultiheadAttention on (x, x, x):
//   [q | k | v] = x Wqkv + bqkv (Split in three), each (N, T, D) -> (N, H, T, d) by Reshape and
//   Transpose; scores q kᵀ / √d (N, H, T, T), plus a constant mask of -inf above the diagonal when
//   causal; Softmax over the keys; the weighted sum of v; back to (N, T, D); then Wout + bout.
// Attention's dropout is the identity at inference and leaves nothing.
#include <cmath>
#include <limits>

#include "runtime/cli/onnx/onnx_layers.h"

namespace nnc::driver::onnx_export {
namespace {

// A float32 scalar constant named after the layer.
std::string scalar(GraphBuilder& g, const LayerNode& n, const std::string& what, float value) {
    return g.initializer(n.name + "." + what, {}, {value});
}

// One node of `op` whose output is a fresh tensor named `n.name/step`; returns that tensor.
std::string step(GraphBuilder& g, const LayerNode& n, const std::string& op, const std::string& what,
                 const std::vector<std::string>& inputs) {
    const std::string out = g.unique(n.name + "/" + what);
    g.node(op, n.name + "/" + what, inputs, {out});
    return out;
}

std::string transposed(GraphBuilder& g, const LayerNode& n, const std::string& what, const std::string& x,
                       const std::vector<int64_t>& perm) {
    const std::string out = g.unique(n.name + "/" + what);
    GraphBuilder::attr(g.node("Transpose", n.name + "/" + what, {x}, {out}), "perm", perm);
    return out;
}

// x W (+ b) on the last axis; the last node writes `out`.
void projection(GraphBuilder& g, const LayerNode& n, const std::string& x, const std::string& weight,
                const std::string& bias, const std::string& what, const std::string& out) {
    if (bias.empty()) {
        g.node("MatMul", out == n.name ? n.name : n.name + "/" + what, {x, weight}, {out});
        return;
    }
    const std::string product = step(g, n, "MatMul", what + "_matmul", {x, weight});
    g.node("Add", out == n.name ? n.name : n.name + "/" + what, {product, bias}, {out});
}

// 0 on and below the diagonal, -inf above: query t sees keys u <= t.
std::string causal_mask(GraphBuilder& g, const LayerNode& n, int64_t t) {
    std::vector<float> mask(static_cast<size_t>(t * t), 0.0f);
    for (int64_t q = 0; q < t; ++q)
        for (int64_t k = q + 1; k < t; ++k)
            mask[static_cast<size_t>(q * t + k)] = -std::numeric_limits<float>::infinity();
    return g.initializer(n.name + ".causal_mask", {t, t}, mask);
}

}  // namespace

// dense on a sequence (N, T, F): the same W [F, units] at every position, MatMul then Add.
std::string emit_sequence_dense(GraphBuilder& g, const LayerNode& n) {
    const std::string weight = g.initializer(n.name + ".weight", n.param("weight").dims, n.param("weight").values);
    const std::string bias = n.has_param("bias")
                                 ? g.initializer(n.name + ".bias", n.param("bias").dims, n.param("bias").values)
                                 : std::string();
    projection(g, n, n.inputs[0], weight, bias, "matmul", n.name);
    return n.name;
}

// LayerNormalization over the last axis; without affine, scale 1 and shift 0.
std::string emit_layernorm(GraphBuilder& g, const LayerNode& n) {
    const int64_t d = n.dims.back();
    const bool affine = n.has_param("weight");
    const std::string weight = affine ? g.initializer(n.name + ".weight", {d}, n.param("weight").values)
                                      : g.initializer(n.name + ".weight", {d}, std::vector<float>(d, 1.0f));
    const std::string bias = affine ? g.initializer(n.name + ".bias", {d}, n.param("bias").values)
                                    : g.initializer(n.name + ".bias", {d}, std::vector<float>(d, 0.0f));
    onnx::NodeProto& node = g.node("LayerNormalization", n.name, {n.inputs[0], weight, bias}, {n.name});
    GraphBuilder::attr(node, "axis", int64_t{-1});
    GraphBuilder::attr(node, "epsilon", static_cast<float>(n.float_attr("eps", 1e-5)));
    return n.name;
}

// none: 0.5 x (1 + erf(x / √2));  tanh: 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))).
std::string emit_gelu(GraphBuilder& g, const LayerNode& n) {
    const std::string& x = n.inputs[0];
    std::string inner;
    if (n.string_attr("approximate", "none") == "tanh") {
        const std::string cube = step(g, n, "Mul", "x_cubed", {step(g, n, "Mul", "x_squared", {x, x}), x});
        const std::string sum =
            step(g, n, "Add", "cubic", {x, step(g, n, "Mul", "cubic_term", {cube, scalar(g, n, "cubic", 0.044715f)})});
        const std::string u =
            step(g, n, "Mul", "u", {sum, scalar(g, n, "sqrt_2_over_pi", static_cast<float>(std::sqrt(2.0 / M_PI)))});
        inner = step(g, n, "Tanh", "tanh", {u});
    } else {
        const std::string scaled =
            step(g, n, "Mul", "x_over_sqrt2", {x, scalar(g, n, "inv_sqrt2", static_cast<float>(1.0 / std::sqrt(2.0)))});
        inner = step(g, n, "Erf", "erf", {scaled});
    }
    const std::string one_plus = step(g, n, "Add", "one_plus", {inner, scalar(g, n, "one", 1.0f)});
    const std::string half_x = step(g, n, "Mul", "half_x", {x, scalar(g, n, "half", 0.5f)});
    g.node("Mul", n.name, {half_x, one_plus}, {n.name});
    return n.name;
}

std::string emit_attention(GraphBuilder& g, const LayerNode& n) {
    const int64_t t = n.dims.at(0), width = n.dims.at(1), heads = n.int_attr("heads", 1), head = width / heads;
    const auto param = [&](const std::string& p) {
        return g.initializer(n.name + "." + p, n.param(p).dims, n.param(p).values);
    };
    const std::string qkv = g.unique(n.name + "/qkv");
    projection(g, n, n.inputs[0], param("weight_qkv"), param("bias_qkv"), "qkv", qkv);
    std::vector<std::string> parts{g.unique(n.name + "/q"), g.unique(n.name + "/k"), g.unique(n.name + "/v")};
    GraphBuilder::attr(
        g.node("Split", n.name + "/split", {qkv, g.int64_initializer(n.name + ".split", {width, width, width})}, parts),
        "axis", int64_t{2});
    // (N, T, D) -> (N, T, H, d) -> (N, H, T, d); keys to (N, H, d, T) for the product.
    const std::string heads_shape = g.int64_initializer(n.name + ".heads_shape", {0, 0, heads, head});
    std::vector<std::string> per_head;
    const char* names[] = {"q", "k", "v"};
    for (size_t i = 0; i < 3; ++i) {
        const std::string split = step(g, n, "Reshape", std::string(names[i]) + "_heads", {parts[i], heads_shape});
        per_head.push_back(transposed(g, n, std::string(names[i]) + "_by_head", split,
                                      i == 1 ? std::vector<int64_t>{0, 2, 3, 1} : std::vector<int64_t>{0, 2, 1, 3}));
    }
    std::string scores = step(g, n, "Mul", "scores",
                              {step(g, n, "MatMul", "q_dot_k", {per_head[0], per_head[1]}),
                               scalar(g, n, "scale", static_cast<float>(1.0 / std::sqrt(static_cast<double>(head))))});
    if (n.bool_attr("causal", false)) scores = step(g, n, "Add", "masked_scores", {scores, causal_mask(g, n, t)});
    const std::string weights = g.unique(n.name + "/weights");
    GraphBuilder::attr(g.node("Softmax", n.name + "/softmax", {scores}, {weights}), "axis", int64_t{-1});
    const std::string mixed = step(g, n, "MatMul", "weighted_sum", {weights, per_head[2]});
    const std::string by_position = transposed(g, n, "by_position", mixed, {0, 2, 1, 3});
    const std::string concat =
        step(g, n, "Reshape", "concat", {by_position, g.int64_initializer(n.name + ".concat_shape", {0, 0, width})});
    projection(g, n, concat, param("weight_out"), param("bias_out"), "out", n.name);
    return n.name;
}

}  // namespace nnc::driver::onnx_export
