// lstm(x, hidden, return_sequences=false, init=xavier_uniform, recurrent_init=orthogonal)
// x: (N, T, F) -> y: (N, H) (the last h) or (N, T, H) (every h); h0 = c0 = 0.
// As torch.nn.LSTM(batch_first=True), gates i, f, g, o (blocks of H, in this order):
//   i = σ(a_i), f = σ(a_f), g = tanh(a_g), o = σ(a_o),  a = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
//   c_t = f c_{t-1} + i g,  h_t = o tanh(c_t)
// Parameters (recurrent.h): weight_ih [F, 4H], weight_hh [H, 4H], bias_ih [4H], bias_hh [4H],
// row-major [in, out]: torch's weight_ih_l0 is weight_ih transposed, likewise weight_hh; the
// biases are torch's bias_ih_l0 and bias_hh_l0 as they are.
// Halide: x(f, t, n), w_ih(g, f), w_hh(g, k), y(h, n) or y(h, t, n).
//
// Forward state(x, t, n), slots along x: [0, 4H) gate pre-activations a, [4H, 5H) c, [5H, 6H) h.
// Backward d_state(x, t, n): [0, 4H) d a, [4H, 5H) dc, [5H, 9H) four partial sums (one per gate
// block) of W_hh^T d a_{t+1}, the recurrent part of dh_t.
#include "codegen/layers/recurrent.h"

namespace nnc::codegen {
namespace {

using namespace Halide;
namespace rnn = recurrent;

class Lstm final : public Layer {
public:
    Lstm() { spec_ = rnn::make_spec("lstm", 4, "long short-term memory over a sequence [T, F] (torch.nn.LSTM)"); }

    const dsl::OpSpec& spec() const override { return spec_; }

    Func forward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                 const std::vector<Tensor>& p) const override {
        const rnn::Dims d = rnn::dims_of(node, in[0].shape);
        auto rec = ctx.record<rnn::Record>(node);
        Func s = state(ctx, node, d, in[0].func, p, *rec);
        return rnn::hidden_output(ctx, node, d, s, 5 * d.H, *rec);
    }

    Gradients backward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                       const std::vector<Tensor>& p, const Tensor&, const Func& dy) const override {
        const rnn::Dims d = rnn::dims_of(node, in[0].shape);
        const int H = d.H, T = d.T, G = 4 * H, K = rnn::terms_per_phase(H), P = H / K;
        auto rec = ctx.record<rnn::Record>(node);
        Func s = state(ctx, node, d, in[0].func, p, *rec);
        const Type type = ctx.type;
        Var x("x"), t("t"), n("n"), k("k"), g("g");

        // act(x, t, n): the activated gates i, f, g, o, then tanh(c_t) at [4H, 5H). One exp per
        // element: tanh(z) = 2 σ(2z) - 1.
        Func act(ctx.func_name(node, "activations"));
        {
            Expr is_tanh = (x >= 2 * H && x < 3 * H) || x >= G;
            Expr z = s(x, t, n);
            Expr a = rnn::sigmoid(select(is_tanh, 2 * z, z));
            act(x, t, n) = select(is_tanh, 2 * a - 1, a);
        }
        // The recurrent weight transposed, contiguous along k for the backward product.
        Func wt(ctx.func_name(node, "weight_hh_t"));
        wt(k, g) = p[1].func(g, k);

        // The reverse scan, for step t = T-1 .. 0: phase 0 computes dc_t (block 0 only), phase 1
        // the gate gradients d a_t, phase 2 adds W_hh^T d a_t, K terms per chunk, into the partial
        // sums of step t-1.
        Func b(ctx.func_name(node, "d_state"));
        b(x, t, n) = zero_of(type);
        RDom r(0, H, 0, 4, 0, P, 0, 3, 0, T, "r_bscan");
        const RVar rk = r[0], rq = r[1], rc = r[2], rph = r[3], rs = r[4];
        Expr tt = T - 1 - rs;  // this step's time
        r.where((rph == 0 && rc == 0 && rq == 0) || (rph == 1 && rc == 0) || (rph == 2 && tt > 0));
        Expr tn = min(tt + 1, T - 1), tprev = max(tt - 1, 0);
        Expr u = rk;
        Expr dy_t = d.sequences ? Expr(dy(u, tt, n)) : select(tt == T - 1, dy(u, n), zero_of(type));
        Expr dh = dy_t + b(5 * H + u, tt, n) + b(6 * H + u, tt, n) + b(7 * H + u, tt, n) + b(8 * H + u, tt, n);
        Expr ai = act(u, tt, n), af = act(H + u, tt, n), ag = act(2 * H + u, tt, n), ao = act(3 * H + u, tt, n);
        Expr tc = act(G + u, tt, n);
        Expr dc_next = select(tt < T - 1, b(G + u, tn, n) * act(H + u, tn, n), zero_of(type));
        Expr dc = dh * ao * (1 - tc * tc) + dc_next;  // phase 0
        Expr dcs = b(G + u, tt, n);                   // phase 1 reads it back
        Expr c_prev = select(tt > 0, s(G + u, tprev, n), zero_of(type));
        Expr dgate = select(rq == 0, dcs * ag * ai * (1 - ai), rq == 1, dcs * c_prev * af * (1 - af), rq == 2,
                            dcs * ai * (1 - ag * ag), dh * tc * ao * (1 - ao));
        std::vector<Expr> terms;
        for (int j = 0; j < K; ++j) {
            Expr gi = rq * H + rc * K + j;
            terms.push_back(wt(rk, gi) * b(gi, tt, n));
        }
        Expr acc = rnn::add_tree(b(5 * H + rq * H + rk, tprev, n), terms);
        Expr base = select(rph == 0, G, rph == 1, rq * H, 5 * H + rq * H);
        b(base + rk, select(rph < 2, tt, tprev), n) = select(rph == 2, acc, rph == 0, dc, dgate);

        Gradients grads;
        Func dgates(ctx.func_name(node, "d_gates"));  // (g, t, n), a view of b's first 4H slots
        dgates(g, t, n) = b(g, t, n);
        rec->activations = act;
        rec->weight_hh_t = wt;
        rec->d_state = b;
        rec->d_gates = dgates;
        rnn::input_side_gradients(ctx, node, d, G, in[0].func, p[0].func, dgates, *rec);
        grads.d_inputs.push_back(rec->d_input);
        grads.d_params.push_back(rec->d_weight_ih);
        grads.d_params.push_back(rnn::recurrent_weight_gradient(ctx, node, d, rec->d_gates_flat, s, 5 * H, *rec));
        grads.d_params.push_back(rec->d_bias_ih);
        Func db_hh(ctx.func_name(node, "d_bias_hh"));  // the same sum as d_bias_ih
        db_hh(g) = rec->d_bias_ih(g);
        grads.d_params.push_back(db_hh);
        rec->d_bias_hh = db_hh;
        return grads;
    }

