// The C ABI for data files, standardization and prediction on the fake models: CSV and .npy
// datasets (and every malformed input named by file and line/offset), standardization fitted into
// the model, applied while training, undone by prediction and carried by checkpoints; arrays
// written as .npy/CSV; parameters through .npz.
#include "tests/runtime/fake_model.h"
#include "tests/runtime/test_support.h"

#include "runtime/npy.h"

#include <cmath>
#include <fstream>

namespace {

using nnc::runtime::make_npy;
using nnc::runtime::read_npy;
using nnc::runtime::write_npy;

void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

class DataFilesTest : public ::testing::Test {
protected:
    void SetUp() override { use_fake_model(FakeModel::classifier); }
    void TearDown() override { use_fake_model(FakeModel::classifier); }

    DatasetPtr load_csv(const nnc_model* m, const std::string& text, std::vector<const char*> targets,
                        std::vector<const char*> features = {}, nnc_status want = NNC_OK) {
        const std::string path = dir.file("data.csv");
        write_text(path, text);
        nnc_dataset* raw = nullptr;
        EXPECT_EQ(nnc_dataset_load_csv(m, path.c_str(), targets.data(), static_cast<int>(targets.size()),
                                       features.data(), static_cast<int>(features.size()), &raw),
                  want)
            << nnc_last_error();
        return DatasetPtr(raw);
    }

