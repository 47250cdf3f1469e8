// nnc train --sanity, before training: a healthy model PASSes on real Fashion-MNIST
// images, a dataset whose labels contradict its inputs FAILs, and inputs far from unit scale are
// flagged by the initial-loss check; each check also stays silent where it should. Nothing is
// written: no run folder appears in the working directory.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "tests/e2e/run_nnc.h"
#include "tests/e2e/scratch_folder.h"

namespace {
namespace fs = std::filesystem;

using nnc::test::Result;

const std::string kLib = NNC_FASHION_MLP_LIBRARY;
constexpr int kFeatures = 784;  // fashion_mlp's input

// Each test runs in its own empty folder, so "nothing written" is checkable.
class Sanity : public nnc::test::InScratchFolder {
protected:
    Sanity() : InScratchFolder("nnc_sanity_") {}
    // Only the data files the test wrote are in the folder.
    void expect_nothing_written(size_t files_written) const {
        EXPECT_EQ(static_cast<size_t>(std::distance(fs::directory_iterator(dir_), fs::directory_iterator())),
                  files_written);
    }
};

// A CSV of `labels.size()` rows: label, then the 784 pixels of inputs[row % inputs.size()] times
// `scale`.
void write_csv(const std::string& file, const std::vector<std::vector<float>>& inputs, const std::vector<int>& labels,
               float scale) {
    std::ofstream out(file);
    out << "label";
    for (int i = 0; i < kFeatures; ++i) out << ",p" << i;
    out << "\n";
    for (size_t r = 0; r < labels.size(); ++r) {
        out << labels[r];
        for (float v : inputs[r % inputs.size()]) out << "," << v * scale;
        out << "\n";
    }
}

std::vector<std::vector<float>> random_images(int count, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> pixel(0.f, 1.f);
    std::vector<std::vector<float>> images(static_cast<size_t>(count), std::vector<float>(kFeatures));
    for (auto& image : images)
        for (float& p : image) p = pixel(rng);
    return images;
}

Result sanity(const std::string& args) { return nnc::test::run_nnc("train " + kLib + " --sanity " + args); }

TEST_F(Sanity, HealthyFashionMlpPassesOnRealImages) {
    const Result r = sanity("");  // the first 64 Fashion-MNIST training images
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("expected 2.3026 (ln 10)"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("sanity: PASS"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("WARNING"), std::string::npos) << r.output;  // a sane init is not flagged
    expect_nothing_written(0);
}

TEST_F(Sanity, SanitySamplesChoosesTheSubset) {
    const Result r = sanity("--sanity-samples 16");
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("the first 16 samples"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("memorizes 16 samples"), std::string::npos) << r.output;
}

// The control for the next test: 64 distinct inputs, each with one label, are memorized (a wide
// MLP memorizes even random labels, so labels that are merely wrong cannot be caught here).
TEST_F(Sanity, ConsistentCsvLabelsPass) {
    std::vector<int> labels(64);
    for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int>(i % 10);
    write_csv(path("data.csv"), random_images(64, 7), labels, 1.f);
    const Result r = sanity("--data data.csv --target label");
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("sanity: PASS"), std::string::npos) << r.output;
    expect_nothing_written(1);
}

// Mislabeled in a way no model can fit: 32 inputs each appear twice, with two different labels
// (as when a label file is misaligned with, or partly a copy of, another). The best any model can
// do on each pair is probability 1/2 for both labels, a loss of ln 2 = 0.69, far above the PASS
// bar (0.02 x ln 10 = 0.046): the gate must FAIL and name misalignment among the causes.
TEST_F(Sanity, ContradictoryLabelsFail) {
    std::vector<int> labels(64);
    for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int>(i < 32 ? i % 10 : (i + 1) % 10);
    write_csv(path("data.csv"), random_images(32, 7), labels, 1.f);
    const Result r = sanity("--data data.csv --target label");
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find("sanity: FAIL"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("inputs and labels misaligned"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("after 1000 updates"), std::string::npos) << r.output;  // the whole budget was tried
    expect_nothing_written(1);
}

// Pixels in [0, 1000] instead of [0, 1] (no standardization): He-initialized logits grow 1000x,
// the softmax is confidently wrong, and the initial loss is far above ln 10.
TEST_F(Sanity, InputsScaledBy1000AreFlagged) {
    std::vector<int> labels(64);
    for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int>(i % 10);
    write_csv(path("data.csv"), random_images(64, 7), labels, 1000.f);
    const Result r = sanity("--data data.csv --target label --standardize none");
    EXPECT_NE(r.output.find("WARNING: the initial loss is far above the expected value"), std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("input scaling"), std::string::npos) << r.output;
    // The same file standardized (the default for CSV) is not flagged.
    const Result z = sanity("--data data.csv --target label");
    EXPECT_EQ(z.output.find("WARNING"), std::string::npos) << z.output;
    EXPECT_EQ(z.status, 0) << z.output;
}

// The overfit runs with the dropout rates set to 0 at run time (0.5 dropout on 20 points keeps
// the training loss far from zero), and its mse on standardized targets is checked against 1.
TEST_F(Sanity, DropoutRegressionOverfitsWithDropoutOff) {
    std::ofstream csv(path("data.csv"));
    csv << "x,y\n";
    for (int i = 0; i < 20; ++i) {
        const double x = -1 + 2.0 * i / 19;
        csv << x << "," << x * x << "\n";
    }
    csv.close();
    const Result r = nnc::test::run_nnc("train " + std::string(NNC_SOURCE_DIR) +
                                        "/samples/dropout_regression.nn --sanity --data data.csv --target y");
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("dropout off (2 rates set to 0)"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("expected 1.0000 (1 for standardized targets)"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("sanity: PASS"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("WARNING"), std::string::npos) << r.output;
    expect_nothing_written(1);
}

// A loss/head mismatch: softmax cross-entropy on sigmoid outputs. Its inputs are squeezed into
// (0, 1), so the best class probability is e / (e + 9) and the loss cannot go below
// -ln(e / (e + 9)) = 1.466 even with every sample classified right: the gate must FAIL.
TEST_F(Sanity, LossHeadMismatchFails) {
    std::ofstream(path("mismatch.nn")) << R"(model mismatch {
  input  image: [784]
  target label: classes(10)
  fc1    = dense(image, 64, init=he_normal)
  h1     = relu(fc1)
  logits = dense(h1, 10)
  probs  = sigmoid(logits)
  loss   = softmax_cross_entropy(probs, label)
  train {
    optimizer = adam(lr=1e-3)
    batch = 64
    epochs = 1
  }
}
)";
    const Result r = nnc::test::run_nnc("train mismatch.nn --sanity");
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find("loss 1.46"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("sanity: FAIL"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("the loss does not match the head"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("WARNING"), std::string::npos) << r.output;  // its initial loss is ln 10 all the same
    expect_nothing_written(1);
}

// Sigmoid binary cross-entropy: expected ln 2; a dropout at its default rate is set to 0 too.
// The classes are separated by a margin (x0 < 0.4 or > 0.6), so the loss can reach near zero.
TEST_F(Sanity, BinaryCrossEntropyExpectsLn2) {
    std::ofstream(path("bce.nn")) << R"(model bce {
  input  x: [4]
  target y: [1]
  fc1  = dense(x, 32, init=he_normal)
  h1   = relu(fc1)
  d1   = dropout(h1)
  out  = dense(d1, 1, init=xavier_uniform)
  loss = sigmoid_binary_cross_entropy(out, y)
  train {
    optimizer = adam(lr=1e-2)
    batch = 64
    epochs = 1
  }
}
)";
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> u(0.f, 1.f);
    std::ofstream csv(path("data.csv"));
    csv << "a,b,c,d,y\n";
    for (int i = 0; i < 64; ++i) {
        const int y = i % 2;
        csv << (y ? 0.6f + 0.4f * u(rng) : 0.4f * u(rng)) << "," << u(rng) << "," << u(rng) << "," << u(rng) << "," << y
            << "\n";
    }
    csv.close();
    const Result r = nnc::test::run_nnc("train bce.nn --sanity --data data.csv --target y");
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("expected 0.6931 (ln 2)"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("dropout off (1 rate set to 0)"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("sanity: PASS"), std::string::npos) << r.output;
    expect_nothing_written(2);
}

TEST_F(Sanity, RefusesResumeAndOutputs) {
    const Result r = nnc::test::run_nnc("train --sanity --resume somewhere");
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_NE(r.output.find("cannot take --resume"), std::string::npos) << r.output;
    const Result o = sanity("--out run --save x.ckpt");
    EXPECT_EQ(o.status, 2) << o.output;
    EXPECT_NE(o.output.find("cannot take --out or --save"), std::string::npos) << o.output;
    expect_nothing_written(0);
}

TEST_F(Sanity, HelpNamesTheOptions) {
    const Result r = nnc::test::run_nnc("train --help");
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("--sanity "), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("--sanity-samples"), std::string::npos) << r.output;
}

}  // namespace
