// End to end: the compiled fashion_mlp library trained by the runtime on real Fashion-MNIST.
// One epoch on a 10,000-image subset must reach at least 78% test accuracy.
#include <gtest/gtest.h>

#include <filesystem>

#include "fashion_mlp.h"

namespace {

const char* kData = "/usr/share/datasets/fashion-mnist/";

TEST(FashionMlp, OneEpochOnTenThousandImagesReaches78Percent) {
    if (!std::filesystem::exists(std::string(kData) + "train-images-idx3-ubyte.gz"))
        GTEST_FAIL() << "Fashion-MNIST is missing: install dataset-fashion-mnist (scripts/setup.sh does)";
    nnc_dataset *train_all = nullptr, *test = nullptr, *train = nullptr;
    ASSERT_EQ(nnc_dataset_load_idx((std::string(kData) + "train-images-idx3-ubyte.gz").c_str(),
                                   (std::string(kData) + "train-labels-idx1-ubyte.gz").c_str(), &train_all),
              NNC_OK)
        << nnc_last_error();
    ASSERT_EQ(nnc_dataset_load_idx((std::string(kData) + "t10k-images-idx3-ubyte.gz").c_str(),
                                   (std::string(kData) + "t10k-labels-idx1-ubyte.gz").c_str(), &test),
              NNC_OK)
        << nnc_last_error();
    ASSERT_EQ(nnc_dataset_slice(train_all, 0, 10000, &train), NNC_OK) << nnc_last_error();

    nnc_model* m = nullptr;
    ASSERT_EQ(nnc_model_create(&m), NNC_OK) << nnc_last_error();
    nnc_train_config config{};
    nnc_optimizer_config opt{};
    int64_t validation = 0;
    ASSERT_EQ(nnc_model_default_train_config(m, &config, &opt, &validation), NNC_OK);
    EXPECT_STREQ(opt.name, "adam");
    EXPECT_EQ(config.batch, 64);
    config.epochs = 1;
    ASSERT_EQ(nnc_model_init(m, config.seed), NNC_OK);
    ASSERT_EQ(nnc_train(m, train, nullptr, &config), NNC_OK) << nnc_last_error();

    double loss = 0, accuracy = 0;
    ASSERT_EQ(nnc_evaluate(m, test, 256, &loss, &accuracy), NNC_OK) << nnc_last_error();
    std::printf("test loss %.4f, test accuracy %.4f\n", loss, accuracy);
    EXPECT_GE(accuracy, 0.78);
    EXPECT_LT(loss, 0.7);

    nnc_model_destroy(m);
    nnc_dataset_destroy(train);
    nnc_dataset_destroy(train_all);
    nnc_dataset_destroy(test);
}

}  // namespace
