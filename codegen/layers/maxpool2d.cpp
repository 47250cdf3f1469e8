// maxpool2d(x, kernel=2, stride=kernel, pad=0): the maximum of each window, as torch's MaxPool2d
// (padding counts as -inf). The forward keeps the argmax of every window; the backward routes
// each output gradient to exactly that input. Recomputing the max and comparing is unsafe: a
// schedule may round the recomputation differently, so no input would match it.
// x: (N, C, H, W)   y: (N, C, Ho, Wo)
#include "codegen/layers/pool2d.h"

#include <algorithm>

namespace nnc::codegen {
namespace {

using namespace Halide;

// What maxpool2d's forward and backward built for one node.
struct MaxPoolRecord {
    Func argmax;  // (tap, max) of every window, made once per lowering: the backward reads the forward's
    Func fwd;
    // Windows that tile the input (tiles()): d_input is a gather from the one window over each
    // input; otherwise a reduction over the taps of every window that may contain it.
    bool tiles = false;
    Func d_input;

    template <class Visit>
    void funcs(Visit&& visit) {
        for (Func* f : {&argmax, &fwd, &d_input}) visit(*f);
    }
};

class MaxPool2d final : public Layer {
public:
    MaxPool2d() { pool_spec(spec_, "maxpool2d", "maximum over each window"); }
    const dsl::OpSpec& spec() const override { return spec_; }

    Func forward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                 const std::vector<Tensor>&) const override {
        auto rec = ctx.record<MaxPoolRecord>(node);
        Func arg = argmax_of(ctx, node, in[0], *rec);
        Var x("x"), y("y"), c("c"), n("n");
        Func out(ctx.func_name(node, "fwd"));
        out(x, y, c, n) = arg(x, y, c, n)[1];
        rec->fwd = out;
        return out;
    }

    Gradients backward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                       const std::vector<Tensor>&, const Tensor&, const Func& dy) const override {
        const Window w = pool_window(node);
        const int k = static_cast<int>(w.kernel), s = static_cast<int>(w.stride), pd = static_cast<int>(w.pad);
        const int ho = static_cast<int>(node.shape.dims[1]), wo = static_cast<int>(node.shape.dims[2]);
        auto rec = ctx.record<MaxPoolRecord>(node);
        Func arg = argmax_of(ctx, node, in[0], *rec);
        Var x("x"), y("y"), c("c"), n("n");
        Func dx(ctx.func_name(node, "d_input"));
        rec->d_input = dx;
        rec->tiles = tiles(w);
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

    // The argmax: a window reduction; a tiling input gradient: a tiled window gather
    // (codegen/schedule/cpu_templates.h). The rest takes the default.
    void schedule(ScheduleContext& ctx, const dsl::Node& node, const std::vector<dsl::Shape>& in) const override {
        const MaxPoolRecord r = ctx.record<MaxPoolRecord>(node);
        const Window w = pool_window(node);
        const int wo = static_cast<int>(node.shape.dims[2]), wd = static_cast<int>(in[0].dims[2]);
        const KnobValues knobs = ctx.knobs(node.name);  // codegen/tune/knob_space.cpp names them
        if (r.argmax.defined())
            schedule_window_reduction(ctx, r.argmax, static_cast<int>(w.kernel), wo,
                                      WindowReductionKnobs::from(knobs, "argmax."));
        if (r.tiles && r.d_input.defined())
            schedule_tiled_window_gather(ctx, r.d_input, static_cast<int>(w.stride), wd,
                                         WindowGatherKnobs::from(knobs, "d_input."));
    }

private:
    // Windows that tile the input (stride = kernel, no padding): each input in at most one.
    static bool tiles(const Window& w) { return w.stride == w.kernel && w.pad == 0; }

    // (kx + k ky, max) of every window; padding never wins. Made once per lowering.
    static Func argmax_of(const LayerContext& ctx, const dsl::Node& node, const Tensor& in, MaxPoolRecord& rec) {
        if (rec.argmax.defined()) return rec.argmax;
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
        rec.argmax = arg;
        return arg;
    }

    dsl::OpSpec spec_;
};

}  // namespace
NNC_REGISTER_LAYER(MaxPool2d);
}  // namespace nnc::codegen
