// avgpool2d(x, kernel=2, stride=kernel, pad=0): the mean of each window, padding counted as
// zeros (torch's AvgPool2d with count_include_pad=True).
// x: (N, C, H, W)   y: (N, C, Ho, Wo)
#include "codegen/layers/pool2d.h"

namespace nnc::codegen {
namespace {

using namespace Halide;

class AvgPool2d final : public Layer {
public:
    AvgPool2d() { pool_spec(spec_, "avgpool2d", "mean over each window"); }
    const dsl::OpSpec& spec() const override { return spec_; }

    Func forward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                 const std::vector<Tensor>&) const override {
        const Window w = pool_window(node);
        const int k = static_cast<int>(w.kernel), s = static_cast<int>(w.stride), pd = static_cast<int>(w.pad);
        const int h = static_cast<int>(in[0].shape.dims[1]), wd = static_cast<int>(in[0].shape.dims[2]);
        Var x("x"), y("y"), c("c"), n("n");
        RDom r(0, k, 0, k, "r_win");
        Expr ix = x * s + r.x - pd, iy = y * s + r.y - pd;
        Expr value = select(ix >= 0 && ix < wd && iy >= 0 && iy < h,
                            in[0].func(clamp(ix, 0, wd - 1), clamp(iy, 0, h - 1), c, n), zero_of(ctx.type));
        Func out(ctx.func_name(node, "fwd"));
        out(x, y, c, n) = zero_of(ctx.type);
        out(x, y, c, n) += value;
        Func mean(ctx.func_name(node, "mean"));
        mean(x, y, c, n) = out(x, y, c, n) / cast(ctx.type, k * k);
        return mean;
    }

    Gradients backward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>&,
                       const std::vector<Tensor>&, const Tensor&, const Func& dy) const override {
        const Window w = pool_window(node);
        const int k = static_cast<int>(w.kernel), s = static_cast<int>(w.stride), pd = static_cast<int>(w.pad);
        const int ho = static_cast<int>(node.shape.dims[1]), wo = static_cast<int>(node.shape.dims[2]);
        Var x("x"), y("y"), c("c"), n("n");
        RDom r(0, k, 0, k, "r_win");
        Expr ox = x + pd - r.x, oy = y + pd - r.y;
        Expr wx = ox / s, wy = oy / s;
        Expr valid = ox % s == 0 && oy % s == 0 && wx >= 0 && wx < wo && wy >= 0 && wy < ho;
        Func dx(ctx.func_name(node, "d_input"));
        dx(x, y, c, n) = zero_of(ctx.type);
        dx(x, y, c, n) += select(valid, dy(clamp(wx, 0, wo - 1), clamp(wy, 0, ho - 1), c, n), zero_of(ctx.type));
        Func scaled(ctx.func_name(node, "d_input_scaled"));
        scaled(x, y, c, n) = dx(x, y, c, n) / cast(ctx.type, k * k);
        return {{scaled}, {}};
    }

private:
    dsl::OpSpec spec_;
};

}  // namespace
NNC_REGISTER_LAYER(AvgPool2d);
}  // namespace nnc::codegen
