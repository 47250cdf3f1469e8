// attention(x, heads, causal=false, dropout=0): multi-head scaled dot-product self-attention with
// its Q/K/V and output projections, as torch.nn.MultiheadAttention(D, heads, dropout)(x, x, x)
// with an upper-triangular mask when causal:
//   [q | k | v] = x Wqkv + bqkv;  per head h (width d = D / heads), query t, key u:
//   s(u, t) = q_t · k_u / √d  (causal: keys u > t masked out);  a = softmax over u;
//   o_t = Σ_u a(u, t) v_u;  y = concat_h(o) Wout + bout.
// Training with dropout > 0 drops weights a(u, t) (kept ones scaled by 1 / (1 - dropout)) with a
// mask hashed from (step seed, node, element) as dropout's (codegen/lower/random.h), so backward
// recomputes it; the rate is fixed when the model is compiled (it is not one of the run-time
// dropout rates of nnc_model_dropout_info).
// x: (N, T, D)  weight_qkv: [D, 3D] (x @ W: torch's in_proj_weight transposed, columns q, k, v,
// head-major inside each)  bias_qkv: [3D]  weight_out: [D, D] (out_proj.weight transposed)
// bias_out: [D]  y: (N, T, D)
// Backward stores the attention weights a (T x T per head and sample); the fused per-block-of-
// queries form that recomputes them is not written yet. The four projections are products on
// rows (codegen/layers/rows.h) with dense's schedule; the attention core takes the default.
#include <cmath>
#include <sstream>

#include "codegen/layers/layer_registry.h"
#include "codegen/layers/rows.h"
#include "codegen/lower/random.h"

namespace nnc::codegen {
namespace {

using namespace Halide;

// What attention's forward and backward built for one node, for its schedule.
struct AttentionRecord {
    Func qkv, out;                    // the two forward products, (j, m)
    Func weights, kept, concat;       // the forward's a(u, t, h, n), a after dropout, c(j, m), for backward
    Func keep;                        // training with dropout: the mask times the scale, inlined
    Func d_concat, d_input;           // the input-side gradient products, (j, m) and (i, m)
    Func d_weight_out, d_weight_qkv;  // the weight gradient products
    Func weight_out_t, weight_qkv_t;  // transposed weights for the input-side products
    Func d_bias_out, d_bias_qkv;      // sums over rows

    template <class Visit>
    void funcs(Visit&& visit) {
        for (Func* f : {&qkv, &out, &weights, &kept, &concat, &keep, &d_concat, &d_input, &d_weight_out, &d_weight_qkv,
                        &weight_out_t, &weight_qkv_t, &d_bias_out, &d_bias_qkv})
            visit(*f);
    }
};

// The sizes of one node's attention.
struct Dims {
    int t = 0, width = 0, heads = 0, head = 0;  // T, D, H, d = D / H
    bool causal = false;
    Expr scale;  // 1 / √d

