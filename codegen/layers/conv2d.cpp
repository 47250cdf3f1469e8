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

// What conv2d's forward and backward built for one node, and in which form.
struct Conv2dRecord {
    // The form of a product over windows (the output, the input gradient):
    //   Window:   f(x, y, ch, n) itself, x contiguous, in register tiles of x, y and channels;
    //   Channels: the narrow form (images at most 8 wide, narrow()), the product transposed with
    //             the channels contiguous, f a re-indexing of it;
    //   Phases:   (the input gradient at stride > 1) one product per input phase, interleaved.
    enum class Form { Window, Channels, Phases };

    // The input padded into a Func of its own (pad > 0), which the products read without bounds
    // tests; otherwise they read the input as it is.
    bool padded = false;
    Func pad;
    Form forward = Form::Window;
    Func fwd;       // the output: Window: a pure Func of fwd_sum (the sums' tiles are computed in it)
    Func fwd_sum;   // Window: the sums
    Func weight_t;  // Channels: the weight as (f, kx, ky, c)
    Func fwd_t;     // Channels: the product as (f, x, y, n)

    Form input_gradient = Form::Window;
    Func d_out_zero;                   // the output gradient, zero outside the output
    Func d_input;                      // Window: the product; Channels: d_input_t re-indexed; Phases: the interleave
    Func weight_t_in;                  // Channels: the weight as (c, kx, ky, f)
    Func d_input_t;                    // Channels: the product as (c, x, y, n)
    std::vector<Func> d_input_phases;  // Phases: phase py * s + px, a zero where no tap reaches it
    Func d_out_t;                      // the output gradient as (f, x, y, n)
    Func d_weight_t;                   // the weight gradient as (f, kx, ky, c), a product over the output positions
    Func d_weight, d_bias;