    void schedule(ScheduleContext& ctx, const dsl::Node& node, const std::vector<dsl::Shape>& in) const override {
        rnn::schedule_layer(ctx, node, in[0], 4);
    }

    void schedule_gpu(ScheduleContext& ctx, const dsl::Node& node, const std::vector<dsl::Shape>& in) const override {
        rnn::schedule_layer_gpu(ctx, node, in[0], 4);
    }

private:
    // The forward scan (made once per lowering), per step t: phase 0 adds W_hh h_{t-1} to the
    // gate slots, K terms per chunk; phase 1 (chunk 0 only) writes c (block 0) and h (block 1)
    // from the finished gates and c_{t-1}.
    static Func state(const LayerContext& ctx, const dsl::Node& node, const rnn::Dims& d, const Func& x,
                      const std::vector<Tensor>& p, rnn::Record& rec) {
        if (rec.state.defined()) return rec.state;
        const int H = d.H, T = d.T, G = 4 * H, K = rnn::terms_per_phase(H), P = H / K;
        const Type type = ctx.type;
        Var g("g"), xs("x"), t("t"), n("n");
        Func xp = rnn::input_projection(ctx, node, d, x, p[0].func, p[2].func(g) + p[3].func(g), g, rec);
        const Func& w_hh = p[1].func;

        Func s(ctx.func_name(node, "state"));
        s(xs, t, n) = select(xs < G, xp(min(xs, G - 1), t + T * n), zero_of(type));
        RDom r(0, H, 0, 4, 0, P, 0, 2, 0, T, "r_scan");
        const RVar rk = r[0], rq = r[1], rc = r[2], rph = r[3], rt = r[4];
        // At t = 0 the accumulation adds W_hh h_{-1} = 0: skipped. The last phase has two blocks.
        r.where((rph == 0 && rt > 0) || (rph == 1 && rc == 0 && rq < 2));
        Expr tprev = max(rt - 1, 0);
        Expr slot = rq * H + rk;
        std::vector<Expr> terms;
        for (int j = 0; j < K; ++j) {
            Expr kk = rc * K + j;
            terms.push_back(w_hh(slot, kk) * s(5 * H + kk, tprev, n));
        }
        Expr acc = rnn::add_tree(s(slot, rt, n), terms);
        Expr i = rnn::sigmoid(s(rk, rt, n)), f = rnn::sigmoid(s(H + rk, rt, n));
        Expr gg = rnn::tanh(s(2 * H + rk, rt, n)), o = rnn::sigmoid(s(3 * H + rk, rt, n));
        Expr c_prev = select(rt > 0, s(G + rk, tprev, n), zero_of(type));
        Expr c = f * c_prev + i * gg;
        Expr fin = select(rq == 0, c, o * rnn::tanh(c));
        // The clamp is a no-op (phase 1 writes blocks 0 and 1 only) that tells bounds inference
        // so: the state is allocated 6H slots wide, not 8H.
        s(clamp(select(rph == 0, rq * H, G + rq * H), 0, G + H) + rk, rt, n) = select(rph == 0, acc, fin);
        rec.state = s;
        return s;
    }

    dsl::OpSpec spec_;
};

}  // namespace
NNC_REGISTER_LAYER(Lstm);
}  // namespace nnc::codegen
