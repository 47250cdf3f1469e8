// Measurements inside nnc_train that stay on (per-tensor gradient norms, update/weight ratios)
// and the divergence policy (stop with the lr in the message, or roll back and cut the lr), on the
// fake models.
#include "runtime/divergence.h"
#include "runtime/train_state.h"
#include "tests/runtime/fake_model.h"
#include "tests/runtime/test_support.h"

#include <cmath>
#include <string>

namespace {

// y = a linear map of x in [-0.5, 0.5]^4: plain SGD is stable up to an lr of about 2; lr = 10
// blows up within the first epoch.
DatasetPtr linear_data(int count = 200) {
    std::vector<float> x, t;
    for (int i = 0; i < count; ++i) {
        const float a = static_cast<float>(i % 7) / 7 - 0.5f, b = static_cast<float>(i % 11) / 11 - 0.5f;
        const float c = static_cast<float>(i % 13) / 13 - 0.5f, d = static_cast<float>(i % 5) / 5 - 0.5f;
        x.insert(x.end(), {a, b, c, d});
        t.insert(t.end(), {a + 2 * b - c + 0.5f, d - a});
    }
    nnc_dataset* raw = nullptr;
    EXPECT_EQ(nnc_dataset_from_memory(x.data(), t.data(), count, 4, NNC_TARGET_REAL, 2, &raw), NNC_OK)
        << nnc_last_error();
    return DatasetPtr(raw);
}

void use_sgd(nnc_model* m, double lr) {
    nnc_optimizer_config o{};
    ASSERT_EQ(nnc_optimizer_defaults("sgd", &o), NNC_OK);
    o.lr = lr;  // torch's sgd: no momentum, so the update is exactly lr * gradient
    ASSERT_EQ(nnc_model_set_optimizer(m, &o), NNC_OK) << nnc_last_error();
}

struct Log {
    std::vector<nnc_epoch_stats> epochs;
    std::vector<std::vector<double>> grad_norms, ratios;  // copies: the arrays live only in on_epoch
    std::vector<nnc_rollback_info> rollbacks;
    std::vector<std::string> reasons;
};

int on_epoch(void* user, const nnc_epoch_stats* s) {
    Log& l = *static_cast<Log*>(user);
    l.epochs.push_back(*s);
    l.grad_norms.emplace_back(s->param_grad_norm, s->param_grad_norm + s->num_params);
    l.ratios.emplace_back(s->param_update_ratio, s->param_update_ratio + s->num_params);
    return 0;
}

int on_rollback(void* user, const nnc_rollback_info* info) {
    Log& l = *static_cast<Log*>(user);
    l.rollbacks.push_back(*info);
    l.reasons.emplace_back(info->reason);
    return 0;
}

nnc_train_config config(int64_t epochs, int64_t batch, Log* log) {
    nnc_train_config c{};
    c.epochs = epochs;
    c.batch = batch;
    c.seed = 3;
    c.on_epoch = on_epoch;
    c.on_rollback = on_rollback;
    c.user = log;
    return c;
}

double norm(const std::vector<float>& v) {
    double s = 0;
    for (float x : v) s += static_cast<double>(x) * x;
    return std::sqrt(s);
}

class DivergenceTest : public ::testing::Test {
protected:
    void SetUp() override { use_fake_model(FakeModel::regressor); }
    void TearDown() override { use_fake_model(FakeModel::classifier); }
};

TEST_F(DivergenceTest, StopPolicyFailsWithTheLrInTheMessage) {
    ModelPtr m = create_model();
    use_sgd(m.get(), 10.0);
    DatasetPtr data = linear_data();
    Log log;
    const nnc_train_config c = config(3, 16, &log);
    EXPECT_EQ(nnc_train(m.get(), data.get(), nullptr, &c), NNC_ERR_NUMERIC);
    EXPECT_ERROR_MENTIONS("at epoch 1 step ");
    EXPECT_ERROR_MENTIONS("(lr=10)");
    EXPECT_ERROR_MENTIONS("lower the learning rate");
    EXPECT_ERROR_MENTIONS("on_divergence = rollback");
    EXPECT_TRUE(log.epochs.empty());
    EXPECT_TRUE(log.rollbacks.empty());
}

TEST_F(DivergenceTest, RollbackCutsTheLrAndTrainingEndsFinite) {
    ModelPtr m = create_model();
    use_sgd(m.get(), 10.0);
    DatasetPtr data = linear_data();
    Log log;
    nnc_train_config c = config(4, 16, &log);
    c.on_divergence = NNC_DIVERGENCE_ROLLBACK;
    c.divergence_factor = 0.1;
    c.divergence_retries = 3;
    ASSERT_EQ(nnc_train(m.get(), data.get(), nullptr, &c), NNC_OK) << nnc_last_error();
    ASSERT_GE(log.rollbacks.size(), 1u);
    const nnc_rollback_info& first = log.rollbacks.front();
    EXPECT_EQ(first.epoch, 1);
    EXPECT_GE(first.step, 1);
    EXPECT_DOUBLE_EQ(first.lr, 10.0);
    EXPECT_DOUBLE_EQ(first.new_lr, 1.0);
    EXPECT_DOUBLE_EQ(first.lr_scale, 0.1);
    EXPECT_EQ(first.rollbacks, 1);
    EXPECT_EQ(first.retries, 3);
    EXPECT_FALSE(log.reasons.front().empty());
    ASSERT_EQ(log.epochs.size(), 4u);  // each epoch reported once, after its successful pass
    for (const nnc_epoch_stats& e : log.epochs) {
        EXPECT_TRUE(std::isfinite(e.train_loss));
        EXPECT_EQ(e.rollbacks, static_cast<int64_t>(log.rollbacks.size()));
        EXPECT_NEAR(e.lr, 10.0 * log.rollbacks.back().lr_scale, 1e-12);  // the cut persists
    }
    EXPECT_LT(log.epochs.back().train_loss, log.epochs.front().train_loss);
}

TEST_F(DivergenceTest, RollbackGivesUpAfterItsRetries) {
    ModelPtr m = create_model();
    use_sgd(m.get(), 1e4);
    DatasetPtr data = linear_data();
    Log log;
    nnc_train_config c = config(2, 16, &log);
    c.on_divergence = NNC_DIVERGENCE_ROLLBACK;
    c.divergence_factor = 0.9;  // far too gentle for lr 1e4
    c.divergence_retries = 2;
    EXPECT_EQ(nnc_train(m.get(), data.get(), nullptr, &c), NNC_ERR_NUMERIC);
    EXPECT_ERROR_MENTIONS("after 2 rollback(s)");
    EXPECT_EQ(log.rollbacks.size(), 2u);
}

TEST_F(DivergenceTest, AnExplodingLossIsDivergenceBeforeItIsInfinite) {
    EXPECT_EQ(nnc::runtime::loss_divergence(1.0, 0.5, 1e3), "");
    EXPECT_EQ(nnc::runtime::loss_divergence(1.0, 0.0, 1e3), "");  // no reference yet
    EXPECT_NE(nnc::runtime::loss_divergence(501.0, 0.5, 1e3).find("loss exploded to 501"), std::string::npos);
    EXPECT_EQ(nnc::runtime::loss_divergence(NAN, 0.5, 1e3), "loss became NaN");
    EXPECT_EQ(nnc::runtime::loss_divergence(INFINITY, 0.5, 1e3), "loss became infinite");
    EXPECT_EQ(nnc::runtime::norm_divergence(INFINITY), "gradient norm became infinite");
    EXPECT_EQ(nnc::runtime::norm_divergence(3.0), "");
    // In a run: an explode factor of 1.5 trips on the first rising loss, long before inf.
    ModelPtr m = create_model();
    use_sgd(m.get(), 10.0);
    DatasetPtr data = linear_data();
    Log log;
    nnc_train_config c = config(1, 16, &log);
    c.explode_factor = 1.5;
    EXPECT_EQ(nnc_train(m.get(), data.get(), nullptr, &c), NNC_ERR_NUMERIC);
    EXPECT_ERROR_MENTIONS("loss exploded to ");
}

TEST_F(DivergenceTest, BadPolicySettingsAreRejected) {
    ModelPtr m = create_model();
    DatasetPtr data = linear_data();
    Log log;
    nnc_train_config c = config(1, 16, &log);
    c.on_divergence = 2;
    EXPECT_EQ(nnc_train(m.get(), data.get(), nullptr, &c), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("on_divergence must be 0 (stop) or 1 (rollback)");
    c.on_divergence = 1;
    c.divergence_factor = 1.5;
    EXPECT_EQ(nnc_train(m.get(), data.get(), nullptr, &c), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("divergence_factor must be in (0, 1)");
}

TEST_F(DivergenceTest, AHealthyRunNeverRollsBack) {
    use_fake_model(FakeModel::classifier);
    ModelPtr m = create_model();
    std::vector<float> x;
    std::vector<int32_t> y;
    for (int i = 0; i < 120; ++i) {
        for (int k = 0; k < 4; ++k)
            x.push_back((k == i % 3 ? 3.0f : 0.0f) + 0.1f * static_cast<float>((i * 7 + k) % 5));
        y.push_back(i % 3);
    }
    nnc_dataset* raw = nullptr;
    ASSERT_EQ(nnc_dataset_from_memory(x.data(), y.data(), 120, 4, NNC_TARGET_CLASSES, 1, &raw), NNC_OK);
    DatasetPtr data(raw);
    Log log;
    nnc_train_config c = config(5, 16, &log);
    c.on_divergence = NNC_DIVERGENCE_ROLLBACK;
    ASSERT_EQ(nnc_train(m.get(), data.get(), nullptr, &c), NNC_OK) << nnc_last_error();
    EXPECT_TRUE(log.rollbacks.empty());
    ASSERT_EQ(log.epochs.size(), 5u);
    for (size_t e = 0; e < log.epochs.size(); ++e) {
        EXPECT_EQ(log.epochs[e].rollbacks, 0);
        EXPECT_DOUBLE_EQ(log.epochs[e].lr, 0.1);
        ASSERT_EQ(log.ratios[e].size(), 2u);
        for (double r : log.ratios[e]) EXPECT_TRUE(std::isfinite(r) && r > 0) << r;
    }
}

// One update per epoch (the batch is the whole set): the per-tensor norms are those of the
// gradients nnc_model_get_grad returns, their squares sum to the global norm's square, and plain
// SGD's update ratio is lr * ||g|| / ||w||.
TEST_F(DivergenceTest, PerTensorGradNormsAndSgdUpdateRatio) {
    ModelPtr m = create_model();
    const double lr = 0.05;
    use_sgd(m.get(), lr);
    DatasetPtr data = linear_data(64);
    ASSERT_EQ(nnc_model_num_trainable_params(m.get()), 2);
    const std::vector<float> w0 = get_param(m.get(), 0), b0 = get_param(m.get(), 1);
    Log log;
    const nnc_train_config c = config(1, 64, &log);
    ASSERT_EQ(nnc_train(m.get(), data.get(), nullptr, &c), NNC_OK) << nnc_last_error();
    ASSERT_EQ(log.epochs.size(), 1u);
    const nnc_epoch_stats& s = log.epochs[0];
    ASSERT_EQ(s.num_params, 2);
    const std::vector<double>& g = log.grad_norms[0];
    EXPECT_NEAR(g[0] * g[0] + g[1] * g[1], s.grad_norm * s.grad_norm, 1e-12 * s.grad_norm * s.grad_norm);
    std::vector<float> gw(w0.size()), gb(b0.size());
    ASSERT_EQ(nnc_model_get_grad(m.get(), 0, gw.data(), static_cast<int64_t>(gw.size())), NNC_OK);
    ASSERT_EQ(nnc_model_get_grad(m.get(), 1, gb.data(), static_cast<int64_t>(gb.size())), NNC_OK);
    EXPECT_NEAR(g[0], norm(gw), 1e-6 * norm(gw));
    EXPECT_NEAR(g[1], norm(gb), 1e-6 * norm(gb));
    // The fake model initializes the bias to zero: its ratio is undefined (NaN), not infinite.
    const std::vector<double>& r = log.ratios[0];
    EXPECT_NEAR(r[0], lr * norm(gw) / norm(w0), 1e-5 * r[0]);
    if (norm(b0) > 0)
        EXPECT_NEAR(r[1], lr * norm(gb) / norm(b0), 1e-5 * r[1]);
    else
        EXPECT_TRUE(std::isnan(r[1]));
}

// The lr cut and the rollback count are part of the run's state: a checkpoint carries them and a
// resumed run keeps the cut lr.
TEST_F(DivergenceTest, TheLrCutSurvivesACheckpointAndResume) {
    TempDir dir;
    DatasetPtr data = linear_data();
    Log log;
    nnc_train_config c = config(2, 16, &log);
    c.on_divergence = NNC_DIVERGENCE_ROLLBACK;
    c.divergence_factor = 0.1;
    {
        ModelPtr m = create_model();
        use_sgd(m.get(), 10.0);
        ASSERT_EQ(nnc_train(m.get(), data.get(), nullptr, &c), NNC_OK) << nnc_last_error();
        ASSERT_FALSE(log.rollbacks.empty());
        ASSERT_EQ(nnc_model_save(m.get(), dir.file("run.ckpt").c_str()), NNC_OK) << nnc_last_error();
    }
    const size_t cuts = log.rollbacks.size();
    const double scale = log.rollbacks.back().lr_scale;
    ModelPtr m = create_model();
    use_sgd(m.get(), 10.0);
    ASSERT_EQ(nnc_model_load(m.get(), dir.file("run.ckpt").c_str()), NNC_OK) << nnc_last_error();
    c.epochs = 3;
    c.resume = 1;
    ASSERT_EQ(nnc_train(m.get(), data.get(), nullptr, &c), NNC_OK) << nnc_last_error();
    ASSERT_EQ(log.epochs.size(), 3u);
    EXPECT_EQ(log.rollbacks.size(), cuts);
    EXPECT_NEAR(log.epochs.back().lr, 10.0 * scale, 1e-12);
    EXPECT_EQ(log.epochs.back().rollbacks, static_cast<int64_t>(cuts));
}

TEST(TrainStateFormat, ExtensionsRoundTripAndOlderStatesLoad) {
    nnc::runtime::TrainState s;
    s.valid = true;
    s.lr_scale = 0.09;
    s.rollbacks = 2;
    s.loss_reference = 1.25;
    s.param_norm_sums = {1.0, 2.5};
    s.samples_done = 64;
    s.correct = 100;
    s.counted = 300;  // 8 positions a sample, some labels ignored
    const std::vector<uint8_t> bytes = nnc::runtime::serialize_train_state(s);
    const nnc::runtime::TrainState back = nnc::runtime::deserialize_train_state(bytes.data(), bytes.size(), "test", 0);
    EXPECT_EQ(back.lr_scale, 0.09);
    EXPECT_EQ(back.rollbacks, 2);
    EXPECT_EQ(back.loss_reference, 1.25);
    EXPECT_EQ(back.param_norm_sums, s.param_norm_sums);
    EXPECT_EQ(back.counted, 300);
    // A state from before the labels counted (extension 2) counts one label per sample done.
    const size_t extension2 = 4 + 8;
    const nnc::runtime::TrainState no_count =
        nnc::runtime::deserialize_train_state(bytes.data(), bytes.size() - extension2, "test", 0);
    EXPECT_EQ(no_count.counted, 64);
    EXPECT_EQ(no_count.lr_scale, 0.09);
    // A state from before the divergence extension (it ends after the accumulated gradients)
    // loads with the defaults: no cut, no rollbacks.
    const size_t extension1 = 4 + 8 + 8 + 8 + 8 + 2 * 8;
    const nnc::runtime::TrainState old =
        nnc::runtime::deserialize_train_state(bytes.data(), bytes.size() - extension2 - extension1, "test", 0);
    EXPECT_EQ(old.lr_scale, 1.0);
    EXPECT_EQ(old.rollbacks, 0);
    EXPECT_TRUE(old.param_norm_sums.empty());
}

}  // namespace
