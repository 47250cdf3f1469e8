#include "codegen/lowering.h"

#include <map>
#include <stdexcept>

#include "codegen/layer_registry.h"

namespace nnc::codegen {
namespace {

using namespace Halide;

const Layer& layer_of(const dsl::Node& node) {
    const Layer* l = LayerRegistry::instance().layer(node.op);
    if (!l) throw std::logic_error("internal error: no layer for op '" + node.op + "' (node '" + node.name + "')");
    return *l;
}

// Static per-sample dims are fixed; the batch (outermost) dim starts at 0 and is estimated.
void constrain_batched(OutputImageParam p, const dsl::Shape& shape, int batch_estimate) {
    const int rank = static_cast<int>(shape.dims.size());
    for (int d = 0; d < rank; ++d) {
        const int extent = static_cast<int>(shape.dims[static_cast<size_t>(rank - 1 - d)]);
        p.dim(d).set_bounds(0, extent).set_estimate(0, extent);
    }
    p.dim(rank).set_min(0).set_estimate(0, batch_estimate);
}

void constrain_static(OutputImageParam p, const dsl::Shape& shape) {
    const int rank = static_cast<int>(shape.dims.size());
    for (int d = 0; d < rank; ++d) {
        const int extent = static_cast<int>(shape.dims[static_cast<size_t>(rank - 1 - d)]);
        p.dim(d).set_bounds(0, extent).set_estimate(0, extent);
    }
}

// A fresh Func equal to `f`: pipeline outputs must be Funcs of their own, never also read by
// other stages under a different schedule.
Func copy_of(const Func& f, const std::string& name) {
    Func out(name);
    auto v = as_exprs(make_vars(f.dimensions()));
    out(v) = f(v);
    return out;
}

struct Builder {
    const dsl::CheckedModel& model;
    Type type;
    int batch_estimate;
    LoweredPipeline result;
    std::vector<ModelParam> params;
    std::vector<Tensor> values;  // by node id
    LayerContext ctx;

    Builder(const dsl::CheckedModel& m, Type t, int be) : model(m), type(t), batch_estimate(be) {
        params = collect_params(model, LayerRegistry::instance());
        values.resize(model.nodes.size());
    }

    void declare_arguments(bool with_targets, bool training) {
        if (model.inputs.size() != 1) throw std::logic_error("internal error: exactly one model input is supported");
        const dsl::Node& in = model.node(model.inputs[0]);
        const Type in_type = in.dtype == dsl::DType::Int32 ? Int(32) : type;
        result.input = ImageParam(in_type, static_cast<int>(in.shape.dims.size()) + 1, in.name);
        constrain_batched(result.input, in.shape, batch_estimate);
        values[static_cast<size_t>(in.id)] = {Func(result.input), in.shape, true};
        ctx.type = type;
        ctx.batch = result.input.dim(static_cast<int>(in.shape.dims.size())).extent();
        ctx.training = training;
        if (training) {
            ctx.seed = result.seed;
            result.has_seed = true;
        }
        result.batch = ctx.batch;

        if (with_targets) {
            for (int id : model.targets) {
                const dsl::Node& t = model.node(id);
                ImageParam p;
                if (t.target_kind == dsl::TargetKind::Classes) {
                    p = ImageParam(Int(32), 1, t.name);
                    p.dim(0).set_min(0).set_estimate(0, batch_estimate);
                } else {
                    p = ImageParam(type, static_cast<int>(t.shape.dims.size()) + 1, t.name);
                    constrain_batched(p, t.shape, batch_estimate);
                }
                result.targets.push_back(p);
                values[static_cast<size_t>(t.id)] = {Func(p), t.shape, true};
            }
        }
        for (const ModelParam& p : params) {
            ImageParam ip(type, static_cast<int>(p.spec.shape.dims.size()), p.func_name);
            constrain_static(ip, p.spec.shape);
            result.params.push_back(ip);
        }
    }

    // Every loss's value (0-d Funcs, unweighted), in model.losses order.
    std::vector<Func> loss_values() {
        std::vector<Func> out;
        for (int id : model.losses) {
            const dsl::Node& node = model.node(id);
            Func l = layer_of(node).forward(ctx, node, inputs_of(node), {});
            values[static_cast<size_t>(id)] = {l, {}, false};
            out.push_back(l);
        }
        return out;
    }

    // loss = sum of weight * loss_l, then each loss_l.
    void add_loss_outputs(const std::vector<Func>& losses) {
        Expr total = zero_of(type);
        for (size_t l = 0; l < losses.size(); ++l)
            total += cast(type, Expr(model.node(model.losses[l]).loss_weight)) * losses[l]();
        Func loss_out("loss");
        loss_out() = total;
        result.outputs.push_back({loss_out, {}, false});
        for (size_t l = 0; l < losses.size(); ++l)
            result.outputs.push_back({copy_of(losses[l], "loss_" + std::to_string(l)), {}, false});
    }

    // What inference returns for each loss (its predict: probabilities for the classifiers).
    void add_predict_outputs() {
        for (size_t l = 0; l < model.losses.size(); ++l) {
            const dsl::Node& loss = model.node(model.losses[l]);
            const Tensor& pred = values[static_cast<size_t>(loss.inputs[0])];
            Func out = copy_of(layer_of(loss).predict(ctx, loss, pred), l == 0 ? "output" : "output_" + std::to_string(l));
            result.outputs.push_back({out, pred.shape, true});
        }
    }

    std::vector<Tensor> params_of(int node_id) const {
        std::vector<Tensor> out;
        for (size_t i = 0; i < params.size(); ++i)
            if (params[i].node == node_id) out.push_back({Func(result.params[i]), params[i].spec.shape, false});
        return out;
    }

    std::vector<Tensor> inputs_of(const dsl::Node& node) const {
        std::vector<Tensor> out;
        for (int id : node.inputs) out.push_back(values[static_cast<size_t>(id)]);
        return out;
    }

    // Forward through every layer (not the losses).
    void forward_layers() {
        for (const dsl::Node& node : model.nodes) {
            if (node.kind != dsl::NodeKind::Layer) continue;
            Func f = layer_of(node).forward(ctx, node, inputs_of(node), params_of(node.id));
            values[static_cast<size_t>(node.id)] = {f, node.shape, true};
        }
    }
};

}  // namespace

std::vector<Func> LoweredPipeline::output_funcs() const {
    std::vector<Func> fs;
    for (const Tensor& t : outputs) fs.push_back(t.func);
    return fs;
}

std::vector<Argument> LoweredPipeline::arguments() const {
    std::vector<Argument> args{input};
    for (const ImageParam& t : targets) args.push_back(t);
    for (const ImageParam& p : params) args.push_back(p);
    if (has_seed) args.push_back(seed);
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
            Func& acc = grad[static_cast<size_t>(src)];
            if (!acc.defined()) {
                acc = g.d_inputs[i];
            } else {
                Func sum(func_safe(model.node(src).name) + "__d_sum" + std::to_string(node.id));
                auto v = as_exprs(make_vars(acc.dimensions()));
                sum(v) = acc(v) + g.d_inputs[i](v);
                acc = sum;
            }
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
        b.result.outputs.push_back({copy_of(param_grads[p], "grad__" + b.params[p].func_name), b.params[p].spec.shape, false});
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
        b.result.outputs.push_back({copy_of(updates[id][k], "state__" + b.params[p].func_name), b.params[p].spec.shape, false});
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
