// Optimizer state for checkpoints: every optimizer, saved after some steps and loaded into a fresh
// one, continues bit for bit like the original; mismatched or damaged state is refused unchanged.
#include "runtime/errors.h"
#include "runtime/initializers.h"
#include "runtime/optimizers/optimizer.h"
#include "tests/runtime/test_support.h"

#include <cstring>

namespace {

using nnc::runtime::OptimizerConfig;

OptimizerConfig config(const std::string& name, void (*tweak)(OptimizerConfig&) = nullptr) {
    OptimizerConfig c = nnc::runtime::optimizer_defaults(name);
    c.weight_decay = 0.01;
    if (tweak) tweak(c);
    return c;
}

std::vector<OptimizerConfig> every_optimizer() {
    return {config("sgd", [](OptimizerConfig& c) { c.momentum = 0.9; }),
            config("sgd",
                   [](OptimizerConfig& c) {
                       c.momentum = 0.9;
                       c.nesterov = true;
                   }),
            config("sgd"),
            config("adam"),
            config("adamw"),
            config("adagrad",
                   [](OptimizerConfig& c) {
                       c.lr_decay = 0.01;
                       c.initial_accumulator_value = 0.1;
                   }),
            config("adadelta"),
            config("rmsprop",
                   [](OptimizerConfig& c) {
                       c.centered = true;
                       c.momentum = 0.5;
                   }),
            config("rmsprop")};
}

std::vector<float> random_values(uint64_t seed, size_t n) {
    nnc::runtime::Rng rng(seed);
    std::vector<float> v(n);
    for (float& x : v) x = static_cast<float>(rng.uniform() * 2 - 1);
    return v;
}

constexpr int64_t kCount = 37;

TEST(OptimizerState, ResumedOptimizerContinuesBitForBit) {
    for (const OptimizerConfig& c : every_optimizer()) {
        SCOPED_TRACE(c.name + (c.momentum ? " momentum" : "") + (c.nesterov ? " nesterov" : "") +
                     (c.centered ? " centered" : ""));
        auto a = nnc::runtime::make_optimizer(c, kCount);
        std::vector<float> pa = random_values(1, kCount);
        for (uint64_t s = 0; s < 5; ++s) a->step(pa.data(), random_values(100 + s, kCount).data());
        const std::vector<uint8_t> state = a->save_state();

        auto b = nnc::runtime::make_optimizer(c, kCount);
        std::vector<float> pb = pa;
        b->load_state(state.data(), state.size(), "'x.ckpt'");
        for (uint64_t s = 5; s < 10; ++s) {
            const std::vector<float> g = random_values(100 + s, kCount);
            a->step(pa.data(), g.data());
            b->step(pb.data(), g.data());
        }
        EXPECT_EQ(std::memcmp(pa.data(), pb.data(), kCount * sizeof(float)), 0);
        EXPECT_EQ(a->save_state(), b->save_state());
    }
}

template <class Fn>
void expect_error(Fn fn, nnc_status status, const std::string& text) {
    try {
        fn();
        ADD_FAILURE() << "no error; expected " << text;
    } catch (const nnc::runtime::Error& e) {
        EXPECT_EQ(e.status(), status) << e.what();
        EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    }
}

TEST(OptimizerState, MismatchedOrDamagedStateIsRefusedWithoutChanges) {
    auto adam = nnc::runtime::make_optimizer(config("adam"), kCount);
    std::vector<float> p = random_values(1, kCount);
    adam->step(p.data(), random_values(2, kCount).data());
    const std::vector<uint8_t> state = adam->save_state();

    auto sgd = nnc::runtime::make_optimizer(config("sgd", [](OptimizerConfig& c) { c.momentum = 0.9; }), kCount);
    const std::vector<uint8_t> before = sgd->save_state();
    expect_error([&] { sgd->load_state(state.data(), state.size(), "'x.ckpt'"); }, NNC_ERR_INVALID_ARGUMENT,
                 "'x.ckpt' holds the state of optimizer 'adam' but the model uses 'sgd'");
    EXPECT_EQ(sgd->save_state(), before);

    auto small = nnc::runtime::make_optimizer(config("adam"), kCount - 1);
    expect_error([&] { small->load_state(state.data(), state.size(), "'x.ckpt'", 100); }, NNC_ERR_INVALID_ARGUMENT,
                 "'x.ckpt' at byte offset 108: the optimizer state covers 37 parameters but the model has 36");

    auto fresh = nnc::runtime::make_optimizer(config("adam"), kCount);
    const std::vector<uint8_t> clean = fresh->save_state();
    for (size_t cut : {size_t{3}, size_t{20}, state.size() - 1}) {
        expect_error([&] { fresh->load_state(state.data(), cut, "'x.ckpt'"); }, NNC_ERR_FORMAT, "truncated");
        EXPECT_EQ(fresh->save_state(), clean);
    }
    std::vector<uint8_t> extra = state;
    extra.push_back(0);
    expect_error([&] { fresh->load_state(extra.data(), extra.size(), "'x.ckpt'"); }, NNC_ERR_FORMAT,
                 "1 unexpected bytes");

    // SGD without momentum has an empty buffer; a state with one does not fit.
    auto plain = nnc::runtime::make_optimizer(config("sgd"), kCount);
    const std::vector<uint8_t> momentum_state = sgd->save_state();
    expect_error([&] { plain->load_state(momentum_state.data(), momentum_state.size(), "'x.ckpt'"); },
                 NNC_ERR_INVALID_ARGUMENT, "buffer 'momentum_buffer' holds 37 values but 0 are expected");
}

}  // namespace
