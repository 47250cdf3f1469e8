// The train section's vocabulary (nnc/train_vocabulary.h) against the C ABI: every optimizer,
// schedule, monitor, mode, divergence policy and train setting it names goes through
// nnc_train_config_set to the value nnc.h gives it and is accepted by the runtime that reads it;
// bad text is refused with a message that names the setting and what it accepts.
#include "tests/runtime/test_support.h"

#include <nnc/device_kernels.h>
#include <nnc/model_desc.h>
#include <nnc/train_vocabulary.h>

#include <cmath>
#include <string>
#include <vector>

#include "runtime/lr_schedule.h"
#include "runtime/optimizers/optimizer.h"

namespace {

namespace vocab = nnc::vocab;

// Each required parameter with a valid value, as text: "step(every=1)".
std::string minimal_call(const vocab::Callable& c) {
    std::string args;
    for (const vocab::Param& p : c.params) {
        if (!p.required) continue;
        const std::string value = p.type == vocab::Type::IntList ? "[1]" : p.type == vocab::Type::Int ? "1" : "0.5";
        args += (args.empty() ? "" : ", ") + std::string(p.name) + "=" + value;
    }
    return args.empty() ? c.name : std::string(c.name) + "(" + args + ")";
}

nnc_status set(nnc_train_config& t, const char* key, const std::string& text, nnc_optimizer_config* o = nullptr) {
    return nnc_train_config_set(&t, o, key, text.c_str());
}

TEST(TrainVocabulary, EveryOptimizerRoundTripsThroughTheAbi) {
    ModelPtr m = create_model();
    for (const vocab::Callable& c : vocab::kOptimizers) {
        SCOPED_TRACE(c.name);
        nnc_train_config t{};
        nnc_optimizer_config o{};
        ASSERT_EQ(set(t, "optimizer", c.name, &o), NNC_OK) << nnc_last_error();
        EXPECT_STREQ(o.name, c.name);
        for (const vocab::Param& p : c.params) EXPECT_EQ(vocab::optimizer_field(o, p.c_field()), p.value) << p.name;
        ASSERT_EQ(nnc_model_set_optimizer(m.get(), &o), NNC_OK) << nnc_last_error();
        nnc_optimizer_config back{};
        ASSERT_EQ(nnc_model_get_optimizer(m.get(), &back), NNC_OK);
        EXPECT_STREQ(back.name, c.name);
        for (const vocab::Param& p : c.params) EXPECT_EQ(vocab::optimizer_field(back, p.c_field()), p.value) << p.name;

        // torch's defaults: the vocabulary's torch column.
        nnc_optimizer_config torch{};
        ASSERT_EQ(nnc_optimizer_defaults(c.name, &torch), NNC_OK) << nnc_last_error();
        EXPECT_STREQ(torch.name, c.name);
        for (const vocab::Param& p : c.params)
            EXPECT_EQ(vocab::optimizer_field(torch, p.c_field()), p.torch_default()) << p.name;
        ASSERT_EQ(nnc_model_set_optimizer(m.get(), &torch), NNC_OK) << nnc_last_error();
    }
}

TEST(TrainVocabulary, OptimizerNamesAreTheRuntimes) {
    std::vector<std::string> runtime_names;
    for (const char* const* n = nnc::runtime::optimizer_names(); *n; ++n) runtime_names.emplace_back(*n);
    EXPECT_EQ(runtime_names, vocab::optimizer_names());
    EXPECT_EQ(vocab::join(vocab::optimizer_names()), "sgd, adam, adamw, adagrad, adadelta, rmsprop");
    EXPECT_EQ(runtime_names.size(), std::size(vocab::kOptimizers));
    // Each optimizer's implementation is its kernel family's (nnc_device_kernels.optimizers).
    for (const vocab::Callable& c : vocab::kOptimizers) {
        EXPECT_GE(c.value, 0) << c.name;
        EXPECT_LT(c.value, NNC_DEVICE_OPTIMIZERS) << c.name;
        EXPECT_NE(nnc::runtime::make_optimizer(nnc::runtime::optimizer_defaults(c.name), 4), nullptr);
        nnc::runtime::DeviceKernel kernel{};
        ASSERT_TRUE(nnc::runtime::device_kernel_of(c.name, kernel)) << c.name;
        EXPECT_EQ(static_cast<int>(kernel), c.value) << c.name;
    }
}

// The state buffers the vocabulary counts for an optimizer (the .nn checker's memory estimate)
// are the ones its implementation keeps after a step, with and without the parameters that add one.
TEST(TrainVocabulary, StateBuffersAreTheOptimizersOwn) {
    struct Count final : nnc::runtime::OptimizerStateFields {
        int buffers = 0;
        void counter(const char*, int64_t&) override {}
        void flag(const char*, bool&) override {}
        void buffer(const char*, std::vector<float>& v) override { buffers += v.empty() ? 0 : 1; }
    };
    for (const vocab::Callable& c : vocab::kOptimizers)
        for (int variant = 0; variant < 4; ++variant) {
            nnc::runtime::OptimizerConfig config = nnc::runtime::optimizer_defaults(c.name);
            if (vocab::has_param(c, "momentum")) config.momentum = variant & 1 ? 0.5 : 0.0;
            if (vocab::has_param(c, "centered")) config.centered = (variant & 2) != 0;
            config.nesterov = false;
            SCOPED_TRACE(std::string(c.name) + " momentum " + std::to_string(config.momentum) + " centered " +
                         std::to_string(config.centered));
            auto optimizer = nnc::runtime::make_optimizer(config, 4);
            std::vector<float> params(4, 1.0f), grads(4, 0.5f);
            optimizer->step(params.data(), grads.data());
            Count count;
            optimizer->visit_state(count);
            EXPECT_EQ(vocab::state_buffers(config), count.buffers);
        }
}

TEST(TrainVocabulary, EveryScheduleIsItsAbiKindAndValid) {
    for (const vocab::Callable& c : vocab::kSchedules) {
        const std::string text = minimal_call(c);
        SCOPED_TRACE(text);
        nnc_train_config t{};
        t.epochs = 7;
        t.schedule.warmup_steps = 3;
        ASSERT_EQ(set(t, "schedule", text), NNC_OK) << nnc_last_error();
        EXPECT_EQ(t.schedule.kind, c.value);
        EXPECT_EQ(t.schedule.warmup_steps, 3);  // the warm-up is kept
        EXPECT_NO_THROW(nnc::runtime::validate_schedule(t.schedule));
    }
    nnc_train_config t{};
    t.epochs = 9;
    ASSERT_EQ(set(t, "schedule", "cosine"), NNC_OK);
    EXPECT_EQ(t.schedule.epochs, 9);  // cosine runs over the training epochs
    ASSERT_EQ(set(t, "schedule", "multistep(milestones=[3, 8], factor=0.5)"), NNC_OK) << nnc_last_error();
    EXPECT_EQ(t.schedule.num_milestones, 2);
    EXPECT_EQ(t.schedule.milestones[1], 8);
    EXPECT_EQ(t.schedule.factor, 0.5);
    // The enum's names in messages are nnc.h's.
    EXPECT_EQ(vocab::enumerators(vocab::kSchedules, "NNC_SCHEDULE_"),
              "0 constant, 1 step, 2 multistep, 3 exponential, 4 cosine, 5 plateau");
}

TEST(TrainVocabulary, EveryMonitorAndModeIsItsAbiValue) {
    for (const vocab::Word& m : vocab::kMonitors) {
        for (const vocab::Word& mode : vocab::kModes) {
            const std::string args = std::string("monitor=") + m.name + ", mode=" + mode.name;
            nnc_train_config t{};
            ASSERT_EQ(set(t, "early_stopping", "early_stopping(" + args + ")"), NNC_OK) << nnc_last_error();
            EXPECT_EQ(t.early_stopping.enabled, 1);
            EXPECT_EQ(t.early_stopping.monitor, m.value);
            EXPECT_EQ(t.early_stopping.mode, mode.value);
            ASSERT_EQ(set(t, "schedule", "reduce_on_plateau(" + args + ")"), NNC_OK) << nnc_last_error();
            EXPECT_EQ(t.schedule.monitor, m.value);
            EXPECT_EQ(t.schedule.mode, mode.value);
        }
        EXPECT_STREQ(nnc::runtime::monitor_name(m.value), m.name);
    }
    nnc_epoch_stats s{};
    s.val_loss = 1, s.val_accuracy = 2, s.train_loss = 3;
    EXPECT_EQ(nnc::runtime::metric_of(NNC_MONITOR_VAL_LOSS, s), 1);
    EXPECT_EQ(nnc::runtime::metric_of(NNC_MONITOR_VAL_ACCURACY, s), 2);
    EXPECT_EQ(nnc::runtime::metric_of(NNC_MONITOR_TRAIN_LOSS, s), 3);
}

TEST(TrainVocabulary, EveryDivergencePolicyIsItsAbiValue) {
    for (const vocab::Callable& c : vocab::kDivergencePolicies) {
        nnc_train_config t{};
        ASSERT_EQ(set(t, "on_divergence", c.name), NNC_OK) << nnc_last_error();
        EXPECT_EQ(t.on_divergence, c.value);
        EXPECT_EQ(t.explode_factor, 1e3);
    }
    nnc_train_config t{};
    ASSERT_EQ(set(t, "on_divergence", "rollback(factor=0.1, retries=4)"), NNC_OK) << nnc_last_error();
    EXPECT_EQ(t.on_divergence, NNC_DIVERGENCE_ROLLBACK);
    EXPECT_EQ(t.divergence_factor, 0.1);
    EXPECT_EQ(t.divergence_retries, 4);
}

TEST(TrainVocabulary, EveryTrainSettingIsAccepted) {
    for (const vocab::Setting& s : vocab::kTrainSettings) {
        SCOPED_TRACE(s.key);
        nnc_train_config t{};
        t.epochs = 4;
        nnc_optimizer_config o{};
        const std::string text = s.kind == vocab::SettingKind::Callable ? minimal_call(s.callables.front())
                                 : s.kind == vocab::SettingKind::Number ? "0.5"
                                                                        : "3";
        const nnc_status status = set(t, s.key, text, &o);
        if (std::string(s.key) == "validation") {
            EXPECT_EQ(status, NNC_ERR_INVALID_ARGUMENT);
            EXPECT_NE(std::string(nnc_last_error()).find("nnc_dataset_slice"), std::string::npos);
        } else {
            EXPECT_EQ(status, NNC_OK) << nnc_last_error();
        }
    }
    nnc_train_config t{};
    ASSERT_EQ(set(t, "batch", "32"), NNC_OK);
    ASSERT_EQ(set(t, "accumulate", "2"), NNC_OK);
    ASSERT_EQ(set(t, "clip_norm", "1e-1"), NNC_OK);
    ASSERT_EQ(set(t, "warmup", "warmup(epochs=2, start=0.1)"), NNC_OK);
    EXPECT_EQ(t.batch, 32);
    EXPECT_EQ(t.accumulate, 2);
    EXPECT_EQ(t.clip_norm, 0.1);
    EXPECT_EQ(t.schedule.warmup_epochs, 2);
    EXPECT_EQ(t.schedule.warmup_start, 0.1);
    ASSERT_EQ(set(t, "warmup", "500"), NNC_OK);
    EXPECT_EQ(t.schedule.warmup_steps, 500);
    EXPECT_EQ(t.schedule.warmup_epochs, 0);
}

// What a wrong text says: the setting, what was wrong, what it accepts; nothing changes.
TEST(TrainVocabulary, BadTextNamesTheSettingAndWhatItAccepts) {
    const struct {
        const char* key;
        const char* text;
        std::vector<const char*> mentions;
    } cases[] = {
        {"schedule",
         "stepp(every=10)",
         {"train setting 'schedule'", "unknown schedule 'stepp'", "did you mean 'step'", "cosine(epochs, min_lr=0)"}},
        {"on_divergence",
         "rollback(factor=2)",
         {"train setting 'on_divergence'", "'factor' of rollback must be in (0, 1), got 2"}},
        {"on_divergence",
         "rollback(factor=1.5, retries=0)",
         {"must be in (0, 1), got 1.5", "'retries' of rollback must be at least 1, got 0"}},
        {"schedule",
         "reduce_on_plateau(monitor=val_los)",
         {"unknown value 'val_los' for attribute 'monitor'", "did you mean 'val_loss'", "val_accuracy, train_loss"}},
        {"schedule",
         "step(evry=3)",
         {"unknown attribute 'evry' for 'step'", "did you mean 'every'", "'step' takes: every, factor"}},
        {"schedule", "step()", {"missing required attribute 'every' for 'step'"}},
        {"schedule", "multistep(milestones=[30, 10])", {"'milestones' of multistep must be 1 to 16 increasing epochs"}},
        {"schedule", "cosine(epochs=20", {"expected ',' or ')'", "column 17"}},
        {"warmup", "warmup(steps=100, epochs=2)", {"warmup needs exactly one of 'steps' and 'epochs'"}},
        {"optimizer", "sgd(nesterov=true, momentum=0)", {"'nesterov' of sgd needs a momentum greater than 0"}},
        {"optimizer", "adan", {"unknown optimizer 'adan'", "did you mean 'adam'", "rmsprop(lr, alpha"}},
        {"batch", "0", {"train setting 'batch' must be at least 1, got 0"}},
        {"clip_norm", "-5", {"train setting 'clip_norm' must be greater than 0, got -5"}},
        {"epoch", "3", {"unknown train setting 'epoch'", "did you mean 'epochs'", "on_divergence"}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(std::string(c.key) + " = " + c.text);
        nnc_train_config t{};
        t.batch = 17;
        t.schedule.kind = NNC_SCHEDULE_STEP;
        nnc_optimizer_config o{};
        EXPECT_EQ(nnc_train_config_set(&t, &o, c.key, c.text), NNC_ERR_INVALID_ARGUMENT);
        const std::string error = nnc_last_error();
        for (const char* m : c.mentions) EXPECT_NE(error.find(m), std::string::npos) << m << "\n" << error;
        EXPECT_EQ(t.batch, 17);  // unchanged
        EXPECT_EQ(t.schedule.kind, NNC_SCHEDULE_STEP);
        EXPECT_EQ(t.schedule.warmup_steps, 0);
        EXPECT_EQ(t.early_stopping.enabled, 0);
        EXPECT_EQ(t.on_divergence, 0);
        EXPECT_EQ(o.name, nullptr);
    }
    nnc_train_config t{};
    EXPECT_EQ(nnc_train_config_set(nullptr, nullptr, "batch", "1"), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(nnc_train_config_set(&t, nullptr, nullptr, "1"), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(nnc_train_config_set(&t, nullptr, "batch", nullptr), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(nnc_train_config_set(&t, nullptr, "optimizer", "adam"), NNC_ERR_INVALID_ARGUMENT);
}

}  // namespace