    Dims(const LayerContext& ctx, const dsl::Node& node, const dsl::Shape& in) {
        t = static_cast<int>(in.dims.at(0));
        width = static_cast<int>(in.dims.at(1));
        heads = static_cast<int>(node.attrs.get_int("heads"));
        head = width / heads;
        causal = node.attrs.get_bool("causal");
        scale = cast(ctx.type, Expr(1.0 / std::sqrt(static_cast<double>(head))));
    }
};

// The Funcs forward makes that backward reads again.
struct Core {
    Func qkv;      // qkv(j, m): j in [0, 3D), row m = t + T n
    Func weights;  // a(u, t, h, n)
    Func kept;     // a after dropout (a itself without)
    Func keep;     // training with dropout: 1 / (1 - rate) where kept, 0 where dropped; else undefined
    Func concat;   // c(j, m): the heads' outputs side by side, j = h d + e
};

// out(a, m) = bias(a) + Σ_r lhs(r, m) rhs(a, r): a product on rows (no bias: from 0).
Func product(const std::string& name, const Func& lhs, const Func& rhs, int reduce, const Func& bias, Type type) {
    Var a("a"), m("m");
    RDom r(0, reduce, "r_" + name.substr(name.rfind('_') + 1));
    Func out(name);
    out(a, m) = bias.defined() ? Expr(bias(a)) : zero_of(type);
    out(a, m) += lhs(r, m) * rhs(a, r);
    return out;
}

// Σ over rows of f(a, m), per a.
Func row_sum(const std::string& name, const Func& f, Expr rows, Type type) {
    Var a("a");
    RDom r(0, rows, "r_rows");
    Func s(name);
    s(a) = zero_of(type);
    s(a) += f(a, r);
    return s;
}

Func transposed(const std::string& name, const Func& w) {
    Var i("i"), j("j");
    Func t(name);
    t(i, j) = w(j, i);
    return t;
}

class Attention final : public Layer {
public:
    Attention() {
        spec_.name = "attention";
        spec_.summary = "multi-head scaled dot-product self-attention over a sequence [T, D], projections included";
        spec_.attrs = {
            {"heads", dsl::AttrType::Int, true, std::nullopt, {}, "attention heads; each sees D / heads features"},
            {"causal",
             dsl::AttrType::Bool,
             false,
             dsl::AttrValue(false),
             {},
             "each position attends to itself and earlier ones only"},
            {"init",
             dsl::AttrType::Init,
             false,
             dsl::AttrValue(dsl::InitSpec{"xavier_uniform", 0.0}),
             {},
             "projection weight initializer"},
            {"dropout",
             dsl::AttrType::Float,
             false,
             dsl::AttrValue(0.0),
             {},
             "probability of dropping an attention weight in training, in [0, 1)"},
        };
        spec_.shape = [](const std::vector<dsl::Shape>& in, const dsl::Attrs& a) {
            if (in[0].dims.size() != 2)
                return dsl::ShapeResult::fail("attention expects a sequence [T, D], got " + in[0].str());
            const int64_t width = in[0].dims[1], heads = a.get_int("heads");
            const double rate = a.get_float("dropout");
            if (!(rate >= 0.0 && rate < 1.0)) {
                std::ostringstream msg;
                msg << "attention dropout must be in [0, 1), got " << rate
                    << "; it is the probability of dropping a weight";
                return dsl::ShapeResult::fail(msg.str());
            }
            if (heads <= 0) return dsl::ShapeResult::fail("attention needs heads > 0, got " + std::to_string(heads));
            if (width % heads != 0)
                return dsl::ShapeResult::fail("attention heads=" + std::to_string(heads) +
                                              " does not divide the width " + std::to_string(width) + " of " +
                                              in[0].str() + "; pick a number of heads that divides it");
            return dsl::ShapeResult::ok(in[0]);
        };
        spec_.params = [](const std::vector<dsl::Shape>& in, const dsl::Attrs& a) {
            const int64_t d = in[0].dims.at(1);
            const dsl::InitSpec zeros{"zeros", 0.0};
            return std::vector<dsl::ParamSpec>{{"weight_qkv", {{d, 3 * d}}, a.get_init("init"), d, 3 * d},
                                               {"bias_qkv", {{3 * d}}, zeros, d, 3 * d},
                                               {"weight_out", {{d, d}}, a.get_init("init"), d, d},
                                               {"bias_out", {{d}}, zeros, d, d}};
        };
        // The four projections (4 D² per position) and the two T x T products (2 T D per position).
        spec_.macs = [](const std::vector<dsl::Shape>& in, const dsl::Shape&, const dsl::Attrs&) {
            const int64_t t = in[0].dims.at(0), d = in[0].dims.at(1);
            return t * (4 * d * d + 2 * t * d);
        };
    }
    const dsl::OpSpec& spec() const override { return spec_; }

