// leaky_relu(x, alpha=0.01) = x if x > 0 else alpha * x.
#include "codegen/layers/elementwise.h"

namespace nnc::codegen {
namespace {

class LeakyRelu final : public Layer {
public:
    LeakyRelu() {
        spec_.name = "leaky_relu";
        spec_.summary = "x if x > 0 else alpha * x";
        spec_.attrs = {{"alpha", dsl::AttrType::Float, false, dsl::AttrValue(0.01), {}, "slope for x < 0"}};
        spec_.shape = [](const std::vector<dsl::Shape>& in, const dsl::Attrs&) { return dsl::ShapeResult::ok(in[0]); };
        spec_.params = [](const std::vector<dsl::Shape>&, const dsl::Attrs&) { return std::vector<dsl::ParamSpec>{}; };
        // One per element, as the other activations (elementwise.h).
        spec_.macs = [](const std::vector<dsl::Shape>&, const dsl::Shape& out, const dsl::Attrs&) {
            return out.elements();
        };
    }
    const dsl::OpSpec& spec() const override { return spec_; }

    Halide::Func forward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                         const std::vector<Tensor>&) const override {
        auto v = as_exprs(make_vars(in[0].rank()));
        Halide::Expr x = in[0].func(v), alpha = Halide::cast(ctx.type, Halide::Expr(node.attrs.get_float("alpha")));
        Halide::Func y(ctx.func_name(node, "fwd"));
        y(v) = Halide::select(x > 0, x, alpha * x);
        return y;
    }

    Gradients backward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                       const std::vector<Tensor>&, const Tensor&, const Halide::Func& dy) const override {
        auto v = as_exprs(make_vars(in[0].rank()));
        Halide::Expr alpha = Halide::cast(ctx.type, Halide::Expr(node.attrs.get_float("alpha")));
        Halide::Func dx(ctx.func_name(node, "d_input"));
        dx(v) = Halide::select(in[0].func(v) > 0, dy(v), alpha * dy(v));
        return {{dx}, {}};
    }

private:
    dsl::OpSpec spec_;
};

}  // namespace
NNC_REGISTER_LAYER(LeakyRelu);
}  // namespace nnc::codegen
