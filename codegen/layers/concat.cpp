// concat(a, b, ..., axis=0): joins tensors along a per-sample axis (0: channels, for Inception
// branches); every other axis must match. Each input's gradient is its slice of the output's.
#include "codegen/layers/layer_registry.h"

namespace nnc::codegen {
namespace {

using namespace Halide;

class Concat final : public Layer {
public:
    Concat() {
        spec_.name = "concat";
        spec_.summary = "join tensors along a per-sample axis (0 = channels)";
        spec_.min_inputs = 2;
        spec_.max_inputs = -1;
        spec_.attrs = {{"axis",
                        dsl::AttrType::Int,
                        false,
                        dsl::AttrValue(int64_t(0)),
                        {},
                        "per-sample axis to join on (0 = channels)"}};
        spec_.shape = [](const std::vector<dsl::Shape>& in, const dsl::Attrs& a) {
            const int64_t axis = a.get_int("axis");
            const int64_t rank = static_cast<int64_t>(in[0].dims.size());
            if (axis < 0 || axis >= rank)
                return dsl::ShapeResult::fail("concat axis " + std::to_string(axis) + " is outside the input's " +
                                              std::to_string(rank) + " axes " + in[0].str());
            dsl::Shape out = in[0];
            for (size_t i = 1; i < in.size(); ++i) {
                bool ok = in[i].dims.size() == in[0].dims.size();
                for (size_t d = 0; ok && d < in[0].dims.size(); ++d)
                    ok = static_cast<int64_t>(d) == axis || in[i].dims[d] == in[0].dims[d];
                if (!ok)
                    return dsl::ShapeResult::fail("concat along axis " + std::to_string(axis) +
                                                  " needs every other axis equal, got " + in[0].str() + " and " +
                                                  in[i].str());
                out.dims[static_cast<size_t>(axis)] += in[i].dims[static_cast<size_t>(axis)];
            }
            return dsl::ShapeResult::ok(out);
        };
        spec_.params = [](const std::vector<dsl::Shape>&, const dsl::Attrs&) { return std::vector<dsl::ParamSpec>{}; };
        // Only copies.
        spec_.macs = [](const std::vector<dsl::Shape>&, const dsl::Shape&, const dsl::Attrs&) { return int64_t(0); };
    }
    const dsl::OpSpec& spec() const override { return spec_; }

    Func forward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                 const std::vector<Tensor>&) const override {
        const int d = halide_dim(node, in[0]);
        auto v = as_exprs(make_vars(in[0].rank()));
        // Last input first, then select earlier ones by their offset range.
        std::vector<int> offsets = offsets_of(node, in);
        auto at = [&](size_t i) {
            auto w = v;
            w[static_cast<size_t>(d)] =
                clamp(v[static_cast<size_t>(d)] - offsets[i], 0, static_cast<int>(in[i].extent(d)) - 1);
            return in[i].func(w);
        };
        Expr value = at(in.size() - 1);
        for (size_t i = in.size() - 1; i-- > 0;)
            value = select(v[static_cast<size_t>(d)] < offsets[i + 1], at(i), value);
        Func out(ctx.func_name(node, "fwd"));
        out(v) = value;
        return out;
    }

    Gradients backward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                       const std::vector<Tensor>&, const Tensor&, const Func& dy) const override {
        const int d = halide_dim(node, in[0]);
        std::vector<int> offsets = offsets_of(node, in);
        Gradients g;
        for (size_t i = 0; i < in.size(); ++i) {
            auto v = as_exprs(make_vars(in[i].rank()));
            auto w = v;
            w[static_cast<size_t>(d)] = v[static_cast<size_t>(d)] + offsets[i];
            Func dx(ctx.func_name(node, "d_input" + std::to_string(i)));
            dx(v) = dy(w);
            g.d_inputs.push_back(dx);
        }
        return g;
    }

private:
    static int halide_dim(const dsl::Node& node, const Tensor& t) {
        return static_cast<int>(t.shape.dims.size()) - 1 - static_cast<int>(node.attrs.get_int("axis"));
    }
    static std::vector<int> offsets_of(const dsl::Node& node, const std::vector<Tensor>& in) {
        const size_t axis = static_cast<size_t>(node.attrs.get_int("axis"));
        std::vector<int> offsets{0};
        for (size_t i = 0; i + 1 < in.size(); ++i)
            offsets.push_back(offsets.back() + static_cast<int>(in[i].shape.dims[axis]));
        return offsets;
    }

    dsl::OpSpec spec_;
};

}  // namespace
NNC_REGISTER_LAYER(Concat);
}  // namespace nnc::codegen