    Func forward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                 const std::vector<Tensor>& p) const override {
        const Dims dims(ctx, node, in[0].shape);
        const Core core = attend(ctx, node, in[0], p, dims);
        Func y = product(ctx.func_name(node, "fwd_rows"), core.concat, p[2].func, dims.width, p[3].func, ctx.type);
        ctx.record<AttentionRecord>(node)->out = y;
        return from_rows(y, in[0].shape, ctx.func_name(node, "fwd"));
    }

    Gradients backward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                       const std::vector<Tensor>& p, const Tensor&, const Func& d_out) const override {
        const Dims dims(ctx, node, in[0].shape);
        auto rec = ctx.record<AttentionRecord>(node);
        // The forward's projections and weights (stored, not recomputed), or new ones when this
        // lowering ran no forward of the node.
        const Core core = rec->weights.defined() ? Core{rec->qkv, rec->weights, rec->kept, rec->keep, rec->concat}
                                                 : attend(ctx, node, in[0], p, dims);
        const Expr rows = rows_of(in[0].shape, ctx.batch);
        const Func dy = as_rows(d_out, in[0].shape, ctx.func_name(node, "d_output_rows"));
        const Func x = as_rows(in[0].func, in[0].shape, ctx.func_name(node, "x_rows"));

        // Output projection: dc = dy Woutᵀ, dWout(o, j) = Σ_m c(j, m) dy(o, m), dbout = Σ_m dy.
        rec->weight_out_t = transposed(ctx.func_name(node, "weight_out_t"), p[2].func);
        rec->d_concat = product(ctx.func_name(node, "d_concat"), dy, rec->weight_out_t, dims.width, Func(), ctx.type);
        rec->d_weight_out = weight_gradient(ctx.func_name(node, "d_weight_out"), core.concat, dy, rows, ctx.type);
        rec->d_bias_out = row_sum(ctx.func_name(node, "d_bias_out"), dy, rows, ctx.type);

        const Func d_qkv = attend_backward(ctx, node, core, rec->d_concat, dims);

        // Input projection, the same way.
        rec->weight_qkv_t = transposed(ctx.func_name(node, "weight_qkv_t"), p[0].func);
        rec->d_input =
            product(ctx.func_name(node, "d_input_rows"), d_qkv, rec->weight_qkv_t, 3 * dims.width, Func(), ctx.type);
        rec->d_weight_qkv = weight_gradient(ctx.func_name(node, "d_weight_qkv"), x, d_qkv, rows, ctx.type);
        rec->d_bias_qkv = row_sum(ctx.func_name(node, "d_bias_qkv"), d_qkv, rows, ctx.type);

        Gradients g;
        g.d_inputs.push_back(from_rows(rec->d_input, in[0].shape, ctx.func_name(node, "d_input")));
        g.d_params = {rec->d_weight_qkv, rec->d_bias_qkv, rec->d_weight_out, rec->d_bias_out};
        return g;
    }

    // The products as dense's (register-tiled along their contiguous axis), the transposes
    // tiled, the bias gradients as per-feature sums; the attention core takes the default.
    void schedule(ScheduleContext& ctx, const dsl::Node& node, const std::vector<dsl::Shape>& in) const override {
        const int width = static_cast<int>(in[0].dims.at(1));
        const AttentionRecord r = ctx.record<AttentionRecord>(node);
        if (r.qkv.defined()) schedule_product(ctx, r.qkv, 3 * width, 0);
        if (r.out.defined()) schedule_product(ctx, r.out, width, 0);
        if (r.d_concat.defined()) schedule_product(ctx, r.d_concat, width, 0);
        if (r.d_input.defined()) schedule_product(ctx, r.d_input, width, 0);
        if (r.d_weight_out.defined()) schedule_product(ctx, r.d_weight_out, width, width);
        if (r.d_weight_qkv.defined()) schedule_product(ctx, r.d_weight_qkv, 3 * width, width);
        for (const Func& t : {r.weight_out_t, r.weight_qkv_t})
            if (t.defined()) schedule_transpose(ctx, t);
        for (const Func& s : {r.d_bias_out, r.d_bias_qkv})
            if (s.defined()) schedule_batch_sum(ctx, s);
        if (r.keep.defined()) ctx.claim(r.keep);  // a few integer operations: recomputed where read
    }

private:
    // dw(a, i) = Σ_m x(i, m) dy(a, m): the reduction over rows inside, as dense's d_weight.
    static Func weight_gradient(const std::string& name, const Func& x, const Func& dy, Expr rows, Type type) {
        Var a("a"), i("i");
        RDom r(0, rows, "r_rows");
        Func dw(name);
        dw(a, i) = zero_of(type);
        dw(a, i) += x(i, r) * dy(a, r);
        return dw;
    }

