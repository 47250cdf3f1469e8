// Pieces shared by the recurrent layers (lstm.cpp, gru.cpp): the op spec, the activations, the
// input-side products, the record of what they built and the layer's schedule.
//
// How a recurrence fits in one Halide pipeline: the input projection
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
#include "codegen/schedule/gpu_templates.h"

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

// What a recurrent layer's forward and backward built for one node (lstm and gru alike).
struct Record {
    Halide::Func input_proj;  // xp(g, m): the input projection of every step of every sample, one product
    // The forward scan, made once per lowering (the backward reads the forward's).
    Halide::Func state;
    Halide::Func fwd;  // h of every step, or of the last
    Halide::Func activations;
    Halide::Func weight_hh_t;    // the recurrent weight transposed, contiguous along k for the backward
    Halide::Func d_state;        // the reverse scan
    Halide::Func d_gates;        // the gate gradients (hidden side), a view of d_state
    Halide::Func d_gates_input;  // gru: the input side's gate gradients, another view of d_state
    // input_side_gradients: the gate gradients compact, the input weight transposed, the flat
    // input-gradient product and d_input, its re-indexing; the input weight and bias gradients.
    Halide::Func d_gates_flat, weight_ih_t, d_input_flat, d_input, d_weight_ih, d_bias_ih;
    // recurrent_weight_gradient: gru's hidden-side gate gradients compact (lstm reads
    // d_gates_flat), the previous steps' h compact, the recurrent weight gradient; d_bias_hh.
    Halide::Func d_gates_hidden_flat, h_prev_flat, d_weight_hh, d_bias_hh;

    template <class Visit>
    void funcs(Visit&& visit) {
        for (Halide::Func* f : {&input_proj, &state, &fwd, &activations, &weight_hh_t, &d_state, &d_gates,
                                &d_gates_input, &d_gates_flat, &weight_ih_t, &d_input_flat, &d_input, &d_weight_ih,
                                &d_bias_ih, &d_gates_hidden_flat, &h_prev_flat, &d_weight_hh, &d_bias_hh})
            visit(*f);
    }
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
                                     const Halide::Var& g, Record& rec) {
    using namespace Halide;
    Var m("m");
    RDom rf(0, d.F, "r_feature");
    Func xp(ctx.func_name(node, "input_proj"));
    xp(g, m) = bias_g;
    xp(g, m) += x(rf, m % d.T, m / d.T) * w_ih(g, rf);
    rec.input_proj = xp;
    return xp;
}

