// mse(prediction, target): mean over every element of (p - t)^2, as torch.nn.MSELoss.
// prediction, target: (N, ...) with equal shapes   loss: scalar
#include "codegen/layer_registry.h"

namespace nnc::codegen {
namespace {

using namespace Halide;

class Mse final : public Layer {
public:
    Mse() {
        spec_.name = "mse";
        spec_.kind = dsl::OpKind::Loss;
        spec_.min_inputs = spec_.max_inputs = 2;
        spec_.summary = "mean squared error (L2 regression)";
        spec_.shape = [](const std::vector<dsl::Shape>& in, const dsl::Attrs& a) {
            if (a.has("target_kind") && a.get_string("target_kind") == "classes")
                return dsl::ShapeResult::fail("mse needs a real target, got a classes target; "
                                              "use softmax_cross_entropy for classification");
            if (in[0] != in[1])
                return dsl::ShapeResult::fail("mse prediction " + in[0].str() + " and target " + in[1].str() +
                                              " differ in shape");
            return dsl::ShapeResult::ok({});
        };
        spec_.params = [](const std::vector<dsl::Shape>&, const dsl::Attrs&) { return std::vector<dsl::ParamSpec>{}; };
    }
    const dsl::OpSpec& spec() const override { return spec_; }

    Func forward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                 const std::vector<Tensor>&) const override {
        const Tensor& p = in[0];
        // Reduce over every per-sample axis and the batch.
        Region ranges;
        for (int d = 0; d < p.rank() - 1; ++d) ranges.push_back({0, static_cast<int>(p.extent(d))});
        ranges.push_back({0, ctx.batch});
        RDom r(ranges, "r_all");
        std::vector<Expr> at;
        for (int d = 0; d < r.dimensions(); ++d) at.push_back(r[d]);
        Expr diff = p.func(at) - in[1].func(at);
        Func loss(ctx.func_name(node, "fwd"));
        loss() = sum(diff * diff) / cast(ctx.type, ctx.batch * static_cast<int>(p.shape.elements()));
        return loss;
    }

    Gradients backward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                       const std::vector<Tensor>&, const Tensor&, const Func& d_loss) const override {
        auto v = as_exprs(make_vars(in[0].rank()));
        Func dp(ctx.func_name(node, "d_prediction"));
        Expr scale = 2 * d_loss() / cast(ctx.type, ctx.batch * static_cast<int>(in[0].shape.elements()));
        dp(v) = (in[0].func(v) - in[1].func(v)) * scale;
        return {{dp, Func()}, {}};
    }

private:
    dsl::OpSpec spec_;
};

}  // namespace
NNC_REGISTER_LAYER(Mse);
}  // namespace nnc::codegen
