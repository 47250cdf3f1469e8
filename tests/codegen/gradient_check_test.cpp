// Every layer's backward against float64 central finite differences of its own forward
// (tests/codegen/gradient_check.h). A layer's input gradient is checked too: the harness asks
// the pipeline for the gradient w.r.t. the model input.
#include "tests/codegen/gradient_check.h"

namespace nnc {
namespace {

using gradcheck::expect_gradients_match;

NNC_GRADIENT_CHECKED("add", "avgpool2d", "concat", "conv2d", "dense", "flatten", "global_avgpool", "l1", "leaky_relu",
                     "linear", "maxpool2d", "mse", "relu", "reshape", "sigmoid", "sigmoid_binary_cross_entropy",
                     "softmax", "softmax_cross_entropy", "tanh");

// x [5] -> dense(6) -> <op> -> mse against a real target.
dsl::CheckedModel activation_model(const std::string& op) {
    test::GraphBuilder g;
    int x = g.input("x", {5});
    int pre = g.layer("pre", "dense", {x}, {{"units", int64_t(6)}});
    int act = g.layer("act", op, {pre});
    int t = g.real_target("y", {6});
    g.layer("loss", "mse", {act, t});
    return g.model();
}

TEST(GradientCheck, Dense) {
    test::GraphBuilder g;
    int x = g.input("x", {5});
    int pre = g.layer("pre", "dense", {x}, {{"units", int64_t(7)}});
    int d = g.layer("fc", "dense", {pre}, {{"units", int64_t(3)}});
    int t = g.real_target("y", {3});
    g.layer("loss", "mse", {d, t});
    expect_gradients_match(g.model());
}

TEST(GradientCheck, DenseWithoutBias) {
    test::GraphBuilder g;
    int x = g.input("x", {4});
    int d = g.layer("fc", "dense", {x}, {{"units", int64_t(5)}, {"bias", false}});
    int t = g.real_target("y", {5});
    g.layer("loss", "mse", {d, t});
    expect_gradients_match(g.model());
}

TEST(GradientCheck, Relu) { expect_gradients_match(activation_model("relu")); }
TEST(GradientCheck, Tanh) { expect_gradients_match(activation_model("tanh")); }
TEST(GradientCheck, Sigmoid) { expect_gradients_match(activation_model("sigmoid")); }
TEST(GradientCheck, Softmax) { expect_gradients_match(activation_model("softmax")); }

TEST(GradientCheck, SoftmaxCrossEntropy) {
    test::GraphBuilder g;
    int x = g.input("x", {5});
    int logits = g.layer("fc", "dense", {x}, {{"units", int64_t(4)}});
    int label = g.classes("label", 4);
    g.layer("loss", "softmax_cross_entropy", {logits, label});
    expect_gradients_match(g.model());
}

// The foundation's model, shrunk: every parameter tensor of a three-layer MLP.
TEST(GradientCheck, Mlp) {
    test::GraphBuilder g;
    int x = g.input("image", {9});
    int h1 = g.layer("h1", "relu", {g.layer("fc1", "dense", {x}, {{"units", int64_t(8)}})});
    int h2 = g.layer("h2", "relu", {g.layer("fc2", "dense", {h1}, {{"units", int64_t(7)}})});
    int logits = g.layer("logits", "dense", {h2}, {{"units", int64_t(3)}});
    g.layer("loss", "softmax_cross_entropy", {logits, g.classes("label", 3)});
    expect_gradients_match(g.model());
}

using Attrs = std::map<std::string, dsl::AttrValue>;

// x (C, H, W) -> op(attrs) -> flatten -> mse against a real target.
dsl::CheckedModel spatial_model(const std::string& op, std::vector<int64_t> in_dims, Attrs attrs) {
    test::GraphBuilder g;
    int x = g.input("x", std::move(in_dims));
    int y = g.layer("op", op, {x}, std::move(attrs));
    int flat = g.layer("flat", "flatten", {y});
    int64_t n = g.model().node(flat).shape.dims[0];
    g.layer("loss", "mse", {flat, g.real_target("t", {n})});
    return g.model();
}

TEST(GradientCheck, Conv2dSame) {
    expect_gradients_match(spatial_model("conv2d", {2, 7, 6}, {{"filters", int64_t(3)}}));
}
TEST(GradientCheck, Conv2dStride2Valid) {
    expect_gradients_match(spatial_model(
        "conv2d", {3, 7, 8}, {{"filters", int64_t(2)}, {"stride", int64_t(2)}, {"padding", std::string("valid")}}));
}
TEST(GradientCheck, Conv2dStride2Same) {
    expect_gradients_match(spatial_model("conv2d", {2, 6, 7}, {{"filters", int64_t(5)}, {"stride", int64_t(2)}}));
}
TEST(GradientCheck, Conv2dDilatedExplicitPadNoBias) {
    expect_gradients_match(
        spatial_model("conv2d", {2, 7, 7},
                      {{"filters", int64_t(2)}, {"dilation", int64_t(2)}, {"pad", int64_t(1)}, {"bias", false}}));
}
TEST(GradientCheck, Conv2d1x1AndWideImage) {
    // 19 columns: more than one 16-lane block of d_weight, with a ragged tail.
    expect_gradients_match(spatial_model("conv2d", {2, 3, 19}, {{"filters", int64_t(4)}, {"kernel", int64_t(1)}}));
}
TEST(GradientCheck, Conv2dKernel5Stride3) {
    expect_gradients_match(
        spatial_model("conv2d", {1, 9, 10},
                      {{"filters", int64_t(2)}, {"kernel", int64_t(5)}, {"stride", int64_t(3)}, {"pad", int64_t(1)}}));
}
TEST(GradientCheck, MaxPool2d) { expect_gradients_match(spatial_model("maxpool2d", {2, 6, 5}, {})); }
TEST(GradientCheck, MaxPool2dOverlappingPadded) {
    expect_gradients_match(
        spatial_model("maxpool2d", {2, 7, 6}, {{"kernel", int64_t(3)}, {"stride", int64_t(2)}, {"pad", int64_t(1)}}));
}
TEST(GradientCheck, AvgPool2d) { expect_gradients_match(spatial_model("avgpool2d", {2, 6, 5}, {})); }
TEST(GradientCheck, AvgPool2dOverlappingPadded) {
    expect_gradients_match(
        spatial_model("avgpool2d", {2, 7, 6}, {{"kernel", int64_t(3)}, {"stride", int64_t(2)}, {"pad", int64_t(1)}}));
}
TEST(GradientCheck, GlobalAvgPool) {
    test::GraphBuilder g;
    int y = g.layer("gap", "global_avgpool", {g.input("x", {3, 4, 5})});
    g.layer("loss", "mse", {y, g.real_target("t", {3})});
    expect_gradients_match(g.model());
}
TEST(GradientCheck, Reshape) {
    test::GraphBuilder g;
    int y = g.layer("r", "reshape", {g.input("x", {12})}, {{"shape", std::vector<int64_t>{3, -1}}});
    g.layer("loss", "mse", {y, g.real_target("t", {3, 4})});
    expect_gradients_match(g.model());
}
TEST(GradientCheck, AddWithSharedInput) {
    // fc feeds add twice and b once: the gradients into fc must accumulate.
    test::GraphBuilder g;
    int fc = g.layer("fc", "dense", {g.input("x", {5})}, {{"units", int64_t(6)}});
    int b = g.layer("b", "dense", {fc}, {{"units", int64_t(6)}});
    int sum = g.layer("sum", "add", {fc, b, fc});
    g.layer("loss", "mse", {sum, g.real_target("t", {6})});
    expect_gradients_match(g.model());
}
TEST(GradientCheck, ConcatChannels) {
    test::GraphBuilder g;
    int x = g.input("x", {2, 4, 3});
    int a = g.layer("a", "conv2d", {x}, {{"filters", int64_t(3)}});
    int b = g.layer("b", "conv2d", {x}, {{"filters", int64_t(2)}, {"kernel", int64_t(1)}});
    int c = g.layer("cat", "concat", {a, b, x});
    int flat = g.layer("flat", "flatten", {c});
    g.layer("loss", "mse", {flat, g.real_target("t", {7 * 4 * 3})});
    expect_gradients_match(g.model());
}
TEST(GradientCheck, ConcatLastAxis) {
    test::GraphBuilder g;
    int x = g.input("x", {4});
    int a = g.layer("a", "dense", {x}, {{"units", int64_t(3)}});
    int c = g.layer("cat", "concat", {a, x}, {{"axis", int64_t(0)}});
    g.layer("loss", "mse", {c, g.real_target("t", {7})});
    expect_gradients_match(g.model());
}
TEST(GradientCheck, LeakyRelu) { expect_gradients_match(activation_model("leaky_relu")); }
TEST(GradientCheck, Linear) { expect_gradients_match(activation_model("linear")); }

dsl::CheckedModel real_loss_model(const std::string& loss) {
    test::GraphBuilder g;
    int fc = g.layer("fc", "dense", {g.input("x", {5})}, {{"units", int64_t(4)}});
    g.layer("loss", loss, {fc, g.real_target("t", {4})});
    return g.model();
}
TEST(GradientCheck, L1) { expect_gradients_match(real_loss_model("l1")); }
TEST(GradientCheck, SigmoidBinaryCrossEntropy) {
    expect_gradients_match(real_loss_model("sigmoid_binary_cross_entropy"));
}

// A small CNN end to end: conv, relu, maxpool, conv stride 2, global pooling, dense, softmax CE.
TEST(GradientCheck, SmallCnn) {
    test::GraphBuilder g;
    int x = g.input("image", {1, 8, 8});
    int c1 = g.layer("c1", "relu", {g.layer("conv1", "conv2d", {x}, {{"filters", int64_t(4)}})});
    int p1 = g.layer("p1", "maxpool2d", {c1});
    int c2 =
        g.layer("c2", "relu", {g.layer("conv2", "conv2d", {p1}, {{"filters", int64_t(4)}, {"stride", int64_t(2)}})});
    int gp = g.layer("gap", "global_avgpool", {c2});
    int logits = g.layer("logits", "dense", {gp}, {{"units", int64_t(3)}});
    g.layer("loss", "softmax_cross_entropy", {logits, g.classes("label", 3)});
    expect_gradients_match(g.model());
}

// Every registered layer appears in some gradient-check file (NNC_GRADIENT_CHECKED there).
TEST(GradientCheck, CoversEveryRegisteredLayer) {
    const std::vector<std::string> names = codegen::layer_catalog().names();
    const std::set<std::string> registered(names.begin(), names.end());
    EXPECT_EQ(registered, gradcheck::checked_ops());
}

}  // namespace
}  // namespace nnc
