// dropout(x, rate=0.5), as torch's Dropout: in training each element is kept with probability
// 1 - rate and scaled by 1 / (1 - rate) (inverted dropout, so inference is the identity).
// x, y: any shape, (N, ...).
// The mask is a counter-based hash of (step seed, node name, element index) (codegen/lower/random.h):
// the backward recomputes the very same mask instead of storing it, and a step is reproducible
// from its seed.
// The rate is a run-time value: the training pipeline reads it from its dropout_rates argument
// (codegen/lower/dropout_rates.h; nnc_model_set_dropout_rate), so `nnc tune --dropout` and
// `nnc train --sanity` change it without recompiling. The attribute is only its default.
// Rate 0 keeps every element (u >= 0 always) and scales by exactly 1: the identity.
#include "codegen/layers/layer_registry.h"
#include "codegen/lower/random.h"

#include <sstream>

namespace nnc::codegen {
namespace {

using namespace Halide;

// What dropout's forward and backward built for one node.
struct DropoutRecord {
    Func keep;  // training only: the mask times the scale, made once per lowering (forward and backward share it)
    Func fwd, d_input;

    template <class Visit>
    void funcs(Visit&& visit) {
        for (Func* f : {&keep, &fwd, &d_input}) visit(*f);
    }
};

class Dropout final : public Layer {
public:
    Dropout() {
        spec_.name = "dropout";
        spec_.summary =
            "zero elements with probability rate in training (scaling the rest by 1/(1-rate)); identity in inference";
        spec_.attrs = {{"rate",
                        dsl::AttrType::Float,
                        false,
                        dsl::AttrValue(0.5),
                        {},
                        "probability of dropping an element, in [0, 1)"}};
        spec_.shape = [](const std::vector<dsl::Shape>& in, const dsl::Attrs& a) {
            const double rate = a.get_float("rate");
            if (!(rate >= 0.0 && rate < 1.0)) {
                std::ostringstream msg;
                msg << "dropout rate must be in [0, 1), got " << rate
                    << "; it is the probability of dropping an element (0 keeps everything)";
                return dsl::ShapeResult::fail(msg.str());
            }
            return dsl::ShapeResult::ok(in[0]);
        };
        spec_.params = [](const std::vector<dsl::Shape>&, const dsl::Attrs&) { return std::vector<dsl::ParamSpec>{}; };
        // One multiply per element (the mask's hash is integer work, not counted).
        spec_.macs = [](const std::vector<dsl::Shape>& in, const dsl::Shape&, const dsl::Attrs&) {
            return in[0].elements();
        };
    }

    const dsl::OpSpec& spec() const override { return spec_; }

    Func forward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                 const std::vector<Tensor>&) const override {
        auto v = as_exprs(make_vars(in[0].rank()));
        auto rec = ctx.record<DropoutRecord>(node);
        Func y(ctx.func_name(node, "fwd"));
        if (active(ctx, node)) {
            y(v) = in[0].func(v) * keep_scale(ctx, node, in[0], *rec)(v);
        } else {
            y(v) = in[0].func(v);
        }
        rec->fwd = y;
        return y;
    }

    // dy times the same mask and scale: y is linear in x.
    Gradients backward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                       const std::vector<Tensor>&, const Tensor&, const Func& dy) const override {
        auto v = as_exprs(make_vars(in[0].rank()));
        auto rec = ctx.record<DropoutRecord>(node);
        Func dx(ctx.func_name(node, "d_input"));
        if (active(ctx, node)) {
            dx(v) = dy(v) * keep_scale(ctx, node, in[0], *rec)(v);
        } else {
            dx(v) = dy(v);
        }
        rec->d_input = dx;
        return {{dx}, {}};
    }

    // The mask is a few integer operations per element: recomputed inline wherever it is read
    // rather than stored (fwd and d_input take the default: compute_root, vectorized, parallel).
    void schedule(ScheduleContext& ctx, const dsl::Node& node, const std::vector<dsl::Shape>&) const override {
        if (Func keep = ctx.record<DropoutRecord>(node).keep; keep.defined()) ctx.claim(keep);
    }

private:
    static bool active(const LayerContext& ctx, const dsl::Node& node) {
        if (!ctx.training) return false;
        if (!ctx.seed.defined() || !ctx.dropout_rates.defined() || !ctx.dropout_index.count(node.name))
            throw std::logic_error("internal error: dropout '" + node.name +
                                   "' lowered for training without a seed or rate");
        return true;
    }

    // 1 / (1 - rate) where the element is kept, 0 where it is dropped.
    static Func keep_scale(const LayerContext& ctx, const dsl::Node& node, const Tensor& x, DropoutRecord& rec) {
        if (rec.keep.defined()) return rec.keep;
        Expr rate = cast(ctx.type, ctx.dropout_rates(ctx.dropout_index.at(node.name)));
        auto v = as_exprs(make_vars(x.rank()));
        Expr u = rng::uniform(ctx.type, ctx.seed, rng::salt_of(node.name), rng::flat_index(x, v));
        Func keep(ctx.func_name(node, "keep"));
        keep(v) = select(u >= rate, cast(ctx.type, 1.0f) / (cast(ctx.type, 1.0f) - rate), zero_of(ctx.type));
        rec.keep = keep;
        return keep;
    }

    dsl::OpSpec spec_;
};

}  // namespace
NNC_REGISTER_LAYER(Dropout);
}  // namespace nnc::codegen
