// Every layer's backward against float64 central finite differences of its own forward.
// The training pipeline is lowered in Float(64), scheduled as in a real build, JIT-compiled,
// and each parameter's gradient is compared with (L(p + h) - L(p - h)) / 2h. A layer's input
// gradient is checked through a dense layer placed before it: that layer's weight gradient is
// exactly the input gradient contracted with its input.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "codegen/estimates.h"
#include "codegen/lowering.h"
#include "codegen/model_params.h"
#include "codegen/scheduler.h"
#include "tests/codegen/graph_builder.h"

namespace nnc {
namespace {

using Halide::Buffer;

// Odd batches on purpose; 3 is below the product tiles' rows (the guarded path) and 11 above
// them (the shifted-tile path).
int kBatch = 3;

struct Harness {
    codegen::LoweredPipeline lowered;
    Halide::Pipeline pipeline;
    std::vector<codegen::ModelParam> params;
    std::vector<Buffer<double>> param_values;
    Buffer<double> input;
    Buffer<> target;

    Harness(const dsl::CheckedModel& model, const std::string& scheduler, uint32_t seed = 7) {
        lowered = codegen::lower_training(model, Halide::Float(64), kBatch, /*input_gradient=*/true);
        codegen::set_output_estimates(lowered, kBatch);
        pipeline = lowered.pipeline();
        codegen::ScheduleOptions options;
        options.scheduler = scheduler;
        codegen::schedule_pipeline(pipeline, model, lowered.batch, Halide::get_host_target(), options);
        params = codegen::collect_params(model, codegen::layer_catalog());

        std::mt19937 rng(seed);
        std::normal_distribution<double> normal(0.0, 1.0);
        auto fill = [&](Buffer<double>& b, double scale) { b.for_each_value([&](double& v) { v = scale * normal(rng); }); };

        const dsl::Node& in = model.node(model.inputs[0]);
        input = Buffer<double>(halide_dims(in.shape, true));
        fill(input, 1.0);
        lowered.input.set(input);

        const dsl::Node& t = model.node(model.targets[0]);
        if (t.target_kind == dsl::TargetKind::Classes) {
            Buffer<int32_t> labels(kBatch);
            for (int n = 0; n < kBatch; ++n) labels(n) = static_cast<int32_t>(rng() % static_cast<uint32_t>(t.num_classes));
            target = labels;
        } else {
            Buffer<double> real(halide_dims(t.shape, true));
            fill(real, 1.0);
            target = real;
        }
        lowered.target.set(target);

        for (size_t i = 0; i < params.size(); ++i) {
            Buffer<double> p(halide_dims(params[i].spec.shape, false));
            fill(p, 0.5);
            param_values.push_back(p);
            lowered.params[i].set(p);
        }
    }

    static std::vector<int> halide_dims(const dsl::Shape& s, bool batched) {
        std::vector<int> d(s.dims.rbegin(), s.dims.rend());
        if (batched) d.push_back(kBatch);
        return d;
    }

