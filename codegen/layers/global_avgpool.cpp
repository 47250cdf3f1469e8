// global_avgpool(x): the mean over every spatial position of each channel.
// x: (N, C, H, W)   y: (N, C)
#include "codegen/layers/layer_registry.h"

namespace nnc::codegen {
namespace {

using namespace Halide;

class GlobalAvgPool final : public Layer {
public:
    GlobalAvgPool() {
        spec_.name = "global_avgpool";
        spec_.summary = "mean over H and W of each channel: (C, H, W) -> (C)";
        spec_.shape = [](const std::vector<dsl::Shape>& in, const dsl::Attrs&) {
            if (in[0].dims.size() != 3)
                return dsl::ShapeResult::fail("global_avgpool expects a (C, H, W) input, got " + in[0].str());
            return dsl::ShapeResult::ok({{in[0].dims[0]}});
        };
        spec_.params = [](const std::vector<dsl::Shape>&, const dsl::Attrs&) { return std::vector<dsl::ParamSpec>{}; };
        // One add per input element, counted as a multiply-accumulate (as the pooling layers).
        spec_.macs = [](const std::vector<dsl::Shape>& in, const dsl::Shape&, const dsl::Attrs&) {
            return in[0].elements();
        };
    }
    const dsl::OpSpec& spec() const override { return spec_; }

    Func forward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                 const std::vector<Tensor>&) const override {
        const int h = static_cast<int>(in[0].shape.dims[1]), w = static_cast<int>(in[0].shape.dims[2]);
        Var c("c"), n("n");
        RDom r(0, w, 0, h, "r_hw");
        Func sum(ctx.func_name(node, "sum"));
        sum(c, n) = zero_of(ctx.type);
        sum(c, n) += in[0].func(r.x, r.y, c, n);
        Func out(ctx.func_name(node, "fwd"));
        out(c, n) = sum(c, n) / cast(ctx.type, h * w);
        return out;
    }

    Gradients backward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                       const std::vector<Tensor>&, const Tensor&, const Func& dy) const override {
        const int h = static_cast<int>(in[0].shape.dims[1]), w = static_cast<int>(in[0].shape.dims[2]);
        Var x("x"), y("y"), c("c"), n("n");
        Func dx(ctx.func_name(node, "d_input"));
        dx(x, y, c, n) = dy(c, n) / cast(ctx.type, h * w);
        return {{dx}, {}};
    }

private:
    dsl::OpSpec spec_;
};

}  // namespace
NNC_REGISTER_LAYER(GlobalAvgPool);
}  // namespace nnc::codegen
