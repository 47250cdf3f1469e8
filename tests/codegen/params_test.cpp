// The parameter list codegen hands to the descriptor: order (trainables, then states) and the
// per-parameter settings that come from layer attributes (max_norm).
#include <gtest/gtest.h>

#include "codegen/lower/model_params.h"
#include "tests/codegen/graph_builder.h"

namespace nnc {
namespace {

TEST(Params, DenseMaxNormReachesTheWeightOnly) {
    test::GraphBuilder g;
    int fc = g.layer("fc", "dense", {g.input("x", {5})}, {{"units", int64_t(3)}, {"max_norm", 2.5}});
    g.layer("loss", "mse", {fc, g.real_target("y", {3})});
    const auto params = codegen::collect_params(g.model(), codegen::layer_catalog());
    ASSERT_EQ(params.size(), 2u);
    EXPECT_EQ(params[0].full_name, "fc.weight");
    EXPECT_DOUBLE_EQ(params[0].spec.max_norm, 2.5);
    EXPECT_EQ(params[1].full_name, "fc.bias");
    EXPECT_DOUBLE_EQ(params[1].spec.max_norm, 0.0);
}

TEST(Params, NegativeMaxNormIsAShapeError) {
    test::GraphBuilder g;
    EXPECT_THROW(g.layer("fc", "dense", {g.input("x", {5})}, {{"units", int64_t(3)}, {"max_norm", -1.0}}),
                 std::runtime_error);
}

TEST(Params, StatesFollowEveryTrainableParameter) {
    test::GraphBuilder g;
    int x = g.input("x", {4});
    int bn = g.layer("bn", "batchnorm", {x});
    int fc = g.layer("fc", "dense", {bn}, {{"units", int64_t(2)}});
    g.layer("loss", "mse", {fc, g.real_target("y", {2})});
    std::vector<std::string> names;
    for (const auto& p : codegen::collect_params(g.model(), codegen::layer_catalog())) names.push_back(p.full_name);
    EXPECT_EQ(names, (std::vector<std::string>{"bn.weight", "bn.bias", "fc.weight", "fc.bias", "bn.running_mean",
                                               "bn.running_var"}));
}

}  // namespace
}  // namespace nnc

namespace nnc {
namespace {

TEST(Params, ConvMaxNormCountsFiltersAsUnits) {
    test::GraphBuilder g;
    int c = g.layer("c", "conv2d", {g.input("x", {2, 5, 5})}, {{"filters", int64_t(3)}, {"max_norm", 3.0}});
    int p = g.layer("p", "global_avgpool", {c});
    g.layer("loss", "mse", {p, g.real_target("y", {3})});
    const auto params = codegen::collect_params(g.model(), codegen::layer_catalog());
    ASSERT_EQ(params[0].full_name, "c.weight");
    EXPECT_DOUBLE_EQ(params[0].spec.max_norm, 3.0);
    EXPECT_TRUE(params[0].spec.units_first);
    EXPECT_DOUBLE_EQ(params[1].spec.max_norm, 0.0);  // the bias is not constrained
}

}  // namespace
}  // namespace nnc
