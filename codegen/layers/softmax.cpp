// softmax(x, axis=-1) over one per-sample axis (the last by default):
// y = exp(x - max) / sum(exp(x - max)). Backward: dx = y * (dy - sum(dy * y)) over the same axis.
#include "codegen/layers/layer_registry.h"

namespace nnc::codegen {
namespace {

using namespace Halide;

// The Halide dimension (0 = innermost) of a per-sample axis written as in torch: 0 is the
// outermost per-sample axis, -1 the last.
int halide_dim(const dsl::Shape& s, const dsl::Attrs& a) {
    const int64_t axis = a.has("axis") ? a.get_int("axis") : -1;
    const int64_t rank = static_cast<int64_t>(s.dims.size());
    return static_cast<int>(rank - 1 - (axis < 0 ? axis + rank : axis));
}

// The coordinates `v` with the softmax axis `d` removed (rest) or replaced by `r` (at_r).
struct AxisSplit {
    std::vector<Expr> rest, at_r;
    AxisSplit(const std::vector<Expr>& v, int d, Expr r) {
        for (int i = 0; i < static_cast<int>(v.size()); ++i) {
            if (i != d) rest.push_back(v[static_cast<size_t>(i)]);
            at_r.push_back(i == d ? r : v[static_cast<size_t>(i)]);
        }
    }
};

class Softmax final : public Layer {
public:
    Softmax() {
        spec_.name = "softmax";
        spec_.summary = "softmax over one axis (the last by default)";
        spec_.attrs = {{"axis",
                        dsl::AttrType::Int,
                        false,
                        dsl::AttrValue(int64_t(-1)),
                        {},
                        "per-sample axis to normalize over: 0 the first, -1 the last (torch's dim, less the batch)"}};
        spec_.shape = [](const std::vector<dsl::Shape>& in, const dsl::Attrs& a) {
            if (in[0].dims.empty()) return dsl::ShapeResult::fail("softmax needs at least one axis, got a scalar");
            const int64_t rank = static_cast<int64_t>(in[0].dims.size()), axis = a.get_int("axis");
            if (axis < -rank || axis >= rank)
                return dsl::ShapeResult::fail("softmax axis " + std::to_string(axis) + " is out of range for " +
                                              in[0].str() + ": use -" + std::to_string(rank) + " to " +
                                              std::to_string(rank - 1));
            return dsl::ShapeResult::ok(in[0]);
        };
        spec_.params = [](const std::vector<dsl::Shape>&, const dsl::Attrs&) { return std::vector<dsl::ParamSpec>{}; };
        // One per element, as the elementwise activations (elementwise.h): the exp-sum.
        spec_.macs = [](const std::vector<dsl::Shape>&, const dsl::Shape& out, const dsl::Attrs&) {
            return out.elements();
        };
    }
    const dsl::OpSpec& spec() const override { return spec_; }

    Func forward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                 const std::vector<Tensor>&) const override {
        const Tensor& x = in[0];
        const int d = halide_dim(x.shape, node.attrs);
        auto v = as_exprs(make_vars(x.rank()));
        RDom r(0, static_cast<int>(x.extent(d)), "r_class");
        const AxisSplit s(v, d, r.x);

        Func mx(ctx.func_name(node, "max")), den(ctx.func_name(node, "sum")), y(ctx.func_name(node, "fwd"));
        mx(s.rest) = maximum(x.func(s.at_r));
        den(s.rest) = sum(exp(x.func(s.at_r) - mx(s.rest)));
        y(v) = exp(x.func(v) - mx(s.rest)) / den(s.rest);
        return y;
    }

    Gradients backward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                       const std::vector<Tensor>&, const Tensor& out, const Func& dy) const override {
        const int d = halide_dim(in[0].shape, node.attrs);
        auto v = as_exprs(make_vars(in[0].rank()));
        RDom r(0, static_cast<int>(in[0].extent(d)), "r_class");
        const AxisSplit s(v, d, r.x);

        Func dot(ctx.func_name(node, "dot")), dx(ctx.func_name(node, "d_input"));
        dot(s.rest) = sum(dy(s.at_r) * out.func(s.at_r));
        dx(v) = out.func(v) * (dy(v) - dot(s.rest));
        return {{dx}, {}};
    }

private:
    dsl::OpSpec spec_;
};

}  // namespace
NNC_REGISTER_LAYER(Softmax);
}  // namespace nnc::codegen
