// Dropout rates as run-time values (nnc_model_num_dropouts, _dropout_info, _set_dropout_rate):
// what train_step receives, what is refused, and that checkpoints keep them. The fake model's
// train_step records its dropout_rates argument; what a rate does to the values is tested on the
// real lowered pipeline (tests/codegen/norm_dropout_test.cpp).
#include "tests/runtime/fake_model.h"
#include "tests/runtime/test_support.h"

#include <cmath>
#include <limits>

namespace {

class DropoutRates : public ::testing::Test {
protected:
    void SetUp() override { use_fake_model(FakeModel::classifier); }
    void TearDown() override { use_fake_model(FakeModel::classifier); }

    static void step(nnc_model* m) {
        const float x[8] = {0.1f, 0.2f, 0.3f, 0.4f, -0.1f, -0.2f, -0.3f, -0.4f};
        const int32_t y[2] = {0, 2};
        float loss = 0;
        ASSERT_EQ(nnc_model_train_step(m, x, y, 2, &loss, nullptr), NNC_OK) << nnc_last_error();
    }
    static double rate(const nnc_model* m, int k) {
        double r = -1;
        EXPECT_EQ(nnc_model_dropout_info(m, k, nullptr, &r, nullptr), NNC_OK) << nnc_last_error();
        return r;
    }
    TempDir dir;
};

TEST_F(DropoutRates, InfoNamesEachLayerWithItsDeclaredRate) {
    ModelPtr m = create_model();
    ASSERT_EQ(nnc_model_num_dropouts(m.get()), 2);
    const char* name = nullptr;
    double current = -1, declared = -1;
    ASSERT_EQ(nnc_model_dropout_info(m.get(), 1, &name, &current, &declared), NNC_OK);
    EXPECT_STREQ(name, "drop_b");
    EXPECT_EQ(current, 0.25);
    EXPECT_EQ(declared, 0.25);
}

TEST_F(DropoutRates, TrainStepReceivesTheCurrentRates) {
    ModelPtr m = create_model();
    step(m.get());
    EXPECT_EQ(last_dropout_rates(), (std::vector<float>{0.5f, 0.25f}));
    ASSERT_EQ(nnc_model_set_dropout_rate(m.get(), 0, 0.0), NNC_OK) << nnc_last_error();
    ASSERT_EQ(nnc_model_set_dropout_rate(m.get(), 1, 0.75), NNC_OK) << nnc_last_error();
    step(m.get());
    EXPECT_EQ(last_dropout_rates(), (std::vector<float>{0.0f, 0.75f}));
    double declared = -1;
    ASSERT_EQ(nnc_model_dropout_info(m.get(), 1, nullptr, nullptr, &declared), NNC_OK);
    EXPECT_EQ(declared, 0.25) << "the declared rate stays the .nn file's";
    EXPECT_EQ(rate(m.get(), 1), 0.75);
}

TEST_F(DropoutRates, BadIndexOrRateIsRefusedAndChangesNothing) {
    ModelPtr m = create_model();
    EXPECT_EQ(nnc_model_set_dropout_rate(m.get(), 2, 0.1), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("dropout index 2 is out of range; the model has 2 dropout layers (0..1)");
    EXPECT_EQ(nnc_model_dropout_info(m.get(), -1, nullptr, nullptr, nullptr), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("nnc_model_dropout_info: dropout index -1 is out of range");
    for (double bad :
         {1.0, -0.1, 1.5, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
        SCOPED_TRACE(bad);
        EXPECT_EQ(nnc_model_set_dropout_rate(m.get(), 0, bad), NNC_ERR_INVALID_ARGUMENT);
        EXPECT_ERROR_MENTIONS("for dropout 'drop_a' is outside [0, 1)");
        EXPECT_EQ(rate(m.get(), 0), 0.5);
    }
    EXPECT_EQ(nnc_model_set_dropout_rate(nullptr, 0, 0.1), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("model is NULL");
}

TEST_F(DropoutRates, AModelWithoutDropoutSaysSo) {
    use_fake_model(FakeModel::regressor);
    ModelPtr m = create_model();
    EXPECT_EQ(nnc_model_num_dropouts(m.get()), 0);
    EXPECT_EQ(nnc_model_set_dropout_rate(m.get(), 0, 0.1), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("the model has no dropout layers");
    // train_step still gets its one unused entry.
    const float x[4] = {0.1f, 0.2f, 0.3f, 0.4f}, y[2] = {1.0f, -1.0f};
    float loss = 0;
    ASSERT_EQ(nnc_model_train_step(m.get(), x, y, 1, &loss, nullptr), NNC_OK) << nnc_last_error();
    EXPECT_EQ(last_dropout_rates(), (std::vector<float>{0.0f}));
}

TEST_F(DropoutRates, CheckpointKeepsTheRates) {
    ModelPtr a = create_model();
    ASSERT_EQ(nnc_model_set_dropout_rate(a.get(), 1, 0.125), NNC_OK);
    const std::string path = dir.file("rates.ckpt");
    ASSERT_EQ(nnc_model_save(a.get(), path.c_str()), NNC_OK) << nnc_last_error();
    ModelPtr b = create_model();
    ASSERT_EQ(rate(b.get(), 1), 0.25);
    ASSERT_EQ(nnc_model_load(b.get(), path.c_str()), NNC_OK) << nnc_last_error();
    EXPECT_EQ(rate(b.get(), 0), 0.5);
    EXPECT_EQ(rate(b.get(), 1), 0.125);
    step(b.get());
    EXPECT_EQ(last_dropout_rates(), (std::vector<float>{0.5f, 0.125f})) << "a resumed run trains with the saved rates";
}

}  // namespace
