#include "codegen/lower/lowering.h"

#include <map>
#include <stdexcept>

#include "codegen/lower/pipeline_builder.h"

namespace nnc::codegen {

using namespace Halide;
using namespace lowering_detail;

std::vector<Func> LoweredPipeline::output_funcs() const {
    std::vector<Func> fs;
    for (const Tensor& t : outputs) fs.push_back(t.func);
    return fs;
}

std::vector<Argument> LoweredPipeline::arguments() const {
    std::vector<Argument> args{input};
    for (const ImageParam& t : targets) args.push_back(t);
    for (const ImageParam& p : params) args.push_back(p);
    if (has_seed) {
        args.push_back(seed);
        args.push_back(dropout_rates);
    }
    return args;
}

LoweredPipeline lower_inference(const dsl::CheckedModel& model, Type type, int batch_estimate) {
    Builder b(model, type, batch_estimate);
    b.declare_arguments(false, false);
    b.forward_layers();
    b.add_predict_outputs();
    return b.result;
}

LoweredPipeline lower_evaluation(const dsl::CheckedModel& model, Type type, int batch_estimate) {
    Builder b(model, type, batch_estimate);
    b.declare_arguments(true, false);
    b.forward_layers();
    b.add_loss_outputs(b.loss_values());
    b.add_predict_outputs();
    return b.result;
}

LoweredPipeline lower_training(const dsl::CheckedModel& model, Type type, int batch_estimate, bool input_gradient) {
    Builder b(model, type, batch_estimate);
    b.declare_arguments(true, true);
    b.forward_layers();
    const std::vector<Func> losses = b.loss_values();

    // Each loss's incoming gradient is its weight in the total.
    std::vector<Func> grad(model.nodes.size());  // d total / d node output, by node id
    for (int id : model.losses) {
        const dsl::Node& node = model.node(id);
        Func seed(func_safe(node.name) + "__weight");
        seed() = cast(type, Expr(node.loss_weight));
        grad[static_cast<size_t>(id)] = seed;
    }

    // Backward in reverse topological order, accumulating where a value feeds several nodes.
    std::vector<Func> param_grads(b.params.size());
    for (auto it = model.nodes.rbegin(); it != model.nodes.rend(); ++it) {
        const dsl::Node& node = *it;
        if (node.kind != dsl::NodeKind::Layer && node.kind != dsl::NodeKind::Loss) continue;
        const Func& dy = grad[static_cast<size_t>(node.id)];
        if (!dy.defined()) continue;  // nothing downstream reaches a loss
        Gradients g = layer_of(node).backward(b.ctx, node, b.inputs_of(node), b.params_of(node.id),
                                              b.values[static_cast<size_t>(node.id)], dy);
        for (size_t i = 0; i < node.inputs.size() && i < g.d_inputs.size(); ++i) {
            if (!g.d_inputs[i].defined()) continue;
            const int src = node.inputs[i];
            const dsl::NodeKind kind = model.node(src).kind;
            if (kind == dsl::NodeKind::Target || (kind == dsl::NodeKind::Input && !input_gradient)) continue;
            accumulate_gradient(grad[static_cast<size_t>(src)], g.d_inputs[i], model.node(src), node.id);
        }
        size_t k = 0;
        for (size_t p = 0; p < b.params.size(); ++p)
            if (b.params[p].node == node.id && b.params[p].spec.trainable) param_grads[p] = g.d_params.at(k++);
    }

    b.add_loss_outputs(losses);
    for (size_t l = 0; l < model.losses.size(); ++l) {
        const dsl::Node& loss = model.node(model.losses[l]);
        const Tensor& pred = b.values[static_cast<size_t>(loss.inputs[0])];
        b.result.outputs.push_back({copy_of(pred.func, "prediction_" + std::to_string(l)), pred.shape, true});
    }
    for (size_t p = 0; p < b.params.size(); ++p) {
        if (!b.params[p].spec.trainable) continue;
        if (!param_grads[p].defined())
            throw std::logic_error("internal error: parameter '" + b.params[p].full_name + "' gets no gradient");
        b.result.outputs.push_back(
            {copy_of(param_grads[p], "grad__" + b.params[p].func_name), b.params[p].spec.shape, false});
    }
    // New values of the state parameters, node by node in the same (collect_params) order.
    std::map<int, std::vector<Func>> updates;  // node id -> its layer's state_update
    for (size_t p = 0; p < b.params.size(); ++p) {
        if (b.params[p].spec.trainable) continue;
        const int id = b.params[p].node;
        if (!updates.count(id)) {
            const dsl::Node& node = model.node(id);
            updates[id] = layer_of(node).state_update(b.ctx, node, b.inputs_of(node), b.params_of(id));
        }
        size_t k = 0;
        for (size_t q = 0; q < p; ++q)
            if (b.params[q].node == id && !b.params[q].spec.trainable) ++k;
        if (k >= updates[id].size())
            throw std::logic_error("internal error: layer '" + model.node(id).op + "' returns no update for state '" +
                                   b.params[p].full_name + "'");
        b.result.outputs.push_back(
            {copy_of(updates[id][k], "state__" + b.params[p].func_name), b.params[p].spec.shape, false});
    }
    if (input_gradient) {
        const dsl::Node& in = model.node(model.inputs[0]);
        if (!grad[static_cast<size_t>(in.id)].defined())
            throw std::logic_error("internal error: the input '" + in.name + "' gets no gradient");
        b.result.outputs.push_back({copy_of(grad[static_cast<size_t>(in.id)], "grad__input"), in.shape, true});
    }
    return b.result;
}

}  // namespace nnc::codegen
