// batchnorm(x, momentum=0.1, eps=1e-5, affine=true), as torch's BatchNorm1d on [F] inputs (per
// feature over the batch) and BatchNorm2d on (C, H, W) inputs (per channel over N, H, W).
// x, y: (N, C) or (N, C, H, W); Halide x(c, n) or x(w, h, c, n).
// weight, bias (affine only, trainable), running_mean, running_var (state): [C].
// Training: y = (x - mean) / sqrt(var + eps) * weight + bias with the batch mean and biased
// variance; the running statistics move toward the batch's (unbiased variance, as torch).
// Inference: the same with the running statistics.
// The per-channel sums reduce a row of lanes along W at once (then sum the lanes) so that the long
// reduction over (N, H, W) vectorizes; [F] inputs reduce over N with F contiguous.
#include "codegen/layers/layer_registry.h"

#include <sstream>

namespace nnc::codegen {
namespace {

using namespace Halide;

// Lanes of the partial sums along W for (C, H, W) inputs, each lane row one vector: W itself up to
// 16, else a divisor of W in [8, 16] (28 -> 14), so that rows load densely with no ragged tail.
// Only a W with no such divisor (a prime above 16) takes 16 lanes and masks the last block, whose
// clamped loads become gathers. (Vectorizing 16 lanes over a W of 14 with GuardWithIf ran the
// whole reduction scalar: 3x slower at 7x7.)
int lanes_for(int w) {
    if (w <= 16) return w;
    for (int l = 16; l >= 8; --l)
        if (w % l == 0) return l;
    return 16;
}

// What batchnorm's forward, backward and state_update built for one node.
struct BatchNormRecord {
    // A per-channel sum (channel_sum): on (C, H, W) inputs, `lanes` partial sums along W; `wide`,
    // the total in float64 (or the model's type where wider); `sum`, the total in the model's type.
    struct Sum {
        Func lanes, wide, sum;
    };
    // (C, H, W) inputs: the lanes of the partial sums along W (lanes_for); 0 for [F] inputs,
    // whose sums reduce over the batch directly.
    int lanes = 0;
    Sum sum, sum_sq;        // training: the batch mean's and variance's
    Sum sum_dy, sum_dy_xc;  // backward
    // Training: the batch statistics; inference: inv_std from the running variance. Each is made
    // once per lowering (forward, backward and state_update share it).
    Func mean, var, inv_std, scale;
    Func fwd, d_mean, d_k, d_input, d_weight, running_mean, running_var;

    template <class Visit>
    void funcs(Visit&& visit) {
        for (Sum* s : {&sum, &sum_sq, &sum_dy, &sum_dy_xc}) {
            visit(s->lanes);
            visit(s->wide);
            visit(s->sum);
        }
        for (Func* f :
             {&mean, &var, &inv_std, &scale, &fwd, &d_mean, &d_k, &d_input, &d_weight, &running_mean, &running_var})
            visit(*f);
    }
};

class BatchNorm final : public Layer {
public:
    BatchNorm() {
        spec_.name = "batchnorm";
        spec_.summary = "batch normalization per feature ([F]) or per channel ((C, H, W)), as torch's BatchNorm1d/2d";
        spec_.attrs = {
            {"momentum",
             dsl::AttrType::Float,
             false,
             dsl::AttrValue(0.1),
             {},
             "weight of the batch statistics in the running ones, in [0, 1]"},
            {"eps", dsl::AttrType::Float, false, dsl::AttrValue(1e-5), {}, "added to the variance, > 0"},
            {"affine",
             dsl::AttrType::Bool,
             false,
             dsl::AttrValue(true),
             {},
             "learn a scale (weight) and shift (bias) per channel"},
        };
        spec_.shape = [](const std::vector<dsl::Shape>& in, const dsl::Attrs& a) {
            const size_t rank = in[0].dims.size();
            if (rank != 1 && rank != 3)
                return dsl::ShapeResult::fail("batchnorm expects a [F] or (C, H, W) input, got " + in[0].str() +
                                              "; flatten() or reshape() it to one of those");
            const double m = a.get_float("momentum"), eps = a.get_float("eps");
            std::ostringstream msg;
            if (!(m >= 0.0 && m <= 1.0))
                msg << "batchnorm momentum must be in [0, 1], got " << m;
            else if (!(eps > 0.0))
                msg << "batchnorm eps must be > 0, got " << eps;
            if (!msg.str().empty()) return dsl::ShapeResult::fail(msg.str());
            return dsl::ShapeResult::ok(in[0]);
        };
        spec_.params = [](const std::vector<dsl::Shape>& in, const dsl::Attrs& a) {
            const int64_t c = in[0].dims.at(0);
            std::vector<dsl::ParamSpec> ps;
            if (a.get_bool("affine")) {
                ps.push_back({"weight", {{c}}, dsl::InitSpec{"ones", 0.0}, c, c});
                ps.push_back({"bias", {{c}}, dsl::InitSpec{"zeros", 0.0}, c, c});
            }
            dsl::ParamSpec mean{"running_mean", {{c}}, dsl::InitSpec{"zeros", 0.0}, c, c};
            dsl::ParamSpec var{"running_var", {{c}}, dsl::InitSpec{"ones", 0.0}, c, c};
            mean.trainable = var.trainable = false;
            ps.push_back(mean);
            ps.push_back(var);
            return ps;
        };
        // Two multiply-adds per element: (x - mean) * scale, then + bias.
        spec_.macs = [](const std::vector<dsl::Shape>& in, const dsl::Shape&, const dsl::Attrs&) {
            return 2 * in[0].elements();
        };
    }

