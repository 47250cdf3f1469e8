// The shared shape of activation layers: y = f(x) elementwise, dx = dy * f'(x, y).
// Each activation is a small subclass in its own file giving f and f'.
#pragma once
#include "codegen/layers/layer_registry.h"

namespace nnc::codegen {

class ElementwiseLayer : public Layer {
public:
    ElementwiseLayer(std::string name, std::string summary) {
        spec_.name = std::move(name);
        spec_.summary = std::move(summary);
        spec_.shape = [](const std::vector<dsl::Shape>& in, const dsl::Attrs&) { return dsl::ShapeResult::ok(in[0]); };
        spec_.params = [](const std::vector<dsl::Shape>&, const dsl::Attrs&) { return std::vector<dsl::ParamSpec>{}; };
        // Activations count one multiply-accumulate per element (their exp, compare or divide),
        // as ptflops does; the identity (linear) sets 0.
        spec_.macs = [](const std::vector<dsl::Shape>&, const dsl::Shape& out, const dsl::Attrs&) {
            return out.elements();
        };
    }

    const dsl::OpSpec& spec() const override { return spec_; }

    Halide::Func forward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                         const std::vector<Tensor>&) const override {
        auto v = as_exprs(make_vars(in[0].rank()));
        Halide::Func y(ctx.func_name(node, "fwd"));
        y(v) = f(in[0].func(v));
        return y;
    }

    Gradients backward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                       const std::vector<Tensor>&, const Tensor& out, const Halide::Func& dy) const override {
        auto v = as_exprs(make_vars(in[0].rank()));
        Halide::Func dx(ctx.func_name(node, "d_input"));
        dx(v) = dy(v) * df(in[0].func(v), out.func(v));
        return {{dx}, {}};
    }

protected:
    virtual Halide::Expr f(Halide::Expr x) const = 0;
    // The derivative, given the input x and the forward output y (whichever is cheaper).
    virtual Halide::Expr df(Halide::Expr x, Halide::Expr y) const = 0;

    dsl::OpSpec spec_;
};

}  // namespace nnc::codegen
