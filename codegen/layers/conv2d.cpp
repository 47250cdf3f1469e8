// conv2d(x, filters, kernel=3, stride=1, padding=same, pad=-1, dilation=1, bias=true, init=he_normal)
// x: (N, C, H, W)   weight: [F, C, K, K] (PyTorch's layout)   bias: [F]   y: (N, F, Ho, Wo)
// Halide: x(x, y, c, n), w(kx, ky, c, f), y(x, y, f, n).
// The input is padded once into its own Func so the product reads it without bounds tests.
// Backward is hand-written: d_input gathers from the output gradient (a stride-s convolution
// scatters, which schedules badly; stride > 1 splits it by input phase), and d_weight is a
// product over the output positions with vectors along the filters (the output gradient
// transposed once), as in a matrix product. Images at most 8 wide vectorize their forward and
// input gradient along the channels too (narrow()).
#include <algorithm>
#include <string>
#include <vector>

#include "codegen/layers/layer_registry.h"
#include "codegen/layers/window.h"
#include "codegen/schedule/gpu_templates.h"

namespace nnc::codegen {
namespace {

using namespace Halide;

class Conv2d final : public Layer {
public:
    Conv2d() {
        spec_.name = "conv2d";
        spec_.summary = "2-D convolution over (C, H, W)";
        spec_.attrs = {
            {"filters", dsl::AttrType::Int, true, std::nullopt, {}, "number of output channels"},
            {"kernel", dsl::AttrType::Int, false, dsl::AttrValue(int64_t(3)), {}, "kernel size (square)"},
            {"stride", dsl::AttrType::Int, false, dsl::AttrValue(int64_t(1)), {}, "step between windows"},
            {"padding",
             dsl::AttrType::Ident,
             false,
             dsl::AttrValue(std::string("same")),
             {"same", "valid"},
             "same: pad (k-1)/2 on each side; valid: no padding"},
            {"pad",
             dsl::AttrType::Int,
             false,
             dsl::AttrValue(int64_t(-1)),
             {},
             "explicit padding on each side (overrides padding)"},
            {"dilation", dsl::AttrType::Int, false, dsl::AttrValue(int64_t(1)), {}, "spacing between kernel taps"},
            {"bias", dsl::AttrType::Bool, false, dsl::AttrValue(true), {}, "add a learned bias per filter"},
            {"init",
             dsl::AttrType::Init,
             false,
             dsl::AttrValue(dsl::InitSpec{"he_normal", 0.0}),
             {},
             "weight initializer"},
            {"max_norm",
             dsl::AttrType::Float,
             false,
             dsl::AttrValue(0.0),
             {},
             "> 0: after each update, rescale each filter's weights to at most this L2 norm (0: off)"},
        };
        spec_.shape = [](const std::vector<dsl::Shape>& in, const dsl::Attrs& a) {
            if (in[0].dims.size() != 3)
                return dsl::ShapeResult::fail("conv2d expects a (C, H, W) input, got " + in[0].str() +
                                              "; declare the input as [channels, height, width]");
            Window w;
            if (std::string e = window_from_attrs(a, &w); !e.empty()) return dsl::ShapeResult::fail("conv2d: " + e);
            if (a.get_int("filters") < 1) return dsl::ShapeResult::fail("conv2d needs filters >= 1");
            if (a.get_float("max_norm") < 0)
                return dsl::ShapeResult::fail("conv2d needs max_norm >= 0 (0: off), got " +
                                              std::to_string(a.get_float("max_norm")));
            const int64_t h = in[0].dims[1], wd = in[0].dims[2];
            if (w.effective() > h + 2 * w.pad || w.effective() > wd + 2 * w.pad)
                return dsl::ShapeResult::fail("conv2d kernel " + std::to_string(w.effective()) + "x" +
                                              std::to_string(w.effective()) + " is larger than its padded input " +
                                              std::to_string(h + 2 * w.pad) + "x" + std::to_string(wd + 2 * w.pad) +
                                              " (input " + in[0].str() + ")");
            return dsl::ShapeResult::ok({{a.get_int("filters"), w.output(h), w.output(wd)}});
        };
        spec_.params = [](const std::vector<dsl::Shape>& in, const dsl::Attrs& a) {
            const int64_t c = in[0].dims.at(0), f = a.get_int("filters"), k = a.get_int("kernel");
            std::vector<dsl::ParamSpec> ps;
            dsl::ParamSpec weight{"weight",  {{f, c, k, k}}, a.get_init("init"),
                                  c * k * k, f * k * k,      a.get_float("max_norm")};
            weight.units_first = true;  // one unit per filter, as Keras's MaxNorm over (kh, kw, cin)
            ps.push_back(weight);
            if (a.get_bool("bias")) ps.push_back({"bias", {{f}}, dsl::InitSpec{"zeros", 0.0}, c * k * k, f * k * k});
            return ps;
        };
        // C*K*K per output element, whatever the stride, dilation or padding: the output shape
        // already accounts for them (padded taps are counted, as torch's profilers do).
        spec_.macs = [](const std::vector<dsl::Shape>& in, const dsl::Shape& out, const dsl::Attrs& a) {
            const int64_t k = a.get_int("kernel");
            return out.elements() * in[0].dims.at(0) * k * k;
        };
    }

