// nnc_model through the C ABI, on the fake classifier and regressor of fake_model.cpp.
#include "tests/runtime/fake_model.h"
#include "tests/runtime/test_support.h"

#include <cmath>
#include <cstring>

namespace {

class ModelTest : public ::testing::Test {
protected:
    void SetUp() override { use_fake_model(FakeModel::classifier); }
    void TearDown() override { use_fake_model(FakeModel::classifier); }
};

// 2 samples of 4 inputs; known weights so outputs can be computed by hand.
const float kInput[8] = {1, 2, 3, 4, -1, 0.5f, 0, 2};
const int32_t kClasses[2] = {2, 0};

void set_known_params(nnc_model* m) {
    // weight [4, 3] row-major: w[i][o] = 0.1 * (i + 1) * (o - 1); bias [3] = {0.1, 0, -0.1}
    float w[12], b[3] = {0.1f, 0.0f, -0.1f};
    for (int i = 0; i < 4; ++i)
        for (int o = 0; o < 3; ++o) w[i * 3 + o] = 0.1f * (i + 1) * (o - 1);
    ASSERT_EQ(nnc_model_set_param(m, 0, w, 12), NNC_OK) << nnc_last_error();
    ASSERT_EQ(nnc_model_set_param(m, 1, b, 3), NNC_OK) << nnc_last_error();
}

// Row-major reference logits of set_known_params.
std::vector<double> reference_logits() {
    std::vector<double> out;
    const double b[3] = {0.1, 0.0, -0.1};
    for (int n = 0; n < 2; ++n)
        for (int o = 0; o < 3; ++o) {
            double s = b[o];
            for (int i = 0; i < 4; ++i) s += kInput[n * 4 + i] * 0.1 * (i + 1) * (o - 1);
            out.push_back(s);
        }
    return out;
}

TEST_F(ModelTest, ReportsShapesAndParameterInfo) {
    ModelPtr m = create_model();
    EXPECT_STREQ(nnc_model_name(m.get()), "fake_classifier");
    EXPECT_EQ(nnc_abi_version(), NNC_ABI_VERSION);
    EXPECT_EQ(nnc_model_input_size(m.get()), 4);
    EXPECT_EQ(nnc_model_output_size(m.get()), 3);
    EXPECT_EQ(nnc_model_target_kind(m.get()), NNC_TARGET_CLASSES);
    EXPECT_EQ(nnc_model_num_classes(m.get()), 3);
    EXPECT_EQ(nnc_model_target_size(m.get()), 1);
    ASSERT_EQ(nnc_model_num_params(m.get()), 2);
    const char* name = nullptr;
    int rank = 0;
    const int64_t* dims = nullptr;
    ASSERT_EQ(nnc_model_param_info(m.get(), 0, &name, &rank, &dims), NNC_OK);
    EXPECT_STREQ(name, "fc.weight");
    ASSERT_EQ(rank, 2);
    EXPECT_EQ(dims[0], 4);
    EXPECT_EQ(dims[1], 3);
    ASSERT_EQ(nnc_model_param_info(m.get(), 1, &name, &rank, &dims), NNC_OK);
    EXPECT_STREQ(name, "fc.bias");
    EXPECT_EQ(rank, 1);
    EXPECT_EQ(nnc_model_param_count(m.get(), 0), 12);
    EXPECT_EQ(nnc_model_param_count(m.get(), 1), 3);
    EXPECT_EQ(nnc_model_total_param_count(m.get()), 15);

    EXPECT_EQ(nnc_model_param_info(m.get(), 2, &name, &rank, &dims), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("parameter index 2 is out of range");
    EXPECT_EQ(nnc_model_param_info(m.get(), -1, &name, &rank, &dims), NNC_ERR_INVALID_ARGUMENT);
}

TEST_F(ModelTest, InitIsReproducibleAndSeedDependent) {
    ModelPtr a = create_model(), b = create_model();
    ASSERT_EQ(nnc_model_init(a.get(), 7), NNC_OK);
    ASSERT_EQ(nnc_model_init(b.get(), 7), NNC_OK);
    EXPECT_EQ(get_param(a.get(), 0), get_param(b.get(), 0));
    ASSERT_EQ(nnc_model_init(b.get(), 8), NNC_OK);
    EXPECT_NE(get_param(a.get(), 0), get_param(b.get(), 0));
    // Zeros initializer for the bias, whatever the seed.
    EXPECT_EQ(get_param(b.get(), 1), std::vector<float>(3, 0.0f));
    // A fresh model is initialized from the descriptor's seed (42).
    ModelPtr c = create_model();
    ASSERT_EQ(nnc_model_init(a.get(), 42), NNC_OK);
    EXPECT_EQ(get_param(a.get(), 0), get_param(c.get(), 0));
}

TEST_F(ModelTest, ForwardFollowsBufferConventions) {
    ModelPtr m = create_model();
    set_known_params(m.get());
    float out[6];
    ASSERT_EQ(nnc_model_forward(m.get(), kInput, 2, out), NNC_OK) << nnc_last_error();
    const std::vector<double> logits = reference_logits();
    for (int n = 0; n < 2; ++n) {
        double sum = 0;
        for (int o = 0; o < 3; ++o) sum += std::exp(logits[n * 3 + o]);
        for (int o = 0; o < 3; ++o) EXPECT_NEAR(out[n * 3 + o], std::exp(logits[n * 3 + o]) / sum, 1e-6);
    }
}

TEST_F(ModelTest, GradientsMatchHandComputation) {
    ModelPtr m = create_model();
    set_known_params(m.get());
    float loss = 0, logits_out[6];
    ASSERT_EQ(nnc_model_compute_gradients(m.get(), kInput, kClasses, 2, &loss, logits_out), NNC_OK) << nnc_last_error();
    const std::vector<double> logits = reference_logits();
    double expected_loss = 0;
    std::vector<double> dw(12, 0.0), db(3, 0.0);
    for (int n = 0; n < 2; ++n) {
        double sum = 0;
        for (int o = 0; o < 3; ++o) sum += std::exp(logits[n * 3 + o]);
        expected_loss += std::log(sum) - logits[n * 3 + kClasses[n]];
        for (int o = 0; o < 3; ++o) {
            EXPECT_NEAR(logits_out[n * 3 + o], logits[n * 3 + o], 1e-5);
            const double d = (std::exp(logits[n * 3 + o]) / sum - (o == kClasses[n])) / 2;
            db[o] += d;
            for (int i = 0; i < 4; ++i) dw[i * 3 + o] += d * kInput[n * 4 + i];
        }
    }
    EXPECT_NEAR(loss, expected_loss / 2, 1e-5);
    const std::vector<float> gw = get_grad(m.get(), 0), gb = get_grad(m.get(), 1);
    for (int k = 0; k < 12; ++k) EXPECT_NEAR(gw[k], dw[k], 1e-5) << k;
    for (int k = 0; k < 3; ++k) EXPECT_NEAR(gb[k], db[k], 1e-5) << k;
    // compute_gradients leaves the parameters alone; the output may be NULL.
    const std::vector<float> before = get_param(m.get(), 0);
    ASSERT_EQ(nnc_model_compute_gradients(m.get(), kInput, kClasses, 2, &loss, nullptr), NNC_OK);
    EXPECT_EQ(get_param(m.get(), 0), before);
}

TEST_F(ModelTest, TrainStepAppliesSgd) {
    ModelPtr m = create_model();
    set_known_params(m.get());
    nnc_optimizer_config sgd{};
    sgd.name = "sgd";
    sgd.lr = 0.5;
    ASSERT_EQ(nnc_model_set_optimizer(m.get(), &sgd), NNC_OK) << nnc_last_error();
    const std::vector<float> w0 = get_param(m.get(), 0);
    float loss = 0;
    ASSERT_EQ(nnc_model_train_step(m.get(), kInput, kClasses, 2, &loss, nullptr), NNC_OK) << nnc_last_error();
    const std::vector<float> g = get_grad(m.get(), 0), w1 = get_param(m.get(), 0);
    for (int k = 0; k < 12; ++k) EXPECT_FLOAT_EQ(w1[k], w0[k] - 0.5f * g[k]);
}

TEST_F(ModelTest, RegressorUsesRealTargets) {
    use_fake_model(FakeModel::regressor);
    ModelPtr m = create_model();
    EXPECT_EQ(nnc_model_target_kind(m.get()), NNC_TARGET_REAL);
    EXPECT_EQ(nnc_model_num_classes(m.get()), 0);
    EXPECT_EQ(nnc_model_target_size(m.get()), 2);
    const float target[4] = {1, -1, 0.5f, 2};
    float loss = -1, pred[4];
    ASSERT_EQ(nnc_model_compute_gradients(m.get(), kInput, target, 2, &loss, pred), NNC_OK) << nnc_last_error();
    double mse = 0;
    for (int k = 0; k < 4; ++k) mse += (pred[k] - target[k]) * (pred[k] - target[k]) / 4.0;
    EXPECT_NEAR(loss, mse, 1e-5);
}

TEST_F(ModelTest, RejectsBadArguments) {
    ModelPtr m = create_model();
    float out[6], loss;
    EXPECT_EQ(nnc_model_create(nullptr), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(nnc_model_forward(nullptr, kInput, 2, out), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("model is NULL");
    EXPECT_EQ(nnc_model_forward(m.get(), kInput, 0, out), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("batch must be > 0");
    EXPECT_EQ(nnc_model_forward(m.get(), nullptr, 2, out), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(nnc_model_forward(m.get(), kInput, 2, nullptr), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(nnc_model_forward(m.get(), kInput, int64_t{1} << 40, out), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(nnc_model_train_step(m.get(), kInput, nullptr, 2, &loss, nullptr), NNC_ERR_INVALID_ARGUMENT);
    const int32_t bad_classes[2] = {0, 3};
    EXPECT_EQ(nnc_model_train_step(m.get(), kInput, bad_classes, 2, &loss, nullptr), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("target class 3 of sample 1 is out of range: the model has 3 classes (0 to 2)");
    float w[12];
    EXPECT_EQ(nnc_model_get_param(m.get(), 0, w, 11), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("has 12 elements, got count 11");
    EXPECT_EQ(nnc_model_get_param(m.get(), 0, nullptr, 12), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(nnc_model_set_param(m.get(), 5, w, 12), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(nnc_model_get_grad(m.get(), 1, w, 12), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(nnc_model_init(nullptr, 1), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(nnc_model_save(m.get(), nullptr), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(nnc_model_load(m.get(), ""), NNC_ERR_INVALID_ARGUMENT);
    // Accessors on NULL answer neutrally instead of crashing.
    EXPECT_STREQ(nnc_model_name(nullptr), "");
    EXPECT_EQ(nnc_model_num_params(nullptr), 0);
    EXPECT_ERROR_MENTIONS("nnc_model_num_params: model is NULL");
    EXPECT_EQ(nnc_model_param_count(m.get(), 9), 0);
    EXPECT_ERROR_MENTIONS("parameter index 9 is out of range");
    nnc_model_destroy(nullptr);
}

TEST_F(ModelTest, ValidatesOptimizerConfig) {
    ModelPtr m = create_model();
    nnc_optimizer_config c{};
    ASSERT_EQ(nnc_model_get_optimizer(m.get(), &c), NNC_OK);
    EXPECT_STREQ(c.name, "sgd");  // the descriptor's defaults
    EXPECT_DOUBLE_EQ(c.lr, 0.1);
    EXPECT_DOUBLE_EQ(c.momentum, 0.9);

    nnc_optimizer_config bad = c;
    bad.name = "adamax";
    EXPECT_EQ(nnc_model_set_optimizer(m.get(), &bad), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("unknown optimizer 'adamax'; expected one of: sgd, adam, adamw, adagrad, adadelta, rmsprop");
    bad = c;
    bad.name = nullptr;
    EXPECT_EQ(nnc_model_set_optimizer(m.get(), &bad), NNC_ERR_INVALID_ARGUMENT);
    for (double lr : {0.0, -1.0, double(NAN), double(INFINITY)}) {
        bad = c;
        bad.lr = lr;
        EXPECT_EQ(nnc_model_set_optimizer(m.get(), &bad), NNC_ERR_INVALID_ARGUMENT) << lr;
        EXPECT_ERROR_MENTIONS("lr");
    }
    bad = c;
    bad.momentum = 0;
    bad.nesterov = 1;
    EXPECT_EQ(nnc_model_set_optimizer(m.get(), &bad), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("nesterov");
    bad = c;
    bad.name = "adam";
    bad.beta1 = 1.0;
    EXPECT_EQ(nnc_model_set_optimizer(m.get(), &bad), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("beta1");
    bad.beta1 = 0.9;
    bad.weight_decay = -0.1;
    EXPECT_EQ(nnc_model_set_optimizer(m.get(), &bad), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(nnc_model_set_optimizer(m.get(), nullptr), NNC_ERR_INVALID_ARGUMENT);

    // A failed set leaves the previous optimizer in place.
    ASSERT_EQ(nnc_model_get_optimizer(m.get(), &c), NNC_OK);
    EXPECT_STREQ(c.name, "sgd");
    nnc_optimizer_config adam{};
    adam.name = "adam";
    adam.lr = 1e-3;
    adam.beta1 = 0.9;
    adam.beta2 = 0.999;
    adam.eps = 1e-8;
    ASSERT_EQ(nnc_model_set_optimizer(m.get(), &adam), NNC_OK) << nnc_last_error();
    ASSERT_EQ(nnc_model_get_optimizer(m.get(), &c), NNC_OK);
    EXPECT_STREQ(c.name, "adam");
    EXPECT_DOUBLE_EQ(c.lr, 1e-3);
}

TEST_F(ModelTest, DefaultTrainConfigComesFromDescriptor) {
    ModelPtr m = create_model();
    nnc_train_config t;
    nnc_optimizer_config o;
    int64_t validation = 0;
    ASSERT_EQ(nnc_model_default_train_config(m.get(), &t, &o, &validation), NNC_OK);
    EXPECT_EQ(t.epochs, 3);
    EXPECT_EQ(t.batch, 16);
    EXPECT_EQ(t.seed, 42u);
    EXPECT_EQ(t.on_batch, nullptr);
    EXPECT_EQ(validation, 100);
    EXPECT_STREQ(o.name, "sgd");
}

TEST_F(ModelTest, PipelineFailureIsARuntimeError) {
    ModelPtr m = create_model();
    float out[6];
    fail_next_pipeline_calls(1);
    EXPECT_EQ(nnc_model_forward(m.get(), kInput, 2, out), NNC_ERR_RUNTIME);
    EXPECT_ERROR_MENTIONS("forward pipeline failed");
    EXPECT_EQ(nnc_model_forward(m.get(), kInput, 2, out), NNC_OK);
}

TEST_F(ModelTest, NonFiniteLossSkipsTheUpdate) {
    ModelPtr m = create_model();
    std::vector<float> w(12, NAN);
    ASSERT_EQ(nnc_model_set_param(m.get(), 0, w.data(), 12), NNC_OK);
    const std::vector<float> bias = get_param(m.get(), 1);
    float loss = 0;
    EXPECT_EQ(nnc_model_train_step(m.get(), kInput, kClasses, 2, &loss, nullptr), NNC_ERR_NUMERIC);
    EXPECT_TRUE(std::isnan(loss));
    EXPECT_ERROR_MENTIONS("lower the learning rate");
    EXPECT_EQ(get_param(m.get(), 1), bias);
}

}  // namespace
