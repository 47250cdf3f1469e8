// layernorm(x, eps=1e-5, affine=true): normalization over the last axis of every position, as
// torch.nn.functional.layer_norm(x, [D], weight, bias, eps):
//   y = (x - mean) / sqrt(var + eps) * weight + bias, mean and (biased) var over the last axis.
// x: (N, ..., D)  weight, bias: [D] (torch's own)  y: the shape of x
// Backward, per row with x̂ = (x - mean) * rstd and g = dy * weight:
//   dx = rstd * (g - mean(g) - x̂ * mean(g * x̂));  dweight = Σ_rows dy * x̂;  dbias = Σ_rows dy.
// Computed on rows (codegen/layers/rows.h).
#include "codegen/layers/layer_registry.h"
#include "codegen/layers/rows.h"

namespace nnc::codegen {
namespace {

using namespace Halide;

// What layernorm's backward built, for its schedule.
struct LayerNormRecord {
    Func d_weight, d_bias;

    template <class Visit>
    void funcs(Visit&& visit) {
        for (Func* f : {&d_weight, &d_bias}) visit(*f);
    }
};

// One row's statistics and its normalized values.
struct Normalized {
    Func mean, rstd, xhat;  // mean(m), rstd(m), xhat(d, m)
};

class LayerNorm final : public Layer {
public:
    LayerNorm() {
        spec_.name = "layernorm";
        spec_.summary = "layer normalization over the last axis of each position (torch's F.layer_norm)";
        spec_.attrs = {
            {"eps", dsl::AttrType::Float, false, dsl::AttrValue(1e-5), {}, "added to the variance, > 0"},
            {"affine", dsl::AttrType::Bool, false, dsl::AttrValue(true), {}, "learn a scale (weight) and shift (bias)"},
        };
        spec_.shape = [](const std::vector<dsl::Shape>& in, const dsl::Attrs& a) {
            if (in[0].dims.empty()) return dsl::ShapeResult::fail("layernorm needs at least one axis, got a scalar");
            if (!(a.get_float("eps") > 0))
                return dsl::ShapeResult::fail("layernorm needs eps > 0, got " + std::to_string(a.get_float("eps")));
            return dsl::ShapeResult::ok(in[0]);
        };
        spec_.params = [](const std::vector<dsl::Shape>& in, const dsl::Attrs& a) {
            std::vector<dsl::ParamSpec> ps;
            if (!a.get_bool("affine")) return ps;
            const int64_t d = in[0].dims.back();
            ps.push_back({"weight", {{d}}, dsl::InitSpec{"ones", 0.0}, d, d});
            ps.push_back({"bias", {{d}}, dsl::InitSpec{"zeros", 0.0}, d, d});
            return ps;
        };
        // Counted as batch norm's: a few operations per element.
        spec_.macs = [](const std::vector<dsl::Shape>&, const dsl::Shape& out, const dsl::Attrs&) {
            return 2 * out.elements();
        };
    }
    const dsl::OpSpec& spec() const override { return spec_; }

    Func forward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                 const std::vector<Tensor>& p) const override {
        const Normalized s = normalize(ctx, node, in[0], "");
        Var d("d"), m("m");
        Func y(ctx.func_name(node, in[0].shape.dims.size() > 1 ? "fwd_rows" : "fwd"));
        y(d, m) = p.empty() ? s.xhat(d, m) : s.xhat(d, m) * p[0].func(d) + p[1].func(d);
        return from_rows(y, in[0].shape, ctx.func_name(node, "fwd"));
    }

    Gradients backward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                       const std::vector<Tensor>& p, const Tensor&, const Func& d_out) const override {
        const dsl::Shape& shape = in[0].shape;
        const int dim = static_cast<int>(shape.dims.back());
        const Normalized s = normalize(ctx, node, in[0], "b_");
        const Func dy = as_rows(d_out, shape, ctx.func_name(node, "d_output_rows"));
        Var d("d"), m("m");
        Func g(ctx.func_name(node, "d_xhat"));
        g(d, m) = p.empty() ? dy(d, m) : dy(d, m) * p[0].func(d);

        RDom r(0, dim, "r_feature");
        Func sums(ctx.func_name(node, "d_sums"));  // (Σ g, Σ g x̂) per row
        sums(m) = {zero_of(ctx.type), zero_of(ctx.type)};
        sums(m) = {sums(m)[0] + g(r, m), sums(m)[1] + g(r, m) * s.xhat(r, m)};
        const Expr inv_d = cast(ctx.type, Expr(1.0 / dim));
        Func dx(ctx.func_name(node, shape.dims.size() > 1 ? "d_input_rows" : "d_input"));
        dx(d, m) = s.rstd(m) * (g(d, m) - sums(m)[0] * inv_d - s.xhat(d, m) * sums(m)[1] * inv_d);

        Gradients out;
        out.d_inputs.push_back(from_rows(dx, shape, ctx.func_name(node, "d_input")));
        if (p.empty()) return out;
        auto rec = ctx.record<LayerNormRecord>(node);
        RDom rows(0, rows_of(shape, ctx.batch), "r_rows");
        Func dw(ctx.func_name(node, "d_weight")), db(ctx.func_name(node, "d_bias"));
        dw(d) = zero_of(ctx.type);
        dw(d) += dy(d, rows) * s.xhat(d, rows);
        db(d) = zero_of(ctx.type);
        db(d) += dy(d, rows);
        rec->d_weight = dw;
        rec->d_bias = db;
        out.d_params = {dw, db};
        return out;
    }

    // The parameter gradients are sums over rows per feature; the per-row Funcs take the default
    // (vectorized along the feature axis, rows in parallel).
    void schedule(ScheduleContext& ctx, const dsl::Node& node, const std::vector<dsl::Shape>&) const override {
        const LayerNormRecord r = ctx.record<LayerNormRecord>(node);
        if (r.d_weight.defined()) schedule_batch_sum(ctx, r.d_weight);
        if (r.d_bias.defined()) schedule_batch_sum(ctx, r.d_bias);
    }

private:
    static Normalized normalize(const LayerContext& ctx, const dsl::Node& node, const Tensor& x_in,
                                const std::string& prefix) {
        const int dim = static_cast<int>(x_in.shape.dims.back());
        const Func x = as_rows(x_in.func, x_in.shape, ctx.func_name(node, prefix + "x_rows"));
        Var d("d"), m("m");
        RDom r(0, dim, "r_feature");
        const Expr inv_d = cast(ctx.type, Expr(1.0 / dim));
        Normalized s{Func(ctx.func_name(node, prefix + "mean")), Func(ctx.func_name(node, prefix + "rstd")),
                     Func(ctx.func_name(node, prefix + "xhat"))};
        s.mean(m) = sum(x(r, m)) * inv_d;
        Expr centered = x(r, m) - s.mean(m);
        s.rstd(m) = cast(ctx.type, 1) /
                    sqrt(sum(centered * centered) * inv_d + cast(ctx.type, Expr(node.attrs.get_float("eps"))));
        s.xhat(d, m) = (x(d, m) - s.mean(m)) * s.rstd(m);
        return s;
    }

    dsl::OpSpec spec_;
};

}  // namespace
NNC_REGISTER_LAYER(LayerNorm);
}  // namespace nnc::codegen
