// Layers that only move elements: the output is the input in row-major order under another
// shape (flatten, reshape). Forward and backward map each coordinate through the flat index.
#pragma once
#include "codegen/layers/layer_registry.h"

namespace nnc::codegen {

class ReindexLayer : public Layer {
public:
    ReindexLayer() {
        spec_.params = [](const std::vector<dsl::Shape>&, const dsl::Attrs&) { return std::vector<dsl::ParamSpec>{}; };
        // Only moves elements.
        spec_.macs = [](const std::vector<dsl::Shape>&, const dsl::Shape&, const dsl::Attrs&) { return int64_t(0); };
    }
    const dsl::OpSpec& spec() const override { return spec_; }

    Halide::Func forward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                         const std::vector<Tensor>&) const override {
        return moved(ctx.func_name(node, "fwd"), in[0].func, in[0].shape, node.shape);
    }

    Gradients backward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                       const std::vector<Tensor>&, const Tensor&, const Halide::Func& dy) const override {
        return {{moved(ctx.func_name(node, "d_input"), dy, node.shape, in[0].shape)}, {}};
    }

protected:
    // out (shape `to`) reads `from_func` (shape `from`) at the same row-major flat index.
    static Halide::Func moved(const std::string& name, const Halide::Func& from_func, const dsl::Shape& from,
                              const dsl::Shape& to) {
        const int to_rank = static_cast<int>(to.dims.size()), from_rank = static_cast<int>(from.dims.size());
        std::vector<Halide::Var> v = make_vars(to_rank + 1);
        // Flat index from the output coordinates (Halide dim 0 = last axis).
        Halide::Expr flat = 0;
        for (int axis = 0; axis < to_rank; ++axis)
            flat = flat * static_cast<int>(to.dims[static_cast<size_t>(axis)]) +
                   v[static_cast<size_t>(to_rank - 1 - axis)];
        std::vector<Halide::Expr> at(static_cast<size_t>(from_rank + 1));
        Halide::Expr rest = flat;
        for (int d = 0; d < from_rank; ++d) {
            const int extent = static_cast<int>(from.dims[static_cast<size_t>(from_rank - 1 - d)]);
            at[static_cast<size_t>(d)] = rest % extent;
            rest = rest / extent;
        }
        at[static_cast<size_t>(from_rank)] = v.back();
        Halide::Func out(name);
        out(as_exprs(v)) = from_func(at);
        return out;
    }

    dsl::OpSpec spec_;
};

}  // namespace nnc::codegen
