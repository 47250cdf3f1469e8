// The graph walk: the model input (standardized in the graph when the model standardizes it), each
// layer through its emitter (onnx_layers.h), then one graph output per loss — what inference
// returns for it (softmax or sigmoid probabilities, or the prediction, brought back to the
// target's units when the target is standardized). Then the ONNX checker and strict shape
// inference against nnc's own shapes; only a model both accept is returned.
#include "runtime/cli/onnx/onnx_export.h"

#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include <nlohmann/json.hpp>

#include <stdexcept>

#include "runtime/cli/onnx/onnx_graph_builder.h"
#include "runtime/cli/onnx/onnx_layers.h"

namespace nnc::driver::onnx_export {
namespace {

using nlohmann::json;

std::vector<int64_t> dims_of(const json& node) { return node.at("shape").get<std::vector<int64_t>>(); }

std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& s : names) out += (out.empty() ? "" : ", ") + s;
    return out;
}

// The graph input, and (x - mean) / scale after it when the model standardizes its inputs.
std::string add_input(GraphBuilder& g, const json& node, const Standardization& z) {
    const std::string name = node.at("name");
    const std::vector<int64_t> dims = dims_of(node);
    const bool tokens = node.value("dtype", "float32") == "int32";
    g.claim(name);
    GraphBuilder::set_type(*g.graph().add_input(), name, dims,
                           tokens ? onnx::TensorProto::INT32 : onnx::TensorProto::FLOAT);
    if (z.mean.empty()) return name;
    const std::string mean = g.initializer(name + ".standardize_mean", dims, z.mean);
    const std::string scale = g.initializer(name + ".standardize_scale", dims, z.scale);
    const std::string centred = g.unique(name + "/centred");
    g.node("Sub", name + "/centre", {name, mean}, {centred});
    const std::string out = g.unique(name + "/standardized");
    g.node("Div", name + "/standardize", {centred, scale}, {out});
    return out;
}

struct LossOutput {
    std::string op;          // the loss's op: what inference returns for it
    std::string prediction;  // the tensor of its prediction input
    std::vector<int64_t> dims;
    const Standardization* target = nullptr;  // its target's statistics (empty: none)
    std::string name;                         // the graph output's name
};

// What inference returns for a loss (each loss's Layer::predict), in the target's units. Softmax
// is over the last axis: per position for sequence logits [T, C] (a classes(C, [T]) target).
void add_output(GraphBuilder& g, const LossOutput& o) {
    std::string value = o.prediction;
    const bool unstandardize = o.target && !o.target->mean.empty();
    const char* activation = o.op == "softmax_cross_entropy"          ? "Softmax"
                             : o.op == "sigmoid_binary_cross_entropy" ? "Sigmoid"
                                                                      : nullptr;
    if (activation) {
        const std::string out = unstandardize ? g.unique(o.name + "/probabilities") : o.name;
        onnx::NodeProto& n = g.node(activation, o.name + "/" + activation, {value}, {out});
        if (o.op == "softmax_cross_entropy") GraphBuilder::attr(n, "axis", int64_t{-1});
        value = out;
    }
    if (unstandardize) {
        const std::string scale = g.initializer(o.name + ".unstandardize_scale", o.dims, o.target->scale);
        const std::string mean = g.initializer(o.name + ".unstandardize_mean", o.dims, o.target->mean);
        const std::string scaled = g.unique(o.name + "/scaled");
        g.node("Mul", o.name + "/scale", {value, scale}, {scaled});
        g.node("Add", o.name + "/unstandardize", {scaled, mean}, {o.name});
        value = o.name;
    }
    if (value != o.name) g.node("Identity", o.name, {value}, {o.name});
    GraphBuilder::set_type(*g.graph().add_output(), o.name, o.dims);
}

// Each layer node's parameters by short name, checked against the graph's shapes.
std::map<std::string, std::map<std::string, const Tensor*>> params_by_node(const json& graph, const Input& input) {
    std::map<std::string, std::map<std::string, const Tensor*>> out;
    for (const json& p : graph.at("params")) {
        const std::string full = p.at("name");
        auto it = input.params.find(full);
        if (it == input.params.end())
            throw std::runtime_error("the weights lack parameter '" + full + "'; export from weights of this model");
        if (it->second.dims != p.at("shape").get<std::vector<int64_t>>())
            throw std::runtime_error("parameter '" + full + "' of the weights does not have the graph's shape");
        out[p.at("node")][p.at("param")] = &it->second;
    }
    return out;
}

