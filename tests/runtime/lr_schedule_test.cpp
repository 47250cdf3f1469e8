// Learning-rate schedules against torch.optim.lr_scheduler: the lr of every update over 12
// epochs of 3 updates, each schedule alone and with linear warm-up (torch_schedule_reference.py).
#include "runtime/lr_schedule.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tests/runtime/torch_reference.h"

namespace {

constexpr int kEpochs = 12, kSteps = 3;
constexpr double kBaseLr = 0.1;

double metric(int e) { return 1 + ((7 * e) % 5) / 100.0 - (e / 6) / 50.0; }

nnc_lr_schedule warmed(nnc_lr_schedule s, int64_t steps, int64_t epochs, double start) {
    s.warmup_steps = steps;
    s.warmup_epochs = epochs;
    s.warmup_start = start;
    return s;
}

nnc_lr_schedule constant() { return nnc_lr_schedule{}; }
nnc_lr_schedule step(int64_t every, double factor) {
    nnc_lr_schedule s{};
    s.kind = NNC_SCHEDULE_STEP;
    s.every = every;
    s.factor = factor;
    return s;
}
nnc_lr_schedule multistep(double factor, std::vector<int64_t> milestones) {
    nnc_lr_schedule s{};
    s.kind = NNC_SCHEDULE_MULTISTEP;
    s.factor = factor;
    s.num_milestones = static_cast<int>(milestones.size());
    for (size_t i = 0; i < milestones.size(); ++i) s.milestones[i] = milestones[i];
    return s;
}
nnc_lr_schedule exponential(double factor) {
    nnc_lr_schedule s{};
    s.kind = NNC_SCHEDULE_EXPONENTIAL;
    s.factor = factor;
    return s;
}
nnc_lr_schedule cosine(int64_t epochs, double min_lr) {
    nnc_lr_schedule s{};
    s.kind = NNC_SCHEDULE_COSINE;
    s.epochs = epochs;
    s.min_lr = min_lr;
    return s;
}
nnc_lr_schedule plateau(int mode, double factor, int64_t patience, int64_t cooldown, double threshold, bool abs,
                        double min_lr) {
    nnc_lr_schedule s{};
    s.kind = NNC_SCHEDULE_PLATEAU;
    s.monitor = NNC_MONITOR_VAL_LOSS;
    s.mode = mode;
    s.factor = factor;
    s.patience = patience;
    s.cooldown = cooldown;
    s.threshold = threshold;
    s.threshold_abs = abs;
    s.min_lr = min_lr;
    return s;
}

struct Case {
    const char* torch_config;
    nnc_lr_schedule schedule;
};

const std::vector<Case>& cases() {
    static const std::vector<Case> all = {
        {"constant", constant()},
        {"step:3:0.5", step(3, 0.5)},
        {"step:1:0.9", step(1, 0.9)},
        {"multistep:0.1:2-5-9", multistep(0.1, {2, 5, 9})},
        {"exponential:0.8", exponential(0.8)},
        // Within T: torch's cosine rises again after T, ours holds min_lr (tested below).
        {"cosine:12:0.001", cosine(12, 0.001)},
        {"plateau:min:0.5:1:0:0.0001:rel:0", plateau(NNC_MODE_MIN, 0.5, 1, 0, 1e-4, false, 0)},
        {"plateau:min:0.3:0:2:0.005:abs:0.01", plateau(NNC_MODE_MIN, 0.3, 0, 2, 0.005, true, 0.01)},
        {"plateau:max:0.5:2:1:0.0001:rel:0", plateau(NNC_MODE_MAX, 0.5, 2, 1, 1e-4, false, 0)},
        {"warmup_steps:5:0.25/constant", warmed(constant(), 5, 0, 0.25)},
        {"warmup_steps:7:0.333333333333333333/step:2:0.5", warmed(step(2, 0.5), 7, 0, 0)},
        {"warmup_steps:4:0.1/cosine:12:0", warmed(cosine(12, 0), 4, 0, 0.1)},
        {"warmup_epochs:3:0.2/exponential:0.9", warmed(exponential(0.9), 0, 3, 0.2)},
        {"warmup_epochs:2:0.5/multistep:0.5:4-8", warmed(multistep(0.5, {4, 8}), 0, 2, 0.5)},
    };
    return all;
}

TEST(LrScheduleVsTorch, SameLrAtEveryUpdate) {
    std::string args = std::to_string(kEpochs) + " " + std::to_string(kSteps);
    for (const Case& c : cases()) args += std::string(" ") + c.torch_config;
    std::string log;
    const auto want = run_torch_reference(NNC_TORCH_SCHEDULE_REFERENCE, args, &log);
    if (!torch_available()) GTEST_SKIP() << "/usr/bin/python3 with torch is not available";
    ASSERT_EQ(want.size(), cases().size()) << "the reference script failed: " << log;
    for (size_t k = 0; k < cases().size(); ++k) {
        SCOPED_TRACE(cases()[k].torch_config);
        nnc::runtime::LrSchedule schedule(cases()[k].schedule, kBaseLr);
        ASSERT_EQ(want[k].size(), static_cast<size_t>(kEpochs * kSteps));
        int64_t update = 0;
        for (int e = 0; e < kEpochs; ++e) {
            for (int s = 0; s < kSteps; ++s, ++update) {
                EXPECT_NEAR(schedule.lr(e, update), want[k][update], 1e-9 * kBaseLr) << "epoch " << e << " step " << s;
            }
            schedule.observe(metric(e));
        }
    }
}

TEST(LrSchedule, CosineHoldsMinLrAfterItsEpochs) {
    nnc::runtime::LrSchedule schedule(cosine(4, 0.01), kBaseLr);
    EXPECT_NEAR(schedule.epoch_lr(4), 0.01, 1e-15);
    EXPECT_NEAR(schedule.epoch_lr(9), 0.01, 1e-15);
}

TEST(LrSchedule, RejectsBadSettingsWithTheField) {
    auto message = [](const nnc_lr_schedule& s) {
        try {
            nnc::runtime::validate_schedule(s);
        } catch (const std::exception& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    EXPECT_NE(message(step(0, 0.5)).find("every"), std::string::npos);
    EXPECT_NE(message(step(2, 1.5)).find("factor"), std::string::npos);
    EXPECT_NE(message(multistep(0.5, {5, 3})).find("increasing"), std::string::npos);
    EXPECT_NE(message(warmed(constant(), 3, 2, 0)).find("only one"), std::string::npos);
    EXPECT_EQ(message(cosine(3, 0)), "");
}

}  // namespace