    const dsl::OpSpec& spec() const override { return spec_; }

    Func forward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                 const std::vector<Tensor>& p) const override {
        const Tensor& x = in[0];
        auto rec = ctx.record<BatchNormRecord>(node);
        Func mean = mean_of(ctx, node, x, p, *rec), scale = scale_of(ctx, node, x, p, *rec);
        auto v = as_exprs(make_vars(x.rank()));
        Expr c = channel(x, v);
        Expr bias = affine(node) ? Expr(p[1].func(c)) : zero_of(ctx.type);
        Func y(ctx.func_name(node, "fwd"));
        y(v) = (x.func(v) - mean(c)) * scale(c) + bias;
        rec->fwd = y;
        return y;
    }

    // Training, with xc = x - mean and M = N H W values per channel:
    //   d_bias = sum dy, d_weight = inv_std sum dy xc,
    //   dx = scale (dy - sum dy / M - xc inv_std^2 sum(dy xc) / M)
    // (torch's dx = weight inv_std (dy - mean(dy) - xhat mean(dy xhat))). Inference: the
    // statistics are constants, so dx = scale dy.
    Gradients backward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                       const std::vector<Tensor>& p, const Tensor&, const Func& dy) const override {
        const Tensor& x = in[0];
        auto rec = ctx.record<BatchNormRecord>(node);
        Func mean = mean_of(ctx, node, x, p, *rec), inv_std = inv_std_of(ctx, node, x, p, *rec);
        Func scale = scale_of(ctx, node, x, p, *rec);
        Var c("c");
        Func sum_dy = channel_sum(ctx, node, x, "sum_dy", rec->sum_dy, *rec,
                                  [&](const std::vector<Expr>& at, const Expr&) { return dy(at); });
        Func sum_dy_xc =
            channel_sum(ctx, node, x, "sum_dy_xc", rec->sum_dy_xc, *rec,
                        [&](const std::vector<Expr>& at, const Expr& ch) { return dy(at) * (x.func(at) - mean(ch)); });

        auto v = as_exprs(make_vars(x.rank()));
        Expr ch = channel(x, v);
        Func dx(ctx.func_name(node, "d_input"));
        if (ctx.training) {
            const Expr m = count(ctx, x);
            Func d_mean(ctx.func_name(node, "d_mean")), d_k(ctx.func_name(node, "d_k"));
            d_mean(c) = sum_dy(c) / m;
            d_k(c) = inv_std(c) * inv_std(c) * sum_dy_xc(c) / m;
            dx(v) = scale(ch) * (dy(v) - d_mean(ch) - (x.func(v) - mean(ch)) * d_k(ch));
            rec->d_mean = d_mean;
            rec->d_k = d_k;
        } else {
            dx(v) = dy(v) * scale(ch);
        }
        rec->d_input = dx;

        Gradients g;
        g.d_inputs.push_back(dx);
        if (affine(node)) {
            Func dw(ctx.func_name(node, "d_weight"));
            dw(c) = sum_dy_xc(c) * inv_std(c);
            g.d_params.push_back(dw);
            rec->d_weight = dw;
            g.d_params.push_back(sum_dy);  // d_bias
        }
        return g;
    }

