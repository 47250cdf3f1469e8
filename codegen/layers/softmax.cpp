// softmax(x) over the last axis: y = exp(x - max) / sum(exp(x - max)).
// Backward: dx = y * (dy - sum(dy * y)) over the same axis.
#include "codegen/layers/layer_registry.h"

namespace nnc::codegen {
namespace {

using namespace Halide;

class Softmax final : public Layer {
public:
    Softmax() {
        spec_.name = "softmax";
        spec_.summary = "softmax over the last axis";
        spec_.shape = [](const std::vector<dsl::Shape>& in, const dsl::Attrs&) {
            if (in[0].dims.empty()) return dsl::ShapeResult::fail("softmax needs at least one axis, got a scalar");
            return dsl::ShapeResult::ok(in[0]);
        };
        spec_.params = [](const std::vector<dsl::Shape>&, const dsl::Attrs&) { return std::vector<dsl::ParamSpec>{}; };
        // One per element, as the elementwise activations (elementwise.h): the exp-sum.
        spec_.macs = [](const std::vector<dsl::Shape>&, const dsl::Shape& out, const dsl::Attrs&) {
            return out.elements();
        };
    }
    const dsl::OpSpec& spec() const override { return spec_; }

    Func forward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                 const std::vector<Tensor>&) const override {
        const Tensor& x = in[0];
        auto v = as_exprs(make_vars(x.rank()));
        auto rest = std::vector<Expr>(v.begin() + 1, v.end());  // all but the softmax axis
        RDom r(0, static_cast<int>(x.extent(0)), "r_class");
        auto at_r = rest;
        at_r.insert(at_r.begin(), r.x);

        Func mx(ctx.func_name(node, "max")), den(ctx.func_name(node, "sum")), y(ctx.func_name(node, "fwd"));
        mx(rest) = maximum(x.func(at_r));
        den(rest) = sum(exp(x.func(at_r) - mx(rest)));
        y(v) = exp(x.func(v) - mx(rest)) / den(rest);
        return y;
    }

    Gradients backward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                       const std::vector<Tensor>&, const Tensor& out, const Func& dy) const override {
        auto v = as_exprs(make_vars(in[0].rank()));
        auto rest = std::vector<Expr>(v.begin() + 1, v.end());
        RDom r(0, static_cast<int>(in[0].extent(0)), "r_class");
        auto at_r = rest;
        at_r.insert(at_r.begin(), r.x);

        Func dot(ctx.func_name(node, "dot")), dx(ctx.func_name(node, "d_input"));
        dot(rest) = sum(dy(at_r) * out.func(at_r));
        dx(v) = out.func(v) * (dy(v) - dot(rest));
        return {{dx}, {}};
    }

private:
    dsl::OpSpec spec_;
};

}  // namespace
NNC_REGISTER_LAYER(Softmax);
}  // namespace nnc::codegen
