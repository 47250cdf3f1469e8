// dense, relu, tanh, sigmoid, softmax, softmax_cross_entropy, mse — shape rules only.
#include "tests/dsl/test_catalog.h"

namespace nnc::dsl::testing {
namespace {

std::vector<ParamSpec> no_params(const std::vector<Shape>&, const Attrs&) { return {}; }

OpSpec dense() {
    OpSpec s;
    s.name = "dense";
    s.summary = "fully connected layer: y = x W + b";
    s.attrs = {
        {"units", AttrType::Int, true, std::nullopt, {}, "number of outputs"},
        {"init", AttrType::Init, false, AttrValue(InitSpec{"he_normal", 0.0}), {}, "weight initializer"},
        {"bias", AttrType::Bool, false, AttrValue(true), {}, "add a learned bias"},
    };
    s.shape = [](const std::vector<Shape>& in, const Attrs& a) {
        if (in[0].dims.size() != 1)
            return ShapeResult::fail("dense expects a rank-1 input, got " + in[0].str() + "; insert flatten() before it");
        if (a.get_int("units") <= 0) return ShapeResult::fail("dense needs units > 0");
        return ShapeResult::ok({{a.get_int("units")}});
    };
    s.params = [](const std::vector<Shape>& in, const Attrs& a) {
        const int64_t n_in = in[0].dims.at(0), n_out = a.get_int("units");
        std::vector<ParamSpec> ps;
        ps.push_back({"weight", {{n_in, n_out}}, a.get_init("init"), n_in, n_out});
        if (a.get_bool("bias")) ps.push_back({"bias", {{n_out}}, InitSpec{"zeros", 0.0}, n_in, n_out});
        return ps;
    };
    return s;
}

OpSpec elementwise(const std::string& name, const std::string& summary) {
    OpSpec s;
    s.name = name;
    s.summary = summary;
    s.shape = [](const std::vector<Shape>& in, const Attrs&) { return ShapeResult::ok(in[0]); };
    s.params = no_params;
    return s;
}

OpSpec softmax() {
    OpSpec s = elementwise("softmax", "softmax over the last axis");
    s.shape = [](const std::vector<Shape>& in, const Attrs&) {
        if (in[0].dims.empty()) return ShapeResult::fail("softmax needs at least one axis, got a scalar");
        return ShapeResult::ok(in[0]);
    };
    return s;
}

OpSpec softmax_cross_entropy() {
    OpSpec s;
    s.name = "softmax_cross_entropy";
    s.kind = OpKind::Loss;
    s.min_inputs = s.max_inputs = 2;
    s.summary = "softmax + cross-entropy against class indices (classification)";
    s.shape = [](const std::vector<Shape>& in, const Attrs& a) {
        const bool classes = a.has("target_kind") && a.get_string("target_kind") == "classes";
        if (!classes)
            return ShapeResult::fail("softmax_cross_entropy needs a classes(C) target, got a real target " +
                                     in[1].str() + "; use mse for regression");
        const int64_t c = a.get_int("num_classes");
        if (in[0].dims.size() != 1 || in[0].dims[0] != c)
            return ShapeResult::fail("softmax_cross_entropy expects logits of shape [" + std::to_string(c) +
                                     "] for a classes(" + std::to_string(c) + ") target, got " + in[0].str());
        return ShapeResult::ok({});
    };
    s.params = no_params;
    return s;
}

OpSpec mse() {
    OpSpec s;
    s.name = "mse";
    s.kind = OpKind::Loss;
    s.min_inputs = s.max_inputs = 2;
    s.summary = "mean squared error (L2 regression)";
    s.shape = [](const std::vector<Shape>& in, const Attrs& a) {
        if (a.has("target_kind") && a.get_string("target_kind") == "classes")
            return ShapeResult::fail("mse needs a real target, got a classes target; "
                                     "use softmax_cross_entropy for classification");
        if (in[0] != in[1])
            return ShapeResult::fail("mse prediction " + in[0].str() + " and target " + in[1].str() + " differ in shape");
        return ShapeResult::ok({});
    };
    s.params = no_params;
    return s;
}

}  // namespace

TestCatalog::TestCatalog() {
    for (OpSpec s : {dense(), elementwise("relu", "max(x, 0)"), elementwise("tanh", "hyperbolic tangent"),
                     elementwise("sigmoid", "1 / (1 + exp(-x))"), softmax(), softmax_cross_entropy(), mse()})
        ops_[s.name] = std::move(s);
}

const OpSpec* TestCatalog::find(const std::string& name) const {
    auto it = ops_.find(name);
    return it == ops_.end() ? nullptr : &it->second;
}

std::vector<std::string> TestCatalog::names() const {
    std::vector<std::string> out;
    for (const auto& [name, _] : ops_) out.push_back(name);
    return out;
}

const OpCatalog& test_catalog() {
    static const TestCatalog catalog;
    return catalog;
}

}  // namespace nnc::dsl::testing
