// relu(x) = max(x, 0). The derivative at 0 is taken as 0, as PyTorch does.
#include "codegen/layers/elementwise.h"

namespace nnc::codegen {
namespace {

class Relu final : public ElementwiseLayer {
public:
    Relu() : ElementwiseLayer("relu", "rectified linear unit: max(x, 0)") {}

protected:
    Halide::Expr f(Halide::Expr x) const override { return Halide::max(x, zero_of(x.type())); }
    Halide::Expr df(Halide::Expr x, Halide::Expr) const override {
        return Halide::select(x > 0, one_of(x.type()), zero_of(x.type()));
    }
};

}  // namespace
NNC_REGISTER_LAYER(Relu);
}  // namespace nnc::codegen
