// gru(x, hidden, return_sequences=false, init=xavier_uniform, recurrent_init=orthogonal)
// x: (N, T, F) -> y: (N, H) (the last h) or (N, T, H) (every h); h0 = 0.
// As torch.nn.GRU(batch_first=True), gates r, z, n (blocks of H, in this order):
//   r = σ(W_ir x + b_ir + W_hr h + b_hr),  z = σ(W_iz x + b_iz + W_hz h + b_hz)
//   n = tanh(W_in x + b_in + r (W_hn h + b_hn)),  h' = (1 - z) n + z h
// Parameters (recurrent.h): weight_ih [F, 3H], weight_hh [H, 3H], bias_ih [3H], bias_hh [3H],
// row-major [in, out]: torch's weight_ih_l0 is weight_ih transposed, likewise weight_hh; the
// biases are torch's bias_ih_l0 and bias_hh_l0 as they are.
// Halide: x(f, t, n), w_ih(g, f), w_hh(g, k), y(h, n) or y(h, t, n).
//
// Forward state(x, t, n), slots along x: [0, 3H) the hidden-side pre-activations
// a_h = W_hh h_{t-1} + b_hh, [3H, 4H) h. The input side xp = W_ih x + b_ih is its own product.
// Backward d_state(x, t, n): [0, 3H) d a_h, [3H, 4H) d(input-side n pre-activation), [4H, 5H)
// dh_t, [5H, 8H) three partial sums (one per gate block) of W_hh^T d a_h(t+1).
#include "codegen/layers/recurrent.h"

namespace nnc::codegen {
namespace {

using namespace Halide;
namespace rnn = recurrent;

class Gru final : public Layer {
public:
    Gru() { spec_ = rnn::make_spec("gru", 3, "gated recurrent unit over a sequence [T, F] (torch.nn.GRU)"); }

    const dsl::OpSpec& spec() const override { return spec_; }

    Func forward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                 const std::vector<Tensor>& p) const override {
        const rnn::Dims d = rnn::dims_of(node, in[0].shape);
        auto rec = ctx.record<rnn::Record>(node);
        Func s = state(ctx, node, d, in[0].func, p, *rec);
        return rnn::hidden_output(ctx, node, d, s, 3 * d.H, *rec);
    }

    Gradients backward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                       const std::vector<Tensor>& p, const Tensor&, const Func& dy) const override {
        const rnn::Dims d = rnn::dims_of(node, in[0].shape);
        const int H = d.H, T = d.T, G = 3 * H, K = rnn::terms_per_phase(H), P = H / K;
        auto rec = ctx.record<rnn::Record>(node);
        Func s = state(ctx, node, d, in[0].func, p, *rec);
        Func xp = rec->input_proj;
        const Type type = ctx.type;
        Var x("x"), t("t"), n("n"), k("k"), g("g");

        // act(x, t, n): r, z, n of each step, one exp per element (tanh(v) = 2 σ(2v) - 1).
        Func act(ctx.func_name(node, "activations"));
        {
            Expr m = t + T * n;
            Expr r_of_n = rnn::sigmoid(xp(max(x - 2 * H, 0), m) + s(max(x - 2 * H, 0), t, n));
            Expr is_tanh = x >= 2 * H;
            Expr pre = xp(x, m) + select(is_tanh, r_of_n * s(x, t, n), s(x, t, n));
            Expr a = rnn::sigmoid(select(is_tanh, 2 * pre, pre));
            act(x, t, n) = select(is_tanh, 2 * a - 1, a);
        }
        Func wt(ctx.func_name(node, "weight_hh_t"));  // contiguous along k for the backward product
        wt(k, g) = p[1].func(g, k);

        // The reverse scan, for step t = T-1 .. 0: phase 0 computes dh_t (block 0) and the input
        // side's d n (block 1), phase 1 the hidden-side gate gradients d a_h, phase 2 adds
        // W_hh^T d a_h, K terms per chunk, into the partial sums of step t-1.
        Func b(ctx.func_name(node, "d_state"));
        b(x, t, n) = zero_of(type);
        RDom r(0, H, 0, 3, 0, P, 0, 3, 0, T, "r_bscan");
        const RVar rk = r[0], rq = r[1], rc = r[2], rph = r[3], rs = r[4];
        Expr tt = T - 1 - rs;
        r.where((rph == 0 && rc == 0 && rq < 2) || (rph == 1 && rc == 0) || (rph == 2 && tt > 0));
        Expr tn = min(tt + 1, T - 1), tprev = max(tt - 1, 0);
        Expr u = rk;
        Expr dy_t = d.sequences ? Expr(dy(u, tt, n)) : select(tt == T - 1, dy(u, n), zero_of(type));
        Expr ar = act(u, tt, n), az = act(H + u, tt, n), an = act(2 * H + u, tt, n);
        Expr h_prev = select(tt > 0, s(G + u, tprev, n), zero_of(type));
        Expr direct = select(tt < T - 1, b(4 * H + u, tn, n) * act(H + u, tn, n), zero_of(type));
        Expr dh = dy_t + direct + b(5 * H + u, tt, n) + b(6 * H + u, tt, n) + b(7 * H + u, tt, n);
        Expr dn_in = dh * (1 - az) * (1 - an * an);                   // phase 0, block 1
        Expr dh_s = b(4 * H + u, tt, n), dn_s = b(3 * H + u, tt, n);  // phase 1 reads them back
        Expr dgate = select(rq == 0, dn_s * s(2 * H + u, tt, n) * ar * (1 - ar), rq == 1,
                            dh_s * (h_prev - an) * az * (1 - az), dn_s * ar);
        std::vector<Expr> terms;
        for (int j = 0; j < K; ++j) {
            Expr gi = rq * H + rc * K + j;
            terms.push_back(wt(rk, gi) * b(gi, tt, n));
        }
        Expr acc = rnn::add_tree(b(5 * H + rq * H + rk, tprev, n), terms);
        Expr base = select(rph == 0, 4 * H - rq * H, rph == 1, rq * H, 5 * H + rq * H);
        b(base + rk, select(rph < 2, tt, tprev), n) =
            select(rph == 2, acc, rph == 0, select(rq == 0, dh, dn_in), dgate);

        Func dgh(ctx.func_name(node, "d_gates"));  // (g, t, n): hidden side, a view of b
        dgh(g, t, n) = b(g, t, n);
        // The input side differs only in the n block: d of (W_in x + b_in) is slot 3H, not r * it.
        Func dgx(ctx.func_name(node, "d_gates_input"));
        dgx(g, t, n) = select(g < 2 * H, b(g, t, n), b(g + H, t, n));

        rec->activations = act;
        rec->weight_hh_t = wt;
        rec->d_state = b;
        rec->d_gates = dgh;
        rec->d_gates_input = dgx;

        Gradients grads;
        rnn::input_side_gradients(ctx, node, d, G, in[0].func, p[0].func, dgx, *rec);
        grads.d_inputs.push_back(rec->d_input);
        grads.d_params.push_back(rec->d_weight_ih);
        rec->d_gates_hidden_flat = rnn::steps_flat(ctx, node, "d_gates_hidden_flat", d, dgh);
        grads.d_params.push_back(rnn::recurrent_weight_gradient(ctx, node, d, rec->d_gates_hidden_flat, s, G, *rec));
        grads.d_params.push_back(rec->d_bias_ih);
        RDom rtn(0, T, 0, ctx.batch, "r_steps");
        Func db_hh(ctx.func_name(node, "d_bias_hh"));
        db_hh(g) = zero_of(type);
        db_hh(g) += dgh(g, rtn.x, rtn.y);
        grads.d_params.push_back(db_hh);
        rec->d_bias_hh = db_hh;
        return grads;
    }

