// One translation of the train section: a setting's text checked in a .nn file (what codegen
// writes into the descriptor) and the same text through nnc_train_config_set (what `nnc train
// --schedule ...` and apps use) give the same C structs, and are refused alike.
#include <gtest/gtest.h>

#include <nnc/nnc.h>
#include <nnc/train_vocabulary.h>

#include <string>

#include "tests/dsl/compile_helper.h"

namespace nnc::dsl {
namespace {

using testing::compile;
using testing::Result;

std::string model_with(const std::string& key, const std::string& text) {
    return "model m {\n  input x: [2]\n  target y: [2]\n  loss = mse(x, y)\n  train {\n    epochs = 6\n    " + key +
           " = " + text + "\n  }\n}\n";
}

// The runtime's starting point: what a train section without the setting gives.
nnc_train_config abi_defaults(const TrainConfig& t) {
    nnc_train_config c{};
    c.epochs = t.epochs;
    c.schedule = t.schedule;
    c.early_stopping = t.early_stopping;
    vocab::rest_divergence(c);
    return c;
}

void expect_same_schedule(const nnc_lr_schedule& a, const nnc_lr_schedule& b) {
    EXPECT_EQ(a.kind, b.kind);
    EXPECT_EQ(a.num_milestones, b.num_milestones);
    for (int i = 0; i < a.num_milestones && i < NNC_MAX_MILESTONES; ++i) EXPECT_EQ(a.milestones[i], b.milestones[i]);
#define NNC_EXPECT_SAME(f) EXPECT_EQ(a.f, b.f) << #f;
    NNC_VOCAB_SCHEDULE_FIELDS(NNC_EXPECT_SAME)
}

TEST(TrainVocabulary, CheckerAndRuntimeTranslateAlike) {
    const std::pair<const char*, const char*> settings[] = {
        {"schedule", "constant"},
        {"schedule", "step(every=10, factor=0.5)"},
        {"schedule", "step(3)"},
        {"schedule", "multistep(milestones=[30, 60], factor=0.2)"},
        {"schedule", "exponential(gamma=0.95)"},
        {"schedule", "cosine"},
        {"schedule", "cosine(epochs=20, min_lr=1e-5)"},
        {"schedule", "reduce_on_plateau(monitor=val_accuracy, mode=max, factor=0.3, patience=2, threshold_mode=abs)"},
        {"warmup", "500"},
        {"warmup", "warmup(epochs=2, start=0.1)"},
        {"early_stopping", "early_stopping(monitor=train_loss, patience=3, min_delta=0.01)"},
        {"on_divergence", "stop"},
        {"on_divergence", "stop(explode_factor=50)"},
        {"on_divergence", "rollback(factor=0.1, retries=4)"},
        {"optimizer", "adam"},
        {"optimizer", "adam(1e-3, 0.8)"},
        {"optimizer", "adamw(weight_decay=0.05)"},
        {"optimizer", "sgd(lr=0.1, nesterov=true)"},
        {"optimizer", "adagrad(lr_decay=0.01, initial_accumulator_value=0.1)"},
        {"optimizer", "adadelta(rho=0.95)"},
        {"optimizer", "rmsprop(momentum=0.5, centered=true)"},
    };
    const Result plain = compile(model_with("seed", "1"));
    ASSERT_TRUE(plain.model) << plain.errors;
    for (const auto& [key, text] : settings) {
        SCOPED_TRACE(std::string(key) + " = " + text);
        const Result r = compile(model_with(key, text));
        ASSERT_TRUE(r.model) << r.errors;
        const TrainConfig& checked = r.model->train;

        nnc_train_config t = abi_defaults(plain.model->train);
        nnc_optimizer_config o{};
        ASSERT_EQ(nnc_train_config_set(&t, &o, key, text), NNC_OK) << nnc_last_error();
        expect_same_schedule(t.schedule, checked.schedule);
        EXPECT_EQ(t.early_stopping.enabled, checked.early_stopping.enabled);
        EXPECT_EQ(t.early_stopping.monitor, checked.early_stopping.monitor);
        EXPECT_EQ(t.early_stopping.mode, checked.early_stopping.mode);
        EXPECT_EQ(t.early_stopping.patience, checked.early_stopping.patience);
        EXPECT_EQ(t.early_stopping.min_delta, checked.early_stopping.min_delta);
        EXPECT_EQ(t.on_divergence, checked.divergence.on_divergence);
        EXPECT_EQ(t.divergence_factor, checked.divergence.divergence_factor);
        EXPECT_EQ(t.divergence_retries, checked.divergence.divergence_retries);
        EXPECT_EQ(t.explode_factor, checked.divergence.explode_factor);
        if (std::string(key) == "optimizer") {
            EXPECT_EQ(std::string(o.name), checked.optimizer.name);
#define NNC_EXPECT_SAME_OPTIMIZER(f) \
    EXPECT_EQ(static_cast<double>(o.f), static_cast<double>(checked.optimizer.f)) << #f;
            NNC_VOCAB_OPTIMIZER_FIELDS(NNC_EXPECT_SAME_OPTIMIZER)
        }
    }
}

TEST(TrainVocabulary, CheckerAndRuntimeRefuseAlike) {
    const std::pair<const char*, const char*> settings[] = {
        {"schedule", "stepp(every=10)"},
        {"schedule", "step"},
        {"schedule", "step(every=0)"},
        {"schedule", "multistep(milestones=[3, 2])"},
        {"schedule", "exponential(gamma=1.5)"},
        {"schedule", "reduce_on_plateau(monitor=val_los)"},
        {"schedule", "reduce_on_plateau(factor=2, patience=-1)"},
        {"schedule", "cosine(epochs=0)"},
        {"schedule", "cosine(epoch=3)"},
        {"schedule", "5"},
        {"warmup", "0"},
        {"warmup", "warmup(steps=100, epochs=2)"},
        {"warmup", "warmup(start=0)"},
        {"early_stopping", "early_stopping(monitor=val_loss, patience=-1, delta=0.1)"},
        {"early_stopping", "stop"},
        {"on_divergence", "rollback(factor=1.5, retries=0)"},
        {"on_divergence", "stop(explode_factor=1)"},
        {"on_divergence", "panic"},
        {"optimizer", "adan(lr=1e-3)"},
        {"optimizer", "sgd(lr=-0.1, momentum=0.9, beta1=0.9)"},
        {"optimizer", "sgd(nesterov=true, momentum=0)"},
        {"optimizer", "rmsprop(lr=0.01, alpha=1.5)"},
        {"optimizer", "adam(lr=1e-3, lr=1e-2)"},
        {"optimizer", "adam(beta1=0.9, 1e-3)"},
        {"optimizer", "adam(1, 2, 3, 4, 5, 6)"},
        {"optimizer", "adam(lr=fast)"},
        {"batch", "0"},
        {"batch", "2.5"},
        {"clip_norm", "-5"},
        {"clip_value", "fast"},
        {"accumulate", "0"},
    };
    for (const auto& [key, text] : settings) {
        SCOPED_TRACE(std::string(key) + " = " + text);
        const Result r = compile(model_with(key, text));
        EXPECT_FALSE(r.model);
        nnc_train_config t{};
        nnc_optimizer_config o{};
        EXPECT_EQ(nnc_train_config_set(&t, &o, key, text), NNC_ERR_INVALID_ARGUMENT);
    }
}

// Every word of the vocabulary is what the checker accepts: each optimizer, schedule, monitor,
// mode and divergence policy by name.
TEST(TrainVocabulary, CheckerAcceptsEveryWord) {
    for (const vocab::Callable& c : vocab::kOptimizers) EXPECT_TRUE(compile(model_with("optimizer", c.name)).model);
    for (const vocab::Callable& c : vocab::kDivergencePolicies)
        EXPECT_TRUE(compile(model_with("on_divergence", c.name)).model);
    for (const vocab::Word& m : vocab::kMonitors)
        for (const vocab::Word& mode : vocab::kModes) {
            const Result r = compile(model_with(
                "schedule", std::string("reduce_on_plateau(monitor=") + m.name + ", mode=" + mode.name + ")"));
            ASSERT_TRUE(r.model) << r.errors;
            EXPECT_EQ(r.model->train.schedule.kind, NNC_SCHEDULE_PLATEAU);
            EXPECT_EQ(r.model->train.schedule.monitor, m.value);
            EXPECT_EQ(r.model->train.schedule.mode, mode.value);
        }
}

}  // namespace
}  // namespace nnc::dsl
