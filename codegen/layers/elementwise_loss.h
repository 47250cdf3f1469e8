// The shared shape of losses that compare a prediction with a real target element by element
// and average over every element of the batch (torch's 'mean' reduction): mse, l1,
// sigmoid_binary_cross_entropy. Each gives its per-element loss and derivative.
#pragma once
#include "codegen/layers/layer_registry.h"

namespace nnc::codegen {

class ElementwiseLoss : public Layer {
public:
    ElementwiseLoss(std::string name, std::string summary) {
        spec_.name = name;
        spec_.kind = dsl::OpKind::Loss;
        spec_.min_inputs = spec_.max_inputs = 2;
        spec_.summary = std::move(summary);
        spec_.shape = [name](const std::vector<dsl::Shape>& in, const dsl::Attrs& a) {
            if (a.has("target_kind") && a.get_string("target_kind") == "classes")
                return dsl::ShapeResult::fail(name +
                                              " needs a real target, got a classes target; "
                                              "use softmax_cross_entropy for classification");
            if (in[0] != in[1])
                return dsl::ShapeResult::fail(name + " prediction " + in[0].str() + " and target " + in[1].str() +
                                              " differ in shape");
            return dsl::ShapeResult::ok({});
        };
        spec_.params = [](const std::vector<dsl::Shape>&, const dsl::Attrs&) { return std::vector<dsl::ParamSpec>{}; };
        // One per prediction element: its term accumulated into the mean.
        spec_.macs = [](const std::vector<dsl::Shape>& in, const dsl::Shape&, const dsl::Attrs&) {
            return in[0].elements();
        };
    }
    const dsl::OpSpec& spec() const override { return spec_; }

    Halide::Func forward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                         const std::vector<Tensor>&) const override {
        const Tensor& p = in[0];
        Halide::Region ranges;
        for (int d = 0; d < p.rank() - 1; ++d) ranges.push_back({0, static_cast<int>(p.extent(d))});
        ranges.push_back({0, ctx.batch});
        Halide::RDom r(ranges, "r_all");
        std::vector<Halide::Expr> at;
        for (int d = 0; d < r.dimensions(); ++d) at.push_back(r[d]);
        Halide::Func loss(ctx.func_name(node, "fwd"));
        loss() = Halide::sum(element_loss(p.func(at), in[1].func(at))) / count(ctx, p);
        return loss;
    }

    Gradients backward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                       const std::vector<Tensor>&, const Tensor&, const Halide::Func& d_loss) const override {
        auto v = as_exprs(make_vars(in[0].rank()));
        Halide::Func dp(ctx.func_name(node, "d_prediction"));
        dp(v) = element_grad(in[0].func(v), in[1].func(v)) * (d_loss() / count(ctx, in[0]));
        return {{dp, Halide::Func()}, {}};
    }

protected:
    virtual Halide::Expr element_loss(Halide::Expr p, Halide::Expr t) const = 0;
    virtual Halide::Expr element_grad(Halide::Expr p, Halide::Expr t) const = 0;

    static Halide::Expr count(const LayerContext& ctx, const Tensor& p) {
        return Halide::cast(ctx.type, ctx.batch * static_cast<int>(p.shape.elements()));
    }

    dsl::OpSpec spec_;
};

}  // namespace nnc::codegen