    TempDir dir;
};

TEST_F(DataFilesTest, CsvClassesAndErrorsNameTheLineAndColumn) {
    ModelPtr m = create_model();
    DatasetPtr d = load_csv(m.get(), "a,b,label,c,d\n1,2,0,3,4\n5,6,2,7,8\n", {"label"});
    ASSERT_TRUE(d);
    EXPECT_EQ(nnc_dataset_size(d.get()), 2);
    EXPECT_EQ(nnc_dataset_sample_size(d.get()), 4);
    double loss = 0, acc = 0;
    EXPECT_EQ(nnc_evaluate(m.get(), d.get(), 8, &loss, &acc), NNC_OK) << nnc_last_error();

    // Feature columns chosen and ordered by name.
    EXPECT_TRUE(load_csv(m.get(), "x,a,b,label,c,d\n9,1,2,0,3,4\n", {"label"}, {"a", "b", "c", "d"}));

    load_csv(m.get(), "a,b,label,c,d\n1,2,0,3,4\n5,6,1.5,7,8\n", {"label"}, {}, NNC_ERR_FORMAT);
    EXPECT_ERROR_MENTIONS(dir.file("data.csv") + ":3:5: column 'label' holds 1.5, not a class index");
    load_csv(m.get(), "a,b,label,c,d\n1,2,3,3,4\n", {"label"}, {}, NNC_ERR_FORMAT);
    EXPECT_ERROR_MENTIONS(":2:5: class 3 of target 'y' is out of range: the model has 3 classes");
    load_csv(m.get(), "a,b,label,c\n1,2,0,3\n", {"label"}, {}, NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("3 feature column(s) ('a', 'b', 'c') but model 'fake_classifier' takes inputs of 4 values");
    load_csv(m.get(), "a,b,label,c,d\n1,2,0,3,4\n", {"label", "a"}, {}, NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS(
        "2 target column(s) named ('label', 'a') but model 'fake_classifier' has targets 'y' (3 classes)");
    load_csv(m.get(), "a,b,label,c,d\n1,2,0,3,4\n1,x,0,3,4\n", {"label"}, {}, NNC_ERR_FORMAT);
    EXPECT_ERROR_MENTIONS(":3:3:");
    load_csv(m.get(), "a,b,label,c,d\n1,2,0,3,4\n", {"lable"}, {}, NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("lable");
    // Inputs only (for prediction).
    DatasetPtr inputs = load_csv(m.get(), "a,b,c,d\n1,2,3,4\n", {});
    ASSERT_TRUE(inputs);
    EXPECT_EQ(nnc_dataset_size(inputs.get()), 1);
}

TEST_F(DataFilesTest, NpyDatasetsAndErrorsNameTheOffset) {
    ModelPtr m = create_model();
    const std::string x = dir.file("x.npy"), y = dir.file("y.npy"), bad = dir.file("bad.npy");
    const float xs[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    const int32_t ys[2] = {0, 2};
    write_npy(x, make_npy({2, 2, 2}, xs));  // (N, 2, 2): 4 values per sample
    write_npy(y, make_npy({2}, ys));
    const char* targets[1] = {y.c_str()};
    nnc_dataset* raw = nullptr;
    ASSERT_EQ(nnc_dataset_load_npy(m.get(), x.c_str(), targets, 1, &raw), NNC_OK) << nnc_last_error();
    DatasetPtr d(raw);
    EXPECT_EQ(nnc_dataset_size(d.get()), 2);

    const int32_t out_of_range[2] = {0, 3};
    write_npy(bad, make_npy({2}, out_of_range));
    targets[0] = bad.c_str();
    EXPECT_EQ(nnc_dataset_load_npy(m.get(), x.c_str(), targets, 1, &raw), NNC_ERR_FORMAT);
    EXPECT_ERROR_MENTIONS("'" + bad + "' at byte offset 132 (element 1): class 3 of target 'y' is out of range");
    const int32_t three[3] = {0, 1, 2};
    write_npy(bad, make_npy({3}, three));
    EXPECT_EQ(nnc_dataset_load_npy(m.get(), x.c_str(), targets, 1, &raw), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("has shape (3,) but '" + x + "' holds 2 samples");
    const float with_nan[4] = {1, 2, NAN, 4};
    write_npy(bad, make_npy({1, 4}, with_nan));
    EXPECT_EQ(nnc_dataset_load_npy(m.get(), bad.c_str(), nullptr, 0, &raw), NNC_ERR_FORMAT);
    EXPECT_ERROR_MENTIONS("'" + bad + "' at byte offset 136: element 2 is NaN");
    write_npy(bad, make_npy({2, 3}, xs));
    EXPECT_EQ(nnc_dataset_load_npy(m.get(), bad.c_str(), nullptr, 0, &raw), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("has shape (2, 3) but model 'fake_classifier' takes inputs of 4 values");
    write_text(bad, "not numpy");
    EXPECT_EQ(nnc_dataset_load_npy(m.get(), bad.c_str(), nullptr, 0, &raw), NNC_ERR_FORMAT);
    EXPECT_ERROR_MENTIONS(bad);
    EXPECT_EQ(nnc_dataset_load_npy(m.get(), dir.file("missing.npy").c_str(), nullptr, 0, &raw), NNC_ERR_IO);
    EXPECT_EQ(raw, nullptr);
}

// y = 100 * (x0 + 2 x1 - x2) + 500 and y2 = -50 x3 + 7: far from unit scale, so only a
// standardized model learns it in a few epochs at lr 0.1.
TEST_F(DataFilesTest, StandardizedRegressionPredictsInTheUsersUnits) {
    use_fake_model(FakeModel::regressor);
    std::string csv = "x0,x1,x2,x3,y,y2\n";
    std::vector<float> inputs;
    for (int i = 0; i < 300; ++i) {
        const float a = static_cast<float>(i % 7) - 3, b = static_cast<float>(i % 11) * 10,
                    c = static_cast<float>(i % 13) / 8;  // exact in decimal
        const float d = static_cast<float>(i % 5) + 1000;
        const float y = 100 * (a + 2 * b - c) + 500, y2 = -50 * d + 7;
        csv += std::to_string(a) + "," + std::to_string(b) + "," + std::to_string(c) + "," + std::to_string(d) + "," +
               std::to_string(y) + "," + std::to_string(y2) + "\n";
        inputs.insert(inputs.end(), {a, b, c, d});
    }
    ModelPtr m = create_model();
    DatasetPtr data = load_csv(m.get(), csv, {"y", "y2"});
    ASSERT_TRUE(data);
    EXPECT_EQ(nnc_model_standardization(m.get()), 0);
    ASSERT_EQ(nnc_model_fit_standardization(m.get(), data.get(), 1, 1), NNC_OK) << nnc_last_error();
    EXPECT_EQ(nnc_model_standardization(m.get()), 3);
    nnc_train_config c{};
    c.epochs = 40;
    c.batch = 16;
    c.seed = 1;
    ASSERT_EQ(nnc_train(m.get(), data.get(), nullptr, &c), NNC_OK) << nnc_last_error();

    // nnc_model_predict on raw rows and nnc_predict on the dataset agree, in the user's units.
    std::vector<float> out(600), out2(600);
    float* o1[1] = {out.data()};
    float* o2[1] = {out2.data()};
    ASSERT_EQ(nnc_model_predict(m.get(), inputs.data(), 300, o1), NNC_OK) << nnc_last_error();
    ASSERT_EQ(nnc_predict(m.get(), data.get(), 64, o2), NNC_OK) << nnc_last_error();
    for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], out2[i]) << i;
    for (int i = 0; i < 300; i += 37) {
        const float* x = inputs.data() + i * 4;
        EXPECT_NEAR(out[static_cast<size_t>(i * 2)], 100 * (x[0] + 2 * x[1] - x[2]) + 500, 30.0) << i;
        EXPECT_NEAR(out[static_cast<size_t>(i * 2 + 1)], -50 * x[3] + 7, 3.0) << i;
    }
    // The raw forward pass works in the model's (standardized) units: different numbers.
    std::vector<float> raw(600);
    ASSERT_EQ(nnc_model_forward(m.get(), inputs.data(), 300, raw.data()), NNC_OK);
    EXPECT_GT(std::fabs(raw[0] - out[0]), 10.0f);

    // A checkpoint carries the statistics: a fresh model predicts the same.
    const std::string path = dir.file("reg.ckpt");
    ASSERT_EQ(nnc_model_save(m.get(), path.c_str()), NNC_OK) << nnc_last_error();
    ModelPtr other = create_model();
    ASSERT_EQ(nnc_model_load(other.get(), path.c_str()), NNC_OK) << nnc_last_error();
    EXPECT_EQ(nnc_model_standardization(other.get()), 3);
    ASSERT_EQ(nnc_model_predict(other.get(), inputs.data(), 300, o2), NNC_OK);
    EXPECT_EQ(out, out2);
    // Removing the statistics.
    ASSERT_EQ(nnc_model_fit_standardization(other.get(), data.get(), 0, 0), NNC_OK);
    EXPECT_EQ(nnc_model_standardization(other.get()), 0);
    // Inputs only (nnc train --standardize inputs): real targets stay in the user's units.
    ASSERT_EQ(nnc_model_fit_standardization(other.get(), data.get(), 1, 0), NNC_OK) << nnc_last_error();
    EXPECT_EQ(nnc_model_standardization(other.get()), 1);
    ASSERT_EQ(nnc_model_fit_standardization(other.get(), data.get(), 0, 1), NNC_OK) << nnc_last_error();
    EXPECT_EQ(nnc_model_standardization(other.get()), 2);
}

TEST_F(DataFilesTest, ClassTargetsAreNeverStandardized) {
    ModelPtr m = create_model();
    DatasetPtr d = load_csv(m.get(), "a,b,label,c,d\n1,2,0,3,4\n5,6,2,7,9\n", {"label"});
    ASSERT_TRUE(d);
    ASSERT_EQ(nnc_model_fit_standardization(m.get(), d.get(), 1, 1), NNC_OK) << nnc_last_error();
    EXPECT_EQ(nnc_model_standardization(m.get()), 1);
    // Probabilities come out as probabilities.
    const float x[4] = {1, 2, 3, 4};
    float p[3];
    float* outs[1] = {p};
    ASSERT_EQ(nnc_model_predict(m.get(), x, 1, outs), NNC_OK) << nnc_last_error();
    EXPECT_NEAR(p[0] + p[1] + p[2], 1.0f, 1e-6);
}

// What exporters fold into their graphs (nnc export-onnx): the fitted statistics themselves.
TEST_F(DataFilesTest, StandardizationStatsAreTheFittedOnes) {
    ModelPtr m = create_model();
    DatasetPtr d = load_csv(m.get(), "a,b,label,c,d\n1,2,0,3,4\n5,6,2,7,9\n", {"label"});
    ASSERT_TRUE(d);
    int64_t columns = -1;
    const float *mean = nullptr, *scale = nullptr;
    ASSERT_EQ(nnc_model_standardization_stats(m.get(), -1, &columns, &mean, &scale), NNC_OK) << nnc_last_error();
    EXPECT_EQ(columns, 0);  // nothing fitted yet
    ASSERT_EQ(nnc_model_fit_standardization(m.get(), d.get(), 1, 1), NNC_OK) << nnc_last_error();
    ASSERT_EQ(nnc_model_standardization_stats(m.get(), -1, &columns, &mean, &scale), NNC_OK) << nnc_last_error();
    ASSERT_EQ(columns, 4);
    EXPECT_EQ(std::vector<float>(mean, mean + 4), (std::vector<float>{3, 4, 5, 6.5f}));
    EXPECT_EQ(std::vector<float>(scale, scale + 4), (std::vector<float>{2, 2, 2, 2.5f}));
    // A class target is never standardized.
    ASSERT_EQ(nnc_model_standardization_stats(m.get(), 0, &columns, &mean, &scale), NNC_OK) << nnc_last_error();
    EXPECT_EQ(columns, 0);
    EXPECT_EQ(mean, nullptr);
    EXPECT_EQ(nnc_model_standardization_stats(m.get(), 1, &columns, &mean, &scale), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(nnc_last_error()).find("pass -1 for the inputs"), std::string::npos) << nnc_last_error();
}

// A library whose descriptor carries no graph (this fake one, or one an older nnc built) says so.
TEST_F(DataFilesTest, AModelWithoutItsGraphSaysToRebuild) {
    ModelPtr m = create_model();
    const char* json = "unchanged";
    EXPECT_NE(nnc_model_graph_json(m.get(), &json), NNC_OK);
    EXPECT_STREQ(json, "unchanged");
    EXPECT_NE(std::string(nnc_last_error()).find("rebuild it with nnc"), std::string::npos) << nnc_last_error();
    EXPECT_NE(nnc_model_graph_json(m.get(), nullptr), NNC_OK);
}

TEST_F(DataFilesTest, WriteArrayAndNpzThroughTheAbi) {
    const float v[6] = {1.5f, -2, 3, 4, 5, 6.25f};
    const std::string npy = dir.file("out.npy"), csv = dir.file("out.csv");
    ASSERT_EQ(nnc_write_array(npy.c_str(), v, 2, 3, nullptr), NNC_OK) << nnc_last_error();
    const auto a = read_npy(npy);
    EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(a.to_floats(), std::vector<float>(v, v + 6));
    const char* names[3] = {"p", "q", "r"};
    ASSERT_EQ(nnc_write_array(csv.c_str(), v, 2, 3, names), NNC_OK) << nnc_last_error();
    std::ifstream in(csv);
    std::string header;
    std::getline(in, header);
    EXPECT_EQ(header, "p,q,r");
    EXPECT_EQ(nnc_write_array(dir.file("out.txt").c_str(), v, 2, 3, nullptr), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("must end in .npy or .csv");
    EXPECT_FALSE(std::filesystem::exists(dir.file("out.txt")));

    ModelPtr m = create_model(), other = create_model();
    ASSERT_EQ(nnc_model_init(m.get(), 1), NNC_OK);
    ASSERT_EQ(nnc_model_init(other.get(), 2), NNC_OK);
    const std::string npz = dir.file("w.npz");
    ASSERT_EQ(nnc_model_export_npz(m.get(), npz.c_str()), NNC_OK) << nnc_last_error();
    ASSERT_EQ(nnc_model_import_npz(other.get(), npz.c_str()), NNC_OK) << nnc_last_error();
    EXPECT_EQ(get_param(m.get(), 0), get_param(other.get(), 0));
    EXPECT_EQ(get_param(m.get(), 1), get_param(other.get(), 1));
    use_fake_model(FakeModel::regressor);
    ModelPtr regressor = create_model();
    EXPECT_EQ(nnc_model_import_npz(regressor.get(), npz.c_str()), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("array 'fc.weight' has shape (4, 3) but the parameter has shape (4, 2)");
}

}  // namespace