    // Training with dropout > 0: 1 / (1 - rate) where weight a(u, t, h, n) is kept, 0 where dropped;
    // element u + T (t + T (h + H n)) of the step's stream. Undefined otherwise.
    static Func weight_keep(const LayerContext& ctx, const dsl::Node& node, const Dims& dims) {
        const double rate = node.attrs.has("dropout") ? node.attrs.get_float("dropout") : 0.0;
        if (!ctx.training || rate <= 0) return Func();
        if (!ctx.seed.defined())
            throw std::logic_error("internal error: attention '" + node.name + "' lowered for training without a seed");
        Var u("u"), t("t"), h("h"), n("n");
        auto u32 = [](Expr e) { return cast(UInt(32), e); };
        const Expr T = Expr(uint32_t(dims.t)), H = Expr(uint32_t(dims.heads));
        Expr index = u32(u) + T * (u32(t) + T * (u32(h) + H * u32(n)));
        Expr r = rng::uniform(ctx.type, ctx.seed, rng::salt_of(node.name + ".weights"), index);
        Func keep(ctx.func_name(node, "keep"));
        keep(u, t, h, n) =
            select(r >= cast(ctx.type, Expr(rate)), cast(ctx.type, Expr(1.0 / (1.0 - rate))), zero_of(ctx.type));
        return keep;
    }

    // The projections, scores, weights and weighted sums up to the heads' concatenated outputs.
    static Core attend(const LayerContext& ctx, const dsl::Node& node, const Tensor& in, const std::vector<Tensor>& p,
                       const Dims& dims) {
        Core c;
        Var j("j"), e("e"), h("h"), t("t"), u("u"), n("n"), m("m");
        const Func x = as_rows(in.func, in.shape, ctx.func_name(node, "x_rows"));
        c.qkv = product(ctx.func_name(node, "qkv"), x, p[0].func, dims.width, p[1].func, ctx.type);
        ctx.record<AttentionRecord>(node)->qkv = c.qkv;
        const int T = dims.t, D = dims.width, d = dims.head;
        auto q = [&](Expr ee, Expr hh, Expr tt, Expr nn) { return c.qkv(hh * d + ee, tt + T * nn); };
        auto k = [&](Expr ee, Expr hh, Expr uu, Expr nn) { return c.qkv(D + hh * d + ee, uu + T * nn); };
        auto v = [&](Expr ee, Expr hh, Expr uu, Expr nn) { return c.qkv(2 * D + hh * d + ee, uu + T * nn); };

        RDom re(0, d, "r_head");
        Func scores(ctx.func_name(node, "scores"));
        scores(u, t, h, n) = sum(q(re, h, t, n) * k(re, h, u, n)) * dims.scale;
        // Masked keys (causal: u > t) get no weight: left out of the max and the sum.
        auto masked = [&](Expr uu, Expr tt) { return dims.causal ? uu > tt : Internal::const_false(); };
        RDom ru(0, T, "r_key");
        Func mx(ctx.func_name(node, "max")), den(ctx.func_name(node, "sum"));
        mx(t, h, n) = maximum(select(masked(ru, t), ctx.type.min(), scores(ru, t, h, n)));
        den(t, h, n) = sum(select(masked(ru, t), zero_of(ctx.type), exp(scores(ru, t, h, n) - mx(t, h, n))));
        c.weights = Func(ctx.func_name(node, "weights"));
        c.weights(u, t, h, n) =
            select(masked(u, t), zero_of(ctx.type), exp(scores(u, t, h, n) - mx(t, h, n)) / den(t, h, n));

        c.kept = c.weights;
        c.keep = weight_keep(ctx, node, dims);
        if (c.keep.defined()) {
            c.kept = Func(ctx.func_name(node, "kept_weights"));
            c.kept(u, t, h, n) = c.weights(u, t, h, n) * c.keep(u, t, h, n);
        }
        Func heads_out(ctx.func_name(node, "heads_out"));
        heads_out(e, h, t, n) = sum(c.kept(ru, t, h, n) * v(e, h, ru, n));
        c.concat = Func(ctx.func_name(node, "concat"));
        c.concat(j, m) = heads_out(j % d, j / d, m % T, m / T);
        auto rec = ctx.record<AttentionRecord>(node);
        rec->weights = c.weights;
        rec->kept = c.kept;
        rec->keep = c.keep;
        rec->concat = c.concat;
        return c;
    }