    const dsl::OpSpec& spec() const override { return spec_; }

    Func forward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                 const std::vector<Tensor>& p) const override {
        const Window w = window(node);
        const int c_in = static_cast<int>(in[0].shape.dims[0]);
        const int k = static_cast<int>(w.kernel), s = static_cast<int>(w.stride), d = static_cast<int>(w.dilation);
        Func pad = ctx.saved_or(node, "padded", [&] { return padded(ctx, node, in[0], w); });
        Var x("x"), y("y"), f("f"), n("n");
        RDom r(0, k, 0, k, 0, c_in, "r_win");
        Func out(ctx.func_name(node, "fwd"));
        if (narrow(static_cast<int>(node.shape.dims[2]))) {
            // Vectors along the filters (see narrow()): the product transposed, then put back.
            Func wt(ctx.func_name(node, "weight_t"));
            wt(f, x, y, n) = p[0].func(x, y, n, f);  // (f, kx, ky, c)
            Func ot(ctx.func_name(node, "fwd_t"));
            ot(f, x, y, n) = p.size() > 1 ? Expr(p[1].func(f)) : zero_of(ctx.type);
            ot(f, x, y, n) += wt(f, r.x, r.y, r.z) * pad(x * s + r.x * d, y * s + r.y * d, r.z, n);
            out(x, y, f, n) = ot(f, x, y, n);
            return out;
        }
        // The sums in their own Func, the value a pure Func over them: the CPU template computes the
        // sums in register tiles inside the value's loops (window_product), so a value that leaves
        // its stage is written once, as that stage's result, instead of stored and then copied.
        Func sum(ctx.func_name(node, "fwd_sum"));
        sum(x, y, f, n) = p.size() > 1 ? Expr(p[1].func(f)) : zero_of(ctx.type);
        sum(x, y, f, n) += pad(x * s + r.x * d, y * s + r.y * d, r.z, n) * p[0].func(r.x, r.y, r.z, f);
        out(x, y, f, n) = sum(x, y, f, n);
        return out;
    }

