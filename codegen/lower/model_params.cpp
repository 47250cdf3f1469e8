#include "codegen/lower/model_params.h"

#include "codegen/lower/tensor.h"

#include <algorithm>
#include <stdexcept>

namespace nnc::codegen {

std::vector<dsl::Shape> input_shapes(const dsl::CheckedModel& model, const dsl::Node& node) {
    std::vector<dsl::Shape> shapes;
    for (int id : node.inputs) shapes.push_back(model.node(id).shape);
    return shapes;
}

std::vector<ModelParam> collect_params(const dsl::CheckedModel& model, const dsl::OpCatalog& catalog) {
    std::vector<ModelParam> out;
    for (const dsl::Node& node : model.nodes) {
        if (node.kind != dsl::NodeKind::Layer) continue;
        const dsl::OpSpec* spec = catalog.find(node.op);
        if (!spec) throw std::logic_error("internal error: no op '" + node.op + "' for node '" + node.name + "'");
        if (!spec->params) continue;
        for (dsl::ParamSpec& p : spec->params(input_shapes(model, node), node.attrs)) {
            ModelParam mp;
            mp.node = node.id;
            mp.full_name = node.name + "." + p.name;
            mp.func_name = func_safe(node.name) + "__" + p.name;
            mp.spec = std::move(p);
            out.push_back(std::move(mp));
        }
    }
    // Trainable parameters first, then states: the runtime's optimizer sweeps one prefix.
    std::stable_partition(out.begin(), out.end(), [](const ModelParam& p) { return p.spec.trainable; });
    return out;
}

}  // namespace nnc::codegen
