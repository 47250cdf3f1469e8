// softmax_cross_entropy(logits, label): mean over the batch of logsumexp(z) - z[label],
// as torch.nn.CrossEntropyLoss. Softmax is fused in: numerically stable, and the gradient is
// simply (softmax(z) - onehot(label)) / N.
// logits: (N, C)   label: (N) int32 in [0, C)   loss: scalar
#include "codegen/layers/layer_registry.h"

namespace nnc::codegen {
namespace {

using namespace Halide;

class SoftmaxCrossEntropy final : public Layer {
public:
    SoftmaxCrossEntropy() {
        spec_.name = "softmax_cross_entropy";
        spec_.kind = dsl::OpKind::Loss;
        spec_.min_inputs = spec_.max_inputs = 2;
        spec_.summary = "softmax + cross-entropy against class indices (classification)";
        spec_.shape = [](const std::vector<dsl::Shape>& in, const dsl::Attrs& a) {
            const bool classes = a.has("target_kind") && a.get_string("target_kind") == "classes";
            if (!classes)
                return dsl::ShapeResult::fail("softmax_cross_entropy needs a classes(C) target, got a real target " +
                                              in[1].str() + "; use mse for regression");
            const int64_t c = a.get_int("num_classes");
            if (in[0].dims.size() != 1 || in[0].dims[0] != c)
                return dsl::ShapeResult::fail("softmax_cross_entropy expects logits of shape [" + std::to_string(c) +
                                              "] for a classes(" + std::to_string(c) + ") target, got " + in[0].str());
            return dsl::ShapeResult::ok({});
        };
        spec_.params = [](const std::vector<dsl::Shape>&, const dsl::Attrs&) { return std::vector<dsl::ParamSpec>{}; };
        // One per logit (the exp-sum of the log-sum-exp), as softmax.
        spec_.macs = [](const std::vector<dsl::Shape>& in, const dsl::Shape&, const dsl::Attrs&) {
            return in[0].elements();
        };
    }
    const dsl::OpSpec& spec() const override { return spec_; }

    Func forward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                 const std::vector<Tensor>&) const override {
        const Func& z = in[0].func;
        const int classes = static_cast<int>(in[0].extent(0));
        Var n("n");
        RDom c(0, classes, "r_class");
        Func mx(ctx.func_name(node, "max")), lse(ctx.func_name(node, "lse"));
        mx(n) = maximum(z(c, n));
        lse(n) = mx(n) + log(sum(exp(z(c, n) - mx(n))));
        // Labels are validated by the runtime; the clamp only keeps accesses in bounds.
        RDom b(0, ctx.batch, "r_batch");
        Func loss(ctx.func_name(node, "fwd"));
        loss() = sum(lse(b) - z(clamp(in[1].func(b), 0, classes - 1), b)) / cast(ctx.type, ctx.batch);
        return loss;
    }

    Gradients backward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                       const std::vector<Tensor>&, const Tensor&, const Func& d_loss) const override {
        const int classes = static_cast<int>(in[0].extent(0));
        Var c("c"), n("n");
        Func p = softmax_probs(ctx, node, in[0]);
        Expr label = clamp(in[1].func(n), 0, classes - 1);
        Func dz(ctx.func_name(node, "d_logits"));
        dz(c, n) = (p(c, n) - select(c == label, one_of(ctx.type), zero_of(ctx.type))) *
                   (d_loss() / cast(ctx.type, ctx.batch));
        return {{dz, Func()}, {}};
    }

    Func predict(const LayerContext& ctx, const dsl::Node& node, const Tensor& logits) const override {
        return softmax_probs(ctx, node, logits);
    }

private:
    static Func softmax_probs(const LayerContext& ctx, const dsl::Node& node, const Tensor& logits) {
        const Func& z = logits.func;
        Var c("c"), n("n");
        RDom r(0, static_cast<int>(logits.extent(0)), "r_class");
        Func mx(ctx.func_name(node, "p_max")), den(ctx.func_name(node, "p_sum")), p(ctx.func_name(node, "probs"));
        mx(n) = maximum(z(r, n));
        den(n) = sum(exp(z(r, n) - mx(n)));
        p(c, n) = exp(z(c, n) - mx(n)) / den(n);
        return p;
    }

    dsl::OpSpec spec_;
};

}  // namespace
NNC_REGISTER_LAYER(SoftmaxCrossEntropy);
}  // namespace nnc::codegen
