// The device optimizer kernels (codegen/emit/device_optimizers.h), compiled here for the host with the
// same Funcs a GPU model library compiles for its target, against the C++ optimizers that CPU
// models run: several steps of every optimizer and flag combination, the scalars taken from
// Optimizer::device_update exactly as the runtime takes them; grad_scale and clip_value against
// the host's scaled and clamped gradients (safeguards.h); the per-tensor sums of squares against a double-precision
// host sum.
#include "codegen/emit/device_optimizers.h"
#include "codegen/emit/host_target.h"
#include "runtime/optimizers/optimizer.h"
#include "runtime/safeguards.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace {

using nnc::codegen::DeviceKernelPipeline;
using nnc::runtime::DeviceUpdate;
using nnc::runtime::OptimizerConfig;
using nnc::runtime::OptimizerStateFields;

constexpr int kSteps = 6;
// Exact: on the host both sides round every op as IEEE float32 (the C++ loops are built with
// -ffp-contract=off, the kernels with StrictFloat), so any change in the order of operations
// shows. On a GPU the PTX backend contracts multiply-adds into fma (device_optimizers.h): there
// tests/gpu/gpu_check.cpp allows 1e-4 on whole training steps.
constexpr double kTolerance = 0.0;
constexpr int kCount = 1003;  // not a multiple of the vector width: the guarded tail runs

float initial(int i) { return static_cast<float>(((5 * i) % 11 - 5) / 4.0 + 0.125); }
float gradient(int t, int i) { return static_cast<float>(((7 * i + 13 * t) % 17 - 8) / 8.0 + 0.01 * t); }

// The optimizer's state buffers in visit_state order (the kernel's state order).
struct Buffers final : OptimizerStateFields {
    std::vector<std::vector<float>*> list;
    void counter(const char*, int64_t&) override {}
    void flag(const char*, bool&) override {}
    void buffer(const char*, std::vector<float>& v) override { list.push_back(&v); }
};

std::vector<std::vector<float>*> state_of(nnc::runtime::Optimizer& o) {
    Buffers b;
    o.visit_state(b);
    return b.list;
}

double max_relative_error(const std::vector<float>& got, const std::vector<float>& want) {
    double worst = 0;
    for (size_t i = 0; i < want.size(); ++i) {
        const double scale = std::max(1.0, std::fabs(static_cast<double>(want[i])));
        worst = std::max(worst, std::fabs(static_cast<double>(got[i]) - want[i]) / scale);
    }
    return worst;
}

struct Case {
    const char* what;
    OptimizerConfig config;
    float grad_scale;         // 1: no clip_norm
    float clip_value = 0.0f;  // 0: no clip_value
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.what; }

OptimizerConfig make(const char* name, void (*tweak)(OptimizerConfig&)) {
    OptimizerConfig c = nnc::runtime::optimizer_defaults(name);
    if (tweak) tweak(c);
    return c;
}

class DeviceOptimizer : public ::testing::TestWithParam<Case> {};

