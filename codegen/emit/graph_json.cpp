#include "codegen/emit/graph_json.h"

#include <nlohmann/json.hpp>

#include "codegen/layers/layer_registry.h"
#include "codegen/lower/model_params.h"

namespace nnc::codegen {
namespace {

using nlohmann::json;

json attr_json(const dsl::AttrValue& v) {
    return std::visit(
        [](const auto& x) -> json {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, dsl::InitSpec>)
                return json{{"init", x.kind}, {"a", x.a}};
            else
                return json(x);
        },
        v);
}

const char* kind_name(dsl::NodeKind k) {
    switch (k) {
        case dsl::NodeKind::Input: return "input";
        case dsl::NodeKind::Target: return "target";
        case dsl::NodeKind::Layer: return "layer";
        case dsl::NodeKind::Loss: return "loss";
    }
    return "?";
}

}  // namespace

std::string graph_to_json(const dsl::CheckedModel& model) {
    json nodes = json::array();
    for (const dsl::Node& n : model.nodes) {
        json node{{"name", n.name}, {"kind", kind_name(n.kind)}, {"op", n.op}, {"shape", n.shape.dims}};
        json inputs = json::array();
        for (int id : n.inputs) inputs.push_back(model.node(id).name);
        node["inputs"] = inputs;
        json attrs = json::object();
        for (const auto& [k, v] : n.attrs.values) attrs[k] = attr_json(v);
        node["attrs"] = attrs;
        if (n.kind == dsl::NodeKind::Input) node["dtype"] = n.dtype == dsl::DType::Int32 ? "int32" : "float32";
        if (n.kind == dsl::NodeKind::Target) {
            node["target_kind"] = n.target_kind == dsl::TargetKind::Classes ? "classes" : "real";
            node["num_classes"] = n.num_classes;
        }
        if (n.kind == dsl::NodeKind::Loss) node["weight"] = n.loss_weight;
        nodes.push_back(node);
    }
    json params = json::array();
    for (const ModelParam& p : collect_params(model, layer_catalog()))
        params.push_back({{"name", p.full_name},
                          {"node", model.node(p.node).name},
                          {"param", p.spec.name},
                          {"shape", p.spec.shape.dims},
                          {"trainable", p.spec.trainable}});
    json out{{"model", model.name}, {"nodes", nodes}, {"params", params}};
    return out.dump(2) + "\n";
}

}  // namespace nnc::codegen
