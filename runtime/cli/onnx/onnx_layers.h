// Each nnc layer's ONNX form (opset 17), one emitter per op in one table: what nodes it becomes and
// how its parameters are laid out there. Tensors are [batch, per-sample dims...] on both sides.
#pragma once
#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

#include "runtime/cli/onnx/onnx_export.h"
#include "runtime/cli/onnx/onnx_graph_builder.h"

namespace nnc::driver::onnx_export {

// One layer node of the checked graph, with its inputs already in ONNX.
struct LayerNode {
    std::string name, op;
    std::vector<std::string> inputs;               // the ONNX tensors of its inputs, in order
    std::vector<std::vector<int64_t>> input_dims;  // their per-sample shapes
    std::vector<int64_t> dims;                     // its per-sample output shape
    const nlohmann::json* attrs = nullptr;         // every attribute, defaults filled in
    std::map<std::string, const Tensor*> params;   // by short name ("weight")

    const Tensor& param(const std::string& short_name) const;
    bool has_param(const std::string& short_name) const { return params.count(short_name) != 0; }
    int64_t int_attr(const std::string& key, int64_t fallback) const;
    double float_attr(const std::string& key, double fallback) const;
    bool bool_attr(const std::string& key, bool fallback) const;
    std::string string_attr(const std::string& key, const std::string& fallback) const;
};

// Writes the layer's nodes and returns the tensor that holds its output: a tensor named after the
// node, or (a layer that is the identity at inference, dropout) its input.
using LayerEmitter = std::string (*)(GraphBuilder& g, const LayerNode& n);

// nullptr for an op with no ONNX form here.
LayerEmitter find_layer_emitter(const std::string& op);
// The ops find_layer_emitter knows, sorted, for messages.
std::vector<std::string> exportable_ops();

// lstm and gru (onnx_recurrent.cpp): ONNX's own LSTM and GRU, gates reordered from torch's.
std::string emit_lstm(GraphBuilder& g, const LayerNode& n);
std::string emit_gru(GraphBuilder& g, const LayerNode& n);

// The transformer layers (onnx_transformer.cpp): dense on a sequence (N, T, F), layernorm, gelu
// (exact and tanh forms) and attention (a subgraph of MatMul, Reshape, Transpose and Softmax).
std::string emit_sequence_dense(GraphBuilder& g, const LayerNode& n);
std::string emit_layernorm(GraphBuilder& g, const LayerNode& n);
std::string emit_gelu(GraphBuilder& g, const LayerNode& n);
std::string emit_attention(GraphBuilder& g, const LayerNode& n);

}  // namespace nnc::driver::onnx_export
