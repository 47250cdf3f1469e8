// mse(prediction, target): mean over every element of (p - t)^2, as torch.nn.MSELoss.
#include "codegen/layers/elementwise_loss.h"

namespace nnc::codegen {
namespace {

class Mse final : public ElementwiseLoss {
public:
    Mse() : ElementwiseLoss("mse", "mean squared error (L2 regression)") {}

protected:
    Halide::Expr element_loss(Halide::Expr p, Halide::Expr t) const override { return (p - t) * (p - t); }
    Halide::Expr element_grad(Halide::Expr p, Halide::Expr t) const override { return 2 * (p - t); }
};

}  // namespace
NNC_REGISTER_LAYER(Mse);
}  // namespace nnc::codegen
