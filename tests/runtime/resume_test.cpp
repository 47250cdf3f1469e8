// nnc_train with resume: a run stopped at any batch (inside an epoch, inside a gradient
// accumulation) or at an epoch's end, saved to a checkpoint and continued in a fresh model, ends
// with bit-identical parameters to the uninterrupted run; bad resumes are clear errors.
#include "tests/runtime/fake_model.h"
#include "tests/runtime/test_support.h"

#include <cstring>

namespace {

struct Data {
    std::vector<float> x;
    std::vector<int32_t> y;
};

// Overlapping clusters, so the loss keeps moving and early stopping / plateaus have work to do.
Data make_data(int count, uint32_t seed) {
    Data d;
    uint32_t state = seed;
    auto noise = [&] {
        state = state * 1664525u + 1013904223u;
        return static_cast<float>(state >> 8) / static_cast<float>(1 << 23) - 1.0f;
    };
    for (int i = 0; i < count; ++i) {
        const int c = i % 3;
        for (int k = 0; k < 4; ++k) d.x.push_back((k == c ? 1.0f : 0.0f) + 1.5f * noise());
        d.y.push_back(c);
    }
    return d;
}

DatasetPtr dataset(const Data& d) {
    nnc_dataset* raw = nullptr;
    EXPECT_EQ(nnc_dataset_from_memory(d.x.data(), d.y.data(), static_cast<int64_t>(d.y.size()), 4, NNC_TARGET_CLASSES,
                                      1, &raw),
              NNC_OK)
        << nnc_last_error();
    return DatasetPtr(raw);
}

std::vector<float> all_params(const nnc_model* m) {
    std::vector<float> out;
    for (int p = 0; p < nnc_model_num_params(m); ++p) {
        const std::vector<float> v = get_param(m, p);
        out.insert(out.end(), v.begin(), v.end());
    }
    return out;
}

bool bitwise_equal(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Saves a checkpoint from inside a callback after `stop_at_batch` batches (counted over the run)
// or `stop_at_epoch` epochs, then stops training: what `nnc train` does on Ctrl-C.
struct Interrupter {
    nnc_model* model = nullptr;
    std::string path;
    int64_t stop_at_batch = -1, stop_at_epoch = -1, batches = 0;
    std::vector<nnc_epoch_stats> epochs;

    static int on_batch(void* user, const nnc_progress*) {
        auto* self = static_cast<Interrupter*>(user);
        if (++self->batches != self->stop_at_batch) return 0;
        EXPECT_EQ(nnc_model_save(self->model, self->path.c_str()), NNC_OK) << nnc_last_error();
        return 1;
    }
    static int on_epoch(void* user, const nnc_epoch_stats* s) {
        auto* self = static_cast<Interrupter*>(user);
        self->epochs.push_back(*s);
        if (s->epoch != self->stop_at_epoch) return 0;
        EXPECT_EQ(nnc_model_save(self->model, self->path.c_str()), NNC_OK) << nnc_last_error();
        return 1;
    }
};

nnc_optimizer_config adam() {
    nnc_optimizer_config o{};
    EXPECT_EQ(nnc_optimizer_defaults("adam", &o), NNC_OK);
    o.lr = 0.05;
    return o;
}

// A run that exercises every piece of state: warm-up over updates, a plateau schedule, early
// stopping, accumulation over 3 batches (so interruptions fall inside one), a partial last batch.
nnc_train_config busy_config(int64_t epochs) {
    nnc_train_config c{};
    c.epochs = epochs;
    c.batch = 7;
    c.seed = 11;
    c.accumulate = 3;
    c.clip_norm = 1.0;
    c.schedule.kind = NNC_SCHEDULE_PLATEAU;
    c.schedule.factor = 0.5;
    c.schedule.patience = 0;
    c.schedule.monitor = NNC_MONITOR_VAL_LOSS;
    c.schedule.threshold = 1e-4;
    c.schedule.warmup_steps = 5;
    c.early_stopping.enabled = 1;
    c.early_stopping.monitor = NNC_MONITOR_VAL_LOSS;
    c.early_stopping.patience = 10;
    c.threads = 1;
    return c;
}

class ResumeTest : public ::testing::Test {
protected:
    void SetUp() override { use_fake_model(FakeModel::classifier); }

    ModelPtr fresh() {
        ModelPtr m = create_model();
        EXPECT_EQ(nnc_model_init(m.get(), 3), NNC_OK);
        const nnc_optimizer_config o = adam();
        EXPECT_EQ(nnc_model_set_optimizer(m.get(), &o), NNC_OK);
        return m;
    }

    // The parameters after an uninterrupted run of `epochs`.
    std::vector<float> uninterrupted(int64_t epochs, std::vector<nnc_epoch_stats>* stats = nullptr) {
        ModelPtr m = fresh();
        Interrupter never;
        nnc_train_config c = busy_config(epochs);
        c.on_epoch = Interrupter::on_epoch;
        c.user = &never;
        EXPECT_EQ(nnc_train(m.get(), train.get(), val.get(), &c), NNC_OK) << nnc_last_error();
        if (stats) *stats = never.epochs;
        return all_params(m.get());
    }

    // Interrupted as `stop` says, saved, loaded into a fresh model, resumed to `epochs`.
    std::vector<float> interrupted(int64_t epochs, Interrupter stop, std::vector<nnc_epoch_stats>* stats = nullptr) {
        const std::string path = dir.file("last.ckpt");
        {
            ModelPtr m = fresh();
            stop.model = m.get();
            stop.path = path;
            nnc_train_config c = busy_config(epochs);
            c.on_batch = Interrupter::on_batch;
            c.on_epoch = Interrupter::on_epoch;
            c.user = &stop;
            EXPECT_EQ(nnc_train(m.get(), train.get(), val.get(), &c), NNC_OK) << nnc_last_error();
        }
        ModelPtr m = create_model();  // another seed's weights, the default optimizer: all replaced
        const nnc_optimizer_config o = adam();
        EXPECT_EQ(nnc_model_set_optimizer(m.get(), &o), NNC_OK);
        EXPECT_EQ(nnc_model_load(m.get(), path.c_str()), NNC_OK) << nnc_last_error();
        Interrupter rest;
        nnc_train_config c = busy_config(epochs);
        c.resume = 1;
        c.on_epoch = Interrupter::on_epoch;
        c.user = &rest;
        EXPECT_EQ(nnc_train(m.get(), train.get(), val.get(), &c), NNC_OK) << nnc_last_error();
        if (stats) *stats = rest.epochs;
        return all_params(m.get());
    }

    TempDir dir;
    Data data = make_data(100, 5), held_out = make_data(30, 9);
    DatasetPtr train = dataset(data), val = dataset(held_out);
};

TEST_F(ResumeTest, EveryInterruptionPointGivesBitIdenticalParameters) {
    std::vector<nnc_epoch_stats> full_stats;
    const std::vector<float> full = uninterrupted(4, &full_stats);
    ASSERT_EQ(full_stats.size(), 4u);
    // 100 samples in batches of 7: 15 batches per epoch, the last one of 2 samples.
    for (int64_t batch : {1, 2, 3, 14, 15, 16, 22, 44, 59}) {
        SCOPED_TRACE("stopped after batch " + std::to_string(batch));
        Interrupter stop;
        stop.stop_at_batch = batch;
        std::vector<nnc_epoch_stats> rest;
        const std::vector<float> resumed = interrupted(4, stop, &rest);
        EXPECT_TRUE(bitwise_equal(resumed, full));
        // The epoch it stopped in reports the whole epoch's statistics, as the uninterrupted run did.
        ASSERT_FALSE(rest.empty());
        const nnc_epoch_stats& first = rest.front();
        const nnc_epoch_stats& same = full_stats[static_cast<size_t>(first.epoch - 1)];
        EXPECT_EQ(first.train_loss, same.train_loss);
        EXPECT_EQ(first.val_loss, same.val_loss);
        EXPECT_EQ(first.lr, same.lr);
        EXPECT_EQ(first.grad_norm, same.grad_norm);
    }
    for (int64_t epoch : {1, 3}) {
        SCOPED_TRACE("stopped after epoch " + std::to_string(epoch));
        Interrupter stop;
        stop.stop_at_epoch = epoch;
        EXPECT_TRUE(bitwise_equal(interrupted(4, stop), full));
    }
}

TEST_F(ResumeTest, ExtendsAFinishedRun) {
    // 2 epochs, then 2 more from its last checkpoint == 4 epochs straight (early stopping off:
    // it would restore the best weights at the end of the shorter run).
    auto no_stopping = [](int64_t epochs) {
        nnc_train_config c = busy_config(epochs);
        c.early_stopping.enabled = 0;
        return c;
    };
    ModelPtr a = fresh();
    nnc_train_config c4 = no_stopping(4);
    ASSERT_EQ(nnc_train(a.get(), train.get(), val.get(), &c4), NNC_OK) << nnc_last_error();
    ModelPtr b = fresh();
    nnc_train_config c2 = no_stopping(2);
    ASSERT_EQ(nnc_train(b.get(), train.get(), val.get(), &c2), NNC_OK) << nnc_last_error();
    c4.resume = 1;
    ASSERT_EQ(nnc_train(b.get(), train.get(), val.get(), &c4), NNC_OK) << nnc_last_error();
    EXPECT_TRUE(bitwise_equal(all_params(a.get()), all_params(b.get())));
}

TEST_F(ResumeTest, BadResumesAreClearErrors) {
    ModelPtr m = fresh();
    nnc_train_config c = busy_config(2);
    c.resume = 1;
    EXPECT_EQ(nnc_train(m.get(), train.get(), val.get(), &c), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("holds no run to continue");

    c.resume = 0;
    ASSERT_EQ(nnc_train(m.get(), train.get(), val.get(), &c), NNC_OK) << nnc_last_error();
    c.resume = 1;
    EXPECT_EQ(nnc_train(m.get(), train.get(), val.get(), &c), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("has completed 2 of 2 epochs; raise epochs");
    c.epochs = 3;
    c.seed = 12;
    EXPECT_EQ(nnc_train(m.get(), train.get(), val.get(), &c), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("shuffled with seed 11 but config.seed is 12");

    // A checkpoint whose optimizer state belongs to another optimizer loads its weights, but the
    // run cannot be resumed from it.
    const std::string path = dir.file("adam.ckpt");
    ASSERT_EQ(nnc_model_save(m.get(), path.c_str()), NNC_OK);
    ModelPtr sgd = create_model();
    ASSERT_EQ(nnc_model_load(sgd.get(), path.c_str()), NNC_OK) << nnc_last_error();
    EXPECT_EQ(all_params(sgd.get()), all_params(m.get()));
    c.seed = 11;
    EXPECT_EQ(nnc_train(sgd.get(), train.get(), val.get(), &c), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("does not fit the model's optimizer");
    EXPECT_ERROR_MENTIONS("set the optimizer the run used before loading it");
}

}  // namespace