    Gradients backward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                       const std::vector<Tensor>& p, const Tensor&, const Func& dy) const override {
        const Window w = window(node);
        const int k = static_cast<int>(w.kernel), s = static_cast<int>(w.stride), d = static_cast<int>(w.dilation);
        const int pd = static_cast<int>(w.pad);
        const int filters = static_cast<int>(node.shape.dims[0]);
        const int ho = static_cast<int>(node.shape.dims[1]), wo = static_cast<int>(node.shape.dims[2]);
        Var x("x"), y("y"), c("c"), f("f"), n("n"), kx("kx"), ky("ky");
        Gradients g;

        // The output gradient, zero outside (Ho, Wo): both gathers below read past its edges.
        Func dyz(ctx.func_name(node, "d_out_zero"));
        dyz(x, y, f, n) = select(x >= 0 && x < wo && y >= 0 && y < ho,
                                 dy(clamp(x, 0, wo - 1), clamp(y, 0, ho - 1), f, n), zero_of(ctx.type));

        // d_input(x, y, c) = sum over taps and filters of the outputs whose window covered x, y.
        Func dx(ctx.func_name(node, "d_input"));
        const int w_in = static_cast<int>(in[0].shape.dims[2]);
        if (s == 1 && narrow(w_in)) {  // vectors along the input channels, as the forward's
            RDom r(0, k, 0, k, 0, filters, "r_tap");
            Func wt(ctx.func_name(node, "weight_t_in"));
            wt(c, x, y, f) = p[0].func(x, y, c, f);  // (c, kx, ky, f)
            Func dxt(ctx.func_name(node, "d_input_t"));
            dxt(c, x, y, n) = zero_of(ctx.type);
            dxt(c, x, y, n) += wt(c, r.x, r.y, r.z) * dyz(x + pd - r.x * d, y + pd - r.y * d, r.z, n);
            dx(x, y, c, n) = dxt(c, x, y, n);
        } else if (s == 1) {
            RDom r(0, k, 0, k, 0, filters, "r_tap");
            dx(x, y, c, n) = zero_of(ctx.type);
            dx(x, y, c, n) += dyz(x + pd - r.x * d, y + pd - r.y * d, r.z, n) * p[0].func(r.x, r.y, c, r.z);
        } else {
            // Stride s: one product per phase (x mod s, y mod s) of the input, over only the taps
            // that hit it, on the phase's grid (x = s xq + px), so its reads of the output gradient
            // are contiguous; testing every tap and dividing vector indices cost 4x the work and
            // gathers. The phases interleave into d_input.
            std::vector<Expr> phase_values;
            for (int py = 0; py < s; ++py)
                for (int px = 0; px < s; ++px) {
                    Func ph(ctx.func_name(node, "d_input_p" + std::to_string(py * s + px)));
                    ph(x, y, c, n) = zero_of(ctx.type);
                    const Taps tx = taps_hitting(px, pd, k, s, d), ty = taps_hitting(py, pd, k, s, d);
                    if (tx.count > 0 && ty.count > 0) {
                        RDom r(0, tx.count, 0, ty.count, 0, filters, "r_tap");
                        Expr tap_x = tx.first + tx.step * r.x, tap_y = ty.first + ty.step * r.y;
                        // (p + pd - tap d) is a multiple of s: the division is exact.
                        ph(x, y, c, n) += dyz(x + (px + pd - tap_x * d) / s, y + (py + pd - tap_y * d) / s, r.z, n) *
                                          p[0].func(tap_x, tap_y, c, r.z);
                    }
                    phase_values.push_back(ph(x / s, y / s, c, n));
                }
            dx(x, y, c, n) = mux((y % s) * s + x % s, phase_values);
        }
        g.d_inputs.push_back(dx);

        // d_weight as a matrix product over the (x, y, n) output positions, with the filters
        // contiguous: dyT(f, x, y, n), the output gradient transposed (a copy the size of dy), times
        // the padded input's taps, gives d_weight_t(f, kx, ky, c). Vectors run along the filters, so
        // the reduction covers exactly the output positions (vectors along x wasted up to half their
        // lanes on 7x7 and 8x8 images) and each input value is one broadcast for a whole tile.
        Func pad = ctx.saved_or(node, "padded", [&] { return padded(ctx, node, in[0], w); });
        Func dyt(ctx.func_name(node, "d_out_t"));
        dyt(f, x, y, n) = dyz(x, y, f, n);
        RDom rr(0, wo, 0, ho, 0, ctx.batch, "r_pos");
        Func dwt(ctx.func_name(node, "d_weight_t"));
        dwt(f, kx, ky, c) = zero_of(ctx.type);
        dwt(f, kx, ky, c) += dyt(f, rr.x, rr.y, rr.z) * pad(rr.x * s + kx * d, rr.y * s + ky * d, c, rr.z);
        Func dw(ctx.func_name(node, "d_weight"));
        dw(kx, ky, c, f) = dwt(f, kx, ky, c);
        g.d_params.push_back(dw);

        if (p.size() > 1) {  // summed along the filters' vectors of the same transposed gradient
            RDom ro(0, wo, 0, ho, 0, ctx.batch, "r_out");
            Func db(ctx.func_name(node, "d_bias"));
            db(f) = zero_of(ctx.type);
            db(f) += dyt(f, ro.x, ro.y, ro.z);
            g.d_params.push_back(db);
        }
        return g;
    }