// The layer's output: h of every step (h, t, n) or of the last (h, n), read from the forward
// state at `h_slot` (the first of its H slots along x).
inline Halide::Func hidden_output(const LayerContext& ctx, const dsl::Node& node, const Dims& d, const Halide::Func& s,
                                  int h_slot, Record& rec) {
    using namespace Halide;
    Var h("h"), t("t"), n("n");
    Func y(ctx.func_name(node, "fwd"));
    if (d.sequences)
        y(h, t, n) = s(h_slot + h, t, n);
    else
        y(h, n) = s(h_slot + h, d.T - 1, n);
    rec.fwd = y;
    return y;
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
// the loss w.r.t. xp, into `rec`: d_input (through w_ih^T), d_weight_ih and d_bias_ih.
// d_gates_flat is dxp compact (steps_flat), for the recurrent weight gradient too where it is
// the same.
inline void input_side_gradients(const LayerContext& ctx, const dsl::Node& node, const Dims& d, int G,
                                 const Halide::Func& x, const Halide::Func& w_ih, const Halide::Func& dxp,
                                 Record& rec) {
    using namespace Halide;
    Var f("f"), g("g"), t("t"), n("n"), m("m");
    Func dg = steps_flat(ctx, node, "d_gates_flat", d, dxp);
    // d_input(f, t, n) = sum_g w_ih(g, f) dxp(g, t, n), as one product over m = t + T n through
    // the transposed weight (contiguous along f); d_input itself is that product re-indexed.
    Func wt(ctx.func_name(node, "weight_ih_t"));
    wt(f, g) = w_ih(g, f);
    RDom rg(0, G, "r_gate");
    Func dx2(ctx.func_name(node, "d_input_flat"));
    dx2(f, m) = zero_of(ctx.type);
    dx2(f, m) += wt(f, rg) * dg(rg, m);
    Func dx(ctx.func_name(node, "d_input"));
    dx(f, t, n) = dx2(f, t + d.T * n);

    RDom rm(0, d.T * ctx.batch, "r_steps");
    Func dw(ctx.func_name(node, "d_weight_ih"));
    dw(g, f) = zero_of(ctx.type);
    dw(g, f) += dg(g, rm) * x(f, rm % d.T, rm / d.T);
    Func db(ctx.func_name(node, "d_bias_ih"));
    db(g) = zero_of(ctx.type);
    db(g) += dg(g, rm);
    rec.d_gates_flat = dg;
    rec.weight_ih_t = wt;
    rec.d_input_flat = dx2;
    rec.d_input = dx;
    rec.d_weight_ih = dw;
    rec.d_bias_ih = db;
}

// d_weight_hh(g, k) = sum over t >= 1 and n of dgh(g, t, n) h(k, t - 1, n), with dgh compact
// (steps_flat) and h read from the forward state's h slots at `h_slot`, compact too.
inline Halide::Func recurrent_weight_gradient(const LayerContext& ctx, const dsl::Node& node, const Dims& d,
                                              const Halide::Func& dgh_flat, const Halide::Func& state, int h_slot,
                                              Record& rec) {
    using namespace Halide;
    Var g("g"), k("k"), m("m");
    Func h_prev(ctx.func_name(node, "h_prev_flat"));
    Expr t = m % d.T, n = m / d.T;
    h_prev(k, m) = select(t > 0, state(h_slot + k, max(t - 1, 0), n), zero_of(ctx.type));
    RDom rm(0, d.T * ctx.batch, "r_steps");
    Func dw(ctx.func_name(node, "d_weight_hh"));
    dw(g, k) = zero_of(ctx.type);
    dw(g, k) += dgh_flat(g, rm) * h_prev(k, rm);
    rec.h_prev_flat = h_prev;
    rec.d_weight_hh = dw;
    return dw;
}

// A recurrent layer's GPU schedule: the two scans, and the transposed recurrent weight
// materialized so that the backward scan's lanes read it contiguously
// (codegen/schedule/gpu_templates.h). `gates` is the gate count (LSTM 4, GRU 3).
inline void schedule_layer_gpu(ScheduleContext& ctx, const dsl::Node& node, const dsl::Shape& input, int gates) {
    const Dims d = dims_of(node, input);
    const Record r = ctx.record<Record>(node);
    if (r.state.defined()) schedule_gpu_recurrent_scan(ctx, r.state, d.H, gates);
    if (r.d_state.defined()) schedule_gpu_recurrent_scan(ctx, r.d_state, d.H, gates);
    if (r.weight_hh_t.defined()) schedule_gpu_transpose(ctx, r.weight_hh_t);
}

// A recurrent layer's whole schedule (codegen/schedule/cpu_templates.h): its products (the
// input projection, the input-side gradients and the recurrent weight gradient), its two scans,
// and the gate gradients and d_input (the flat product re-indexed) inlined into their users.
// `gates` is the gate count (LSTM 4, GRU 3).
inline void schedule_layer(ScheduleContext& ctx, const dsl::Node& node, const dsl::Shape& input, int gates) {
    const Dims d = dims_of(node, input);
    const int G = gates * d.H;
    const Record r = ctx.record<Record>(node);
    auto inline_it = [&](Halide::Func f) {
        f.compute_inline();
        ctx.claim(f);
    };
    // The products' rows are m = t + T n, T N of them: tiles of up to 8 rows at any batch.
    // (Scheduled as batch rows, a batch below 8 took one-row tiles: at batch 1 the input
    // projection ran at a third of its speed.)
    const KnobValues k = ctx.knobs(node.name);  // codegen/tune/knob_space.cpp names them
    if (r.input_proj.defined()) schedule_product(ctx, r.input_proj, G, d.T, ProductKnobs::from(k, "input_proj."));
    if (r.d_input_flat.defined()) schedule_product(ctx, r.d_input_flat, d.F, d.T, ProductKnobs::from(k, "d_input."));
    if (r.d_input.defined()) inline_it(r.d_input);
    if (r.d_weight_ih.defined()) schedule_product(ctx, r.d_weight_ih, G, d.F, ProductKnobs::from(k, "d_weight_ih."));
    if (r.d_weight_hh.defined()) schedule_product(ctx, r.d_weight_hh, G, d.H, ProductKnobs::from(k, "d_weight_hh."));
    if (r.state.defined()) schedule_recurrent_scan(ctx, r.state, RecurrentScanKnobs::from(k, "state."));
    if (r.d_state.defined()) schedule_recurrent_scan(ctx, r.d_state, RecurrentScanKnobs::from(k, "d_state."));
    if (r.d_gates.defined()) inline_it(r.d_gates);
}

}  // namespace nnc::codegen::recurrent
