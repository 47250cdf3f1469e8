// The C++ wrapper every generated model.h carries (runtime/include/nnc/nnc.hpp + the model's Spec),
// on the real fashion_mlp library: constants match the library, RAII, errors as nnc::Error with the
// C status, callbacks that stop training or throw.
#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>
#include <vector>

#include "fashion_mlp.h"

namespace {

using Mlp = nnc::models::fashion_mlp::Model;
using Spec = nnc::models::fashion_mlp::Spec;
const std::string kData = "/usr/share/datasets/fashion-mnist";

static_assert(Spec::input_size == FASHION_MLP_INPUT_SIZE && Spec::output_size == FASHION_MLP_OUTPUT_SIZE);
static_assert(Spec::num_classes == FASHION_MLP_NUM_CLASSES && Spec::num_params == FASHION_MLP_NUM_PARAMS);
static_assert(Spec::input_shape[0] == 784 && Spec::output_shape[0] == 10);
static_assert(std::is_same_v<Mlp::input_type, float>);

TEST(CppWrapper, SpecMatchesTheLibrary) {
    Mlp m;
    EXPECT_EQ(m.name(), "fashion_mlp");
    EXPECT_EQ(m.input_size(), 784);
    ASSERT_EQ(m.num_params(), Spec::num_params);
    for (int i = 0; i < m.num_params(); ++i) EXPECT_EQ(m.param_info(i).name, Spec::param_names[i]);
    const nnc::ParamInfo w = m.param_info(0);
    EXPECT_EQ(w.shape, (std::vector<int64_t>{784, 512}));
    EXPECT_EQ(w.count, 784 * 512);
    EXPECT_TRUE(w.trainable);
}

// fashion_mlp has no dropout: the wrapper reports none and turns the refusal into nnc::Error.
TEST(CppWrapper, DropoutRatesOfAModelWithoutDropout) {
    Mlp m;
    EXPECT_EQ(m.num_dropouts(), 0);
    try {
        m.set_dropout_rate(0, 0.1);
        FAIL() << "a rate for a layer that does not exist was accepted";
    } catch (const nnc::Error& e) {
        EXPECT_EQ(e.status(), NNC_ERR_INVALID_ARGUMENT);
        EXPECT_NE(std::string(e.what()).find("has no dropout layers"), std::string::npos) << e.what();
    }
    EXPECT_THROW(m.dropout_info(0), nnc::Error);
}

TEST(CppWrapper, TypedPredictAgreesWithBatchForward) {
    Mlp m;
    m.init(7);
    std::vector<float> inputs(3 * Spec::input_size);
    for (size_t i = 0; i < inputs.size(); ++i) inputs[i] = static_cast<float>(i % 97) / 97.0f;
    std::vector<float> outputs(3 * Spec::output_size);
    m.forward(Mlp::Inputs(std::span<const float>(inputs)), Mlp::Outputs(std::span<float>(outputs)));
    const Mlp::Inputs batch{std::span<const float>(inputs)};
    for (int64_t s = 0; s < batch.size(); ++s) {
        const Mlp::Output p = m.predict(batch[s]);
        for (size_t c = 0; c < Spec::output_size; ++c) EXPECT_EQ(p[c], outputs[s * Spec::output_size + c]);
        EXPECT_GE(m.classify(batch[s]), 0);
    }
}

TEST(CppWrapper, ErrorsThrowWithTheStatusAndMessage) {
    Mlp m;
    std::vector<float> ragged(Spec::input_size + 1);
    try {
        m.forward(std::span<const float>(ragged));
        FAIL() << "a ragged batch was accepted";
    } catch (const nnc::Error& e) {
        EXPECT_EQ(e.status(), NNC_ERR_INVALID_ARGUMENT);
        EXPECT_NE(std::string(e.what()).find("785"), std::string::npos) << e.what();
    }
    try {
        m.load("/nonexistent/weights.ckpt");
        FAIL() << "a missing checkpoint was accepted";
    } catch (const nnc::Error& e) {
        EXPECT_EQ(e.status(), NNC_ERR_IO);
        EXPECT_NE(std::string(e.what()).find("/nonexistent/weights.ckpt"), std::string::npos) << e.what();
    }
    EXPECT_THROW(Mlp::Inputs(std::span<const float>(ragged)), nnc::Error);
}

TEST(CppWrapper, MovedFromModelsOwnNothing) {
    Mlp a;
    a.init(1);
    const std::vector<float> w = a.param(1);
    Mlp b = std::move(a);
    EXPECT_EQ(a.get(), nullptr);
    EXPECT_EQ(b.param(1), w);
}

TEST(CppWrapper, CallbacksStopTrainingAndRethrow) {
    nnc::Dataset all =
        nnc::Dataset::load_idx(kData + "/train-images-idx3-ubyte.gz", kData + "/train-labels-idx1-ubyte.gz");
    nnc::Dataset small = all.slice(0, 640);
    Mlp m;
    nnc::TrainOptions o = m.default_train_options();
    m.init(o.config.seed);
    o.config.epochs = 3;
    int batches = 0, epochs = 0;
    o.on_batch = [&](const nnc_progress&) { return ++batches < 4; };
    o.on_epoch = [&](const nnc_epoch_stats&) {
        ++epochs;
        return true;
    };
    m.train(small, nullptr, o);
    EXPECT_EQ(batches, 4);
    EXPECT_LE(epochs, 1);

    o.on_batch = [](const nnc_progress&) -> bool { throw std::logic_error("from the callback"); };
    EXPECT_THROW(m.train(small, nullptr, o), std::logic_error);
}

TEST(CppWrapper, SaveAndLoadRoundTrip) {
    const std::filesystem::path path = std::filesystem::temp_directory_path() / "nnc_cpp_wrapper_test.ckpt";
    Mlp a;
    a.init(3);
    a.save(path.string());
    Mlp b;
    b.load(path.string());
    for (int i = 0; i < a.num_params(); ++i) EXPECT_EQ(a.param(i), b.param(i));
    std::filesystem::remove(path);
}

}  // namespace