    // torch: running' = (1 - momentum) running + momentum batch, with the unbiased batch variance
    // (M / (M - 1) times the biased one; M = 1 takes the biased one instead of dividing by 0).
    std::vector<Func> state_update(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                                   const std::vector<Tensor>& p) const override {
        const size_t s = affine(node) ? 2 : 0;
        const Func& rm = p[s].func;
        const Func& rv = p[s + 1].func;
        Var c("c");
        auto rec = ctx.record<BatchNormRecord>(node);
        Func new_mean(ctx.func_name(node, "running_mean")), new_var(ctx.func_name(node, "running_var"));
        rec->running_mean = new_mean;
        rec->running_var = new_var;
        if (!ctx.training) {
            new_mean(c) = rm(c);
            new_var(c) = rv(c);
            return {new_mean, new_var};
        }
        const Tensor& x = in[0];
        Func mean = mean_of(ctx, node, x, p, *rec), var = var_of(ctx, node, x, p, *rec);
        const Expr m = cast(ctx.type, Expr(node.attrs.get_float("momentum")));
        const Expr one = one_of(ctx.type);
        const Expr n = count(ctx, x);
        new_mean(c) = (one - m) * rm(c) + m * mean(c);
        new_var(c) = (one - m) * rv(c) + m * var(c) * n / max(n - one, one);
        return {new_mean, new_var};
    }

    // The per-channel sums: lane sums on (C, H, W) inputs, batch sums on [F] inputs
    // (codegen/schedule/cpu_templates.h). Everything else (the per-channel statistics, the
    // elementwise forward and input gradient) takes the default: compute_root, vectorized along
    // the contiguous dimension, parallel over the batch.
    // The forward's sums take the knobs "fwd.", the backward's "bwd." (codegen/tune/knob_space.cpp).
    void schedule(ScheduleContext& ctx, const dsl::Node& node, const std::vector<dsl::Shape>&) const override {
        const BatchNormRecord r = ctx.record<BatchNormRecord>(node);
        const KnobValues knobs = ctx.knobs(node.name);
        for (const BatchNormRecord::Sum* s : {&r.sum, &r.sum_sq, &r.sum_dy, &r.sum_dy_xc}) {
            const std::string part = s == &r.sum || s == &r.sum_sq ? "fwd." : "bwd.";
            if (r.lanes > 0 && s->lanes.defined())
                schedule_lane_sum(ctx, s->lanes, r.lanes, LaneSumKnobs::from(knobs, part));
            if (r.lanes == 0 && s->wide.defined())  // `sum` casts it
                schedule_batch_sum(ctx, s->wide, BatchSumKnobs::from(knobs, part));
        }
    }

private:
    static bool affine(const dsl::Node& node) { return node.attrs.get_bool("affine"); }

    // The channel coordinate of Halide coordinates v: dim 0 of (c, n), dim 2 of (w, h, c, n).
    static Expr channel(const Tensor& x, const std::vector<Expr>& v) { return v[x.shape.dims.size() == 3 ? 2 : 0]; }

    // M: the values per channel, N or N H W.
    static Expr count(const LayerContext& ctx, const Tensor& x) {
        const int64_t per_sample = x.shape.dims.size() == 3 ? x.shape.dims[1] * x.shape.dims[2] : 1;
        return cast(ctx.type, ctx.batch) * cast(ctx.type, Expr(static_cast<int32_t>(per_sample)));
    }

