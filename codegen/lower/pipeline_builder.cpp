#include "codegen/lower/pipeline_builder.h"

#include <stdexcept>

#include "codegen/layers/layer_registry.h"
#include "codegen/lower/dropout_rates.h"

namespace nnc::codegen::lowering_detail {

using namespace Halide;

const Layer& layer_of(const dsl::Node& node) {
    const Layer* l = LayerRegistry::instance().layer(node.op);
    if (!l) throw std::logic_error("internal error: no layer for op '" + node.op + "' (node '" + node.name + "')");
    return *l;
}

void constrain_batched(OutputImageParam p, const dsl::Shape& shape, int batch_estimate) {
    const int rank = static_cast<int>(shape.dims.size());
    for (int d = 0; d < rank; ++d) {
        const int extent = static_cast<int>(shape.dims[static_cast<size_t>(rank - 1 - d)]);
        p.dim(d).set_bounds(0, extent).set_estimate(0, extent);
    }
    p.dim(rank).set_min(0).set_estimate(0, batch_estimate);
}

Func copy_of(const Func& f, const std::string& name) {
    Func out(name);
    auto v = as_exprs(make_vars(f.dimensions()));
    out(v) = f(v);
    return out;
}

namespace {

void constrain_static(OutputImageParam p, const dsl::Shape& shape) {
    const int rank = static_cast<int>(shape.dims.size());
    for (int d = 0; d < rank; ++d) {
        const int extent = static_cast<int>(shape.dims[static_cast<size_t>(rank - 1 - d)]);
        p.dim(d).set_bounds(0, extent).set_estimate(0, extent);
    }
}

// Adds one consumer's gradient term to a value's accumulated gradient (`acc` undefined: none yet).
// `src` names the value, `consumer` the node whose backward produced the term.
void accumulate_gradient(Func& acc, const Func& term, const dsl::Node& src, int consumer) {
    if (!acc.defined()) {
        acc = term;
        return;
    }
    Func sum(func_safe(src.name) + "__d_sum" + std::to_string(consumer));
    auto v = as_exprs(make_vars(acc.dimensions()));
    sum(v) = acc(v) + term(v);
    acc = sum;
}

}  // namespace

Builder::Builder(const dsl::CheckedModel& m, Type t, int be) : model(m), type(t), batch_estimate(be) {
    params = collect_params(model, LayerRegistry::instance());
    values.resize(model.nodes.size());
    grads.resize(model.nodes.size());
    gained.resize(model.nodes.size());
    param_grads_.resize(params.size());
    result.records = ctx.records;
}

void Builder::declare_arguments(bool with_targets, bool training) {
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
        declare_dropout_rates();
    }
    result.batch = ctx.batch;

