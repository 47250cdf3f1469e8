// sigmoid_binary_cross_entropy(logits, target): binary and multi-label classification with
// targets in [0, 1], as torch.nn.BCEWithLogitsLoss: the mean over every element of
// max(z, 0) - z t + log(1 + exp(-|z|)) — stable for any z; the gradient is sigmoid(z) - t.
// Inference returns the probabilities sigmoid(z).
#include "codegen/layers/elementwise_loss.h"

namespace nnc::codegen {
namespace {

class SigmoidBinaryCrossEntropy final : public ElementwiseLoss {
public:
    SigmoidBinaryCrossEntropy()
        : ElementwiseLoss("sigmoid_binary_cross_entropy", "sigmoid + binary cross-entropy (binary, multi-label)") {}

    Halide::Func predict(const LayerContext& ctx, const dsl::Node& node, const Tensor& logits) const override {
        auto v = as_exprs(make_vars(logits.rank()));
        Halide::Func p(ctx.func_name(node, "probs"));
        p(v) = one_of(ctx.type) / (one_of(ctx.type) + Halide::exp(-logits.func(v)));
        return p;
    }

protected:
    Halide::Expr element_loss(Halide::Expr z, Halide::Expr t) const override {
        return Halide::max(z, zero_of(z.type())) - z * t + Halide::log(one_of(z.type()) + Halide::exp(-Halide::abs(z)));
    }
    Halide::Expr element_grad(Halide::Expr z, Halide::Expr t) const override {
        return one_of(z.type()) / (one_of(z.type()) + Halide::exp(-z)) - t;
    }
};

}  // namespace
NNC_REGISTER_LAYER(SigmoidBinaryCrossEntropy);
}  // namespace nnc::codegen
