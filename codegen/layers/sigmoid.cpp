// sigmoid(x) = 1 / (1 + exp(-x)).
#include "codegen/layers/elementwise.h"

namespace nnc::codegen {
namespace {

class Sigmoid final : public ElementwiseLayer {
public:
    Sigmoid() : ElementwiseLayer("sigmoid", "logistic function 1 / (1 + exp(-x))") {}

protected:
    Halide::Expr f(Halide::Expr x) const override {
        Halide::Expr one = one_of(x.type());
        return one / (one + Halide::exp(-x));
    }
    Halide::Expr df(Halide::Expr, Halide::Expr y) const override { return y * (one_of(y.type()) - y); }
};

}  // namespace
NNC_REGISTER_LAYER(Sigmoid);
}  // namespace nnc::codegen