    if (with_targets) {
        for (int id : model.targets) {
            const dsl::Node& t = model.node(id);
            // Class indices are int32, one per sample or per position of a sequence's classes(C, [T]).
            const Type t_type = t.target_kind == dsl::TargetKind::Classes ? Int(32) : type;
            ImageParam p(t_type, static_cast<int>(t.shape.dims.size()) + 1, t.name);
            constrain_batched(p, t.shape, batch_estimate);
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

// The dropout_rates argument: its extent, its default binding (the declared rates, for JIT
// callers) and each dropout node's index.
void Builder::declare_dropout_rates() {
    const std::vector<const dsl::Node*> drops = dropout_nodes(model);
    const int extent = dropout_rates_extent(model);
    result.dropout_rates.dim(0).set_bounds(0, extent).set_estimate(0, extent);
    Buffer<float> declared(extent);
    declared.fill(0.0f);
    for (size_t k = 0; k < drops.size(); ++k) {
        declared(static_cast<int>(k)) = static_cast<float>(drops[k]->attrs.get_float("rate"));
        ctx.dropout_index[drops[k]->name] = static_cast<int>(k);
    }
    result.dropout_rates.set(declared);
    ctx.dropout_rates = Func(result.dropout_rates);
}

void Builder::forward_node(const dsl::Node& node) {
    Func f = layer_of(node).forward(ctx, node, inputs_of(node), params_of(node.id));
    values[static_cast<size_t>(node.id)] = {f, node.shape, true};
}

void Builder::forward_layers() {
    for (const dsl::Node& node : model.nodes)
        if (node.kind == dsl::NodeKind::Layer) forward_node(node);
}

std::vector<Func> Builder::loss_values() {
    std::vector<Func> out;
    for (int id : model.losses) {
        const dsl::Node& node = model.node(id);
        Func l = layer_of(node).forward(ctx, node, inputs_of(node), {});
        values[static_cast<size_t>(id)] = {l, {}, false};
        out.push_back(l);
    }
    return out;
}

void Builder::seed_loss_gradients() {
    for (int id : model.losses) {
        const dsl::Node& node = model.node(id);
        Func seed(func_safe(node.name) + "__weight");
        seed() = cast(type, Expr(node.loss_weight));
        grads[static_cast<size_t>(id)] = seed;
    }
}

void Builder::backward_node(const dsl::Node& node) {
    const Func dy = gradient(node.id);
    if (!dy.defined()) return;  // nothing downstream reaches a loss
    const Tensor& y = value(node.id);
    const std::vector<Tensor> inputs = inputs_of(node);
    Gradients g = layer_of(node).backward(ctx, node, inputs, params_of(node.id), y, dy);
    for (size_t i = 0; i < node.inputs.size() && i < g.d_inputs.size(); ++i) {
        if (!g.d_inputs[i].defined()) continue;
        const int src = node.inputs[i];
        const dsl::NodeKind kind = model.node(src).kind;
        if (kind == dsl::NodeKind::Target || (kind == dsl::NodeKind::Input && !input_gradient)) continue;
        accumulate_gradient(gradient(src), g.d_inputs[i], model.node(src), node.id);
        gained[static_cast<size_t>(src)] = true;
    }
    size_t k = 0;
    for (size_t p = 0; p < params.size(); ++p)
        if (params[p].node == node.id && params[p].spec.trainable) param_grads_[p] = g.d_params.at(k++);
}

std::vector<Tensor> Builder::loss_outputs(const std::vector<Func>& losses) {
    Expr total = zero_of(type);
    for (size_t l = 0; l < losses.size(); ++l)
        total += cast(type, Expr(model.node(model.losses[l]).loss_weight)) * losses[l]();
    Func loss_out("loss");
    loss_out() = total;
    std::vector<Tensor> out{{loss_out, {}, false}};
    for (size_t l = 0; l < losses.size(); ++l)
        out.push_back({copy_of(losses[l], "loss_" + std::to_string(l)), {}, false});
    return out;
}

std::vector<Tensor> Builder::predict_outputs() {
    std::vector<Tensor> out;
    for (size_t l = 0; l < model.losses.size(); ++l) {
        const dsl::Node& loss = model.node(model.losses[l]);
        const Tensor& pred = value(loss.inputs[0]);
        Func f = copy_of(layer_of(loss).predict(ctx, loss, pred), l == 0 ? "output" : "output_" + std::to_string(l));
        out.push_back({f, pred.shape, true});
    }
    return out;
}

std::vector<Tensor> Builder::prediction_outputs() {
    std::vector<Tensor> out;
    for (size_t l = 0; l < model.losses.size(); ++l) {
        const Tensor& pred = value(model.node(model.losses[l]).inputs[0]);
        out.push_back({copy_of(pred.func, "prediction_" + std::to_string(l)), pred.shape, true});
    }
    return out;
}

Tensor Builder::param_result(size_t p) {
    const ModelParam& param = params[p];
    if (param.spec.trainable) {
        if (!param_grads_[p].defined())
            throw std::logic_error("internal error: parameter '" + param.full_name + "' gets no gradient");
        return {copy_of(param_grads_[p], "grad__" + param.func_name), param.spec.shape, false};
    }
    // A state's new value: its index among its node's states picks it from the layer's update.
    const int id = param.node;
    if (!state_updates_.count(id)) {
        const dsl::Node& node = model.node(id);
        state_updates_[id] = layer_of(node).state_update(ctx, node, inputs_of(node), params_of(id));
    }
    size_t k = 0;
    for (size_t q = 0; q < p; ++q)
        if (params[q].node == id && !params[q].spec.trainable) ++k;
    if (k >= state_updates_[id].size())
        throw std::logic_error("internal error: layer '" + model.node(id).op + "' returns no update for state '" +
                               param.full_name + "'");
    return {copy_of(state_updates_[id][k], "state__" + param.func_name), param.spec.shape, false};
}

Tensor Builder::input_gradient_output() {
    const dsl::Node& in = model.node(model.inputs[0]);
    const Func& g = grads[static_cast<size_t>(in.id)];
    if (!g.defined()) throw std::logic_error("internal error: the input '" + in.name + "' gets no gradient");
    return {copy_of(g, "grad__input"), in.shape, true};
}

void Builder::add_outputs(const std::vector<Tensor>& outputs) {
    result.outputs.insert(result.outputs.end(), outputs.begin(), outputs.end());
}

const Tensor& Builder::value(int id) {
    Tensor& v = values[static_cast<size_t>(id)];
    if (!v.func.defined() && import_value) import_value(id);
    return v;
}

Func& Builder::gradient(int id) {
    Func& g = grads[static_cast<size_t>(id)];
    if (!g.defined() && import_gradient) import_gradient(id);
    return g;
}

std::vector<Tensor> Builder::inputs_of(const dsl::Node& node) {
    std::vector<Tensor> out;
    for (int id : node.inputs) out.push_back(value(id));
    return out;
}

std::vector<Tensor> Builder::params_of(int node_id) const {
    std::vector<Tensor> out;
    for (size_t i = 0; i < params.size(); ++i)
        if (params[i].node == node_id) out.push_back({Func(result.params[i]), params[i].spec.shape, false});
    return out;
}

}  // namespace nnc::codegen::lowering_detail
