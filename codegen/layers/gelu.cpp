// gelu(x, approximate=none): x Φ(x), Φ the standard normal CDF, as torch.nn.functional.gelu.
//   none: 0.5 x (1 + erf(x / √2));  dy/dx = Φ(x) + x φ(x), φ(x) = exp(-x²/2) / √(2π)
//   tanh: 0.5 x (1 + tanh(u)), u = √(2/π) (x + 0.044715 x³);
//         dy/dx = 0.5 (1 + tanh u) + 0.5 x (1 - tanh² u) √(2/π) (1 + 3 · 0.044715 x²)
// Elementwise: any shape in, the same shape out.
#include "codegen/layers/layer_registry.h"

namespace nnc::codegen {
namespace {

using namespace Halide;

constexpr double kSqrt2OverPi = 0.79788456080286535588;  // √(2/π)
constexpr double kInvSqrt2Pi = 0.39894228040143267794;   // 1/√(2π)
constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kCubic = 0.044715;

// erf at the Func's type: Halide's vectorized erf exists for Float(32) only; float64 (the
// gradient checks) calls the C library's.
Expr erf_of(Expr x) {
    if (x.type() == Float(32)) return Halide::erf(x);
    return Internal::Call::make(x.type(), "erf", {x}, Internal::Call::PureExtern);
}

bool tanh_form(const dsl::Node& node) {
    return node.attrs.has("approximate") && node.attrs.get_string("approximate") == "tanh";
}

class Gelu final : public Layer {
public:
    Gelu() {
        spec_.name = "gelu";
        spec_.summary = "Gaussian error linear unit x Φ(x) (torch's F.gelu)";
        spec_.attrs = {{"approximate",
                        dsl::AttrType::Ident,
                        false,
                        dsl::AttrValue(std::string("none")),
                        {"none", "tanh"},
                        "none: the exact erf form; tanh: the tanh approximation (GPT-2's)"}};
        spec_.shape = [](const std::vector<dsl::Shape>& in, const dsl::Attrs&) { return dsl::ShapeResult::ok(in[0]); };
        spec_.params = [](const std::vector<dsl::Shape>&, const dsl::Attrs&) { return std::vector<dsl::ParamSpec>{}; };
        // One per element, as the other activations (elementwise.h).
        spec_.macs = [](const std::vector<dsl::Shape>&, const dsl::Shape& out, const dsl::Attrs&) {
            return out.elements();
        };
    }
    const dsl::OpSpec& spec() const override { return spec_; }

    Func forward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                 const std::vector<Tensor>&) const override {
        auto v = as_exprs(make_vars(in[0].rank()));
        Expr x = in[0].func(v);
        const Type t = x.type();
        Expr half = cast(t, Expr(0.5)), one = one_of(t);
        Func y(ctx.func_name(node, "fwd"));
        if (tanh_form(node))
            y(v) = half * x * (one + tanh(cast(t, Expr(kSqrt2OverPi)) * (x + cast(t, Expr(kCubic)) * x * x * x)));
        else
            y(v) = half * x * (one + erf_of(x * cast(t, Expr(kInvSqrt2))));
        return y;
    }

    Gradients backward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                       const std::vector<Tensor>&, const Tensor&, const Func& dy) const override {
        auto v = as_exprs(make_vars(in[0].rank()));
        Expr x = in[0].func(v);
        const Type t = x.type();
        Expr half = cast(t, Expr(0.5)), one = one_of(t);
        Expr slope;
        if (tanh_form(node)) {
            Expr th = tanh(cast(t, Expr(kSqrt2OverPi)) * (x + cast(t, Expr(kCubic)) * x * x * x));
            slope = half * (one + th) + half * x * (one - th * th) * cast(t, Expr(kSqrt2OverPi)) *
                                            (one + cast(t, Expr(3 * kCubic)) * x * x);
        } else {
            Expr cdf = half * (one + erf_of(x * cast(t, Expr(kInvSqrt2))));
            slope = cdf + x * cast(t, Expr(kInvSqrt2Pi)) * exp(-half * x * x);
        }
        Func dx(ctx.func_name(node, "d_input"));
        dx(v) = dy(v) * slope;
        return {{dx}, {}};
    }

private:
    dsl::OpSpec spec_;
};

}  // namespace
NNC_REGISTER_LAYER(Gelu);
}  // namespace nnc::codegen
