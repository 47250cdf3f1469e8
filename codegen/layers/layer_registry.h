// All layers by op name. It is also the op catalog the dsl checker sees.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "codegen/layers/layer.h"
#include "dsl/op_spec.h"

namespace nnc::codegen {

class LayerRegistry final : public dsl::OpCatalog {
public:
    static LayerRegistry& instance();

    void add(std::unique_ptr<Layer> layer);
    const Layer* layer(const std::string& op) const;

    const dsl::OpSpec* find(const std::string& name) const override;
    std::vector<std::string> names() const override;

private:
    std::map<std::string, std::unique_ptr<Layer>> layers_;
};

inline const dsl::OpCatalog& layer_catalog() { return LayerRegistry::instance(); }

// One line at the bottom of a layer's file: NNC_REGISTER_LAYER(Dense);
template <typename L>
struct LayerRegistration {
    LayerRegistration() { LayerRegistry::instance().add(std::make_unique<L>()); }
};
#define NNC_REGISTER_LAYER(Class) static ::nnc::codegen::LayerRegistration<Class> registration_##Class

}  // namespace nnc::codegen
