// add(a, b, ...): elementwise sum of equal-shaped tensors (residual connections). Each input's
// gradient is the output gradient.
#include "codegen/layers/layer_registry.h"

namespace nnc::codegen {
namespace {

using namespace Halide;

class Add final : public Layer {
public:
    Add() {
        spec_.name = "add";
        spec_.summary = "elementwise sum of equal-shaped tensors (residual connections)";
        spec_.min_inputs = 2;
        spec_.max_inputs = -1;
        spec_.shape = [](const std::vector<dsl::Shape>& in, const dsl::Attrs&) {
            for (size_t i = 1; i < in.size(); ++i)
                if (in[i] != in[0])
                    return dsl::ShapeResult::fail("add needs equal shapes, got " + in[0].str() + " and " + in[i].str() +
                                                  " (input " + std::to_string(i + 1) +
                                                  "); project one with a 1x1 conv2d or a dense layer");
            return dsl::ShapeResult::ok(in[0]);
        };
        spec_.params = [](const std::vector<dsl::Shape>&, const dsl::Attrs&) { return std::vector<dsl::ParamSpec>{}; };
        // One add per output element for each input after the first.
        spec_.macs = [](const std::vector<dsl::Shape>& in, const dsl::Shape& out, const dsl::Attrs&) {
            return out.elements() * static_cast<int64_t>(in.size() - 1);
        };
    }
    const dsl::OpSpec& spec() const override { return spec_; }

    Func forward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                 const std::vector<Tensor>&) const override {
        auto v = as_exprs(make_vars(in[0].rank()));
        Expr sum = in[0].func(v);
        for (size_t i = 1; i < in.size(); ++i) sum = sum + in[i].func(v);
        Func out(ctx.func_name(node, "fwd"));
        out(v) = sum;
        return out;
    }

    Gradients backward(const LayerContext&, const dsl::Node&, const std::vector<Tensor>& in, const std::vector<Tensor>&,
                       const Tensor&, const Func& dy) const override {
        return {std::vector<Func>(in.size(), dy), {}};
    }

private:
    dsl::OpSpec spec_;
};

}  // namespace
NNC_REGISTER_LAYER(Add);
}  // namespace nnc::codegen