    template <class Visit>
    void funcs(Visit&& visit) {
        for (Func* f : {&pad, &fwd, &fwd_sum, &weight_t, &fwd_t, &d_out_zero, &d_input, &weight_t_in, &d_input_t})
            visit(*f);
        for (Func& f : d_input_phases) visit(f);
        for (Func* f : {&d_out_t, &d_weight_t, &d_weight, &d_bias}) visit(*f);
    }
};
using Form = Conv2dRecord::Form;

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
        auto rec = ctx.record<Conv2dRecord>(node);
        Func pad = padded(ctx, node, in[0], w, *rec);
        Var x("x"), y("y"), f("f"), n("n");
        RDom r(0, k, 0, k, 0, c_in, "r_win");
        Func out(ctx.func_name(node, "fwd"));
        rec->fwd = out;
        if (narrow(static_cast<int>(node.shape.dims[2]))) {
            // Vectors along the filters (see narrow()): the product transposed, then put back.
            rec->forward = Form::Channels;
            Func wt(ctx.func_name(node, "weight_t"));
            wt(f, x, y, n) = p[0].func(x, y, n, f);  // (f, kx, ky, c)
            Func ot(ctx.func_name(node, "fwd_t"));
            ot(f, x, y, n) = p.size() > 1 ? Expr(p[1].func(f)) : zero_of(ctx.type);
            ot(f, x, y, n) += wt(f, r.x, r.y, r.z) * pad(x * s + r.x * d, y * s + r.y * d, r.z, n);
            out(x, y, f, n) = ot(f, x, y, n);
            rec->weight_t = wt;
            rec->fwd_t = ot;
            return out;
        }
        // The sums in their own Func, the value a pure Func over them: the CPU template computes the
        // sums in register tiles inside the value's loops (window_product), so a value that leaves
        // its stage is written once, as that stage's result, instead of stored and then copied.
        Func sum(ctx.func_name(node, "fwd_sum"));
        sum(x, y, f, n) = p.size() > 1 ? Expr(p[1].func(f)) : zero_of(ctx.type);
        sum(x, y, f, n) += pad(x * s + r.x * d, y * s + r.y * d, r.z, n) * p[0].func(r.x, r.y, r.z, f);
        out(x, y, f, n) = sum(x, y, f, n);
        rec->forward = Form::Window;
        rec->fwd_sum = sum;
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
        auto rec = ctx.record<Conv2dRecord>(node);

        // The output gradient, zero outside (Ho, Wo): both gathers below read past its edges.
        Func dyz(ctx.func_name(node, "d_out_zero"));
        dyz(x, y, f, n) = select(x >= 0 && x < wo && y >= 0 && y < ho,
                                 dy(clamp(x, 0, wo - 1), clamp(y, 0, ho - 1), f, n), zero_of(ctx.type));
        rec->d_out_zero = dyz;

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
            rec->input_gradient = Form::Channels;
            rec->weight_t_in = wt;
            rec->d_input_t = dxt;
        } else if (s == 1) {
            RDom r(0, k, 0, k, 0, filters, "r_tap");
            dx(x, y, c, n) = zero_of(ctx.type);
            dx(x, y, c, n) += dyz(x + pd - r.x * d, y + pd - r.y * d, r.z, n) * p[0].func(r.x, r.y, c, r.z);
            rec->input_gradient = Form::Window;
        } else {
            // Stride s: one product per phase (x mod s, y mod s) of the input, over only the taps
            // that hit it, on the phase's grid (x = s xq + px), so its reads of the output gradient
            // are contiguous; testing every tap and dividing vector indices cost 4x the work and
            // gathers. The phases interleave into d_input.
            rec->input_gradient = Form::Phases;
            rec->d_input_phases.clear();
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
                    rec->d_input_phases.push_back(ph);
                }
            dx(x, y, c, n) = mux((y % s) * s + x % s, phase_values);
        }
        rec->d_input = dx;
        g.d_inputs.push_back(dx);

        // d_weight as a matrix product over the (x, y, n) output positions, with the filters
        // contiguous: dyT(f, x, y, n), the output gradient transposed (a copy the size of dy), times
        // the padded input's taps, gives d_weight_t(f, kx, ky, c). Vectors run along the filters, so
        // the reduction covers exactly the output positions (vectors along x wasted up to half their
        // lanes on 7x7 and 8x8 images) and each input value is one broadcast for a whole tile.
        Func pad = padded(ctx, node, in[0], w, *rec);
        Func dyt(ctx.func_name(node, "d_out_t"));
        dyt(f, x, y, n) = dyz(x, y, f, n);
        RDom rr(0, wo, 0, ho, 0, ctx.batch, "r_pos");
        Func dwt(ctx.func_name(node, "d_weight_t"));
        dwt(f, kx, ky, c) = zero_of(ctx.type);
        dwt(f, kx, ky, c) += dyt(f, rr.x, rr.y, rr.z) * pad(rr.x * s + kx * d, rr.y * s + ky * d, c, rr.z);
        Func dw(ctx.func_name(node, "d_weight"));
        dw(kx, ky, c, f) = dwt(f, kx, ky, c);
        g.d_params.push_back(dw);
        rec->d_out_t = dyt;
        rec->d_weight_t = dwt;
        rec->d_weight = dw;

        if (p.size() > 1) {  // summed along the filters' vectors of the same transposed gradient
            RDom ro(0, wo, 0, ho, 0, ctx.batch, "r_out");
            Func db(ctx.func_name(node, "d_bias"));
            db(f) = zero_of(ctx.type);
            db(f) += dyt(f, ro.x, ro.y, ro.z);
            g.d_params.push_back(db);
            rec->d_bias = db;
        }
        return g;
    }

    // The products' CPU templates by form (codegen/schedule/cpu_templates.h); the rest takes the default.
    void schedule(ScheduleContext& ctx, const dsl::Node& node, const std::vector<dsl::Shape>& in) const override {
        const Conv2dRecord r = ctx.record<Conv2dRecord>(node);
        const Window w = window(node);
        const int k = static_cast<int>(w.kernel), s = static_cast<int>(w.stride);
        const int filters = static_cast<int>(node.shape.dims[0]);
        const int ho = static_cast<int>(node.shape.dims[1]), wo = static_cast<int>(node.shape.dims[2]);
        const int c_in = static_cast<int>(in[0].dims[0]);
        const int h_in = static_cast<int>(in[0].dims[1]), w_in = static_cast<int>(in[0].dims[2]);
        const KnobValues knobs = ctx.knobs(node.name);  // codegen/tune/knob_space.cpp names them
        const WindowProductKnobs fwd = WindowProductKnobs::from(knobs, "fwd.");
        const WindowProductKnobs d_input = WindowProductKnobs::from(knobs, "d_input.");
        if (r.forward == Form::Channels && r.fwd_t.defined()) schedule_channel_product(ctx, r.fwd_t, filters, wo);
        if (r.forward == Form::Window && r.fwd_sum.defined())
            schedule_window_product(ctx, r.fwd_sum, filters, wo, ho, k, r.fwd, fwd);
        if (r.input_gradient == Form::Channels && r.d_input_t.defined())
            schedule_channel_product(ctx, r.d_input_t, c_in, w_in);
        if (r.input_gradient == Form::Window && r.d_input.defined())
            schedule_window_product(ctx, r.d_input, c_in, w_in, h_in, k, Func(), d_input);
        if (r.input_gradient == Form::Phases && r.d_input.defined())
            schedule_phase_split_input_gradient(ctx, r.d_input, r.d_input_phases, c_in, s, w_in, h_in, k, d_input);
        if (r.d_weight_t.defined())
            schedule_transposed_weight_gradient(ctx, r.d_weight_t, k, c_in, filters,
                                                WeightGradientKnobs::from(knobs, "d_weight."));
    }

    // On a GPU: the forward and input-gradient products with channels in registers, the weight
    // gradient per sample with taps and filters in registers (codegen/schedule/gpu_templates.h). The narrow
    // forms and the stride phases are left to the GPU template.
    void schedule_gpu(ScheduleContext& ctx, const dsl::Node& node, const std::vector<dsl::Shape>& in) const override {
        const Conv2dRecord r = ctx.record<Conv2dRecord>(node);
        const int filters = static_cast<int>(node.shape.dims[0]);
        const int c_in = static_cast<int>(in[0].dims[0]);
        if (r.forward == Form::Window && r.fwd_sum.defined()) schedule_gpu_window_product(ctx, r.fwd_sum, filters);
        if (r.input_gradient == Form::Window && r.d_input.defined()) schedule_gpu_window_product(ctx, r.d_input, c_in);
        if (r.d_weight_t.defined())
            schedule_gpu_transposed_weight_gradient(ctx, r.d_weight_t, static_cast<int>(window(node).kernel), c_in,
                                                    filters);
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

    // The input with `pad` zeros on every side, over (W + 2 pad, H + 2 pad); the input itself when
    // pad is 0. Made once per lowering: the backward reads the forward's.
    static Func padded(const LayerContext& ctx, const dsl::Node& node, const Tensor& in, const Window& w,
                       Conv2dRecord& rec) {
        const int h = static_cast<int>(in.shape.dims[1]), wd = static_cast<int>(in.shape.dims[2]);
        const int pd = static_cast<int>(w.pad);
        // No padding: every window lies inside the input ((Wo - 1) s + (K - 1) d < W), so the
        // products read it as it is; a clamped copy cost a pass over it in each direction.
        if (pd == 0) return in.func;
        if (rec.padded) return rec.pad;
        Var x("x"), y("y"), ch("c"), n("n");
        Func pad(ctx.func_name(node, "padded"));
        pad(x, y, ch, n) = select(x >= pd && x < wd + pd && y >= pd && y < h + pd,
                                  in.func(clamp(x - pd, 0, wd - 1), clamp(y - pd, 0, h - 1), ch, n), zero_of(ctx.type));
        rec.padded = true;
        rec.pad = pad;
        return pad;
    }

    dsl::OpSpec spec_;
};

}  // namespace
NNC_REGISTER_LAYER(Conv2d);
}  // namespace nnc::codegen
