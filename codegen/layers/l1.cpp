// l1(prediction, target): mean over every element of |p - t|, as torch.nn.L1Loss (whose
// gradient at p == t is 0).
#include "codegen/layers/elementwise_loss.h"

namespace nnc::codegen {
namespace {

class L1 final : public ElementwiseLoss {
public:
    L1() : ElementwiseLoss("l1", "mean absolute error") {}

protected:
    Halide::Expr element_loss(Halide::Expr p, Halide::Expr t) const override { return Halide::abs(p - t); }
    Halide::Expr element_grad(Halide::Expr p, Halide::Expr t) const override {
        const Halide::Type ty = p.type();
        return Halide::select(p > t, one_of(ty), Halide::select(p < t, -one_of(ty), zero_of(ty)));
    }
};

}  // namespace
NNC_REGISTER_LAYER(L1);
}  // namespace nnc::codegen