    // s(c) = sum over (n) or (n, h, w) of term(coordinates, c); term's coordinates are Halide's
    // (innermost first, batch last) and always inside the tensor. A float32 model accumulates
    // in float64: a channel of a batch of 64 32x32 maps sums 65,536 terms that largely cancel
    // (the bias gradient), and in float32 the result moved by 2e-3 (relative) when only the
    // order of the samples changed; the reductions read each element once, so the wider
    // accumulator costs little next to the convolutions around them.
    // `what` names it; `out` receives its Funcs.
    static Func channel_sum(const LayerContext& ctx, const dsl::Node& node, const Tensor& x, const std::string& what,
                            BatchNormRecord::Sum& out, BatchNormRecord& rec,
                            const std::function<Expr(const std::vector<Expr>&, const Expr&)>& term) {
        Var c("c"), v("v");
        const Type acc = ctx.type.bits() < 64 ? Float(64) : ctx.type;
        Func s(ctx.func_name(node, what));
        out.sum = s;
        if (x.shape.dims.size() == 1) {
            RDom r(0, ctx.batch, "r_" + what);
            Func wide(ctx.func_name(node, what + "_wide"));
            wide(c) = zero_of(acc);
            wide(c) += cast(acc, term({c, r}, c));
            s(c) = cast(ctx.type, wide(c));
            rec.lanes = 0;
            out.wide = wide;
            return s;
        }
        const int h = static_cast<int>(x.shape.dims[1]), w = static_cast<int>(x.shape.dims[2]);
        const int lanes = lanes_for(w), blocks = (w + lanes - 1) / lanes;
        RDom r(0, blocks, 0, h, 0, ctx.batch, "r_" + what);
        Expr px = r.x * lanes + v;
        Func part(ctx.func_name(node, what + "_lanes"));
        part(v, c) = zero_of(acc);
        if (w % lanes == 0) {
            part(v, c) += cast(acc, term({px, r.y, c, r.z}, c));
        } else {  // the last block's lanes past W add nothing
            part(v, c) += select(px < w, cast(acc, term({min(px, w - 1), r.y, c, r.z}, c)), zero_of(acc));
        }
        RDom rl(0, lanes, "r_lane");
        Func wide(ctx.func_name(node, what + "_wide"));
        wide(c) = zero_of(acc);
        wide(c) += part(rl, c);
        s(c) = cast(ctx.type, wide(c));
        rec.lanes = lanes;
        out.lanes = part;
        out.wide = wide;
        return s;
    }

    // Training: the batch mean and biased variance. Inference: the running statistics.
    static Func mean_of(const LayerContext& ctx, const dsl::Node& node, const Tensor& x, const std::vector<Tensor>& p,
                        BatchNormRecord& rec) {
        if (!ctx.training) return p[affine(node) ? 2 : 0].func;
        if (rec.mean.defined()) return rec.mean;
        Func sum = channel_sum(ctx, node, x, "sum", rec.sum, rec,
                               [&](const std::vector<Expr>& at, const Expr&) { return x.func(at); });
        Var c("c");
        Func mean(ctx.func_name(node, "mean"));
        mean(c) = sum(c) / count(ctx, x);
        rec.mean = mean;
        return mean;
    }

    // Two passes (the mean first) rather than E[x^2] - E[x]^2, which cancels in float32.
    static Func var_of(const LayerContext& ctx, const dsl::Node& node, const Tensor& x, const std::vector<Tensor>& p,
                       BatchNormRecord& rec) {
        if (!ctx.training) return p[affine(node) ? 3 : 1].func;
        Func mean = mean_of(ctx, node, x, p, rec);
        if (rec.var.defined()) return rec.var;
        Func sum_sq =
            channel_sum(ctx, node, x, "sum_sq", rec.sum_sq, rec, [&](const std::vector<Expr>& at, const Expr& c) {
                Expr d = x.func(at) - mean(c);
                return d * d;
            });
        Var c("c");
        Func var(ctx.func_name(node, "var"));
        var(c) = sum_sq(c) / count(ctx, x);
        rec.var = var;
        return var;
    }

    static Func inv_std_of(const LayerContext& ctx, const dsl::Node& node, const Tensor& x,
                           const std::vector<Tensor>& p, BatchNormRecord& rec) {
        if (rec.inv_std.defined()) return rec.inv_std;
        Func var = var_of(ctx, node, x, p, rec);
        Var c("c");
        Func inv_std(ctx.func_name(node, "inv_std"));
        inv_std(c) = one_of(ctx.type) / sqrt(var(c) + cast(ctx.type, Expr(node.attrs.get_float("eps"))));
        rec.inv_std = inv_std;
        return inv_std;
    }

    // weight * inv_std (inv_std alone without affine).
    static Func scale_of(const LayerContext& ctx, const dsl::Node& node, const Tensor& x, const std::vector<Tensor>& p,
                         BatchNormRecord& rec) {
        if (rec.scale.defined()) return rec.scale;
        Func inv_std = inv_std_of(ctx, node, x, p, rec);
        Var c("c");
        Func scale(ctx.func_name(node, "scale"));
        scale(c) = affine(node) ? inv_std(c) * p[0].func(c) : Expr(inv_std(c));
        rec.scale = scale;
        return scale;
    }

    dsl::OpSpec spec_;
};

}  // namespace
NNC_REGISTER_LAYER(BatchNorm);
}  // namespace nnc::codegen
