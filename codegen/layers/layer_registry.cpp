#include "codegen/layers/layer_registry.h"

#include <stdexcept>

namespace nnc::codegen {

LayerRegistry& LayerRegistry::instance() {
    static LayerRegistry registry;
    return registry;
}

void LayerRegistry::add(std::unique_ptr<Layer> layer) {
    const std::string name = layer->spec().name;
    if (layers_.count(name)) throw std::logic_error("internal error: layer '" + name + "' registered twice");
    layers_[name] = std::move(layer);
}

const Layer* LayerRegistry::layer(const std::string& op) const {
    auto it = layers_.find(op);
    return it == layers_.end() ? nullptr : it->second.get();
}

const dsl::OpSpec* LayerRegistry::find(const std::string& name) const {
    const Layer* l = layer(name);
    return l ? &l->spec() : nullptr;
}

std::vector<std::string> LayerRegistry::names() const {
    std::vector<std::string> out;
    for (const auto& kv : layers_) out.push_back(kv.first);
    return out;  // std::map keeps them sorted
}

}  // namespace nnc::codegen
