// batchnorm and dropout backward against float64 central finite differences of their training
// forward (tests/codegen/gradient_check.h). Training mode: batch norm normalizes with the batch
// statistics, so d_input includes the path through the mean and variance; dropout's mask is a
// function of the harness's fixed seed, so the loss is a smooth function of every input.
#include "tests/codegen/gradient_check.h"

namespace nnc {
namespace {

using gradcheck::expect_gradients_match;
using Attrs = std::map<std::string, dsl::AttrValue>;

NNC_GRADIENT_CHECKED("batchnorm", "dropout");

// x [F] -> batchnorm -> dense(3) -> mse: the input's gradient goes through the batch statistics.
dsl::CheckedModel bn_features(int64_t f, Attrs attrs) {
    test::GraphBuilder g;
    int x = g.input("x", {f});
    int bn = g.layer("bn", "batchnorm", {x}, std::move(attrs));
    int fc = g.layer("fc", "dense", {bn}, {{"units", int64_t(3)}});
    g.layer("loss", "mse", {fc, g.real_target("t", {3})});
    return g.model();
}

// x (C, H, W) -> batchnorm -> flatten -> mse.
dsl::CheckedModel bn_channels(std::vector<int64_t> dims, Attrs attrs) {
    test::GraphBuilder g;
    int x = g.input("x", std::move(dims));
    int bn = g.layer("bn", "batchnorm", {x}, std::move(attrs));
    int flat = g.layer("flat", "flatten", {bn});
    const int64_t n = g.model().node(flat).shape.dims[0];
    g.layer("loss", "mse", {flat, g.real_target("t", {n})});
    return g.model();
}

TEST(GradientCheckNorm, BatchNormFeatures) { expect_gradients_match(bn_features(5, {})); }
TEST(GradientCheckNorm, BatchNormFeaturesNoAffine) { expect_gradients_match(bn_features(4, {{"affine", false}})); }
// More features than one vector of the [F] reduction, with a ragged tail.
TEST(GradientCheckNorm, BatchNormManyFeatures) { expect_gradients_match(bn_features(19, {{"eps", 1e-3}})); }

TEST(GradientCheckNorm, BatchNormChannels) { expect_gradients_match(bn_channels({3, 5, 5}, {})); }
TEST(GradientCheckNorm, BatchNormChannelsNoAffine) {
    expect_gradients_match(bn_channels({3, 5, 5}, {{"affine", false}}));
}
// 19 columns (prime): two 16-lane blocks of the per-channel sums, the second masked; 18 columns:
// two blocks of 9 lanes.
TEST(GradientCheckNorm, BatchNormWideImage) { expect_gradients_match(bn_channels({2, 3, 19}, {{"momentum", 0.5}})); }
TEST(GradientCheckNorm, BatchNormWideImageDivisibleRows) { expect_gradients_match(bn_channels({2, 2, 18}, {})); }

// conv -> bn -> relu -> maxpool -> dense -> softmax CE, the fashion_cnn unit in small.
dsl::CheckedModel conv_bn_model(bool affine) {
    test::GraphBuilder g;
    int x = g.input("image", {2, 6, 6});
    int conv = g.layer("conv", "conv2d", {x}, {{"filters", int64_t(3)}});
    int bn = g.layer("bn", "batchnorm", {conv}, {{"affine", affine}});
    int pool = g.layer("pool", "maxpool2d", {g.layer("act", "relu", {bn})});
    int flat = g.layer("flat", "flatten", {pool});
    int logits = g.layer("logits", "dense", {flat}, {{"units", int64_t(4)}});
    g.layer("loss", "softmax_cross_entropy", {logits, g.classes("label", 4)});
    return g.model();
}
TEST(GradientCheckNorm, ConvBatchNormReluPool) { expect_gradients_match(conv_bn_model(true)); }
TEST(GradientCheckNorm, ConvBatchNormReluPoolNoAffine) { expect_gradients_match(conv_bn_model(false)); }

// dense -> relu -> dropout(0.3) -> dense -> mse.
TEST(GradientCheckNorm, DropoutBetweenDense) {
    test::GraphBuilder g;
    int x = g.input("x", {6});
    int h = g.layer("h", "relu", {g.layer("fc1", "dense", {x}, {{"units", int64_t(9)}})});
    int d = g.layer("drop", "dropout", {h}, {{"rate", 0.3}});
    int fc2 = g.layer("fc2", "dense", {d}, {{"units", int64_t(3)}});
    g.layer("loss", "mse", {fc2, g.real_target("t", {3})});
    expect_gradients_match(g.model());
}

// Dropout directly on a (C, H, W) input, so the input's gradient is the mask itself.
TEST(GradientCheckNorm, DropoutOnImage) {
    test::GraphBuilder g;
    int d = g.layer("drop", "dropout", {g.input("x", {2, 3, 5})}, {{"rate", 0.3}});
    int flat = g.layer("flat", "flatten", {d});
    g.layer("loss", "mse", {flat, g.real_target("t", {30})});
    expect_gradients_match(g.model());
}

}  // namespace
}  // namespace nnc
