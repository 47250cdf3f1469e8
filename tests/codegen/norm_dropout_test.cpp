// What batchnorm and dropout compute, in both modes, through the real lowered pipelines (Float(32),
// scheduled as in a build, JIT-compiled): batch norm's inference output from given running
// statistics, its training output and running-statistics update as torch defines them (computed
// here by hand in double), and dropout's mask — its rate, its scale, and that it is fixed by the
// step seed and differs across seeds, samples and nodes, and its rate is a run-time argument.
// Gradients are in gradient_check_norm_test.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "codegen/emit/host_target.h"
#include "codegen/lower/estimates.h"
#include "codegen/lower/lowering.h"
#include "codegen/lower/model_params.h"
#include "codegen/schedule/scheduler.h"
#include "tests/codegen/graph_builder.h"

namespace nnc {
namespace {

using Halide::Buffer;
using Attrs = std::map<std::string, dsl::AttrValue>;

std::vector<int> halide_dims(const dsl::Shape& s, bool batched, int batch) {
    std::vector<int> d(s.dims.rbegin(), s.dims.rend());
    if (batched) d.push_back(batch);
    return d;
}

// One lowered, scheduled pipeline with its argument buffers; outputs are read back by Func name
// ("output", "prediction_0", "state__bn__running_mean", "grad__input", ...).
struct JitRun {
    const dsl::CheckedModel& model;
    int batch;
    codegen::LoweredPipeline lowered;
    Halide::Pipeline pipeline;
    std::vector<codegen::ModelParam> params;
    std::vector<Buffer<float>> param_values;
    Buffer<float> input;
    std::vector<Buffer<float>> targets;
    std::map<std::string, Buffer<float>> out;

    JitRun(const dsl::CheckedModel& m, bool training, int n, const std::string& scheduler = "template",
           bool input_gradient = false)
        : model(m), batch(n) {
        lowered = training ? codegen::lower_training(model, Halide::Float(32), batch, input_gradient)
                           : codegen::lower_inference(model, Halide::Float(32), batch);
        codegen::set_output_estimates(lowered, batch);
        pipeline = lowered.pipeline();
        codegen::ScheduleOptions options;
        options.scheduler = scheduler;
        codegen::schedule_pipeline(pipeline, model, lowered.batch, *lowered.records, codegen::host_target(), options);
        params = codegen::collect_params(model, codegen::layer_catalog());
        for (size_t i = 0; i < params.size(); ++i) {
            Buffer<float> p(halide_dims(params[i].spec.shape, false, batch));
            p.fill(params[i].spec.init.kind == "ones" ? 1.0f : 0.0f);
            param_values.push_back(p);
            lowered.params[i].set(p);
        }
        input = Buffer<float>(halide_dims(model.node(model.inputs[0]).shape, true, batch));
        input.fill(0.0f);
        lowered.input.set(input);
        for (size_t t = 0; t < lowered.targets.size(); ++t) {
            targets.emplace_back(halide_dims(model.node(model.targets[t]).shape, true, batch));
            targets.back().fill(0.0f);
            lowered.targets[t].set(targets.back());
        }
    }

    Buffer<float>& param(const std::string& full_name) {
        for (size_t i = 0; i < params.size(); ++i)
            if (params[i].full_name == full_name) return param_values[i];
        throw std::runtime_error("no parameter " + full_name);
    }

    void run(uint32_t seed = 1) {
        if (lowered.has_seed) lowered.seed.set(seed);
        std::vector<Buffer<>> bufs;
        for (const codegen::Tensor& t : lowered.outputs) {
            if (t.shape.dims.empty() && !t.batched)
                bufs.push_back(Buffer<float>::make_scalar());
            else
                bufs.push_back(Buffer<float>(halide_dims(t.shape, t.batched, batch)));
        }
        pipeline.realize(Halide::Realization(bufs), codegen::host_target());
        out.clear();
        for (size_t i = 0; i < bufs.size(); ++i) {
            std::string name = lowered.outputs[i].func.name();
            name = name.substr(0, name.find('$'));
            out[name] = Buffer<float>(bufs[i]).copy();
        }
    }

