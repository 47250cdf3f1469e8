// The float64 finite-difference gradient check shared by every gradient-check test file.
// The training pipeline is lowered in Float(64), scheduled as in a real build, JIT-compiled,
// and each parameter's gradient is compared with (L(p + h) - L(p - h)) / 2h.
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>

#include "codegen/emit/host_target.h"
#include "codegen/lower/estimates.h"
#include "codegen/lower/lowering.h"
#include "codegen/lower/model_params.h"
#include "codegen/schedule/scheduler.h"
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
    Buffer<> input;  // Float(64), or Int(32) token ids
    std::vector<Buffer<>> targets;
    size_t trainable = 0;  // params[0, trainable) get gradients; the rest are states

    // `knobs`: the templates' knob values by node name (ScheduleOptions::knobs).
    Harness(const dsl::CheckedModel& model, const std::string& scheduler, uint32_t seed = 7,
            const std::map<std::string, codegen::KnobValues>& knobs = {}) {
        const bool float_input = model.node(model.inputs[0]).dtype == dsl::DType::Float32;
        num_losses = model.losses.size();
        lowered = codegen::lower_training(model, Halide::Float(64), kBatch, /*input_gradient=*/float_input);
        codegen::set_output_estimates(lowered, kBatch);
        pipeline = lowered.pipeline();
        codegen::ScheduleOptions options;
        options.scheduler = scheduler;
        options.knobs = knobs;
        codegen::schedule_pipeline(pipeline, model, lowered.batch, *lowered.records, codegen::host_target(), options);
        params = codegen::collect_params(model, codegen::layer_catalog());

        std::mt19937 rng(seed);
        std::normal_distribution<double> normal(0.0, 1.0);
        auto fill = [&](Buffer<double>& b, double scale) {
            b.for_each_value([&](double& v) { v = scale * normal(rng); });
        };

        const dsl::Node& in = model.node(model.inputs[0]);
        if (in.dtype == dsl::DType::Int32) {
            // Token ids in [0, token_range): the harness's caller sets it to the vocabulary size.
            Buffer<int32_t> ids(halide_dims(in.shape, true));
            ids.for_each_value(
                [&](int32_t& v) { v = static_cast<int32_t>(rng() % static_cast<uint32_t>(token_range)); });
            input = ids;
        } else {
            Buffer<double> x(halide_dims(in.shape, true));
            fill(x, 1.0);
            input = x;
        }
        lowered.input.set(input);

        for (size_t i = 0; i < model.targets.size(); ++i) {
            const dsl::Node& t = model.node(model.targets[i]);
            if (t.target_kind == dsl::TargetKind::Classes) {
                Buffer<int32_t> labels(halide_dims(t.shape, true));  // one per sample, or per position
                labels.for_each_value(
                    [&](int32_t& v) { v = static_cast<int32_t>(rng() % static_cast<uint32_t>(t.num_classes)); });
                targets.push_back(labels);
            } else {
                Buffer<double> real(halide_dims(t.shape, true));
                fill(real, 1.0);
                targets.push_back(real);
            }
            lowered.targets[i].set(targets.back());
        }
        lowered.seed.set(seed * 2654435761u + 1);

        for (size_t i = 0; i < params.size(); ++i) {
            Buffer<double> p(halide_dims(params[i].spec.shape, false));
            fill(p, 0.5);
            // States (running variances) must stay positive to be meaningful.
            if (!params[i].spec.trainable) p.for_each_value([](double& v) { v = std::abs(v) + 0.5; });
            param_values.push_back(p);
            lowered.params[i].set(p);
            if (params[i].spec.trainable) ++trainable;
        }
    }

    static inline int token_range = 8;

    static std::vector<int> halide_dims(const dsl::Shape& s, bool batched) {
        std::vector<int> d(s.dims.rbegin(), s.dims.rend());
        if (batched) d.push_back(kBatch);
        return d;
    }

    // Runs the pipeline; returns the loss and fills `grads` (one per trainable parameter, then
    // the input's when it is float). Outputs: loss, losses[L], predictions[L], grads, states, d_input.
    double run(std::vector<Buffer<double>>* grads = nullptr) {
        std::vector<Buffer<>> outs;
        for (const codegen::Tensor& t : lowered.outputs) {
            if (t.shape.dims.empty() && !t.batched)
                outs.push_back(Buffer<double>::make_scalar());
            else
                outs.push_back(Buffer<double>(halide_dims(t.shape, t.batched)));
        }
        pipeline.realize(Halide::Realization(outs), codegen::host_target());
        if (grads) {
            grads->clear();
            const size_t first = 1 + 2 * losses();
            for (size_t i = 0; i < trainable; ++i) grads->push_back(Buffer<double>(outs[first + i]));
            if (input.type().is_float()) grads->push_back(Buffer<double>(outs.back()));
        }
        return Buffer<double>(outs[0])();
    }

    size_t losses() const { return num_losses; }
    size_t num_losses = 0;
};

// Compares every parameter and input element's analytic gradient with central differences,
// under each scheduler (and the templates' `knobs`): a schedule must never change what is computed.
inline void expect_gradients_match_with(const dsl::CheckedModel& model, const std::string& scheduler,
                                        const std::map<std::string, codegen::KnobValues>& knobs = {}) {
    SCOPED_TRACE("scheduler " + scheduler);
    Harness h(model, scheduler, 7, knobs);
    std::vector<Buffer<double>> grads;
    h.run(&grads);
    const bool float_input = h.input.type().is_float();
    ASSERT_EQ(grads.size(), h.trainable + (float_input ? 1 : 0));
    const double step = 1e-6;
    for (size_t p = 0; p < grads.size(); ++p) {
        const bool is_input = p == h.trainable;
        const std::string what = is_input ? std::string("input") : h.params[p].full_name;
        Buffer<double> value = is_input ? Buffer<double>(h.input) : h.param_values[p];
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
            EXPECT_NEAR(analytic, numeric, 1e-6 * std::max(1.0, std::abs(numeric)))
                << what << " element " << checked - 1;
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
    static ::nnc::gradcheck::RegisterChecked NNC_GRADIENT_CHECKED_CAT(nnc_checked_, __LINE__) { __VA_ARGS__ }
