#include "codegen/tune/layer_signature.h"

#include <set>
#include <sstream>
#include <type_traits>
#include <variant>

#include "codegen/tune/knob_space.h"

namespace nnc::codegen {
namespace {

std::string attr_text(const dsl::AttrValue& v) {
    return std::visit(
        [](const auto& x) -> std::string {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, bool>)
                return x ? "true" : "false";
            else if constexpr (std::is_same_v<T, int64_t>)
                return std::to_string(x);
            else if constexpr (std::is_same_v<T, double>) {
                std::ostringstream s;
                s << x;
                return s.str();
            } else if constexpr (std::is_same_v<T, std::string>)
                return x;
            else if constexpr (std::is_same_v<T, dsl::InitSpec>)
                return "init";  // no bearing on a schedule
            else {
                std::string s = "[";
                for (size_t i = 0; i < x.size(); ++i) s += (i ? "," : "") + std::to_string(x[i]);
                return s + "]";
            }
        },
        v);
}

}  // namespace

std::string layer_signature(const dsl::CheckedModel& model, const dsl::Node& node, int batch) {
    std::string s = node.op;
    for (int id : node.inputs) s += " in=" + model.node(id).shape.str();
    s += " out=" + node.shape.str();
    // Attributes that only change values (initializers, batch norm's momentum and epsilon) leave
    // the Funcs' shapes as they are: layers that differ only there share a tuning.
    for (const auto& [name, value] : node.attrs.values)  // std::map: sorted by name
        if (name != "init" && name != "max_norm" && name != "momentum" && name != "eps")
            s += " " + name + "=" + attr_text(value);
    return s + " batch=" + std::to_string(batch) + " f32";
}

std::vector<TunableLayer> tunable_layers(const dsl::CheckedModel& model, int batch) {
    std::vector<TunableLayer> out;
    std::set<std::string> seen;
    for (const dsl::Node& node : model.nodes) {
        if (node.kind != dsl::NodeKind::Layer || layer_knob_space(model, node).empty()) continue;
        std::string sig = layer_signature(model, node, batch);
        if (seen.insert(sig).second) out.push_back({&node, std::move(sig)});
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> node_signatures(const dsl::CheckedModel& model, int batch) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const dsl::Node& node : model.nodes)
        if (node.kind == dsl::NodeKind::Layer && !layer_knob_space(model, node).empty())
            out.emplace_back(node.name, layer_signature(model, node, batch));
    return out;
}

}  // namespace nnc::codegen
