// nnc_train and nnc_evaluate on the fake models: convergence, batching, callbacks, failures.
#include "tests/runtime/fake_model.h"
#include "tests/runtime/test_support.h"

#include <cmath>

namespace {

// Three well separated clusters in 4-D: class c is centred at 3 * e_c (e_3 unused).
struct Synthetic {
    std::vector<float> x;
    std::vector<int32_t> y;
};

Synthetic make_clusters(int count, uint32_t seed) {
    Synthetic s;
    uint32_t state = seed;
    auto noise = [&] {  // uniform in [-1, 1), a fixed LCG
        state = state * 1664525u + 1013904223u;
        return static_cast<float>(state >> 8) / static_cast<float>(1 << 23) - 1.0f;
    };
    for (int i = 0; i < count; ++i) {
        const int c = i % 3;
        for (int k = 0; k < 4; ++k) s.x.push_back((k == c ? 3.0f : 0.0f) + noise());
        s.y.push_back(c);
    }
    return s;
}

DatasetPtr make_dataset(const Synthetic& s) {
    nnc_dataset* d = nullptr;
    EXPECT_EQ(
        nnc_dataset_from_memory(s.x.data(), s.y.data(), static_cast<int64_t>(s.y.size()), 4, NNC_TARGET_CLASSES, 1, &d),
        NNC_OK)
        << nnc_last_error();
    return DatasetPtr(d);
}

struct Recorder {
    std::vector<nnc_progress> batches;
    std::vector<nnc_epoch_stats> epochs;
    int stop_after_batches = -1;
};

int record_batch(void* user, const nnc_progress* p) {
    auto* r = static_cast<Recorder*>(user);
    r->batches.push_back(*p);
    return static_cast<int>(r->batches.size()) == r->stop_after_batches;
}

int record_epoch(void* user, const nnc_epoch_stats* s) {
    static_cast<Recorder*>(user)->epochs.push_back(*s);
    return 0;
}

nnc_train_config config(int64_t epochs, int64_t batch, Recorder* r, uint64_t seed = 1) {
    nnc_train_config c{};
    c.epochs = epochs;
    c.batch = batch;
    c.seed = seed;
    c.on_batch = record_batch;
    c.on_epoch = record_epoch;
    c.user = r;
    return c;
}

class TrainLoopTest : public ::testing::Test {
protected:
    void SetUp() override { use_fake_model(FakeModel::classifier); }
    void TearDown() override { use_fake_model(FakeModel::classifier); }
};

TEST_F(TrainLoopTest, LearnsSeparableClusters) {
    ModelPtr m = create_model();
    DatasetPtr train = make_dataset(make_clusters(300, 1)), val = make_dataset(make_clusters(90, 2));
    double loss0 = 0, acc0 = 0;
    ASSERT_EQ(nnc_evaluate(m.get(), val.get(), 32, &loss0, &acc0), NNC_OK) << nnc_last_error();
    Recorder r;
    const nnc_train_config c = config(8, 32, &r);
    ASSERT_EQ(nnc_train(m.get(), train.get(), val.get(), &c), NNC_OK) << nnc_last_error();
    ASSERT_EQ(r.epochs.size(), 8u);
    const nnc_epoch_stats& last = r.epochs.back();
    EXPECT_LT(last.train_loss, r.epochs.front().train_loss);
    EXPECT_LT(last.val_loss, loss0 / 3);
    EXPECT_GT(last.train_accuracy, 0.95);
    EXPECT_GT(last.val_accuracy, 0.95);
    EXPECT_EQ(last.epoch, 8);
    EXPECT_EQ(last.epochs, 8);
    EXPECT_DOUBLE_EQ(last.lr, 0.1);
    EXPECT_GT(last.samples_per_second, 0);
    // nnc_evaluate agrees with what the loop reported for the validation set.
    double loss = 0, acc = 0;
    ASSERT_EQ(nnc_evaluate(m.get(), val.get(), 7, &loss, &acc), NNC_OK);
    EXPECT_NEAR(loss, last.val_loss, 1e-9);
    EXPECT_DOUBLE_EQ(acc, last.val_accuracy);
}

TEST_F(TrainLoopTest, LastPartialBatchAndProgress) {
    ModelPtr m = create_model();
    DatasetPtr train = make_dataset(make_clusters(10, 3));
    Recorder r;
    const nnc_train_config c = config(2, 4, &r);
    ASSERT_EQ(nnc_train(m.get(), train.get(), nullptr, &c), NNC_OK) << nnc_last_error();
    ASSERT_EQ(r.batches.size(), 6u);  // 4 + 4 + 2, twice
    const int64_t done[] = {4, 8, 10, 4, 8, 10};
    for (size_t i = 0; i < 6; ++i) {
        EXPECT_EQ(r.batches[i].samples_done, done[i]);
        EXPECT_EQ(r.batches[i].samples_total, 10);
        EXPECT_EQ(r.batches[i].epoch, i < 3 ? 1 : 2);
        EXPECT_TRUE(std::isfinite(r.batches[i].loss));
        EXPECT_GE(r.batches[i].accuracy, 0.0);
    }
    ASSERT_EQ(r.epochs.size(), 2u);
    EXPECT_TRUE(std::isnan(r.epochs[0].val_loss));
    EXPECT_TRUE(std::isnan(r.epochs[0].val_accuracy));
    EXPECT_DOUBLE_EQ(r.epochs[0].train_loss, r.batches[2].loss);
}

TEST_F(TrainLoopTest, ShufflingIsReproducibleFromTheSeed) {
    DatasetPtr train = make_dataset(make_clusters(50, 4));
    auto train_with_seed = [&](uint64_t seed) {
        ModelPtr m = create_model();
        Recorder r;
        const nnc_train_config c = config(2, 8, &r, seed);
        EXPECT_EQ(nnc_train(m.get(), train.get(), nullptr, &c), NNC_OK) << nnc_last_error();
        return get_param(m.get(), 0);
    };
    EXPECT_EQ(train_with_seed(5), train_with_seed(5));
    EXPECT_NE(train_with_seed(5), train_with_seed(6));
}

TEST_F(TrainLoopTest, CallbackStopsEarly) {
    ModelPtr m = create_model();
    DatasetPtr train = make_dataset(make_clusters(100, 5));
    Recorder r;
    r.stop_after_batches = 2;
    const nnc_train_config c = config(5, 10, &r);
    EXPECT_EQ(nnc_train(m.get(), train.get(), nullptr, &c), NNC_OK) << nnc_last_error();
    EXPECT_EQ(r.batches.size(), 2u);
    EXPECT_TRUE(r.epochs.empty());
}

TEST_F(TrainLoopTest, NaNLossStopsWithNumericError) {
    ModelPtr m = create_model();
    std::vector<float> w(12, NAN);
    ASSERT_EQ(nnc_model_set_param(m.get(), 0, w.data(), 12), NNC_OK);
    DatasetPtr train = make_dataset(make_clusters(20, 6));
    Recorder r;
    const nnc_train_config c = config(3, 8, &r);
    EXPECT_EQ(nnc_train(m.get(), train.get(), nullptr, &c), NNC_ERR_NUMERIC);
    EXPECT_ERROR_MENTIONS("loss became NaN at epoch 1 step 1 (lr=0.1");
    EXPECT_ERROR_MENTIONS("lower the learning rate");
    EXPECT_TRUE(r.batches.empty());
}

TEST_F(TrainLoopTest, RejectsIncompatibleData) {
    ModelPtr m = create_model();
    Recorder r;
    const nnc_train_config c = config(1, 8, &r);
    std::vector<float> x(50, 0.0f);
    std::vector<int32_t> y(10, 1);
    nnc_dataset* d = nullptr;
    ASSERT_EQ(nnc_dataset_from_memory(x.data(), y.data(), 10, 5, NNC_TARGET_CLASSES, 1, &d), NNC_OK);
    DatasetPtr wide(d);
    EXPECT_EQ(nnc_train(m.get(), wide.get(), nullptr, &c), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("samples have 5 values but model 'fake_classifier' takes inputs of 4");
    y[3] = 7;
    ASSERT_EQ(nnc_dataset_from_memory(x.data(), y.data(), 10, 4, NNC_TARGET_CLASSES, 1, &d), NNC_OK);
    DatasetPtr labels(d);
    EXPECT_EQ(nnc_train(m.get(), labels.get(), nullptr, &c), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("has class 7 at sample 3 for target");
    EXPECT_EQ(nnc_evaluate(m.get(), labels.get(), 4, nullptr, nullptr), NNC_ERR_INVALID_ARGUMENT);
    // A negative label other than the one the loss ignores (-100) is no class either.
    y[3] = -1;
    ASSERT_EQ(nnc_dataset_from_memory(x.data(), y.data(), 10, 4, NNC_TARGET_CLASSES, 1, &d), NNC_OK);
    DatasetPtr negative(d);
    EXPECT_EQ(nnc_train(m.get(), negative.get(), nullptr, &c), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS(
        "has class -1 at sample 3 for target 'y', out of range: the model 'fake_classifier' has 3 "
        "classes (0 to 2), or the ignored label -100");
    // Two labels per sample (a sequence target's) for a model that takes one.
    std::vector<int32_t> pairs(20, 1);
    ASSERT_EQ(nnc_dataset_from_memory(x.data(), pairs.data(), 10, 4, NNC_TARGET_CLASSES, 2, &d), NNC_OK);
    DatasetPtr sequence(d);
    EXPECT_EQ(nnc_train(m.get(), sequence.get(), nullptr, &c), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("has 2 label(s) per sample for target 'y' but model 'fake_classifier' takes 1");
    nnc_train_config bad = c;
    bad.batch = 0;
    EXPECT_EQ(nnc_train(m.get(), wide.get(), nullptr, &bad), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("batch must be > 0");
    EXPECT_EQ(nnc_train(m.get(), nullptr, nullptr, &c), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(nnc_train(m.get(), wide.get(), nullptr, nullptr), NNC_ERR_INVALID_ARGUMENT);
}

TEST_F(TrainLoopTest, RegressorLearnsALinearMap) {
    use_fake_model(FakeModel::regressor);
    ModelPtr m = create_model();
    std::vector<float> x, t;
    for (int i = 0; i < 200; ++i) {
        const float a = static_cast<float>(i % 7) / 7 - 0.5f, b = static_cast<float>(i % 11) / 11 - 0.5f;
        const float c = static_cast<float>(i % 13) / 13 - 0.5f, d = static_cast<float>(i % 5) / 5 - 0.5f;
        x.insert(x.end(), {a, b, c, d});
        t.insert(t.end(), {a + 2 * b - c + 0.5f, d - a});
    }
    nnc_dataset* raw = nullptr;
    ASSERT_EQ(nnc_dataset_from_memory(x.data(), t.data(), 200, 4, NNC_TARGET_REAL, 2, &raw), NNC_OK)
        << nnc_last_error();
    DatasetPtr data(raw);
    double loss0 = 0, acc = 0;
    ASSERT_EQ(nnc_evaluate(m.get(), data.get(), 64, &loss0, &acc), NNC_OK) << nnc_last_error();
    EXPECT_TRUE(std::isnan(acc));
    Recorder r;
    const nnc_train_config c = config(30, 16, &r);
    ASSERT_EQ(nnc_train(m.get(), data.get(), data.get(), &c), NNC_OK) << nnc_last_error();
    EXPECT_LT(r.epochs.back().val_loss, loss0 / 20);
    EXPECT_TRUE(std::isnan(r.epochs.back().train_accuracy));
}

TEST(Dataset, SliceAndValidation) {
    const Synthetic s = make_clusters(10, 7);
    DatasetPtr all = make_dataset(s);
    EXPECT_EQ(nnc_dataset_size(all.get()), 10);
    EXPECT_EQ(nnc_dataset_sample_size(all.get()), 4);
    nnc_dataset* d = nullptr;
    ASSERT_EQ(nnc_dataset_slice(all.get(), 7, 3, &d), NNC_OK);
    DatasetPtr tail(d);
    EXPECT_EQ(nnc_dataset_size(tail.get()), 3);
    EXPECT_EQ(nnc_dataset_slice(all.get(), 8, 3, &d), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(d, nullptr);
    EXPECT_EQ(nnc_dataset_slice(all.get(), 0, 0, &d), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(nnc_dataset_slice(nullptr, 0, 1, &d), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(nnc_dataset_from_memory(s.x.data(), s.y.data(), 0, 4, NNC_TARGET_CLASSES, 1, &d),
              NNC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(nnc_dataset_from_memory(nullptr, s.y.data(), 1, 4, NNC_TARGET_CLASSES, 1, &d), NNC_ERR_INVALID_ARGUMENT);
    // Negative labels and several per sample are checked against the model (RejectsIncompatibleData).
    EXPECT_EQ(nnc_dataset_from_memory(s.x.data(), s.y.data(), 1, 4, NNC_TARGET_CLASSES, 0, &d),
              NNC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(nnc_dataset_size(nullptr), 0);
}

}  // namespace
