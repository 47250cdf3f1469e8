// embedding(ids, vocab, dim, init=uniform(0.05)): y[..., :] = weight[ids[...], :].
// ids: (N, T) int32 token ids (any per-sample rank >= 1)   weight: [vocab, dim] (torch's
// nn.Embedding.weight as it is)   y: (N, T, dim)
// Halide: ids(t, n), w(d, v), y(d, t, n).
// Ids outside [0, vocab) are clamped here (the runtime rejects them before a step runs), so the
// kernel never reads outside the table. The backward is hand-written: the weight gradient is a
// scatter-add of dy rows into the rows the ids picked, one update over (positions, batch),
// vectorized along dim; ids get no gradient.
#include "codegen/layers/layer_registry.h"
#include "codegen/schedule/gpu_templates.h"

namespace nnc::codegen {
namespace {

using namespace Halide;

// What embedding's forward and backward built for one node.
struct EmbeddingRecord {
    Func fwd;       // a gather of weight rows
    Func d_weight;  // a scatter-add of the output gradient into the rows the ids pick

    template <class Visit>
    void funcs(Visit&& visit) {
        visit(fwd);
        visit(d_weight);
    }
};

class Embedding final : public Layer {
public:
    Embedding() {
        spec_.name = "embedding";
        spec_.summary = "lookup table: each int32 token id selects a learned row of [vocab, dim]";
        spec_.token_input = true;
        spec_.attrs = {
            {"vocab", dsl::AttrType::Int, true, std::nullopt, {}, "number of token ids (ids lie in [0, vocab))"},
            {"dim", dsl::AttrType::Int, true, std::nullopt, {}, "length of each embedding vector"},
            {"init",
             dsl::AttrType::Init,
             false,
             dsl::AttrValue(dsl::InitSpec{"uniform", 0.05}),
             {},
             "table initializer"},
        };
        spec_.shape = [](const std::vector<dsl::Shape>& in, const dsl::Attrs& a) {
            if (in[0].dims.empty())
                return dsl::ShapeResult::fail("embedding expects token ids of rank >= 1 (e.g. [T]), got " +
                                              in[0].str());
            if (a.get_int("vocab") <= 0) return dsl::ShapeResult::fail("embedding needs vocab > 0");
            if (a.get_int("dim") <= 0) return dsl::ShapeResult::fail("embedding needs dim > 0");
            dsl::Shape out = in[0];
            out.dims.push_back(a.get_int("dim"));
            return dsl::ShapeResult::ok(out);
        };
        spec_.params = [](const std::vector<dsl::Shape>&, const dsl::Attrs& a) {
            const int64_t v = a.get_int("vocab"), d = a.get_int("dim");
            return std::vector<dsl::ParamSpec>{{"weight", {{v, d}}, a.get_init("init"), v, d}};
        };
        spec_.macs = [](const std::vector<dsl::Shape>&, const dsl::Shape&, const dsl::Attrs&) { return int64_t(0); };
    }

    const dsl::OpSpec& spec() const override { return spec_; }

    Func forward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                 const std::vector<Tensor>& p) const override {
        const int vocab = static_cast<int>(node.attrs.get_int("vocab"));
        std::vector<Var> v = make_vars(in[0].rank() + 1);  // (d, positions..., n)
        std::vector<Expr> pos(v.begin() + 1, v.end());
        Func y(ctx.func_name(node, "fwd"));
        y(as_exprs(v)) = p[0].func(v[0], clamp(in[0].func(pos), 0, vocab - 1));
        ctx.record<EmbeddingRecord>(node)->fwd = y;
        return y;
    }

    Gradients backward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                       const std::vector<Tensor>&, const Tensor&, const Func& dy) const override {
        const int vocab = static_cast<int>(node.attrs.get_int("vocab"));
        // Every position of every sample, innermost first, the batch last.
        Region extents;
        for (size_t i = in[0].shape.dims.size(); i-- > 0;)
            extents.emplace_back(0, static_cast<int>(in[0].shape.dims[i]));
        extents.emplace_back(0, ctx.batch);
        RDom r(extents, "r_pos");
        std::vector<Expr> pos;
        for (int i = 0; i < r.dimensions(); ++i) pos.push_back(r[i]);
        Var d("d"), id("id");
        Func dw(ctx.func_name(node, "d_weight"));
        dw(d, id) = zero_of(ctx.type);
        std::vector<Expr> dy_args{d};
        dy_args.insert(dy_args.end(), pos.begin(), pos.end());
        dw(d, clamp(in[0].func(pos), 0, vocab - 1)) += dy(dy_args);
        ctx.record<EmbeddingRecord>(node)->d_weight = dw;
        return {{Func()}, {dw}};
    }

    // The weight gradient is a scatter-add (codegen/schedule/cpu_templates.h, gpu_templates.h).
    void schedule(ScheduleContext& ctx, const dsl::Node& node, const std::vector<dsl::Shape>&) const override {
        if (Func dw = ctx.record<EmbeddingRecord>(node).d_weight; dw.defined())
            schedule_scatter_add(ctx, dw, static_cast<int>(node.attrs.get_int("dim")));
    }

    void schedule_gpu(ScheduleContext& ctx, const dsl::Node& node, const std::vector<dsl::Shape>&) const override {
        if (Func dw = ctx.record<EmbeddingRecord>(node).d_weight; dw.defined()) schedule_gpu_scatter_add(ctx, dw);
    }

private:
    dsl::OpSpec spec_;
};

}  // namespace
NNC_REGISTER_LAYER(Embedding);
}  // namespace nnc::codegen