// A layer node through its emitter; returns the tensor holding its output.
std::string add_layer(GraphBuilder& g, const json& node, const std::map<std::string, std::string>& tensors,
                      const std::map<std::string, std::vector<int64_t>>& shapes,
                      const std::map<std::string, std::map<std::string, const Tensor*>>& params) {
    LayerNode n;
    n.name = node.at("name");
    n.op = node.at("op");
    n.dims = dims_of(node);
    n.attrs = &node.at("attrs");
    for (const json& i : node.at("inputs")) {
        n.inputs.push_back(tensors.at(i.get<std::string>()));
        n.input_dims.push_back(shapes.at(i.get<std::string>()));
    }
    if (auto it = params.find(n.name); it != params.end()) n.params = it->second;
    const LayerEmitter emit = find_layer_emitter(n.op);
    if (!emit)
        throw std::runtime_error(
            "layer '" + n.name + "' is a " + n.op +
            ", which has no ONNX form in this nnc; the layers export-onnx writes: " + join(exportable_ops()));
    const std::string out = emit(g, n);
    if (out == n.name) g.value_info(out, n.dims);
    return out;
}

void build_graph(GraphBuilder& g, const json& graph, const Input& input) {
    const auto params = params_by_node(graph, input);
    std::map<std::string, std::string> tensors;  // node name -> the ONNX tensor holding its value
    std::map<std::string, std::vector<int64_t>> shapes;
    std::vector<std::string> target_names;
    std::vector<LossOutput> outputs;
    for (const json& node : graph.at("nodes")) {
        const std::string name = node.at("name"), kind = node.at("kind");
        shapes[name] = dims_of(node);
        if (kind == "input") {
            tensors[name] = add_input(g, node, input.inputs);
        } else if (kind == "target") {
            target_names.push_back(name);
        } else if (kind == "layer") {
            tensors[name] = add_layer(g, node, tensors, shapes, params);
        } else if (kind == "loss") {
            const std::string prediction = node.at("inputs").at(0), target = node.at("inputs").at(1);
            const size_t t =
                static_cast<size_t>(std::find(target_names.begin(), target_names.end(), target) - target_names.begin());
            outputs.push_back({node.at("op"), tensors.at(prediction), shapes.at(prediction),
                               t < input.targets.size() ? &input.targets[t] : nullptr, name});
        }
    }
    // Outputs are named as nnc predict names its columns: the target's name, or with several
    // losses, each loss's.
    const bool single = outputs.size() == 1;
    for (LossOutput& o : outputs) {
        if (single) {
            for (const json& node : graph.at("nodes"))
                if (node.at("name") == o.name) o.name = node.at("inputs").at(1);
        }
        o.name = g.unique(o.name);
        add_output(g, o);
    }
}

// The ONNX checker, then strict shape inference with types checked: it merges what it infers with
// the shapes declared from nnc's graph and throws where they differ.
void check(const onnx::ModelProto& model) {
    try {
        onnx::checker::check_model(model);
        onnx::ModelProto copy = model;
        onnx::shape_inference::InferShapes(copy, onnx::OpSchemaRegistry::Instance(),
                                           onnx::ShapeInferenceOptions(true, 1, false));
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string("internal error: the ONNX checker rejects the exported model: ") +
                                 e.what());
    }
}

}  // namespace

bool available() { return true; }
void require_available() {}

std::string export_model(const Input& input, Summary* summary) {
    json graph;
    try {
        graph = json::parse(input.graph_json);
    } catch (const json::exception& e) {
        throw std::runtime_error(std::string("internal error: the model library's graph is not valid JSON (") +
                                 e.what() + "); rebuild the model with this nnc");
    }
    onnx::ModelProto model;
    model.set_ir_version(onnx::IR_VERSION);
    model.set_producer_name("nnc");
    model.set_doc_string("exported by nnc export-onnx from model '" + graph.value("model", std::string()) + "'" +
                         (input.producer_note.empty() ? "" : ", " + input.producer_note));
    onnx::OperatorSetIdProto* opset = model.add_opset_import();
    opset->set_domain("");
    opset->set_version(kOpset);
    onnx::GraphProto* g = model.mutable_graph();
    g->set_name(graph.value("model", std::string("model")));
    GraphBuilder builder(g);
    build_graph(builder, graph, input);
    check(model);
    if (summary) {
        summary->input = g->input(0).name();
        for (const onnx::ValueInfoProto& o : g->output()) summary->outputs.push_back(o.name());
        summary->nodes = g->node_size();
    }
    std::string bytes;
    if (!model.SerializeToString(&bytes))
        throw std::runtime_error("internal error: the ONNX model could not be serialized (over 2 GiB?)");
    return bytes;
}

}  // namespace nnc::driver::onnx_export