    void schedule(ScheduleContext& ctx, const dsl::Node& node, const std::vector<dsl::Shape>& in) const override {
        const int vec = ctx.vector_width(Float(32));
        const int filters = static_cast<int>(node.shape.dims[0]);
        const int c_in = static_cast<int>(in[0].dims[0]);
        const int k = static_cast<int>(window(node).kernel);
        Var x("x"), y("y"), f("f"), c("c"), n("n"), kx("kx"), ky("ky");
        // f(x, y, ch, n) += window products over 3 RVars, for the output (ch = filters) and the
        // input gradient (ch = input channels) alike. Register tiles: one vector of x by `rows`
        // rows by `chans` channels accumulate in an intermediate computed per tile, with the whole
        // reduction (taps, then channels) inside; the tiles' wrapper writes the result. Tiles
        // have a constant size to live in registers, so the wrapper's splits shift inwards (legal
        // when the extent is at least the factor: overlapping tiles recompute a few outputs); a
        // smaller extent is taken whole. The batch is never split: a last batch may be short.
        // `tile`: a pure Func of f alone (same arguments) to compute the tiles in; by default f's
        // global wrapper.
        auto window_product = [&](Func f, int channels, int width, int height, Func tile = Func()) {
            const std::vector<Var> a = f.args();
            Var xo("xo"), xi("xi"), yo("yo"), yi("yi"), co("co"), ci("ci"), t("t");
            const int cols = width >= vec ? vec : width;
            const int rows = height >= 4 ? 4 : height;
            const int chans = channels >= 4 ? 4 : channels;
            if (!tile.defined()) tile = f.in();
            tile.compute_root()
                .split(a[0], xo, xi, cols, TailStrategy::ShiftInwards)
                .split(a[1], yo, yi, rows, TailStrategy::ShiftInwards)
                .split(a[2], co, ci, chans, TailStrategy::ShiftInwards)
                .reorder(xi, yi, ci, xo, yo, co, a[3])
                .vectorize(xi)
                .fuse(co, a[3], t)
                .parallel(t);
            f.compute_at(tile, xo).vectorize(a[0]).unroll(a[1]).unroll(a[2]);
            const std::vector<RVar> r = f.rvars(0);
            Stage u = f.update(0);
            u.reorder(a[0], a[1], a[2], r[0], r[1], r[2]).vectorize(a[0]).unroll(a[1]).unroll(a[2]);
            // Unrolled taps let neighbouring rows share their input vectors.
            if (k <= 3) u.unroll(r[0]).unroll(r[1]);
            ctx.claim(f);
            ctx.claim(tile);
        };
        const int h_in = static_cast<int>(in[0].dims[1]), w_in = static_cast<int>(in[0].dims[2]);
        const int ho = static_cast<int>(node.shape.dims[1]), wo = static_cast<int>(node.shape.dims[2]);
        // The narrow forms: ch(ch, x, y, n) with `ch` contiguous; tiles of up to 2 vectors of
        // channels x a whole image row in registers (at most 16 accumulators), the reduction
        // (taps, then channels) inside: per step, the channels' weight vectors and one broadcast
        // input value per column. In parallel over (rows, batch).
        auto channel_product = [&](Func ot, int channels, int width) {
            const std::vector<Var> a = ot.args();
            const int cv = channels >= 2 * vec ? 2 : 1;
            const int cw = channels >= vec ? cv * vec : channels;
            const int vw = std::min(vec, cw);
            Var o("o"), i("i"), xo("xo"), xi("xi"), t("t");
            Func tile = ot.in();
            tile.compute_root()
                .split(a[0], o, i, cw, TailStrategy::ShiftInwards)
                .split(a[1], xo, xi, width, TailStrategy::ShiftInwards)  // a constant row for registers
                .reorder(i, xi, o, xo, a[2], a[3])
                .vectorize(i, vw)
                .fuse(a[2], a[3], t)
                .parallel(t);
            ot.compute_at(tile, o).vectorize(a[0], vw).unroll(a[0]).unroll(a[1]);
            const std::vector<RVar> r = ot.rvars(0);
            Stage u = ot.update(0);
            u.reorder(a[0], a[1], a[2], r[0], r[1], r[2]).vectorize(a[0], vw).unroll(a[0]).unroll(a[1]);
            ctx.claim(ot);
            ctx.claim(tile);
        };
        if (Func ot = ctx.find(node.name + "__fwd_t"); ot.defined()) {
            channel_product(ot, filters, wo);
        } else if (Func sum = ctx.find(node.name + "__fwd_sum"); sum.defined()) {
            window_product(sum, filters, wo, ho, ctx.find(node.name + "__fwd"));
        }
        const int s = static_cast<int>(window(node).stride);
        if (Func dxt = ctx.find(node.name + "__d_input_t"); dxt.defined()) {
            channel_product(dxt, c_in, w_in);
        } else if (s == 1) {
            if (Func dx = ctx.find(node.name + "__d_input"); dx.defined()) window_product(dx, c_in, w_in, h_in);
        } else if (Func dx = ctx.find(node.name + "__d_input"); dx.defined()) {
            for (int q = 0; q < s * s; ++q) {
                Func ph = ctx.find(node.name + "__d_input_p" + std::to_string(q));
                if (!ph.defined()) continue;
                if (ph.num_update_definitions() > 0) {
                    window_product(ph, c_in, (w_in + s - 1) / s, (h_in + s - 1) / s);
                } else {
                    ph.compute_root().vectorize(ph.args()[0], vec, TailStrategy::GuardWithIf).parallel(ph.args()[3]);
                    ctx.claim(ph);
                }
            }
            // Interleaving: from x = 0 (bound), x = s xo + xi with xi unrolled makes each phase's
            // index and x mod s constants, so every phase is read as dense vectors.
            Var xo("xo"), xi("xi");
            const std::vector<Var> a = dx.args();
            dx.compute_root()
                .bound(a[0], 0, w_in)
                .bound(a[1], 0, h_in)
                .split(a[0], xo, xi, s, TailStrategy::GuardWithIf)
                .split(a[1], a[1], Var("yi"), s, TailStrategy::GuardWithIf)
                .reorder(xi, xo, Var("yi"), a[1], a[2], a[3])
                .vectorize(xo, vec, TailStrategy::GuardWithIf)
                .unroll(xi)
                .unroll(Var("yi"))
                .parallel(a[3]);
            ctx.claim(dx);
        }
        // d_weight_t(f, kx, ky, c): register tiles of `fv` vectors of filters x every tap x `cs`
        // channels (at most 28 accumulators of the 32 vector registers), the whole reduction over
        // the output positions inside each tile; per position, fv vector loads of the transposed
        // gradient and one broadcast input value per tap and channel. Tiles in parallel over
        // (filter blocks, channel blocks).
        if (Func dwt = ctx.find(node.name + "__d_weight_t"); dwt.defined()) {
            const int taps = k * k;
            const int fv = filters >= 2 * vec ? 2 : 1;
            const int fw = filters >= vec ? fv * vec : filters;  // the tile's filters
            const int vw = std::min(vec, fw);
            const int limit = std::max(1, std::min(c_in, 28 / (fv * taps)));
            int cs = limit;  // a divisor of c_in when one is near the limit: no overlapping tiles
            for (int q = limit; q * 2 > limit; --q)
                if (c_in % q == 0) {
                    cs = q;
                    break;
                }
            Var fo("fo"), fi("fi"), co("co"), ci("ci"), t("t");
            Func tile = dwt.in();
            tile.compute_root()
                .split(f, fo, fi, fw, TailStrategy::ShiftInwards)
                .split(c, co, ci, cs, TailStrategy::ShiftInwards)
                .reorder(fi, kx, ky, ci, fo, co)
                .vectorize(fi, vw)
                .fuse(fo, co, t)
                .parallel(t);
            dwt.compute_at(tile, t).vectorize(f, vw).unroll(f).unroll(kx).unroll(ky).unroll(c);
            const std::vector<RVar> r = dwt.rvars(0);
            Stage u = dwt.update(0);
            u.reorder(f, kx, ky, c, r[0], r[1], r[2]).vectorize(f, vw).unroll(f).unroll(kx).unroll(c);
            // Kernels above 5x5 have more taps than registers: their rows stay a loop.
            if (fv * taps <= 28) u.unroll(ky);
            ctx.claim(dwt);
            ctx.claim(tile);
        }
    }

