// Numerical safety: the losses and activations at extreme logits (±1e4, where exp overflows
// float32 and float64 alike) give finite losses and gradients, in float32 as models are built.
// softmax_cross_entropy is computed as log-sum-exp with the maximum subtracted and
// sigmoid_binary_cross_entropy as max(z, 0) - z t + log(1 + exp(-|z|)); these tests hold them to it.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "codegen/emit/host_target.h"
#include "codegen/lower/estimates.h"
#include "codegen/lower/lowering.h"
#include "codegen/schedule/scheduler.h"
#include "tests/codegen/graph_builder.h"

namespace nnc {
namespace {

using Halide::Buffer;

struct Outcome {
    double loss = 0;
    std::vector<float> prediction;  // (N, C) row-major
    std::vector<float> d_input;     // (N, C) row-major: the gradient of the loss at the logits
};

// Lowers `model` for training in float32 with the build's template schedule, JIT-compiles it and
// runs one step on `x` (N rows of C values) and `target` (class ids or real values).
Outcome train_step(const dsl::CheckedModel& model, const std::vector<std::vector<float>>& x, const Buffer<>& target) {
    const int n = static_cast<int>(x.size()), c = static_cast<int>(x[0].size());
    codegen::LoweredPipeline lowered = codegen::lower_training(model, Halide::Float(32), n, /*input_gradient=*/true);
    codegen::set_output_estimates(lowered, n);
    Halide::Pipeline pipeline = lowered.pipeline();
    codegen::schedule_pipeline(pipeline, model, lowered.batch, *lowered.records, codegen::host_target(),
                               codegen::ScheduleOptions{});
    Buffer<float> input(c, n);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < c; ++j) input(j, i) = x[static_cast<size_t>(i)][static_cast<size_t>(j)];
    lowered.input.set(input);
    lowered.targets.at(0).set(target);
    if (lowered.has_seed) lowered.seed.set(1);
    // Outputs: loss, losses[1], predictions[1], d_input (no parameters).
    std::vector<Buffer<>> outs = {Buffer<float>::make_scalar(), Buffer<float>::make_scalar(), Buffer<float>(c, n),
                                  Buffer<float>(c, n)};
    EXPECT_EQ(lowered.outputs.size(), outs.size());
    pipeline.realize(Halide::Realization(outs), codegen::host_target());
    Outcome o;
    o.loss = Buffer<float>(outs[0])();
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < c; ++j) {
            o.prediction.push_back(Buffer<float>(outs[2])(j, i));
            o.d_input.push_back(Buffer<float>(outs[3])(j, i));
        }
    return o;
}

void expect_all_finite(const std::vector<float>& v, const char* what) {
    for (size_t i = 0; i < v.size(); ++i) EXPECT_TRUE(std::isfinite(v[i])) << what << "[" << i << "] = " << v[i];
}

// x: [3] -> linear (identity) -> loss, so the input gradient is the loss's gradient at the logits.
dsl::CheckedModel loss_model(const char* loss, bool classes) {
    test::GraphBuilder g("extreme");
    const int x = g.input("x", {3});
    const int z = g.layer("z", "linear", {x});
    g.layer("loss", loss, {z, classes ? g.classes("y", 3) : g.real_target("y", {3})});
    return g.model();
}

TEST(NumericalSafety, SoftmaxCrossEntropyAtExtremeLogits) {
    // Rows: the label far below the others (loss 2e4), far above (loss 0), all equal at +1e4 and
    // at -1e4 (loss log 3), mixed signs.
    const std::vector<std::vector<float>> z = {
        {1e4f, -1e4f, 0}, {-1e4f, 1e4f, 0}, {1e4f, 1e4f, 1e4f}, {-1e4f, -1e4f, -1e4f}, {-1e4f, 0, 1e4f}};
    const std::vector<int32_t> label = {1, 1, 2, 0, 0};
    Buffer<int32_t> y(5);
    for (int i = 0; i < 5; ++i) y(i) = label[static_cast<size_t>(i)];
    const Outcome o = train_step(loss_model("softmax_cross_entropy", true), z, y);
    const double expected = (2e4 + 0 + std::log(3.0) + std::log(3.0) + 2e4) / 5;
    EXPECT_TRUE(std::isfinite(o.loss));
    EXPECT_NEAR(o.loss, expected, 1e-3 * expected);
    expect_all_finite(o.prediction, "probabilities");
    expect_all_finite(o.d_input, "d_logits");
    // d_logits = (softmax - onehot) / N: each row sums to 0, the label's entry is -1/N at most.
    for (int i = 0; i < 5; ++i) {
        double sum = 0;
        for (int j = 0; j < 3; ++j) sum += o.d_input[static_cast<size_t>(3 * i + j)];
        EXPECT_NEAR(sum, 0.0, 1e-6) << "row " << i;
    }
    EXPECT_NEAR(o.d_input[1], -0.2, 1e-6);  // row 0: softmax puts all mass on class 0
    EXPECT_NEAR(o.d_input[0], 0.2, 1e-6);
}

TEST(NumericalSafety, SigmoidBinaryCrossEntropyAtExtremeLogits) {
    // Confidently right (0), confidently wrong (1e4 each), and at 0 (log 2).
    const std::vector<std::vector<float>> z = {{1e4f, -1e4f, 0}, {-1e4f, 1e4f, 0}};
    Buffer<float> t(3, 2);
    const float targets[2][3] = {{1, 0, 1}, {1, 0, 0}};
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 3; ++j) t(j, i) = targets[i][j];
    const Outcome o = train_step(loss_model("sigmoid_binary_cross_entropy", false), z, t);
    const double expected = (0 + 0 + std::log(2.0) + 1e4 + 1e4 + std::log(2.0)) / 6;
    EXPECT_TRUE(std::isfinite(o.loss));
    EXPECT_NEAR(o.loss, expected, 1e-3 * expected);
    expect_all_finite(o.prediction, "probabilities");
    expect_all_finite(o.d_input, "d_logits");
    // (sigmoid(z) - t) / 6: 0 when right, ∓1/6 when wrong.
    const float want[6] = {0, 0, -0.5f / 6, -1.0f / 6, 1.0f / 6, 0.5f / 6};
    for (int i = 0; i < 6; ++i) EXPECT_NEAR(o.d_input[static_cast<size_t>(i)], want[i], 1e-6) << i;
}

// Activations saturate to finite values with finite (zero) gradients: x -> act -> mse against 0.
TEST(NumericalSafety, ActivationsSaturateFinitely) {
    for (const char* act : {"sigmoid", "tanh", "softmax", "relu", "leaky_relu"}) {
        SCOPED_TRACE(act);
        test::GraphBuilder g("extreme");
        const int x = g.input("x", {3});
        const int a = g.layer("a", act, {x});
        g.layer("loss", "mse", {a, g.real_target("y", {3})});
        Buffer<float> t(3, 2);
        t.fill(0.0f);
        const Outcome o = train_step(g.model(), {{1e4f, -1e4f, 0}, {-1e4f, -1e4f, 1e4f}}, t);
        EXPECT_TRUE(std::isfinite(o.loss)) << o.loss;
        expect_all_finite(o.prediction, "outputs");
        expect_all_finite(o.d_input, "d_input");
    }
}

}  // namespace
}  // namespace nnc
