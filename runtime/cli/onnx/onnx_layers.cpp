#include "runtime/cli/onnx/onnx_layers.h"

#include <algorithm>
#include <stdexcept>

namespace nnc::driver::onnx_export {

const Tensor& LayerNode::param(const std::string& short_name) const {
    auto it = params.find(short_name);
    if (it == params.end())
        throw std::runtime_error("internal error: layer '" + name + "' (" + op + ") has no parameter '" + short_name +
                                 "' among the model's");
    return *it->second;
}

int64_t LayerNode::int_attr(const std::string& key, int64_t fallback) const {
    return attrs->contains(key) ? attrs->at(key).get<int64_t>() : fallback;
}
double LayerNode::float_attr(const std::string& key, double fallback) const {
    return attrs->contains(key) ? attrs->at(key).get<double>() : fallback;
}
bool LayerNode::bool_attr(const std::string& key, bool fallback) const {
    return attrs->contains(key) ? attrs->at(key).get<bool>() : fallback;
}
std::string LayerNode::string_attr(const std::string& key, const std::string& fallback) const {
    return attrs->contains(key) ? attrs->at(key).get<std::string>() : fallback;
}

namespace {

// The parameter `short_name` of `n` as an initializer named as nnc names it ("fc1.weight").
std::string param_initializer(GraphBuilder& g, const LayerNode& n, const std::string& short_name) {
    const Tensor& t = n.param(short_name);
    return g.initializer(n.name + "." + short_name, t.dims, t.values);
}

// One node of `op` from the layer's inputs to a tensor named after the layer.
std::string single(GraphBuilder& g, const LayerNode& n, const std::string& op) {
    g.node(op, n.name, n.inputs, {n.name});
    return n.name;
}

// nnc's window arithmetic (codegen/layers/window.h): the stride defaults to the kernel where it is
// 0 (pooling), the padding is explicit (pad >= 0), "same" or none.
struct Window {
    int64_t kernel, stride, dilation, pad;
};
Window window_of(const LayerNode& n, bool has_dilation) {
    Window w{};
    w.kernel = n.int_attr("kernel", 1);
    const int64_t stride = n.int_attr("stride", 0);
    w.stride = stride > 0 ? stride : w.kernel;
    w.dilation = has_dilation ? n.int_attr("dilation", 1) : 1;
    const int64_t pad = n.int_attr("pad", -1);
    if (pad >= 0)
        w.pad = pad;
    else if (n.string_attr("padding", "") == "same")
        w.pad = w.dilation * (w.kernel - 1) / 2;
    else
        w.pad = 0;
    return w;
}

void window_attrs(onnx::NodeProto& node, const Window& w, bool has_dilation) {
    GraphBuilder::attr(node, "kernel_shape", std::vector<int64_t>{w.kernel, w.kernel});
    GraphBuilder::attr(node, "strides", std::vector<int64_t>{w.stride, w.stride});
    GraphBuilder::attr(node, "pads", std::vector<int64_t>{w.pad, w.pad, w.pad, w.pad});
    if (has_dilation) GraphBuilder::attr(node, "dilations", std::vector<int64_t>{w.dilation, w.dilation});
}

// dense: y = x W + b with W [in, out], which is Gemm's B as it is; Gemm takes matrices only, so a
// sequence (N, T, F) is MatMul and Add.
std::string emit_dense(GraphBuilder& g, const LayerNode& n) {
    if (n.input_dims.at(0).size() == 2) return emit_sequence_dense(g, n);
    std::vector<std::string> in{n.inputs[0], param_initializer(g, n, "weight")};
    if (n.has_param("bias")) in.push_back(param_initializer(g, n, "bias"));
    g.node("Gemm", n.name, in, {n.name});
    return n.name;
}

// conv2d: weight [F, C, K, K] is ONNX's layout.
std::string emit_conv2d(GraphBuilder& g, const LayerNode& n) {
    std::vector<std::string> in{n.inputs[0], param_initializer(g, n, "weight")};
    if (n.has_param("bias")) in.push_back(param_initializer(g, n, "bias"));
    window_attrs(g.node("Conv", n.name, in, {n.name}), window_of(n, true), true);
    return n.name;
}

std::string emit_maxpool2d(GraphBuilder& g, const LayerNode& n) {
    window_attrs(g.node("MaxPool", n.name, n.inputs, {n.name}), window_of(n, false), false);
    return n.name;
}

// avgpool2d counts the padding as zeros (torch's count_include_pad=True).
std::string emit_avgpool2d(GraphBuilder& g, const LayerNode& n) {
    onnx::NodeProto& node = g.node("AveragePool", n.name, n.inputs, {n.name});
    window_attrs(node, window_of(n, false), false);
    GraphBuilder::attr(node, "count_include_pad", int64_t{1});
    return n.name;
}

// (N, C, H, W) -> (N, C): GlobalAveragePool would keep two unit axes.
std::string emit_global_avgpool(GraphBuilder& g, const LayerNode& n) {
    onnx::NodeProto& node = g.node("ReduceMean", n.name, n.inputs, {n.name});
    GraphBuilder::attr(node, "axes", std::vector<int64_t>{2, 3});
    GraphBuilder::attr(node, "keepdims", int64_t{0});
    return n.name;
}

// batchnorm in inference form: the running statistics; without affine, scale 1 and shift 0.
std::string emit_batchnorm(GraphBuilder& g, const LayerNode& n) {
    const int64_t c = n.dims.at(0);
    const bool affine = n.has_param("weight");
    std::vector<std::string> in{
        n.inputs[0],
        affine ? param_initializer(g, n, "weight")
               : g.initializer(n.name + ".weight", {c}, std::vector<float>(c, 1.0f)),
        affine ? param_initializer(g, n, "bias") : g.initializer(n.name + ".bias", {c}, std::vector<float>(c, 0.0f)),
        param_initializer(g, n, "running_mean"), param_initializer(g, n, "running_var")};
    onnx::NodeProto& node = g.node("BatchNormalization", n.name, in, {n.name});
    GraphBuilder::attr(node, "epsilon", static_cast<float>(n.float_attr("eps", 1e-5)));
    return n.name;
}

// dropout is the identity at inference: removed, its consumers read its input.
std::string emit_dropout(GraphBuilder&, const LayerNode& n) { return n.inputs[0]; }

// embedding: weight [V, D] gathered by the int32 ids along its first axis.
std::string emit_embedding(GraphBuilder& g, const LayerNode& n) {
    g.node("Gather", n.name, {param_initializer(g, n, "weight"), n.inputs[0]}, {n.name});
    return n.name;
}

std::string emit_flatten(GraphBuilder& g, const LayerNode& n) {
    GraphBuilder::attr(g.node("Flatten", n.name, n.inputs, {n.name}), "axis", int64_t{1});
    return n.name;
}

// The new per-sample shape behind the batch (0: Reshape keeps the input's batch).
std::string emit_reshape(GraphBuilder& g, const LayerNode& n) {
    std::vector<int64_t> shape{0};
    shape.insert(shape.end(), n.dims.begin(), n.dims.end());
    g.node("Reshape", n.name, {n.inputs[0], g.int64_initializer(n.name + ".shape", shape)}, {n.name});
    return n.name;
}

std::string emit_concat(GraphBuilder& g, const LayerNode& n) {
    GraphBuilder::attr(g.node("Concat", n.name, n.inputs, {n.name}), "axis", n.int_attr("axis", 0) + 1);
    return n.name;
}

std::string emit_add(GraphBuilder& g, const LayerNode& n) { return single(g, n, n.inputs.size() == 2 ? "Add" : "Sum"); }

std::string emit_leaky_relu(GraphBuilder& g, const LayerNode& n) {
    GraphBuilder::attr(g.node("LeakyRelu", n.name, n.inputs, {n.name}), "alpha",
                       static_cast<float>(n.float_attr("alpha", 0.01)));
    return n.name;
}

// axis counts the per-sample axes as torch's dim less the batch: from the front ONNX's is one more.
std::string emit_softmax(GraphBuilder& g, const LayerNode& n) {
    const int64_t axis = n.int_attr("axis", -1);
    GraphBuilder::attr(g.node("Softmax", n.name, n.inputs, {n.name}), "axis", axis < 0 ? axis : axis + 1);
    return n.name;
}

std::string emit_relu(GraphBuilder& g, const LayerNode& n) { return single(g, n, "Relu"); }
std::string emit_tanh(GraphBuilder& g, const LayerNode& n) { return single(g, n, "Tanh"); }
std::string emit_sigmoid(GraphBuilder& g, const LayerNode& n) { return single(g, n, "Sigmoid"); }
// linear is the identity too, but a named one: the .nn file wrote it to name a head.
std::string emit_linear(GraphBuilder& g, const LayerNode& n) { return single(g, n, "Identity"); }

const std::map<std::string, LayerEmitter>& emitters() {
    static const std::map<std::string, LayerEmitter> table = {
        {"add", emit_add},
        {"attention", emit_attention},
        {"avgpool2d", emit_avgpool2d},
        {"batchnorm", emit_batchnorm},
        {"concat", emit_concat},
        {"conv2d", emit_conv2d},
        {"dense", emit_dense},
        {"dropout", emit_dropout},
        {"embedding", emit_embedding},
        {"flatten", emit_flatten},
        {"gelu", emit_gelu},
        {"global_avgpool", emit_global_avgpool},
        {"gru", emit_gru},
        {"layernorm", emit_layernorm},
        {"leaky_relu", emit_leaky_relu},
        {"linear", emit_linear},
        {"lstm", emit_lstm},
        {"maxpool2d", emit_maxpool2d},
        {"relu", emit_relu},
        {"reshape", emit_reshape},
        {"sigmoid", emit_sigmoid},
        {"softmax", emit_softmax},
        {"tanh", emit_tanh},
    };
    return table;
}

}  // namespace

LayerEmitter find_layer_emitter(const std::string& op) {
    auto it = emitters().find(op);
    return it == emitters().end() ? nullptr : it->second;
}

std::vector<std::string> exportable_ops() {
    std::vector<std::string> ops;
    for (const auto& [op, e] : emitters()) ops.push_back(op);
    return ops;
}

}  // namespace nnc::driver::onnx_export
