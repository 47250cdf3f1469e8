// maxpool2d(x, kernel=2, stride=kernel, pad=0): the maximum of each window, as torch's MaxPool2d
// (padding counts as -inf). The forward keeps the argmax of every window; the backward routes
// each output gradient to exactly that input. Recomputing the max and comparing is unsafe: a
// schedule may round the recomputation differently (HALIDE_NOTES.md).
// x: (N, C, H, W)   y: (N, C, Ho, Wo)
#include "codegen/layers/pool2d.h"

namespace nnc::codegen {
namespace {

using namespace Halide;

class MaxPool2d final : public Layer {
public:
    MaxPool2d() { pool_spec(spec_, "maxpool2d", "maximum over each window"); }
    const dsl::OpSpec& spec() const override { return spec_; }

    Func forward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                 const std::vector<Tensor>&) const override {
        Func arg = ctx.saved_or(node, "argmax", [&] { return argmax_of(ctx, node, in[0]); });
        Var x("x"), y("y"), c("c"), n("n");
        Func out(ctx.func_name(node, "fwd"));
        out(x, y, c, n) = arg(x, y, c, n)[2];
        return out;
    }

    Gradients backward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                       const std::vector<Tensor>&, const Tensor&, const Func& dy) const override {
        const Window w = pool_window(node);
        const int k = static_cast<int>(w.kernel), s = static_cast<int>(w.stride), pd = static_cast<int>(w.pad);
        const int ho = static_cast<int>(node.shape.dims[1]), wo = static_cast<int>(node.shape.dims[2]);
        Func arg = ctx.saved_or(node, "argmax", [&] { return argmax_of(ctx, node, in[0]); });
        Var x("x"), y("y"), c("c"), n("n");
        // Each input gathers from every window that may contain it and whose argmax it is.
        RDom r(0, k, 0, k, "r_win");
        Expr ox = x + pd - r.x, oy = y + pd - r.y;  // window origin (padded coords) = o * s
        Expr wx = ox / s, wy = oy / s;
        Expr valid = ox % s == 0 && oy % s == 0 && wx >= 0 && wx < wo && wy >= 0 && wy < ho;
        Expr cwx = clamp(wx, 0, wo - 1), cwy = clamp(wy, 0, ho - 1);
        Expr chosen = arg(cwx, cwy, c, n)[0] == r.x && arg(cwx, cwy, c, n)[1] == r.y;
        Func dx(ctx.func_name(node, "d_input"));
        dx(x, y, c, n) = zero_of(ctx.type);
        dx(x, y, c, n) += select(valid && chosen, dy(cwx, cwy, c, n), zero_of(ctx.type));
        return {{dx}, {}};
    }

private:
    // (kx, ky, max) of every window; padding never wins.
    static Func argmax_of(const LayerContext& ctx, const dsl::Node& node, const Tensor& in) {
        const Window w = pool_window(node);
        const int k = static_cast<int>(w.kernel), s = static_cast<int>(w.stride), pd = static_cast<int>(w.pad);
        const int h = static_cast<int>(in.shape.dims[1]), wd = static_cast<int>(in.shape.dims[2]);
        Var x("x"), y("y"), c("c"), n("n");
        RDom r(0, k, 0, k, "r_win");
        Expr ix = x * s + r.x - pd, iy = y * s + r.y - pd;
        Expr inside = ix >= 0 && ix < wd && iy >= 0 && iy < h;
        Expr value = select(inside, in.func(clamp(ix, 0, wd - 1), clamp(iy, 0, h - 1), c, n), ctx.type.min());
        Func arg(ctx.func_name(node, "argmax"));
        arg(x, y, c, n) = {0, 0, ctx.type.min()};
        // Strictly greater: the first maximum in row-major window order wins, as in PyTorch.
        Expr better = value > arg(x, y, c, n)[2];
        arg(x, y, c, n) = {select(better, r.x, arg(x, y, c, n)[0]), select(better, r.y, arg(x, y, c, n)[1]),
                           select(better, value, arg(x, y, c, n)[2])};
        return arg;
    }

    dsl::OpSpec spec_;
};

}  // namespace
NNC_REGISTER_LAYER(MaxPool2d);
}  // namespace nnc::codegen