    // From the gradient of the concatenated heads' outputs, dc(j, m), to that of [q | k | v].
    static Func attend_backward(const LayerContext& ctx, const dsl::Node& node, const Core& c, const Func& dc,
                                const Dims& dims) {
        Var j("j"), e("e"), h("h"), t("t"), u("u"), n("n"), m("m");
        const int T = dims.t, D = dims.width, d = dims.head;
        auto qkv = [&](int which, Expr ee, Expr hh, Expr tt, Expr nn) {
            return c.qkv(which * D + hh * d + ee, tt + T * nn);
        };
        auto d_o = [&](Expr ee, Expr hh, Expr tt, Expr nn) { return dc(hh * d + ee, tt + T * nn); };
        const Func& a = c.weights;

        RDom re(0, d, "r_head"), rq(0, T, "r_query"), rk(0, T, "r_key");
        Func da(ctx.func_name(node, "d_weights")), dot(ctx.func_name(node, "d_dot")),
            ds(ctx.func_name(node, "d_scores"));
        Expr d_kept = sum(d_o(re, h, t, n) * qkv(2, re, h, u, n));
        da(u, t, h, n) = c.keep.defined() ? d_kept * c.keep(u, t, h, n) : d_kept;
        dot(t, h, n) = sum(a(rk, t, h, n) * da(rk, t, h, n));
        // Softmax backward, then the 1/√d of the scores; masked weights are 0, so are their ds.
        ds(u, t, h, n) = a(u, t, h, n) * (da(u, t, h, n) - dot(t, h, n)) * dims.scale;

        Func dq(ctx.func_name(node, "d_q")), dk(ctx.func_name(node, "d_k")), dv(ctx.func_name(node, "d_v"));
        dq(e, h, t, n) = sum(ds(rk, t, h, n) * qkv(1, e, h, rk, n));
        dk(e, h, u, n) = sum(ds(u, rq, h, n) * qkv(0, e, h, rq, n));
        dv(e, h, u, n) = sum(c.kept(u, rq, h, n) * d_o(e, h, rq, n));

        Func d_qkv(ctx.func_name(node, "d_qkv"));
        Expr part = j / D, within = j % D, ee = within % d, hh = within / d, tt = m % T, nn = m / T;
        d_qkv(j, m) = select(part == 0, dq(ee, hh, tt, nn), part == 1, dk(ee, hh, tt, nn), dv(ee, hh, tt, nn));
        return d_qkv;
    }

    dsl::OpSpec spec_;
};

}  // namespace
NNC_REGISTER_LAYER(Attention);
}  // namespace nnc::codegen