    const Buffer<float>& output(const std::string& name) const {
        auto it = out.find(name);
        if (it == out.end()) throw std::runtime_error("no output " + name);
        return it->second;
    }
};

// ---------------------------------------------------------------------------------- batchnorm

// x -> batchnorm(attrs) -> mse; the prediction is batch norm's output.
dsl::CheckedModel bn_model(std::vector<int64_t> dims, Attrs attrs) {
    test::GraphBuilder g;
    int bn = g.layer("bn", "batchnorm", {g.input("x", dims)}, std::move(attrs));
    g.layer("loss", "mse", {bn, g.real_target("t", std::move(dims))});
    return g.model();
}

// Channel c's value at sample n, element i: an offset and a spread that differ per channel.
float bn_input(int c, int n, int i) { return 3.0f * c - 1.0f + (1.0f + c) * std::sin(1.3f * n + 0.7f * i + c); }

// Fills the input: (C, H, W) when spatial, else [C]; returns per channel the list of its values.
std::vector<std::vector<double>> fill_bn_input(JitRun& r, int channels, int plane) {
    std::vector<std::vector<double>> per_channel(static_cast<size_t>(channels));
    r.input.for_each_element([&](const int* pos) {
        const int dims = r.input.dimensions();
        const int n = pos[dims - 1];
        const int c = dims == 4 ? pos[2] : pos[0];
        const int i = dims == 4 ? pos[1] * r.input.dim(0).extent() + pos[0] : 0;
        const float v = bn_input(c, n, i);
        r.input(pos) = v;
        per_channel[static_cast<size_t>(c)].push_back(v);
    });
    for (auto& values : per_channel) EXPECT_EQ(values.size(), static_cast<size_t>(r.batch * plane));
    return per_channel;
}

void set_channel_values(Buffer<float>& b, std::vector<float> v) {
    for (int c = 0; c < b.dim(0).extent(); ++c) b(c) = v[static_cast<size_t>(c)];
}

// y(pos) against f(channel, x(pos)).
template <typename F>
void expect_per_element(const JitRun& r, const Buffer<float>& y, F expected) {
    size_t checked = 0;
    y.for_each_element([&](const int* pos) {
        const int c = y.dimensions() == 4 ? pos[2] : pos[0];
        const double want = expected(c, static_cast<double>(r.input(pos)));
        EXPECT_NEAR(y(pos), want, 2e-5 * std::max(1.0, std::abs(want))) << "channel " << c << " element " << checked;
        ++checked;
    });
    EXPECT_EQ(checked, static_cast<size_t>(r.input.number_of_elements()));
}

class BatchNormBehaviour : public ::testing::TestWithParam<std::string> {};  // the scheduler

TEST_P(BatchNormBehaviour, InferenceNormalizesWithTheRunningStatistics) {
    for (const std::vector<int64_t>& dims : {std::vector<int64_t>{3, 4, 5}, std::vector<int64_t>{7}}) {
        SCOPED_TRACE(dims.size() == 3 ? "(C, H, W)" : "[F]");
        const dsl::CheckedModel model = bn_model(dims, {{"eps", 1e-3}});
        JitRun r(model, /*training=*/false, 5, GetParam());
        const int channels = static_cast<int>(dims[0]);
        fill_bn_input(r, channels, dims.size() == 3 ? 20 : 1);
        std::vector<float> w, b, rm, rv;
        for (int c = 0; c < channels; ++c) {
            w.push_back(0.5f + 0.25f * c);
            b.push_back(-1.0f + 0.5f * c);
            rm.push_back(2.5f * c - 1.0f);
            rv.push_back(0.3f + c * c);
        }
        set_channel_values(r.param("bn.weight"), w);
        set_channel_values(r.param("bn.bias"), b);
        set_channel_values(r.param("bn.running_mean"), rm);
        set_channel_values(r.param("bn.running_var"), rv);
        r.run();
        expect_per_element(r, r.output("output"), [&](int c, double x) {
            return (x - rm[c]) / std::sqrt(double(rv[c]) + 1e-3) * w[c] + b[c];
        });
    }
}

// torch, training: y = (x - mean_B) / sqrt(var_B + eps) * w + b with the biased batch variance;
// running_mean' = (1 - m) running_mean + m mean_B, running_var' = (1 - m) running_var + m var_B * M / (M - 1).
TEST_P(BatchNormBehaviour, TrainingUsesBatchStatisticsAndMovesTheRunningOnes) {
    for (const std::vector<int64_t>& dims :
         {std::vector<int64_t>{3, 4, 5}, std::vector<int64_t>{2, 3, 18}, std::vector<int64_t>{7}}) {
        SCOPED_TRACE("input " + dsl::Shape{dims}.str());
        const double momentum = 0.3, eps = 1e-5;
        const dsl::CheckedModel model = bn_model(dims, {{"momentum", momentum}});
        JitRun r(model, /*training=*/true, 6, GetParam());
        const int channels = static_cast<int>(dims[0]);
        const int plane = dims.size() == 3 ? static_cast<int>(dims[1] * dims[2]) : 1;
        const auto values = fill_bn_input(r, channels, plane);
        std::vector<float> w, b, rm, rv;
        for (int c = 0; c < channels; ++c) {
            w.push_back(1.5f - 0.25f * c);
            b.push_back(0.5f * c);
            rm.push_back(0.1f * c);
            rv.push_back(2.0f + c);
        }
        set_channel_values(r.param("bn.weight"), w);
        set_channel_values(r.param("bn.bias"), b);
        set_channel_values(r.param("bn.running_mean"), rm);
        set_channel_values(r.param("bn.running_var"), rv);
        r.run();

        std::vector<double> mean(channels), var(channels);
        for (int c = 0; c < channels; ++c) {
            const auto& v = values[static_cast<size_t>(c)];
            for (double x : v) mean[c] += x / v.size();
            for (double x : v) var[c] += (x - mean[c]) * (x - mean[c]) / v.size();
        }
        expect_per_element(r, r.output("prediction_0"),
                           [&](int c, double x) { return (x - mean[c]) / std::sqrt(var[c] + eps) * w[c] + b[c]; });
        const Buffer<float>& new_mean = r.output("state__bn__running_mean");
        const Buffer<float>& new_var = r.output("state__bn__running_var");
        const double m = static_cast<double>(values[0].size());
        for (int c = 0; c < channels; ++c) {
            const double want_mean = (1 - momentum) * rm[c] + momentum * mean[c];
            const double want_var = (1 - momentum) * rv[c] + momentum * var[c] * m / (m - 1);
            EXPECT_NEAR(new_mean(c), want_mean, 1e-5 * std::max(1.0, std::abs(want_mean))) << "channel " << c;
            EXPECT_NEAR(new_var(c), want_var, 1e-5 * std::max(1.0, std::abs(want_var))) << "channel " << c;
        }
        // The state is an output of the step, never a gradient.
        EXPECT_EQ(r.out.count("grad__bn__running_mean"), 0u);
        EXPECT_EQ(r.out.count("grad__bn__running_var"), 0u);
        EXPECT_EQ(r.out.count("grad__bn__weight"), 1u);
    }
}

INSTANTIATE_TEST_SUITE_P(Schedulers, BatchNormBehaviour, ::testing::Values("template", "Mullapudi2016"));

TEST(BatchNorm, WithoutAffineOnlyTheRunningStatisticsRemainAndAreState) {
    const dsl::CheckedModel model = bn_model({3, 4, 5}, {{"affine", false}});
    const auto params = codegen::collect_params(model, codegen::layer_catalog());
    ASSERT_EQ(params.size(), 2u);
    EXPECT_EQ(params[0].full_name, "bn.running_mean");
    EXPECT_EQ(params[1].full_name, "bn.running_var");
    for (const auto& p : params) EXPECT_FALSE(p.spec.trainable) << p.full_name;
    EXPECT_EQ(params[0].spec.init.kind, "zeros");
    EXPECT_EQ(params[1].spec.init.kind, "ones");

    // Training output: every channel has mean 0 and (biased) variance 1 - eps / (var + eps).
    JitRun r(model, /*training=*/true, 4);
    fill_bn_input(r, 3, 20);
    r.run();
    const Buffer<float>& y = r.output("prediction_0");
    for (int c = 0; c < 3; ++c) {
        double s = 0, s2 = 0;
        const double count = 4 * 20;
        for (int n = 0; n < 4; ++n)
            for (int h = 0; h < 4; ++h)
                for (int x = 0; x < 5; ++x) {
                    s += y(x, h, c, n);
                    s2 += double(y(x, h, c, n)) * y(x, h, c, n);
                }
        EXPECT_NEAR(s / count, 0.0, 1e-5) << "channel " << c;
        EXPECT_NEAR(s2 / count, 1.0, 1e-4) << "channel " << c;
    }
}

TEST(BatchNorm, WithAffineParamsAreWeightBiasThenState) {
    const dsl::CheckedModel model = bn_model({6}, {});
    const auto params = codegen::collect_params(model, codegen::layer_catalog());
    ASSERT_EQ(params.size(), 4u);
    EXPECT_EQ(params[0].full_name, "bn.weight");
    EXPECT_EQ(params[1].full_name, "bn.bias");
    EXPECT_EQ(params[2].full_name, "bn.running_mean");
    EXPECT_EQ(params[3].full_name, "bn.running_var");
    EXPECT_TRUE(params[0].spec.trainable);
    EXPECT_TRUE(params[1].spec.trainable);
    EXPECT_FALSE(params[2].spec.trainable);
    EXPECT_FALSE(params[3].spec.trainable);
}

std::string shape_error(const std::string& op, std::vector<int64_t> dims, Attrs attrs) {
    const dsl::OpSpec* spec = codegen::layer_catalog().find(op);
    dsl::Attrs a;
    for (const auto& s : spec->attrs)
        if (s.default_value) a.values[s.name] = *s.default_value;
    for (auto& [k, v] : attrs) a.values[k] = v;
    return spec->shape({dsl::Shape{std::move(dims)}}, a).error;
}

TEST(BatchNorm, ShapeRuleRejectsOtherRanksAndBadAttributes) {
    EXPECT_EQ(shape_error("batchnorm", {4}, {}), "");
    EXPECT_EQ(shape_error("batchnorm", {3, 4, 5}, {}), "");
    const std::string rank2 = shape_error("batchnorm", {4, 5}, {});
    EXPECT_NE(rank2.find("[F] or (C, H, W)"), std::string::npos) << rank2;
    EXPECT_NE(rank2.find("[4, 5]"), std::string::npos) << rank2;
    const std::string momentum = shape_error("batchnorm", {4}, {{"momentum", 1.5}});
    EXPECT_NE(momentum.find("momentum"), std::string::npos) << momentum;
    EXPECT_NE(momentum.find("1.5"), std::string::npos) << momentum;
    const std::string eps = shape_error("batchnorm", {4}, {{"eps", 0.0}});
    EXPECT_NE(eps.find("eps must be > 0, got 0"), std::string::npos) << eps;
}

// ------------------------------------------------------------------------------------ dropout

constexpr int kFeatures = 2500, kBatch = 4;  // 10,000 elements per step

dsl::CheckedModel dropout_model(double rate) {
    test::GraphBuilder g;
    int d = g.layer("drop", "dropout", {g.input("x", {kFeatures})}, {{"rate", rate}});
    g.layer("loss", "mse", {d, g.real_target("t", {kFeatures})});
    return g.model();
}

void fill_nonzero(Buffer<float>& b) {
    int i = 0;
    b.for_each_value([&](float& v) { v = 0.5f + static_cast<float>(i++ % 13); });
}

TEST(Dropout, InferenceIsTheIdentity) {
    const dsl::CheckedModel model = dropout_model(0.5);
    JitRun r(model, /*training=*/false, kBatch);
    fill_nonzero(r.input);
    r.run();
    const Buffer<float>& y = r.output("output");
    y.for_each_element([&](const int* pos) { ASSERT_EQ(y(pos), r.input(pos)); });
}

TEST(Dropout, RateZeroIsTheIdentityInTraining) {
    const dsl::CheckedModel model = dropout_model(0.0);
    JitRun r(model, /*training=*/true, kBatch);
    fill_nonzero(r.input);
    r.run(123);
    const Buffer<float>& y = r.output("prediction_0");
    y.for_each_element([&](const int* pos) { ASSERT_EQ(y(pos), r.input(pos)); });
}

// The fraction of the training output that was dropped; every survivor must be its input
// scaled by 1 / (1 - rate) (a failed check is reported, and the fraction is still returned).
double dropped_fraction(const JitRun& r, double rate) {
    const Buffer<float>& y = r.output("prediction_0");
    int dropped = 0, wrong = 0;
    y.for_each_element([&](const int* pos) {
        if (y(pos) == 0.0f) {
            ++dropped;
        } else {
            const float want = r.input(pos) * static_cast<float>(1.0 / (1.0 - rate));
            if (std::abs(y(pos) - want) > 1e-6f * std::abs(want) && ++wrong <= 3)
                ADD_FAILURE() << "survivor " << y(pos) << ", want " << want;
        }
    });
    return dropped / static_cast<double>(y.number_of_elements());
}

// The fraction dropped is Binomial(10,000, rate) / 10,000: standard deviation 0.0046 at rate 0.3;
// the bound of 0.025 is 5.5 of them.
TEST(Dropout, TrainingDropsAboutRateAndScalesSurvivors) {
    for (double rate : {0.3, 0.5, 0.8}) {
        SCOPED_TRACE("rate " + std::to_string(rate));
        const dsl::CheckedModel model = dropout_model(rate);
        JitRun r(model, /*training=*/true, kBatch);
        fill_nonzero(r.input);
        r.run(42);
        EXPECT_NEAR(dropped_fraction(r, rate), rate, 0.025);
    }
}

// The rate is a run-time argument (dropout_rates, codegen/lower/dropout_rates.h): one compiled
// pipeline, declared 0.5, run at rate 0 is exactly the inference pipeline, and at other rates
// drops about that fraction with scale 1 / (1 - rate). The bounds are those of the test above.
TEST(Dropout, RateIsARunTimeArgument) {
    const dsl::CheckedModel model = dropout_model(0.5);
    JitRun infer(model, /*training=*/false, kBatch);
    fill_nonzero(infer.input);
    infer.run();
    JitRun r(model, /*training=*/true, kBatch);
    fill_nonzero(r.input);
    Buffer<float> rates(1);
    r.lowered.dropout_rates.set(rates);

    rates(0) = 0.0f;
    r.run(123);
    const Buffer<float>& same = r.output("prediction_0");
    const Buffer<float>& want = infer.output("output");
    same.for_each_element([&](const int* pos) { ASSERT_EQ(same(pos), want(pos)); });

    for (float rate : {0.2f, 0.6f}) {
        SCOPED_TRACE("rate " + std::to_string(rate));
        rates(0) = rate;
        r.run(42);
        EXPECT_NEAR(dropped_fraction(r, rate), rate, 0.025);
    }
}

// x -> drop_a, drop_b (both rate 0.3) -> a + b -> mse.
dsl::CheckedModel two_dropouts_model() {
    test::GraphBuilder g;
    int x = g.input("x", {kFeatures});
    int a = g.layer("drop_a", "dropout", {x}, {{"rate", 0.3}});
    int b = g.layer("drop_b", "dropout", {x}, {{"rate", 0.3}});
    g.layer("loss", "mse", {g.layer("sum", "add", {a, b}), g.real_target("t", {kFeatures})});
    return g.model();
}

// Each dropout layer reads its own entry, in graph order: x -> a (entry 0), b (entry 1) -> a + b.
// Rates {0, 0.5}: a is x, b is 0 or 2x, so the sum is x or 3x, 3x at about half the elements.
TEST(Dropout, EachLayerReadsItsOwnRate) {
    const dsl::CheckedModel model = two_dropouts_model();
    JitRun r(model, /*training=*/true, kBatch);
    fill_nonzero(r.input);
    Buffer<float> rates(2);
    rates(0) = 0.0f;
    rates(1) = 0.5f;
    r.lowered.dropout_rates.set(rates);
    r.run(8);
    const Buffer<float>& y = r.output("prediction_0");
    int tripled = 0;
    y.for_each_element([&](const int* pos) {
        const float v = r.input(pos);
        const bool once = y(pos) == v, thrice = std::abs(y(pos) - 3.0f * v) <= 1e-6f * v;
        ASSERT_TRUE(once || thrice) << y(pos) << " from " << v;
        tripled += thrice;
    });
    EXPECT_NEAR(tripled / 10000.0, 0.5, 0.025);
}

std::vector<bool> kept_mask(const Buffer<float>& y) {
    std::vector<bool> m;
    y.for_each_value([&](float v) { m.push_back(v != 0.0f); });
    return m;
}

size_t differences(const std::vector<bool>& a, const std::vector<bool>& b) {
    size_t d = 0;
    for (size_t i = 0; i < a.size(); ++i) d += a[i] != b[i];
    return d;
}

// Two independent masks at rate 0.3 differ at 2 * 0.3 * 0.7 = 42% of the elements.
TEST(Dropout, MaskIsFixedByTheSeedAndChangesWithIt) {
    const dsl::CheckedModel model = dropout_model(0.3);
    JitRun r(model, /*training=*/true, kBatch);
    fill_nonzero(r.input);
    r.run(5);
    const std::vector<bool> first = kept_mask(r.output("prediction_0"));
    r.run(5);
    EXPECT_EQ(differences(first, kept_mask(r.output("prediction_0"))), 0u) << "same seed, same mask";
    r.run(6);
    const double changed = differences(first, kept_mask(r.output("prediction_0"))) / 10000.0;
    EXPECT_NEAR(changed, 0.42, 0.04) << "a new seed draws a new mask";

    // The mask is a function of (seed, node, element), not of the schedule.
    JitRun m(model, /*training=*/true, kBatch, "Mullapudi2016");
    fill_nonzero(m.input);
    m.run(5);
    EXPECT_EQ(differences(first, kept_mask(m.output("prediction_0"))), 0u) << "Mullapudi2016 draws another mask";
}

TEST(Dropout, SamplesDrawIndependentMasks) {
    const dsl::CheckedModel model = dropout_model(0.3);
    JitRun r(model, /*training=*/true, kBatch);
    fill_nonzero(r.input);
    r.run(9);
    const Buffer<float>& y = r.output("prediction_0");
    for (int n = 1; n < kBatch; ++n) {
        int differ = 0;
        for (int f = 0; f < kFeatures; ++f) differ += (y(f, 0) == 0.0f) != (y(f, n) == 0.0f);
        EXPECT_NEAR(differ / double(kFeatures), 0.42, 0.06) << "sample " << n << " against sample 0";
    }
}

// x -> a = dropout(x), b = dropout(x) -> a + b: identical masks would give only 0 or 2x / (1 - r);
// independent ones give x / (1 - r) where exactly one keeps (42% at rate 0.3).
TEST(Dropout, NodesDrawIndependentMasks) {
    const dsl::CheckedModel model = two_dropouts_model();
    JitRun r(model, /*training=*/true, kBatch);
    fill_nonzero(r.input);
    r.run(3);
    const Buffer<float>& y = r.output("prediction_0");
    int one_kept = 0;
    y.for_each_element(
        [&](const int* pos) { one_kept += std::abs(y(pos) - r.input(pos) / 0.7f) < 1e-4f * r.input(pos); });
    EXPECT_NEAR(one_kept / 10000.0, 0.42, 0.025);
}

// The backward applies the forward's very mask: with an mse loss, d_input = 2 (y - t) / size *
// mask / (1 - rate), zero exactly where the forward dropped.
TEST(Dropout, BackwardUsesTheForwardMask) {
    const double rate = 0.4;
    const dsl::CheckedModel model = dropout_model(rate);
    JitRun r(model, /*training=*/true, kBatch, "template", /*input_gradient=*/true);
    fill_nonzero(r.input);
    r.run(77);
    const Buffer<float>& y = r.output("prediction_0");
    const Buffer<float>& dx = r.output("grad__input");
    const float size = static_cast<float>(kFeatures) * kBatch;
    int dropped = 0;
    y.for_each_element([&](const int* pos) {
        if (y(pos) == 0.0f) {
            ++dropped;
            ASSERT_EQ(dx(pos), 0.0f);
        } else {
            const float want = 2.0f * y(pos) / size / static_cast<float>(1.0 - rate);
            ASSERT_NEAR(dx(pos), want, 1e-5f * want);
        }
    });
    EXPECT_GT(dropped, 0);
}

TEST(Dropout, ShapeRuleNamesABadRate) {
    EXPECT_EQ(shape_error("dropout", {3, 4, 5}, {}), "");
    EXPECT_EQ(shape_error("dropout", {7}, {{"rate", 0.0}}), "");
    const std::string one = shape_error("dropout", {7}, {{"rate", 1.0}});
    EXPECT_NE(one.find("[0, 1), got 1"), std::string::npos) << one;
    const std::string negative = shape_error("dropout", {7}, {{"rate", -0.25}});
    EXPECT_NE(negative.find("got -0.25"), std::string::npos) << negative;
}

}  // namespace
}  // namespace nnc