    void schedule(ScheduleContext& ctx, const dsl::Node& node, const std::vector<dsl::Shape>& in) const override {
        rnn::schedule_layer(ctx, node, in[0], 3);
    }

    void schedule_gpu(ScheduleContext& ctx, const dsl::Node& node, const std::vector<dsl::Shape>& in) const override {
        rnn::schedule_layer_gpu(ctx, node, in[0], 3);
    }

private:
    // The forward scan (made once per lowering), per step t: phase 0 adds W_hh h_{t-1} to the
    // hidden-side slots, K terms per chunk; phase 1 (chunk 0, block 0 only) writes h.
    static Func state(const LayerContext& ctx, const dsl::Node& node, const rnn::Dims& d, const Func& x,
                      const std::vector<Tensor>& p, rnn::Record& rec) {
        if (rec.state.defined()) return rec.state;
        const int H = d.H, T = d.T, G = 3 * H, K = rnn::terms_per_phase(H), P = H / K;
        const Type type = ctx.type;
        Var g("g"), xs("x"), t("t"), n("n");
        Func xp = rnn::input_projection(ctx, node, d, x, p[0].func, p[2].func(g), g, rec);
        const Func& w_hh = p[1].func;

        Func s(ctx.func_name(node, "state"));
        s(xs, t, n) = select(xs < G, p[3].func(min(xs, G - 1)), zero_of(type));
        RDom r(0, H, 0, 3, 0, P, 0, 2, 0, T, "r_scan");
        const RVar rk = r[0], rq = r[1], rc = r[2], rph = r[3], rt = r[4];
        r.where((rph == 0 && rt > 0) || (rph == 1 && rc == 0 && rq == 0));
        Expr tprev = max(rt - 1, 0);
        Expr slot = rq * H + rk;
        std::vector<Expr> terms;
        for (int j = 0; j < K; ++j) {
            Expr kk = rc * K + j;
            terms.push_back(w_hh(slot, kk) * s(G + kk, tprev, n));
        }
        Expr acc = rnn::add_tree(s(slot, rt, n), terms);
        Expr m = rt + T * n;
        Expr rr = rnn::sigmoid(xp(rk, m) + s(rk, rt, n));
        Expr z = rnn::sigmoid(xp(H + rk, m) + s(H + rk, rt, n));
        Expr nn = rnn::tanh(xp(2 * H + rk, m) + rr * s(2 * H + rk, rt, n));
        Expr h_prev = select(rt > 0, s(G + rk, tprev, n), zero_of(type));
        Expr h = (1 - z) * nn + z * h_prev;
        s(select(rph == 0, rq * H, G) + rk, rt, n) = select(rph == 0, acc, h);
        rec.state = s;
        return s;
    }

    dsl::OpSpec spec_;
};

}  // namespace
NNC_REGISTER_LAYER(Gru);
}  // namespace nnc::codegen
