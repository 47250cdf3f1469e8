// The float64 finite-difference gradient check shared by every gradient-check test file.
// The training pipeline is lowered in Float(64), scheduled as in a real build, JIT-compiled,
// and each parameter's gradient is compared with (L(p + h) - L(p - h)) / 2h.
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>
#include <string>

#include "codegen/estimates.h"
#include "codegen/lowering.h"
#include "codegen/model_params.h"
#include "codegen/scheduler.h"
#include "tests/codegen/graph_builder.h"

namespace nnc {
namespace gradcheck {

using Halide::Buffer;

// Odd batches on purpose; 3 is below the product tiles' rows (the guarded path) and 11 above
// them (the shifted-tile path).
inline int kBatch = 3;

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
inline void expect_gradients_match_with(const dsl::CheckedModel& model, const std::string& scheduler) {
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

inline void expect_gradients_match(const dsl::CheckedModel& model) {
    for (int batch : {3, 11}) {
        kBatch = batch;
        SCOPED_TRACE("batch " + std::to_string(batch));
        for (const char* scheduler : {"template", "Mullapudi2016"}) expect_gradients_match_with(model, scheduler);
    }
}

// Ops covered by some gradient check; each test file registers its own with
// NNC_GRADIENT_CHECKED, and CoversEveryRegisteredLayer compares the union with the catalog.
inline std::set<std::string>& checked_ops() {
    static std::set<std::string> ops;
    return ops;
}
struct RegisterChecked {
    RegisterChecked(std::initializer_list<const char*> ops) {
        for (const char* op : ops) checked_ops().insert(op);
    }
};

}  // namespace gradcheck
}  // namespace nnc

#define NNC_GRADIENT_CHECKED_CAT2(a, b) a##b
#define NNC_GRADIENT_CHECKED_CAT(a, b) NNC_GRADIENT_CHECKED_CAT2(a, b)
#define NNC_GRADIENT_CHECKED(...) \
    static ::nnc::gradcheck::RegisterChecked NNC_GRADIENT_CHECKED_CAT(nnc_checked_, __LINE__){__VA_ARGS__}
