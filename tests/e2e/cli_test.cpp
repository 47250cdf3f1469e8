// The nnc command line as users run it: check, compile, train, and errors that write nothing.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/e2e/run_nnc.h"
#include "tests/e2e/scratch_folder.h"

namespace {
namespace fs = std::filesystem;

using nnc::test::Result;
Result run(const std::string& args) { return nnc::test::run_nnc(args); }

class Cli : public nnc::test::InScratchFolder {
protected:
    Cli() : InScratchFolder("nnc-cli-") {}
    const std::string sample = std::string(NNC_SOURCE_DIR) + "/samples/fashion_mlp.nn";
};

TEST_F(Cli, CheckPrintsLayersShapesAndParameterTotal) {
    Result r = run("check " + sample);
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("fc1 (dense)"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("[512]"), std::string::npos);
    EXPECT_NE(r.output.find("401,920"), std::string::npos);  // 784*512 + 512
    EXPECT_NE(r.output.find("Total params: 669,706"), std::string::npos) << r.output;
}

TEST_F(Cli, CompileWritesLibraryAndHeader) {
    Result r = run(sample + " -o " + (dir_ / "mlp.so").string());
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_TRUE(fs::exists(dir_ / "mlp.so"));
    std::ifstream h(dir_ / "mlp.h");
    std::string header((std::istreambuf_iterator<char>(h)), std::istreambuf_iterator<char>());
    EXPECT_NE(header.find("#define FASHION_MLP_INPUT_SIZE 784"), std::string::npos) << header;
    EXPECT_NE(header.find("nnc_model_train_step"), std::string::npos);
    // Nothing but the two outputs is left behind.
    EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 2);
}

TEST_F(Cli, ErrorsAreAllReportedAndNothingIsWritten) {
    std::ofstream(dir_ / "bad.nn") << "model m {\n  input x: [4]\n  target y: classes(3)\n  a = dens(x, 3)\n"
                                      "  b = relu(a, units=3)\n  loss = softmax_cross_entropy(b, y)\n}\n";
    Result r = run((dir_ / "bad.nn").string() + " -o " + (dir_ / "bad.so").string());
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.output.find("bad.nn:4:7: error: unknown layer 'dens'"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("did you mean 'dense'?"), std::string::npos);
    EXPECT_NE(r.output.find("bad.nn:5:15: error: unknown attribute 'units'"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(dir_ / "bad.so"));
    EXPECT_FALSE(fs::exists(dir_ / "bad.h"));
}

// Augmentation applies to images only; on a flat input it is refused before any training.
TEST_F(Cli, AugmentationOfANonImageModelIsRefused) {
    Result r = run("train " NNC_FASHION_MLP_LIBRARY " --limit 200 --validation 50 --augment-flip --out " +
                   (dir_ / "run").string());
    EXPECT_NE(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("augmentation needs image inputs [C, H, W]"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("epoch 1/"), std::string::npos) << r.output;
}

TEST_F(Cli, MissingFileIsAClearError) {
    Result r = run((dir_ / "absent.nn").string() + " -o " + (dir_ / "x.so").string());
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.output.find("absent.nn"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(dir_ / "x.so"));
}

TEST_F(Cli, TrainReportsEpochMetricsAndTestAccuracy) {
    Result r =
        run("train " NNC_FASHION_MLP_LIBRARY " --epochs 1 --limit 2000 --validation 500 --batch 32 --lr 1e-3 --seed 3");
    ASSERT_EQ(r.status, 0) << r.output;
    // Not a terminal: plain lines, no carriage-return progress bar.
    EXPECT_EQ(r.output.find('\r'), std::string::npos);
    for (const char* field :
         {"epoch 1/1", "train loss", "train acc", "val loss", "val acc", "samples/s", "test accuracy"})
        EXPECT_NE(r.output.find(field), std::string::npos) << field << " missing in:\n" << r.output;
    EXPECT_NE(r.output.find("1500 samples (500 held out"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("batch 32"), std::string::npos) << r.output;
}

TEST_F(Cli, TrainRejectsAValidationSetLargerThanTheData) {
    Result r = run("train " NNC_FASHION_MLP_LIBRARY " --limit 100 --validation 100");
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.output.find("--validation"), std::string::npos) << r.output;
}

}  // namespace

namespace {

// dsl/GRAMMAR.md's op reference is `nnc ops` verbatim: adding or changing a layer's attributes
// without updating the document fails here (regenerate the block between the markers).
TEST(CliOps, GrammarEmbedsTheGeneratedOpTable) {
    const Result r = run("ops");
    ASSERT_EQ(r.status, 0) << r.output;
    std::ifstream in(std::string(NNC_SOURCE_DIR) + "/dsl/GRAMMAR.md");
    const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string begin = "<!-- nnc ops: begin -->\n", end = "<!-- nnc ops: end -->";
    const size_t b = doc.find(begin), e = doc.find(end);
    ASSERT_NE(b, std::string::npos);
    ASSERT_NE(e, std::string::npos);
    EXPECT_EQ(doc.substr(b + begin.size(), e - b - begin.size()), r.output)
        << "run `nnc ops` and paste its output between the markers in dsl/GRAMMAR.md";
    for (const char* op : {"conv2d", "batchnorm", "dropout", "embedding", "lstm", "gru", "softmax_cross_entropy"})
        EXPECT_NE(r.output.find(std::string("| `") + op + "` |"), std::string::npos) << op;
}

}  // namespace
