// dense(x, units, init=he_normal, bias=true): y = x · W + b.
// x: (N, in)  W: [in, out] row-major, so w(o, i) with o contiguous (vectorizes along outputs)
// y: (N, out)
// On a sequence x: (N, T, in) the same weight applies at every position (torch.nn.Linear on the
// last axis): y: (N, T, out), computed on the rows view (codegen/layers/rows.h).
#include "codegen/layers/layer_registry.h"
#include "codegen/layers/rows.h"

namespace nnc::codegen {
namespace {

using namespace Halide;

// What dense's forward and backward built for one node.
struct DenseRecord {
    Func fwd;       // y(o, m), a product over rows (m = n for a rank-1 input)
    Func weight_t;  // the weight transposed, w(i, o), for d_input's product
    Func d_input, d_weight, d_bias;

    template <class Visit>
    void funcs(Visit&& visit) {
        for (Func* f : {&fwd, &weight_t, &d_input, &d_weight, &d_bias}) visit(*f);
    }
};

class Dense final : public Layer {
public:
    Dense() {
        spec_.name = "dense";
        spec_.summary = "fully connected layer: y = x W + b";
        spec_.attrs = {
            {"units", dsl::AttrType::Int, true, std::nullopt, {}, "number of outputs"},
            {"init",
             dsl::AttrType::Init,
             false,
             dsl::AttrValue(dsl::InitSpec{"he_normal", 0.0}),
             {},
             "weight initializer"},
            {"bias", dsl::AttrType::Bool, false, dsl::AttrValue(true), {}, "add a learned bias"},
            {"max_norm",
             dsl::AttrType::Float,
             false,
             dsl::AttrValue(0.0),
             {},
             "> 0: after each update, rescale each output unit's incoming weights to at most this L2 norm (0: off)"},
        };
        spec_.shape = [](const std::vector<dsl::Shape>& in, const dsl::Attrs& a) {
            if (in[0].dims.empty()) return dsl::ShapeResult::fail("dense needs at least one axis, got a scalar");
            if (in[0].dims.size() > 2)
                return dsl::ShapeResult::fail("dense expects features [F] or a sequence [T, F], got " + in[0].str() +
                                              "; insert flatten() before it");
            if (a.get_int("units") <= 0) return dsl::ShapeResult::fail("dense needs units > 0");
            if (a.get_float("max_norm") < 0)
                return dsl::ShapeResult::fail("dense needs max_norm >= 0 (0: off), got " +
                                              std::to_string(a.get_float("max_norm")));
            dsl::Shape out = in[0];
            out.dims.back() = a.get_int("units");
            return dsl::ShapeResult::ok(out);
        };
        spec_.params = [](const std::vector<dsl::Shape>& in, const dsl::Attrs& a) {
            const int64_t n_in = in[0].dims.back(), n_out = a.get_int("units");
            std::vector<dsl::ParamSpec> ps;
            ps.push_back({"weight", {{n_in, n_out}}, a.get_init("init"), n_in, n_out, a.get_float("max_norm")});
            if (a.get_bool("bias")) ps.push_back({"bias", {{n_out}}, dsl::InitSpec{"zeros", 0.0}, n_in, n_out});
            return ps;
        };
        // One multiply-accumulate per weight; the bias adds are not counted.
        spec_.macs = [](const std::vector<dsl::Shape>& in, const dsl::Shape& out, const dsl::Attrs&) {
            return in[0].elements() * out.dims.back();
        };
    }

    const dsl::OpSpec& spec() const override { return spec_; }

    Func forward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                 const std::vector<Tensor>& p) const override {
        const bool rows = in[0].shape.dims.size() > 1;
        const Func x = as_rows(in[0].func, in[0].shape, ctx.func_name(node, "x_rows"));
        const Func& w = p[0].func;
        Var o("o"), n("n");
        RDom r(0, static_cast<int>(in[0].shape.dims.back()), "r_in");
        Func y(ctx.func_name(node, rows ? "fwd_rows" : "fwd"));
        Expr init = p.size() > 1 ? Expr(p[1].func(o)) : cast(ctx.type, 0);
        y(o, n) = init;
        y(o, n) += x(r, n) * w(o, r);
        ctx.record<DenseRecord>(node)->fwd = y;
        return from_rows(y, node.shape, ctx.func_name(node, "fwd"));
    }

    Gradients backward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                       const std::vector<Tensor>& p, const Tensor&, const Func& d_out) const override {
        // On a sequence, every product below runs over rows (codegen/layers/rows.h).
        const bool rows = in[0].shape.dims.size() > 1;
        const Func x = as_rows(in[0].func, in[0].shape, ctx.func_name(node, "x_rows"));
        const Func dy = as_rows(d_out, node.shape, ctx.func_name(node, "d_output_rows"));
        const Func& w = p[0].func;
        const int n_out = static_cast<int>(node.shape.dims.back());
        Var o("o"), i("i"), n("n");
        Gradients g;
        auto rec = ctx.record<DenseRecord>(node);

        // dx(i, n) = sum_o w(o, i) dy(o, n), through the transposed weight so that the product,
        // like the forward one, runs along a contiguous dimension (i).
        Func wt(ctx.func_name(node, "weight_t"));
        wt(i, o) = w(o, i);
        Func dx(ctx.func_name(node, rows ? "d_input_rows" : "d_input"));
        RDom ro(0, n_out, "r_out");
        dx(i, n) = cast(ctx.type, 0);
        dx(i, n) += wt(i, ro) * dy(ro, n);
        g.d_inputs.push_back(from_rows(dx, in[0].shape, ctx.func_name(node, "d_input")));
        rec->weight_t = wt;
        rec->d_input = dx;

        // dw(o, i) = sum_n x(i, n) dy(o, n)
        RDom rn(0, rows_of(in[0].shape, ctx.batch), "r_batch");
        Func dw(ctx.func_name(node, "d_weight"));
        dw(o, i) = cast(ctx.type, 0);
        dw(o, i) += x(i, rn) * dy(o, rn);
        g.d_params.push_back(dw);
        rec->d_weight = dw;

        if (p.size() > 1) {
            Func db(ctx.func_name(node, "d_bias"));
            db(o) = cast(ctx.type, 0);
            db(o) += dy(o, rn);
            g.d_params.push_back(db);
            rec->d_bias = db;
        }
        return g;
    }

    // The three products are register-tiled along their contiguous dimension; the transpose is
    // tiled (the default, one whole column per vector, took a quarter of fashion_mlp's step);
    // the bias reduction takes the default.
    void schedule(ScheduleContext& ctx, const dsl::Node& node, const std::vector<dsl::Shape>& in) const override {
        const int n_out = static_cast<int>(node.shape.dims.back());
        const int n_in = static_cast<int>(in[0].dims.back());
        const DenseRecord r = ctx.record<DenseRecord>(node);
        const KnobValues knobs = ctx.knobs(node.name);  // codegen/tune/knob_space.cpp names them
        if (r.fwd.defined()) schedule_product(ctx, r.fwd, n_out, 0, ProductKnobs::from(knobs, "fwd."));
        if (r.d_input.defined()) schedule_product(ctx, r.d_input, n_in, 0, ProductKnobs::from(knobs, "d_input."));
        if (r.d_weight.defined())
            schedule_product(ctx, r.d_weight, n_out, n_in, ProductKnobs::from(knobs, "d_weight."));
        if (r.weight_t.defined()) schedule_transpose(ctx, r.weight_t);
    }

private:
    dsl::OpSpec spec_;
};

}  // namespace
NNC_REGISTER_LAYER(Dense);
}  // namespace nnc::codegen