    // Runs the pipeline; returns the loss and fills `grads` (one per parameter, then the input's).
    double run(std::vector<Buffer<double>>* grads = nullptr) {
        std::vector<Buffer<>> outs;
        outs.push_back(Buffer<double>::make_scalar());
        for (size_t i = 1; i < lowered.outputs.size(); ++i) {
            const codegen::Tensor& t = lowered.outputs[i];
            outs.push_back(Buffer<double>(halide_dims(t.shape, t.batched)));
        }
        pipeline.realize(Halide::Realization(outs));
        if (grads) {
            grads->clear();
            for (size_t i = 2; i < outs.size(); ++i) grads->push_back(Buffer<double>(outs[i]));
        }
        return Buffer<double>(outs[0])();
    }
};

// Compares every parameter and input element's analytic gradient with central differences,
// under each scheduler: a schedule must never change what is computed.
void expect_gradients_match_with(const dsl::CheckedModel& model, const std::string& scheduler) {
    SCOPED_TRACE("scheduler " + scheduler);
    Harness h(model, scheduler);
    std::vector<Buffer<double>> grads;
    h.run(&grads);
    ASSERT_EQ(grads.size(), h.params.size() + 1);
    const double step = 1e-6;
    for (size_t p = 0; p <= h.params.size(); ++p) {
        const bool is_input = p == h.params.size();
        const std::string what = is_input ? std::string("input") : h.params[p].full_name;
        Buffer<double>& value = is_input ? h.input : h.param_values[p];
        double worst = 0;
        size_t checked = 0;
        value.for_each_element([&](const int* pos) {
            double& v = value(pos);
            const double saved = v;
            v = saved + step;
            const double up = h.run();
            v = saved - step;
            const double down = h.run();
            v = saved;
            const double numeric = (up - down) / (2 * step);
            const double analytic = grads[p](pos);
            const double err = std::abs(analytic - numeric) / std::max(1.0, std::abs(numeric));
            worst = std::max(worst, err);
            ++checked;
            EXPECT_NEAR(analytic, numeric, 1e-6 * std::max(1.0, std::abs(numeric))) << what << " element " << checked - 1;
        });
        EXPECT_GT(checked, 0u);
        EXPECT_LT(worst, 1e-6) << what;
    }
}

void expect_gradients_match(const dsl::CheckedModel& model) {
    for (int batch : {3, 11}) {
        kBatch = batch;
        SCOPED_TRACE("batch " + std::to_string(batch));
        for (const char* scheduler : {"template", "Mullapudi2016"}) expect_gradients_match_with(model, scheduler);
    }
}

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

TEST(GradientCheck, Conv2dSame) { expect_gradients_match(spatial_model("conv2d", {2, 7, 6}, {{"filters", int64_t(3)}})); }
TEST(GradientCheck, Conv2dStride2Valid) {
    expect_gradients_match(spatial_model("conv2d", {3, 7, 8}, {{"filters", int64_t(2)}, {"stride", int64_t(2)},
                                                                {"padding", std::string("valid")}}));
}
TEST(GradientCheck, Conv2dStride2Same) {
    expect_gradients_match(spatial_model("conv2d", {2, 6, 7}, {{"filters", int64_t(5)}, {"stride", int64_t(2)}}));
}
TEST(GradientCheck, Conv2dDilatedExplicitPadNoBias) {
    expect_gradients_match(spatial_model("conv2d", {2, 7, 7}, {{"filters", int64_t(2)}, {"dilation", int64_t(2)},
                                                                {"pad", int64_t(1)}, {"bias", false}}));
}
TEST(GradientCheck, Conv2d1x1AndWideImage) {
    // 19 columns: more than one 16-lane block of d_weight, with a ragged tail.
    expect_gradients_match(spatial_model("conv2d", {2, 3, 19}, {{"filters", int64_t(4)}, {"kernel", int64_t(1)}}));
}
TEST(GradientCheck, Conv2dKernel5Stride3) {
    expect_gradients_match(spatial_model("conv2d", {1, 9, 10}, {{"filters", int64_t(2)}, {"kernel", int64_t(5)},
                                                                {"stride", int64_t(3)}, {"pad", int64_t(1)}}));
}
TEST(GradientCheck, MaxPool2d) { expect_gradients_match(spatial_model("maxpool2d", {2, 6, 5}, {})); }
TEST(GradientCheck, MaxPool2dOverlappingPadded) {
    expect_gradients_match(spatial_model("maxpool2d", {2, 7, 6}, {{"kernel", int64_t(3)}, {"stride", int64_t(2)}, {"pad", int64_t(1)}}));
}
TEST(GradientCheck, AvgPool2d) { expect_gradients_match(spatial_model("avgpool2d", {2, 6, 5}, {})); }
TEST(GradientCheck, AvgPool2dOverlappingPadded) {
    expect_gradients_match(spatial_model("avgpool2d", {2, 7, 6}, {{"kernel", int64_t(3)}, {"stride", int64_t(2)}, {"pad", int64_t(1)}}));
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
TEST(GradientCheck, SigmoidBinaryCrossEntropy) { expect_gradients_match(real_loss_model("sigmoid_binary_cross_entropy")); }

// A small CNN end to end: conv, relu, maxpool, conv stride 2, global pooling, dense, softmax CE.
TEST(GradientCheck, SmallCnn) {
    test::GraphBuilder g;
    int x = g.input("image", {1, 8, 8});
    int c1 = g.layer("c1", "relu", {g.layer("conv1", "conv2d", {x}, {{"filters", int64_t(4)}})});
    int p1 = g.layer("p1", "maxpool2d", {c1});
    int c2 = g.layer("c2", "relu", {g.layer("conv2", "conv2d", {p1}, {{"filters", int64_t(4)}, {"stride", int64_t(2)}})});
    int gp = g.layer("gap", "global_avgpool", {c2});
    int logits = g.layer("logits", "dense", {gp}, {{"units", int64_t(3)}});
    g.layer("loss", "softmax_cross_entropy", {logits, g.classes("label", 3)});
    expect_gradients_match(g.model());
}

// Every registered layer appears in a gradient check above; a new layer must add one.
TEST(GradientCheck, CoversEveryRegisteredLayer) {
    const std::vector<std::string> checked{"add", "avgpool2d", "concat", "conv2d", "dense", "flatten", "global_avgpool", "l1",
                                           "leaky_relu", "linear", "maxpool2d", "mse", "relu", "reshape", "sigmoid",
                                           "sigmoid_binary_cross_entropy", "softmax", "softmax_cross_entropy", "tanh"};
    EXPECT_EQ(codegen::layer_catalog().names(), checked);
}

}  // namespace
}  // namespace nnc
