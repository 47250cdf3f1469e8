// The node-by-node graph walker that the lowerings share: the arguments of a pipeline (input,
// targets, parameters, seed, dropout rates), each node's value, and the loss and prediction
// outputs.
// Internal to codegen (lowering.cpp, staged_lowering.cpp).
#pragma once
#include <Halide.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "codegen/layers/layer.h"
#include "codegen/layers/layer_registry.h"
#include "codegen/lower/dropout_rates.h"
#include "codegen/lower/lowering.h"
#include "codegen/lower/model_params.h"

namespace nnc::codegen::lowering_detail {

using namespace Halide;

inline const Layer& layer_of(const dsl::Node& node) {
    const Layer* l = LayerRegistry::instance().layer(node.op);
    if (!l) throw std::logic_error("internal error: no layer for op '" + node.op + "' (node '" + node.name + "')");
    return *l;
}

// Static per-sample dims are fixed; the batch (outermost) dim starts at 0 and is estimated.
inline void constrain_batched(OutputImageParam p, const dsl::Shape& shape, int batch_estimate) {
    const int rank = static_cast<int>(shape.dims.size());
    for (int d = 0; d < rank; ++d) {
        const int extent = static_cast<int>(shape.dims[static_cast<size_t>(rank - 1 - d)]);
        p.dim(d).set_bounds(0, extent).set_estimate(0, extent);
    }
    p.dim(rank).set_min(0).set_estimate(0, batch_estimate);
}

inline void constrain_static(OutputImageParam p, const dsl::Shape& shape) {
    const int rank = static_cast<int>(shape.dims.size());
    for (int d = 0; d < rank; ++d) {
        const int extent = static_cast<int>(shape.dims[static_cast<size_t>(rank - 1 - d)]);
        p.dim(d).set_bounds(0, extent).set_estimate(0, extent);
    }
}

// A fresh Func equal to `f`: pipeline outputs must be Funcs of their own, never also read by
// other stages under a different schedule.
inline Func copy_of(const Func& f, const std::string& name) {
    Func out(name);
    auto v = as_exprs(make_vars(f.dimensions()));
    out(v) = f(v);
    return out;
}

// Adds one consumer's gradient term to a value's accumulated gradient (`acc` undefined: none yet).
// `src` names the value, `consumer` the node whose backward produced the term.
inline void accumulate_gradient(Func& acc, const Func& term, const dsl::Node& src, int consumer) {
    if (!acc.defined()) {
        acc = term;
        return;
    }
    Func sum(func_safe(src.name) + "__d_sum" + std::to_string(consumer));
    auto v = as_exprs(make_vars(acc.dimensions()));
    sum(v) = acc(v) + term(v);
    acc = sum;
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
            declare_dropout_rates();
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

    // The dropout_rates argument: its extent, its default binding (the declared rates, for JIT
    // callers) and each dropout node's index.
    void declare_dropout_rates() {
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
            Func out =
                copy_of(layer_of(loss).predict(ctx, loss, pred), l == 0 ? "output" : "output_" + std::to_string(l));
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

}  // namespace nnc::codegen::lowering_detail
