// Pieces shared by the recurrent layers (lstm.cpp, gru.cpp): the op spec, the activations, the
// input-side products and the scan schedule.
//
// How a recurrence fits in one Halide pipeline (HALIDE_NOTES.md, "RNNs"): the input projection
// of every time step is one product; the time recurrence is ONE Func `state(x, t, n)` whose
// update runs over an RDom (k, q, c, phase, t): t outermost, then a phase, a chunk c, a gate
// block q and the lane k innermost (vectorized). In the accumulation phase each chunk adds K terms
// of the recurrent matrix-vector product to the gate slots of step t (reading h of step t-1 from
// the same Func); a later phase (chunk 0 only, by RDom::where) turns the gates into c and h. The
// schedule unrolls the phase loop, so each copy of the body is only its own phase's code (a
// select on the phase would otherwise evaluate the activations in every chunk). A slot index is
// always `scalar + k`, so every store is a dense vector. The backward is the same construction run in reverse time, and
// the weight gradients are products over (t, n) after it. Unrolling T into separate Funcs instead costs minutes of
// compile time.
//
// Halide cannot prove that the lanes of one phase do not race (the slots a phase reads and
// writes are disjoint only by construction), so the scan's schedule sets allow_race_conditions;
// the RVars keep the algorithm's order (t, phase, c, q, k), which is the only thing that flag would let
// a schedule change, and no schedule here reorders them.
#pragma once
#include "codegen/layers/layer_registry.h"