// The host optimizer steps the arena; the kernel steps its own copy with the scalars a second,
// identical optimizer hands out through device_update. Both must agree after every step.
TEST_P(DeviceOptimizer, MatchesTheHostOptimizerStepByStep) {
    const Case& c = GetParam();
    auto host = nnc::runtime::make_optimizer(c.config, kCount);
    auto scalars = nnc::runtime::make_optimizer(c.config, kCount);
    const Halide::Target target = nnc::codegen::device_kernel_target(nnc::codegen::host_target());

    std::vector<float> host_params(kCount), device_params(kCount);
    for (int i = 0; i < kCount; ++i) host_params[i] = device_params[i] = initial(i);
    // The device slots start from the host optimizer's initial state (adagrad's accumulator
    // value), zeros where it keeps none (no momentum): as runtime/device.cpp uploads them.
    const std::vector<std::vector<float>*> host_state = state_of(*host);
    std::vector<std::vector<float>> device_state;
    for (std::vector<float>* s : host_state) device_state.push_back(s->empty() ? std::vector<float>(kCount, 0.0f) : *s);

    DeviceUpdate first = scalars->device_update();  // only for the kernel's identity
    scalars = nnc::runtime::make_optimizer(c.config, kCount);
    DeviceKernelPipeline k = nnc::codegen::device_optimizer_pipeline(first.kernel, /*gpu=*/false);
    ASSERT_EQ(k.images.size(), 2 + device_state.size());
    k.pipeline.compile_jit(target);

    for (int t = 0; t < kSteps; ++t) {
        std::vector<float> grads(kCount), scaled(kCount);
        for (int i = 0; i < kCount; ++i) {
            grads[i] = gradient(t, i);
            scaled[i] = grads[i] * c.grad_scale;  // safeguards.cpp's scale(): the host's clip_norm
        }
        // safeguards.cpp's clip_value, after clip_norm, as train_loop.cpp applies them.
        if (c.clip_value > 0) nnc::runtime::clip_by_value(scaled.data(), kCount, c.clip_value, nullptr);
        host->step(host_params.data(), c.grad_scale == 1.0f && c.clip_value == 0 ? grads.data() : scaled.data());

        DeviceUpdate u = scalars->device_update();
        ASSERT_EQ(u.kernel, first.kernel);
        ASSERT_EQ(u.scalars.size(), k.float_scalars.size());
        EXPECT_EQ(u.scalars[0], 1.0f) << "grad_scale starts at 1";
        EXPECT_EQ(u.scalars[1], nnc::runtime::kNoClip) << "clip_value starts off";
        u.scalars[0] = c.grad_scale;
        if (c.clip_value > 0) u.scalars[1] = c.clip_value;
        for (size_t s = 0; s < u.scalars.size(); ++s) k.float_scalars[s].set(u.scalars[s]);
        k.images[0].set(Halide::Buffer<float>(device_params.data(), kCount));
        k.images[1].set(Halide::Buffer<float>(grads.data(), kCount));
        for (size_t s = 0; s < device_state.size(); ++s)
            k.images[2 + s].set(Halide::Buffer<float>(device_state[s].data(), kCount));
        Halide::Realization r = k.pipeline.realize({kCount}, target);
        ASSERT_EQ(r.size(), 1 + device_state.size());
        Halide::Buffer<float> p = r[0];
        std::copy(p.data(), p.data() + kCount, device_params.begin());
        for (size_t s = 0; s < device_state.size(); ++s) {
            Halide::Buffer<float> out = r[s + 1];
            std::copy(out.data(), out.data() + kCount, device_state[s].begin());
        }

        EXPECT_LE(max_relative_error(device_params, host_params), kTolerance)
            << c.what << ": params after step " << t + 1;
        for (size_t s = 0; s < host_state.size(); ++s) {
            if (!host_state[s]->empty()) {
                EXPECT_LE(max_relative_error(device_state[s], *host_state[s]), kTolerance)
                    << c.what << ": state " << s << " after step " << t + 1;
            }
        }
    }
    // The run moved the parameters (a kernel that copied them through could not pass above).
    double moved = 0;
    for (int i = 0; i < kCount; ++i)
        moved = std::max(moved, std::fabs(static_cast<double>(host_params[i]) - initial(i)));
    EXPECT_GT(moved, 1e-4) << c.what;
}