    // On a GPU: the forward and input-gradient products with channels in registers, the weight
    // gradient per sample with taps and filters in registers (codegen/schedule/gpu_templates.h). The narrow
    // forms (fwd_t, d_input_t) and the stride phases are left to the GPU template.
    void schedule_gpu(ScheduleContext& ctx, const dsl::Node& node, const std::vector<dsl::Shape>& in) const override {
        const int filters = static_cast<int>(node.shape.dims[0]);
        const int c_in = static_cast<int>(in[0].dims[0]);
        if (Func sum = ctx.find(node.name + "__fwd_sum"); sum.defined()) schedule_gpu_window_product(ctx, sum, filters);
        if (Func dx = ctx.find(node.name + "__d_input"); dx.defined()) schedule_gpu_window_product(ctx, dx, c_in);
        if (Func dwt = ctx.find(node.name + "__d_weight_t"); dwt.defined())
            schedule_gpu_transposed_weight_gradient(ctx, dwt, static_cast<int>(window(node).kernel), c_in, filters);
    }

private:
    // The kernel taps t (first + step j, j < count) that land on input phase p of a stride-s
    // window: (p + pad - t dilation) divisible by s. They form an arithmetic progression.
    struct Taps {
        int first = 0, step = 1, count = 0;
    };
    static Taps taps_hitting(int phase, int pad, int k, int s, int d) {
        std::vector<int> hit;
        for (int t = 0; t < k; ++t)
            if (((phase + pad - t * d) % s + s) % s == 0) hit.push_back(t);
        Taps taps;
        taps.count = static_cast<int>(hit.size());
        if (!hit.empty()) taps.first = hit[0];
        if (hit.size() > 1) taps.step = hit[1] - hit[0];
        return taps;
    }

