// maxpool2d(x, kernel=2, stride=kernel, pad=0): the maximum of each window, as torch's MaxPool2d
// (padding counts as -inf). The forward keeps the argmax of every window; the backward routes
// each output gradient to exactly that input. Recomputing the max and comparing is unsafe: a
// schedule may round the recomputation differently (HALIDE_NOTES.md).
// x: (N, C, H, W)   y: (N, C, Ho, Wo)
#include "codegen/layers/pool2d.h"

#include <algorithm>

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
        out(x, y, c, n) = arg(x, y, c, n)[1];
        return out;
    }

    Gradients backward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                       const std::vector<Tensor>&, const Tensor&, const Func& dy) const override {
        const Window w = pool_window(node);
        const int k = static_cast<int>(w.kernel), s = static_cast<int>(w.stride), pd = static_cast<int>(w.pad);
        const int ho = static_cast<int>(node.shape.dims[1]), wo = static_cast<int>(node.shape.dims[2]);
        Func arg = ctx.saved_or(node, "argmax", [&] { return argmax_of(ctx, node, in[0]); });
        Var x("x"), y("y"), c("c"), n("n");
        Func dx(ctx.func_name(node, "d_input"));
        if (tiles(w)) {
            // Windows tile the input: each input lies in at most one window, (x / s, y / s), and
            // takes its gradient when it is that window's argmax. A pure gather: no reduction
            // over the window taps, no tests of which windows cover it (see schedule()).
            const int h = static_cast<int>(in[0].shape.dims[1]), wd = static_cast<int>(in[0].shape.dims[2]);
            Expr wx = x / s, wy = y / s;
            // Odd extents leave a last row or column in no window; clamped reads stay inside.
            if (wd != s * wo) wx = min(wx, wo - 1);
            if (h != s * ho) wy = min(wy, ho - 1);
            Expr inside = x < s * wo && y < s * ho;
            Expr chosen = arg(wx, wy, c, n)[0] == (x % s) + k * (y % s);
            dx(x, y, c, n) = select(inside && chosen, dy(wx, wy, c, n), zero_of(ctx.type));
            return {{dx}, {}};
        }
        // Each input gathers from every window that may contain it and whose argmax it is.
        RDom r(0, k, 0, k, "r_win");
        Expr ox = x + pd - r.x, oy = y + pd - r.y;  // window origin (padded coords) = o * s
        Expr wx = ox / s, wy = oy / s;
        Expr valid = ox % s == 0 && oy % s == 0 && wx >= 0 && wx < wo && wy >= 0 && wy < ho;
        Expr cwx = clamp(wx, 0, wo - 1), cwy = clamp(wy, 0, ho - 1);
        Expr chosen = arg(cwx, cwy, c, n)[0] == r.x + k * r.y;
        dx(x, y, c, n) = zero_of(ctx.type);
        dx(x, y, c, n) += select(valid && chosen, dy(cwx, cwy, c, n), zero_of(ctx.type));
        return {{dx}, {}};
    }

    // The argmax: vectors along the pooled x (a row of up to one vector, so that no lane is
    // guarded), window taps unrolled, in parallel over the batch. A tiling input gradient: x
    // split by the stride with the phase unrolled, so that each phase reads its windows as
    // dense vectors and x % s is a constant. The rest takes the default.
    void schedule(ScheduleContext& ctx, const dsl::Node& node, const std::vector<dsl::Shape>& in) const override {
        const int vec = ctx.vector_width(Float(32));
        const Window w = pool_window(node);
        const int k = static_cast<int>(w.kernel), s = static_cast<int>(w.stride);
        const int wo = static_cast<int>(node.shape.dims[2]), wd = static_cast<int>(in[0].dims[2]);
        if (Func arg = ctx.find(node.name + "__argmax"); arg.defined()) {
            const std::vector<Var> a = arg.args();
            const int lanes = std::min(vec, wo);
            Var xo("xo"), xi("xi");
            arg.compute_root().vectorize(a[0], lanes, TailStrategy::GuardWithIf).parallel(a[3]);
            const std::vector<RVar> r = arg.rvars(0);
            Stage u = arg.update(0);
            u.split(a[0], xo, xi, lanes, TailStrategy::GuardWithIf)
                .reorder(xi, r[0], r[1], xo, a[1], a[2], a[3])
                .vectorize(xi)
                .parallel(a[3]);
            if (k <= 3) u.unroll(r[0]).unroll(r[1]);
            ctx.claim(arg);
        }
        if (!tiles(w)) return;
        if (Func dx = ctx.find(node.name + "__d_input"); dx.defined()) {
            const std::vector<Var> a = dx.args();
            const int blocks = (wd + s - 1) / s;
            Var xo("xo"), xi("xi");
            dx.compute_root()
                .bound(a[0], 0, wd)
                .split(a[0], xo, xi, s, TailStrategy::GuardWithIf)
                .reorder(xi, xo, a[1], a[2], a[3])
                .vectorize(xo, std::min(vec, blocks), TailStrategy::GuardWithIf)
                .unroll(xi)
                .parallel(a[3]);
            ctx.claim(dx);
        }
    }

private:
    // Windows that tile the input (stride = kernel, no padding): each input in at most one.
    static bool tiles(const Window& w) { return w.stride == w.kernel && w.pad == 0; }

    // (kx + k ky, max) of every window; padding never wins.
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
        arg(x, y, c, n) = {0, ctx.type.min()};
        // Strictly greater: the first maximum in row-major window order wins, as in PyTorch.
        Expr better = value > arg(x, y, c, n)[1];
        arg(x, y, c, n) = {select(better, r.x + k * r.y, arg(x, y, c, n)[0]),
                           select(better, value, arg(x, y, c, n)[1])};
        return arg;
    }

    dsl::OpSpec spec_;
};

}  // namespace
NNC_REGISTER_LAYER(MaxPool2d);
}  // namespace nnc::codegen