INSTANTIATE_TEST_SUITE_P(
    EveryOptimizer, DeviceOptimizer,
    ::testing::Values(
        Case{"sgd", make("sgd", [](OptimizerConfig& c) { c.lr = 0.1; }), 1.0f},
        Case{"sgd_momentum", make("sgd", [](OptimizerConfig& c) { c.lr = 0.1, c.momentum = 0.9; }), 1.0f},
        Case{"sgd_nesterov", make("sgd", [](OptimizerConfig& c) { c.lr = 0.1, c.momentum = 0.9, c.nesterov = true; }),
             1.0f},
        Case{"sgd_weight_decay",
             make("sgd", [](OptimizerConfig& c) { c.lr = 0.1, c.momentum = 0.5, c.weight_decay = 0.01; }), 1.0f},
        Case{"sgd_grad_scale", make("sgd", [](OptimizerConfig& c) { c.lr = 0.1, c.momentum = 0.9; }), 0.37f},
        Case{"adam", make("adam", nullptr), 1.0f},
        Case{"adam_weight_decay", make("adam", [](OptimizerConfig& c) { c.lr = 0.01, c.weight_decay = 0.1; }), 1.0f},
        Case{"adam_grad_scale", make("adam", [](OptimizerConfig& c) { c.lr = 0.01; }), 0.25f},
        Case{"adam_clip_value", make("adam", [](OptimizerConfig& c) { c.lr = 0.01; }), 1.0f, 0.3f},
        Case{"sgd_clip_norm_and_value", make("sgd", [](OptimizerConfig& c) { c.lr = 0.1, c.momentum = 0.9; }), 0.5f,
             0.2f},
        Case{"adamw", make("adamw", [](OptimizerConfig& c) { c.lr = 0.01; }), 1.0f},
        Case{"adagrad", make("adagrad", nullptr), 1.0f},
        Case{"adagrad_lr_decay",
             make("adagrad",
                  [](OptimizerConfig& c) {
                      c.lr_decay = 0.1, c.initial_accumulator_value = 0.5, c.weight_decay = 0.01;
                  }),
             1.0f},
        Case{"adadelta", make("adadelta", [](OptimizerConfig& c) { c.weight_decay = 0.01; }), 1.0f},
        Case{"rmsprop", make("rmsprop", nullptr), 1.0f},
        Case{"rmsprop_centered", make("rmsprop", [](OptimizerConfig& c) { c.centered = true; }), 1.0f},
        Case{"rmsprop_momentum", make("rmsprop", [](OptimizerConfig& c) { c.momentum = 0.9, c.weight_decay = 0.01; }),
             1.0f},
        Case{"rmsprop_centered_momentum",
             make("rmsprop", [](OptimizerConfig& c) { c.centered = true, c.momentum = 0.9; }), 0.5f, 0.25f}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.what); });

// Tensors of 5, 100, 1, 700, 33 and 5000 floats in an arena padded to 32-float boundaries with zeros,
// as nnc_model lays them out.
TEST(DeviceGradSumsq, MatchesADoublePrecisionSumPerTensor) {
    // 5000 floats: 157 chunks, three groups of 64 (device_optimizers.cpp), the last partial.
    const std::vector<int> counts = {5, 100, 1, 700, 33, 5000};
    std::vector<int32_t> chunk_begin{0};
    std::vector<int> offset;
    int size = 0;
    for (int n : counts) {
        offset.push_back(size);
        size += (n + 31) / 32 * 32;
        chunk_begin.push_back(size / 32);
    }
    int max_chunks = 0;
    for (size_t t = 0; t < counts.size(); ++t) max_chunks = std::max(max_chunks, chunk_begin[t + 1] - chunk_begin[t]);
    std::vector<float> grads(static_cast<size_t>(size), 0.0f);
    std::vector<double> want(counts.size(), 0.0);
    for (size_t t = 0; t < counts.size(); ++t)
        for (int i = 0; i < counts[t]; ++i) {
            const float g = gradient(static_cast<int>(t), i) * (t == 2 ? 1e3f : 1.0f) + 1e-3f * static_cast<float>(i);
            grads[static_cast<size_t>(offset[t] + i)] = g;
            want[t] += static_cast<double>(g) * static_cast<double>(g);
        }
    DeviceKernelPipeline k = nnc::codegen::device_grad_sumsq_pipeline(/*gpu=*/false);
    ASSERT_EQ(k.images.size(), 2u);
    ASSERT_EQ(k.int_scalars.size(), 1u);
    k.images[0].set(Halide::Buffer<float>(grads.data(), size));
    k.images[1].set(Halide::Buffer<int32_t>(chunk_begin.data(), static_cast<int>(chunk_begin.size())));
    k.int_scalars[0].set(max_chunks);
    Halide::Buffer<double> got = k.pipeline.realize({static_cast<int>(counts.size())},
                                                    nnc::codegen::device_kernel_target(nnc::codegen::host_target()));
    for (size_t t = 0; t < counts.size(); ++t) {
        EXPECT_GT(want[t], 0.0);
        EXPECT_NEAR(got(static_cast<int>(t)), want[t], 1e-12 * want[t]) << "tensor " << t;
    }
}

}  // namespace