namespace nnc::codegen::recurrent {

// tanh and sigmoid in forms that vectorize (Halide::tanh is a scalar libm call on x86) and
// saturate cleanly: exp overflowing to inf gives exactly 1 (or -1, or 0).
inline Halide::Expr sigmoid(const Halide::Expr& x) {
    Halide::Expr one = one_of(x.type());
    return one / (one + Halide::exp(-x));
}
inline Halide::Expr tanh(const Halide::Expr& x) {
    Halide::Expr one = one_of(x.type());
    return one - 2 / (Halide::exp(2 * x) + one);
}

// Terms of the recurrent product added per phase: the largest divisor of H up to 8, so every
// phase is full. More terms per phase mean fewer loads and stores of the gate slots.
inline int terms_per_phase(int hidden) {
    for (int k = 8; k > 1; --k)
        if (hidden % k == 0) return k;
    return 1;
}

// acc + the sum of `terms`, added as a balanced tree: the K multiply-adds of one chunk as a
// single chain are K dependent fma latencies per sample (measured: the lstm_classifier forward
// at batch 64 about 12% faster as a tree).
inline Halide::Expr add_tree(const Halide::Expr& acc, std::vector<Halide::Expr> terms) {
    while (terms.size() > 1) {
        std::vector<Halide::Expr> next;
        for (size_t i = 0; i + 1 < terms.size(); i += 2) next.push_back(terms[i] + terms[i + 1]);
        if (terms.size() % 2) next.push_back(terms.back());
        terms = std::move(next);
    }
    return terms.empty() ? acc : acc + terms[0];
}

struct Dims {
    int T = 0, F = 0, H = 0;  // time steps, input features, hidden units
    bool sequences = false;   // return_sequences
};

inline Dims dims_of(const dsl::Node& node, const dsl::Shape& input) {
    Dims d;
    d.T = static_cast<int>(input.dims.at(0));
    d.F = static_cast<int>(input.dims.at(1));
    d.H = static_cast<int>(node.attrs.get_int("hidden"));
    d.sequences = node.attrs.get_bool("return_sequences");
    return d;
}

// lstm / gru: attributes, shape rule and parameters; `gates` is 4 or 3.
// Parameters, like dense's weight stored [in, out] row-major so the gate index is contiguous:
//   weight_ih [F, G*H], weight_hh [H, G*H], bias_ih [G*H], bias_hh [G*H]
// torch.nn.LSTM/GRU hold the transposes (weight_ih_l0 [G*H, F], weight_hh_l0 [G*H, H]) with the
// same gate order and the same two biases.
inline dsl::OpSpec make_spec(const std::string& name, int gates, const std::string& summary) {
    dsl::OpSpec s;
    s.name = name;
    s.summary = summary;
    s.attrs = {
        {"hidden", dsl::AttrType::Int, true, std::nullopt, {}, "hidden units H"},
        {"return_sequences",
         dsl::AttrType::Bool,
         false,
         dsl::AttrValue(false),
         {},
         "true: h of every step, [T, H]; false: the last h, [H]"},
        {"init",
         dsl::AttrType::Init,
         false,
         dsl::AttrValue(dsl::InitSpec{"xavier_uniform", 0.0}),
         {},
         "input weight initializer"},
        {"recurrent_init",
         dsl::AttrType::Init,
         false,
         dsl::AttrValue(dsl::InitSpec{"orthogonal", 0.0}),
         {},
         "recurrent weight initializer"},
    };
    s.shape = [name](const std::vector<dsl::Shape>& in, const dsl::Attrs& a) {
        if (in[0].dims.size() != 2)
            return dsl::ShapeResult::fail(name + " expects a sequence [T, F], got " + in[0].str() +
                                          "; give it [time steps, features] (an embedding's output, or reshape)");
        const int64_t h = a.get_int("hidden");
        if (h <= 0) return dsl::ShapeResult::fail(name + " needs hidden > 0");
        if (a.get_bool("return_sequences")) return dsl::ShapeResult::ok({{in[0].dims[0], h}});
        return dsl::ShapeResult::ok({{h}});
    };
    s.params = [gates](const std::vector<dsl::Shape>& in, const dsl::Attrs& a) {
        const int64_t f = in[0].dims.at(1), h = a.get_int("hidden"), g = gates * h;
        std::vector<dsl::ParamSpec> ps;
        ps.push_back({"weight_ih", {{f, g}}, a.get_init("init"), f, g});
        ps.push_back({"weight_hh", {{h, g}}, a.get_init("recurrent_init"), h, g});
        ps.push_back({"bias_ih", {{g}}, dsl::InitSpec{"zeros", 0.0}, f, g});
        ps.push_back({"bias_hh", {{g}}, dsl::InitSpec{"zeros", 0.0}, h, g});
        return ps;
    };
    s.macs = [gates](const std::vector<dsl::Shape>& in, const dsl::Shape&, const dsl::Attrs& a) {
        const int64_t t = in[0].dims.at(0), f = in[0].dims.at(1), h = a.get_int("hidden");
        return t * gates * h * (f + h);
    };
    return s;
}

// xp(g, m) = bias(g) + sum_f x(f, t, n) w_ih(g, f), m = t + T n: the input projection of every
// step of every sample as one product, (G, T N), scheduled like dense.
inline Halide::Func input_projection(const LayerContext& ctx, const dsl::Node& node, const Dims& d,
                                     const Halide::Func& x, const Halide::Func& w_ih, const Halide::Expr& bias_g,
                                     const Halide::Var& g) {
    using namespace Halide;
    Var m("m");
    RDom rf(0, d.F, "r_feature");
    Func xp(ctx.func_name(node, "input_proj"));
    xp(g, m) = bias_g;
    xp(g, m) += x(rf, m % d.T, m / d.T) * w_ih(g, rf);
    return xp;
}

// f(x, t, n) stored compact as (x, m), m = t + T n. The weight-gradient products reduce over
// every step of every sample; read from the backward scan's buffer, consecutive steps are 9H
// floats apart (a new page for nearly every step), which held those products to about a third
// of the input projection's speed (profiled: 24 against 67 GMAC/s); compact, 1.5x faster.
inline Halide::Func steps_flat(const LayerContext& ctx, const dsl::Node& node, const std::string& what, const Dims& d,
                               const Halide::Func& f) {
    Halide::Var x("x"), m("m");
    Halide::Func flat(ctx.func_name(node, what));
    flat(x, m) = f(x, m % d.T, m / d.T);
    return flat;
}

// The gradients that flow through the input projection, given dxp(g, t, n), the gradient of
// the loss w.r.t. xp: d_input (through w_ih^T), d_weight_ih and d_bias_ih. `d_gates` is dxp
// compact (steps_flat), for the recurrent weight gradient too where it is the same.
struct InputSide {
    Halide::Func d_input, d_weight, d_bias, d_gates;
};
inline InputSide input_side_gradients(const LayerContext& ctx, const dsl::Node& node, const Dims& d, int G,
                                      const Halide::Func& x, const Halide::Func& w_ih, const Halide::Func& dxp) {
    using namespace Halide;
    Var f("f"), g("g"), t("t"), n("n"), m("m");
    InputSide s;
    s.d_gates = steps_flat(ctx, node, "d_gates_flat", d, dxp);
    // d_input(f, t, n) = sum_g w_ih(g, f) dxp(g, t, n), as one product over m = t + T n through
    // the transposed weight (contiguous along f); d_input itself is that product re-indexed.
    Func wt(ctx.func_name(node, "weight_ih_t"));
    wt(f, g) = w_ih(g, f);
    RDom rg(0, G, "r_gate");
    Func dx2(ctx.func_name(node, "d_input_flat"));
    dx2(f, m) = zero_of(ctx.type);
    dx2(f, m) += wt(f, rg) * s.d_gates(rg, m);
    s.d_input = Func(ctx.func_name(node, "d_input"));
    s.d_input(f, t, n) = dx2(f, t + d.T * n);

    RDom rm(0, d.T * ctx.batch, "r_steps");
    s.d_weight = Func(ctx.func_name(node, "d_weight_ih"));
    s.d_weight(g, f) = zero_of(ctx.type);
    s.d_weight(g, f) += s.d_gates(g, rm) * x(f, rm % d.T, rm / d.T);
    s.d_bias = Func(ctx.func_name(node, "d_bias_ih"));
    s.d_bias(g) = zero_of(ctx.type);
    s.d_bias(g) += s.d_gates(g, rm);
    return s;
}

// d_weight_hh(g, k) = sum over t >= 1 and n of dgh(g, t, n) h(k, t - 1, n), with dgh compact
// (steps_flat) and h read from the forward state's h slots at `h_slot`, compact too.
inline Halide::Func recurrent_weight_gradient(const LayerContext& ctx, const dsl::Node& node, const Dims& d,
                                              const Halide::Func& dgh_flat, const Halide::Func& state, int h_slot) {
    using namespace Halide;
    Var g("g"), k("k"), m("m");
    Func h_prev(ctx.func_name(node, "h_prev_flat"));
    Expr t = m % d.T, n = m / d.T;
    h_prev(k, m) = select(t > 0, state(h_slot + k, max(t - 1, 0), n), zero_of(ctx.type));
    RDom rm(0, d.T * ctx.batch, "r_steps");
    Func dw(ctx.func_name(node, "d_weight_hh"));
    dw(g, k) = zero_of(ctx.type);
    dw(g, k) += dgh_flat(g, rm) * h_prev(k, rm);
    return dw;
}

// The scan Funcs: pure definition vectorized, the update vectorized along its lane RVar (k) and
// parallel over blocks of samples. Inside a block the samples are the loop just outside the
// lane vector, so each chunk's recurrent weights (K vectors) are loaded once into registers and
// used by every sample of the block; one sample at a time streamed the whole recurrent matrix
// (256 KB for H = 128) from L2 per sample and step. Measured on lstm_classifier at batch 64:
// forward 1.7x faster. (Tried without a gain: 16 terms per chunk, the samples' loop unrolled,
// each sample's storage padded off a 4 KB multiple.) See the top of this file for why races
// are allowed.
inline void schedule_scan(ScheduleContext& ctx, Halide::Func scan) {
    using namespace Halide;
    constexpr int kSamplesPerBlock = 8;
    const int vec = ctx.vector_width(scan.output_types()[0]);
    const std::vector<Var> args = scan.args();  // (x, t, n)
    scan.compute_root().vectorize(args[0], vec, TailStrategy::GuardWithIf).parallel(args[2]);
    const std::vector<RVar> r = scan.rvars(0);  // (k, q, c, phase, t)
    RVar ko("scan_lane_o"), ki("scan_lane_i");
    Var no("scan_block"), ni("scan_sample");
    scan.update(0)
        .allow_race_conditions()
        .split(r[0], ko, ki, vec, TailStrategy::GuardWithIf)
        .split(args[2], no, ni, kSamplesPerBlock, TailStrategy::GuardWithIf)
        .reorder(ki, ni, ko, r[1], r[2], r[3], r[4], no)
        .vectorize(ki)
        .unroll(r[3])
        .parallel(no);
    ctx.claim(scan);
}

// The scans on a GPU, one kernel each: a block per sample, the time, phase and chunk loops
// serial inside the block, one thread per (lane k, gate block q) slot. The phase loop is
// unrolled: Halide 14 puts a barrier only between statements at the block level (and then at
// the end of each iteration of the loops around them), so the unrolled phases are what orders
// phase after phase and step after step. Within a phase no barrier is needed: each thread
// accumulates into its own slot across the chunks and reads only what earlier phases wrote.
// The generic GPU template would give the whole recurrence to one thread per sample.
inline void schedule_scan_gpu(ScheduleContext& ctx, Halide::Func scan, int lanes, int blocks) {
    using namespace Halide;
    constexpr int kMaxThreads = 1024;           // per block, every card since sm_20
    const std::vector<Var> args = scan.args();  // (x, t, n)
    Var all("scan_all"), bx("scan_block"), tx("scan_thread");
    scan.compute_root()
        .fuse(args[0], args[1], all)
        .fuse(all, args[2], all)
        .gpu_tile(all, bx, tx, 256, TailStrategy::GuardWithIf);
    const std::vector<RVar> r = scan.rvars(0);  // (k, q, c, phase, t)
    Stage u = scan.update(0);
    u.allow_race_conditions().unroll(r[3]).gpu_blocks(args[2]);
    if (lanes * blocks <= kMaxThreads) {
        u.gpu_threads(r[0], r[1]);
    } else if (lanes <= kMaxThreads) {
        u.gpu_threads(r[0]);
    } else {
        RVar ko("scan_lane_o"), ki("scan_lane_i");
        u.split(r[0], ko, ki, kMaxThreads, TailStrategy::GuardWithIf).gpu_threads(ki);
    }
    ctx.claim(scan);
}

// A recurrent layer's GPU schedule: the two scans, and the transposed recurrent weight
// materialized so that the backward scan's lanes read it contiguously.
inline void schedule_layer_gpu(ScheduleContext& ctx, const dsl::Node& node, const dsl::Shape& input, int gates) {
    const Dims d = dims_of(node, input);
    if (Halide::Func f = ctx.find(node.name + "__state"); f.defined()) schedule_scan_gpu(ctx, f, d.H, gates);
    if (Halide::Func f = ctx.find(node.name + "__d_state"); f.defined()) schedule_scan_gpu(ctx, f, d.H, gates);
    if (Halide::Func f = ctx.find(node.name + "__weight_hh_t"); f.defined()) {
        Halide::Var k = f.args()[0], g = f.args()[1], bk("wt_bk"), bg("wt_bg"), tk("wt_tk"), tg("wt_tg");
        f.compute_root().gpu_tile(k, g, bk, bg, tk, tg, 32, 8, Halide::TailStrategy::GuardWithIf);
        ctx.claim(f);
    }
}

// The products of both layers, found by name: input projection, input-side gradients and the
// recurrent weight gradient; d_input is the flat product re-indexed, so it stays inline.
inline void schedule_products(ScheduleContext& ctx, const dsl::Node& node, const Dims& d, int G) {
    auto find = [&](const std::string& what) { return ctx.find(node.name + "__" + what); };
    // Their rows are m = t + T n, T N of them: tiles of up to 8 rows at any batch. (Scheduled
    // as batch rows, a batch below 8 took one-row tiles: at batch 1 the input projection ran at
    // a third of its speed.)
    if (Halide::Func f = find("input_proj"); f.defined()) schedule_product(ctx, f, G, d.T);
    if (Halide::Func f = find("d_input_flat"); f.defined()) schedule_product(ctx, f, d.F, d.T);
    if (Halide::Func f = find("d_input"); f.defined()) {
        f.compute_inline();
        ctx.claim(f);
    }
    if (Halide::Func f = find("d_weight_ih"); f.defined()) schedule_product(ctx, f, G, d.F);
    if (Halide::Func f = find("d_weight_hh"); f.defined()) schedule_product(ctx, f, G, d.H);
}

// A recurrent layer's whole schedule: its products, its two scans, and the gate gradients
// inlined into their users. `gates` is the gate count (LSTM 4, GRU 3).
inline void schedule_layer(ScheduleContext& ctx, const dsl::Node& node, const dsl::Shape& input, int gates) {
    const Dims d = dims_of(node, input);
    schedule_products(ctx, node, d, gates * d.H);
    if (Halide::Func f = ctx.find(node.name + "__state"); f.defined()) schedule_scan(ctx, f);
    if (Halide::Func f = ctx.find(node.name + "__d_state"); f.defined()) schedule_scan(ctx, f);
    if (Halide::Func f = ctx.find(node.name + "__d_gates"); f.defined()) {
        f.compute_inline();
        ctx.claim(f);
    }
}

}  // namespace nnc::codegen::recurrent
