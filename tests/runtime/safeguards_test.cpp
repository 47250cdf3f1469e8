// Gradient clipping against torch.nn.utils, max-norm constraints on a fake descriptor, and, in
// nnc_train: schedules, early stopping (best weights restored), gradient accumulation.
#include "runtime/safeguards.h"
#include "runtime/model.h"

#include "tests/runtime/fake_model.h"
#include "tests/runtime/test_support.h"
#include "tests/runtime/torch_reference.h"

#include <algorithm>
#include <cmath>

namespace {

constexpr int kCount = 37;

std::vector<float> clip_input() {
    std::vector<float> g(kCount);
    for (int i = 0; i < kCount; ++i) g[i] = static_cast<float>(((7 * i + 13 * 3) % 17 - 8) / 8.0 * 3);
    return g;
}

TEST(ClippingVsTorch, NormAndValue) {
    std::string log;
    const auto want = run_torch_reference(NNC_TORCH_SCHEDULE_REFERENCE,
                                          "1 1 clip_norm:2.5:37 clip_norm:1000:37 clip_value:0.7:37", &log);
    if (!torch_available()) GTEST_SKIP() << "/usr/bin/python3 with torch is not available";
    ASSERT_EQ(want.size(), 3u) << log;
    nnc::runtime::Workers workers(2);
    for (int k = 0; k < 3; ++k) {
        SCOPED_TRACE(k);
        std::vector<float> g = clip_input();
        if (k < 2) {
            const double norm = nnc::runtime::l2_norm(g.data(), kCount, &workers);
            nnc::runtime::clip_by_norm(g.data(), kCount, norm, k == 0 ? 2.5 : 1000, &workers);
        } else {
            nnc::runtime::clip_by_value(g.data(), kCount, 0.7f, &workers);
        }
        ASSERT_EQ(want[k].size(), static_cast<size_t>(kCount));
        for (int i = 0; i < kCount; ++i) EXPECT_NEAR(g[i], want[k][i], 1e-6 * std::max(1.0, std::fabs(want[k][i])));
    }
}

TEST(Clipping, NormDoesNotDependOnThreads) {
    std::vector<float> big(3 * nnc::runtime::kMinFloatsPerThread + 5);
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<float>((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
    nnc::runtime::Workers one(1), three(3);
    EXPECT_EQ(nnc::runtime::l2_norm(big.data(), static_cast<int64_t>(big.size()), &one),
              nnc::runtime::l2_norm(big.data(), static_cast<int64_t>(big.size()), &three));
}

// A classifier whose weight columns must keep an L2 norm <= 0.5.
class MaxNorm : public ::testing::Test {
protected:
    void SetUp() override { use_fake_model(FakeModel::constrained); }
    void TearDown() override { use_fake_model(FakeModel::classifier); }
};

TEST_F(MaxNorm, RescalesOnlyColumnsAboveTheBound) {
    ModelPtr m = create_model();
    // weight [4, 3]: column 0 has norm 2, column 1 norm 0.2, column 2 norm 0.4.
    const std::vector<float> w = {1, 0.1f, 0.2f, 1, 0.1f, 0.2f, 1, 0.1f, 0.2f, 1, 0.1f, 0.2f};
    ASSERT_EQ(nnc_model_set_param(m.get(), 0, w.data(), 12), NNC_OK);
    const std::vector<float> bias = {5, -5, 5};  // no bound on the bias
    ASSERT_EQ(nnc_model_set_param(m.get(), 1, bias.data(), 3), NNC_OK);
    nnc_optimizer_config opt{};
    ASSERT_EQ(nnc_optimizer_defaults("sgd", &opt), NNC_OK);
    opt.lr = 1e-6;  // the update barely moves anything; the constraint does
    ASSERT_EQ(nnc_model_set_optimizer(m.get(), &opt), NNC_OK);
    const std::vector<float> x = {1, 0, 0, 0};
    const int32_t y = 0;
    float loss = 0;
    ASSERT_EQ(nnc_model_train_step(m.get(), x.data(), &y, 1, &loss, nullptr), NNC_OK) << nnc_last_error();
    const std::vector<float> after = get_param(m.get(), 0);
    for (int col = 0; col < 3; ++col) {
        double norm = 0;
        for (int row = 0; row < 4; ++row) norm += after[row * 3 + col] * after[row * 3 + col];
        EXPECT_NEAR(std::sqrt(norm), col == 0 ? 0.5 : col == 1 ? 0.2 : 0.4, 1e-5) << "column " << col;
    }
    EXPECT_NEAR(get_param(m.get(), 1)[0], 5, 1e-4);
}

TEST_F(MaxNorm, HoldsDuringTraining) {
    ModelPtr m = create_model();
    std::vector<float> x;
    std::vector<int32_t> y;
    for (int i = 0; i < 60; ++i) {
        for (int k = 0; k < 4; ++k) x.push_back(k == i % 3 ? 3.0f : 0.0f);
        y.push_back(i % 3);
    }
    nnc_dataset* raw = nullptr;
    ASSERT_EQ(nnc_dataset_from_memory(x.data(), y.data(), 60, 4, NNC_TARGET_CLASSES, 1, &raw), NNC_OK);
    DatasetPtr data(raw);
    nnc_train_config c{};
    c.epochs = 5;
    c.batch = 10;
    c.seed = 3;
    ASSERT_EQ(nnc_train(m.get(), data.get(), nullptr, &c), NNC_OK) << nnc_last_error();
    const std::vector<float> w = get_param(m.get(), 0);
    for (int col = 0; col < 3; ++col) {
        double norm = 0;
        for (int row = 0; row < 4; ++row) norm += w[row * 3 + col] * w[row * 3 + col];
        EXPECT_LE(std::sqrt(norm), 0.5 + 1e-6) << "column " << col;
    }
}

// Training on three separable clusters (as train_loop_test), with a held-out validation set.
struct Data {
    DatasetPtr train, validation;
};

Data clusters(int count) {
    std::vector<float> x;
    std::vector<int32_t> y;
    uint32_t state = 7;
    for (int i = 0; i < count; ++i) {
        for (int k = 0; k < 4; ++k) {
            state = state * 1664525u + 1013904223u;
            x.push_back((k == i % 3 ? 3.0f : 0.0f) + static_cast<float>(state >> 8) / static_cast<float>(1 << 23) -
                        1.0f);
        }
        y.push_back(i % 3);
    }
    nnc_dataset* all = nullptr;
    EXPECT_EQ(nnc_dataset_from_memory(x.data(), y.data(), count, 4, NNC_TARGET_CLASSES, 1, &all), NNC_OK);
    DatasetPtr whole(all);
    nnc_dataset *train = nullptr, *val = nullptr;
    EXPECT_EQ(nnc_dataset_slice(all, 0, count - 30, &train), NNC_OK);
    EXPECT_EQ(nnc_dataset_slice(all, count - 30, 30, &val), NNC_OK);
    return {DatasetPtr(train), DatasetPtr(val)};
}

struct Epochs {
    std::vector<nnc_epoch_stats> stats;
    std::vector<std::vector<float>> weights;  // fc.weight after each epoch
    nnc_model* model = nullptr;
};

int record(void* user, const nnc_epoch_stats* s) {
    auto* e = static_cast<Epochs*>(user);
    e->stats.push_back(*s);
    e->weights.push_back(get_param(e->model, 0));
    return 0;
}

nnc_train_config recorded(Epochs* e, int64_t epochs, int64_t batch) {
    nnc_train_config c{};
    c.epochs = epochs;
    c.batch = batch;
    c.seed = 5;
    c.on_epoch = &record;
    c.user = e;
    return c;
}

TEST(TrainSchedule, StepScheduleAndGradientNormPerEpoch) {
    ModelPtr m = create_model();
    Data d = clusters(150);
    Epochs e;
    e.model = m.get();
    nnc_train_config c = recorded(&e, 3, 20);
    c.schedule.kind = NNC_SCHEDULE_STEP;
    c.schedule.every = 1;
    c.schedule.factor = 0.5;
    ASSERT_EQ(nnc_train(m.get(), d.train.get(), d.validation.get(), &c), NNC_OK) << nnc_last_error();
    ASSERT_EQ(e.stats.size(), 3u);
    for (int i = 0; i < 3; ++i) {
        EXPECT_DOUBLE_EQ(e.stats[i].lr, 0.1 * std::pow(0.5, i));  // the fake model's default lr is 0.1
        EXPECT_GT(e.stats[i].grad_norm, 0);
        EXPECT_TRUE(std::isfinite(e.stats[i].grad_norm));
    }
    nnc_optimizer_config opt{};
    ASSERT_EQ(nnc_model_get_optimizer(m.get(), &opt), NNC_OK);
    EXPECT_EQ(opt.lr, 0.1);  // the base lr is kept
}

TEST(TrainSchedule, PlateauWithoutValidationSaysWhatToDo) {
    ModelPtr m = create_model();
    Data d = clusters(60);
    nnc_train_config c{};
    c.epochs = 1;
    c.batch = 10;
    c.schedule.kind = NNC_SCHEDULE_PLATEAU;
    c.schedule.factor = 0.1;
    EXPECT_EQ(nnc_train(m.get(), d.train.get(), nullptr, &c), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("no validation set");
}

TEST(TrainClipping, NormBoundsEveryUpdate) {
    ModelPtr m = create_model();
    Data d = clusters(60);
    nnc_optimizer_config opt{};
    ASSERT_EQ(nnc_optimizer_defaults("sgd", &opt), NNC_OK);
    opt.lr = 1.0;
    ASSERT_EQ(nnc_model_set_optimizer(m.get(), &opt), NNC_OK);
    const std::vector<float> w0 = get_param(m.get(), 0), b0 = get_param(m.get(), 1);
    nnc_train_config c{};
    c.epochs = 1;
    c.batch = 30;  // the whole training set: one update
    c.clip_norm = 1e-3;
    ASSERT_EQ(nnc_train(m.get(), d.train.get(), nullptr, &c), NNC_OK) << nnc_last_error();
    const std::vector<float> w1 = get_param(m.get(), 0), b1 = get_param(m.get(), 1);
    double moved = 0;
    for (size_t i = 0; i < w0.size(); ++i) moved += (w1[i] - w0[i]) * (w1[i] - w0[i]);
    for (size_t i = 0; i < b0.size(); ++i) moved += (b1[i] - b0[i]) * (b1[i] - b0[i]);
    EXPECT_NEAR(std::sqrt(moved), 1e-3, 1e-6);  // lr * clipped norm
}

TEST(EarlyStopping, StopsAfterPatienceAndRestoresTheBestWeights) {
    ModelPtr m = create_model();
    Data d = clusters(150);
    Epochs e;
    e.model = m.get();
    nnc_train_config c = recorded(&e, 20, 20);
    // The training loss falls every epoch, so in "max" mode only epoch 1 is ever the best.
    c.early_stopping.enabled = 1;
    c.early_stopping.monitor = NNC_MONITOR_TRAIN_LOSS;
    c.early_stopping.mode = NNC_MODE_MAX;
    c.early_stopping.patience = 2;
    ASSERT_EQ(nnc_train(m.get(), d.train.get(), d.validation.get(), &c), NNC_OK) << nnc_last_error();
    ASSERT_EQ(e.stats.size(), 3u);  // epoch 1 best, 2 and 3 without improvement: stop
    EXPECT_EQ(e.stats.back().stopping, 1);
    EXPECT_EQ(e.stats.back().best_epoch, 1);
    EXPECT_NE(get_param(m.get(), 0), e.weights.back());
    EXPECT_EQ(get_param(m.get(), 0), e.weights.front());
}

TEST(EarlyStopping, RestoresTheBestWeightsWhenTrainingEnds) {
    ModelPtr m = create_model();
    Data d = clusters(150);
    Epochs e;
    e.model = m.get();
    nnc_train_config c = recorded(&e, 3, 20);
    c.early_stopping.enabled = 1;
    c.early_stopping.monitor = NNC_MONITOR_TRAIN_LOSS;
    c.early_stopping.mode = NNC_MODE_MAX;
    c.early_stopping.patience = 10;
    ASSERT_EQ(nnc_train(m.get(), d.train.get(), d.validation.get(), &c), NNC_OK) << nnc_last_error();
    ASSERT_EQ(e.stats.size(), 3u);
    EXPECT_EQ(e.stats.back().stopping, 0);
    EXPECT_EQ(get_param(m.get(), 0), e.weights.front());
}

TEST(EarlyStopping, ValAccuracyNeedsValidation) {
    ModelPtr m = create_model();
    Data d = clusters(60);
    nnc_train_config c{};
    c.epochs = 1;
    c.batch = 10;
    c.early_stopping.enabled = 1;
    c.early_stopping.monitor = NNC_MONITOR_VAL_ACCURACY;
    EXPECT_EQ(nnc_train(m.get(), d.train.get(), nullptr, &c), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("early stopping monitors val_accuracy");
}

// Four batches of 8 accumulated make the same update as one batch of 32 (plain SGD).
TEST(Accumulation, EqualsOneLargeBatch) {
    Data d = clusters(126);  // 96 training samples: 3 updates of 32
    std::vector<std::vector<float>> results;
    for (const auto& [batch, accumulate] : {std::pair<int64_t, int64_t>{32, 1}, {8, 4}}) {
        ModelPtr m = create_model();
        ASSERT_EQ(nnc_model_init(m.get(), 9), NNC_OK);
        nnc_optimizer_config opt{};
        ASSERT_EQ(nnc_optimizer_defaults("sgd", &opt), NNC_OK);
        opt.lr = 0.5;
        ASSERT_EQ(nnc_model_set_optimizer(m.get(), &opt), NNC_OK);
        nnc_train_config c{};
        c.epochs = 2;
        c.batch = batch;
        c.accumulate = accumulate;
        c.seed = 11;
        ASSERT_EQ(nnc_train(m.get(), d.train.get(), nullptr, &c), NNC_OK) << nnc_last_error();
        results.push_back(get_param(m.get(), 0));
    }
    for (size_t i = 0; i < results[0].size(); ++i) EXPECT_NEAR(results[0][i], results[1][i], 1e-5) << i;
}

}  // namespace

namespace {

// A conv weight [F, C, K, K] is bounded per filter: each filter's C*K*K weights are one unit.
TEST(MaxNormUnits, ConvWeightsAreBoundedPerFilter) {
    nnc_param_desc weight{};
    weight.name = "conv.weight";
    weight.rank = 4;
    weight.dims[0] = 2, weight.dims[1] = 1, weight.dims[2] = 2, weight.dims[3] = 2;
    weight.max_norm = 1.0;
    weight.trainable = 1;
    weight.units_first = 1;
    nnc_model_desc desc{};
    desc.num_params = desc.num_trainable = 1;
    desc.params = &weight;
    nnc_model m;
    m.desc = &desc;
    m.offset = {0};
    m.count = {8};
    m.arena_size = m.trainable_size = 32;
    m.params = nnc::runtime::Arena(32);
    // Filter 0: norm 4 (four 2s) -> rescaled to 1; filter 1: norm 0.5 -> untouched.
    const float init[8] = {2, 2, 2, 2, 0.25f, 0.25f, 0.25f, 0.25f};
    std::copy(init, init + 8, m.params.host_overwrite());
    EXPECT_EQ(nnc::runtime::apply_max_norm(m), 1);
    const float* w = m.params.host_read();
    for (int i = 0; i < 4; ++i) EXPECT_NEAR(w[i], 0.5, 1e-6);
    for (int i = 4; i < 8; ++i) EXPECT_FLOAT_EQ(w[i], 0.25f);
}

}  // namespace
