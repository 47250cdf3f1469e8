// Standardization: statistics (population std, as numpy), fitted on the training split only and
// applied to the others, undone exactly enough, constant columns, and the checkpoint form.
#include "runtime/standardize.h"
#include "runtime/dataset.h"
#include "runtime/errors.h"
#include "tests/runtime/test_support.h"

#include <cmath>

namespace {

using nnc::runtime::Standardization;

DatasetPtr real_dataset(const std::vector<float>& x, const std::vector<float>& y, int64_t features, int64_t targets) {
    nnc_dataset* d = nullptr;
    EXPECT_EQ(nnc_dataset_from_memory(x.data(), y.data(), static_cast<int64_t>(x.size()) / features, features,
                                      NNC_TARGET_REAL, targets, &d),
              NNC_OK)
        << nnc_last_error();
    return DatasetPtr(d);
}

TEST(Standardize, FitsMeanAndPopulationStdPerColumn) {
    // Columns: [1, 2, 3, 4] (mean 2.5, std sqrt(1.25)) and [10, 10, 10, 10] (constant).
    const std::vector<float> v = {1, 10, 2, 10, 3, 10, 4, 10};
    const Standardization s = nnc::runtime::fit_standardization(v.data(), 4, 2);
    EXPECT_EQ(s.mean, (std::vector<float>{2.5f, 10}));
    EXPECT_FLOAT_EQ(s.scale[0], std::sqrt(1.25f));
    EXPECT_EQ(s.scale[1], 1.0f);  // a constant column is only centred

    std::vector<float> w = v;
    nnc::runtime::standardize(s, w.data(), 4);
    double mean = 0, sq = 0;
    for (int i = 0; i < 4; ++i) mean += w[i * 2] / 4.0;
    for (int i = 0; i < 4; ++i) sq += (w[i * 2] - mean) * (w[i * 2] - mean) / 4.0;
    EXPECT_NEAR(mean, 0.0, 1e-7);
    EXPECT_NEAR(std::sqrt(sq), 1.0, 1e-6);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(w[i * 2 + 1], 0.0f);

    nnc::runtime::unstandardize(s, w.data(), 4);
    for (size_t i = 0; i < v.size(); ++i) EXPECT_NEAR(w[i], v[i], 1e-6 * std::fabs(v[i])) << i;
}

TEST(Standardize, FitsOnTrainingDataAndAppliesTheSameStatisticsElsewhere) {
    DatasetPtr train = real_dataset({0, 2, 4}, {100, 200, 300}, 1, 1);
    DatasetPtr validation = real_dataset({8}, {500}, 1, 1);
    const auto s = nnc::runtime::fit_dataset_standardization(*train, true, true);
    EXPECT_EQ(s.inputs.mean, (std::vector<float>{2}));
    ASSERT_EQ(s.targets.size(), 1u);
    EXPECT_EQ(s.targets[0].mean, (std::vector<float>{200}));
    nnc::runtime::apply_standardization(s, *train);
    nnc::runtime::apply_standardization(s, *validation);
    const float sx = std::sqrt(8.0f / 3.0f), sy = std::sqrt(20000.0f / 3.0f);
    EXPECT_FLOAT_EQ(train->samples[2], 2 / sx);
    EXPECT_FLOAT_EQ(validation->samples[0], 6 / sx);  // the training statistics, not its own
    EXPECT_FLOAT_EQ(validation->targets[0].values[0], 300 / sy);
    // Undoing the target statistics gives back the user's units.
    std::vector<float> prediction = {validation->targets[0].values[0]};
    nnc::runtime::unstandardize(s.targets[0], prediction.data(), 1);
    EXPECT_FLOAT_EQ(prediction[0], 500);
}

TEST(Standardize, LeavesClassTargetsAloneAndRefusesMismatchedColumns) {
    const std::vector<float> x = {1, 2, 3, 4};
    const std::vector<int32_t> y = {0, 1};
    nnc_dataset* d = nullptr;
    ASSERT_EQ(nnc_dataset_from_memory(x.data(), y.data(), 2, 2, NNC_TARGET_CLASSES, 1, &d), NNC_OK);
    DatasetPtr classes(d);
    const auto both = nnc::runtime::fit_dataset_standardization(*classes, true, true);
    ASSERT_EQ(both.targets.size(), 1u);
    EXPECT_TRUE(both.targets[0].empty());
    nnc::runtime::apply_standardization(both, *classes);
    EXPECT_EQ(classes->targets[0].classes, y);
    const auto inputs = nnc::runtime::fit_dataset_standardization(*classes, true, false);
    DatasetPtr three = real_dataset({1, 2, 3}, {0}, 3, 1);
    EXPECT_THROW(nnc::runtime::apply_standardization(inputs, *three), nnc::runtime::Error);
}

TEST(Standardize, SerializesForCheckpoints) {
    const std::vector<float> v = {1, -5, 2, 7, 4, 1};
    const Standardization s = nnc::runtime::fit_standardization(v.data(), 3, 2);
    std::vector<uint8_t> bytes = {0xAA};  // something before it
    const std::vector<uint8_t> body = nnc::runtime::serialize_standardization(s);
    bytes.insert(bytes.end(), body.begin(), body.end());
    size_t offset = 1;
    const Standardization back =
        nnc::runtime::deserialize_standardization(bytes.data(), bytes.size(), offset, "'c.ckpt'");
    EXPECT_EQ(offset, bytes.size());
    EXPECT_EQ(back.mean, s.mean);
    EXPECT_EQ(back.scale, s.scale);

    offset = 1;
    try {
        nnc::runtime::deserialize_standardization(bytes.data(), bytes.size() - 1, offset, "'c.ckpt'");
        ADD_FAILURE();
    } catch (const nnc::runtime::Error& e) {
        EXPECT_STREQ(e.what(),
                     "'c.ckpt' at byte offset 1: the standardization statistics claim 2 columns, more than "
                     "the file holds; it is truncated or corrupt");
    }
    std::vector<uint8_t> zero_scale = bytes;
    std::fill_n(zero_scale.begin() + 1 + 8 + 8, 4, 0);
    offset = 1;
    EXPECT_THROW(nnc::runtime::deserialize_standardization(zero_scale.data(), zero_scale.size(), offset, "x"),
                 nnc::runtime::Error);
}

}  // namespace