    // Images at most 8 wide fill at most half of a 16-float vector along x: their forward and
    // (stride 1) input-gradient products vectorize along the channels instead.
    static bool narrow(int width) { return width <= 8; }

    static Window window(const dsl::Node& node) {
        Window w;
        window_from_attrs(node.attrs, &w);
        return w;
    }

    // The input with `pad` zeros on every side, over (W + 2 pad, H + 2 pad); the input itself when pad is 0.
    static Func padded(const LayerContext& ctx, const dsl::Node& node, const Tensor& in, const Window& w) {
        const int c = static_cast<int>(in.shape.dims[0]);
        const int h = static_cast<int>(in.shape.dims[1]), wd = static_cast<int>(in.shape.dims[2]);
        const int pd = static_cast<int>(w.pad);
        (void)c;
        Var x("x"), y("y"), ch("c"), n("n");
        // No padding: every window lies inside the input ((Wo - 1) s + (K - 1) d < W), so the
        // products read it as it is; a clamped copy cost a pass over it in each direction.
        if (pd == 0) return in.func;
        Func pad(ctx.func_name(node, "padded"));
        pad(x, y, ch, n) = select(x >= pd && x < wd + pd && y >= pd && y < h + pd,
                                  in.func(clamp(x - pd, 0, wd - 1), clamp(y - pd, 0, h - 1), ch, n), zero_of(ctx.type));
        return pad;
    }

    dsl::OpSpec spec_;
};

}  // namespace
NNC_REGISTER_LAYER(Conv2d);
}  // namespace nnc::codegen
