// nnc train's diagnoses during training, through the binary as a
// user runs it: the field guide's overfitting case (a 2x200 regressor on 20 noisy points, trained
// without dropout) is called overfitting; a healthy classifier on a few Fashion-MNIST images shows
// a sharpening probe and is not called overfitting, collapsed or unsharpened, while at lr 1e-7 it
// is called unsharpened with too low an lr; large regression targets without standardization and
// multi-task losses 10x apart are flagged at the first epoch; a classifier trained on one class
// collapses its probe; --no-diagnostics measures and prints nothing.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "tests/e2e/metrics_log.h"
#include "tests/e2e/regressor_without_dropout.h"
#include "tests/e2e/run_nnc.h"
#include "tests/e2e/scratch_folder.h"

namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using nnc::test::Result;
using nnc::test::run_nnc;

class Diagnosis : public nnc::test::InScratchFolder {
protected:
    Diagnosis() : InScratchFolder("nnc_diagnosis_") {}
    void SetUp() override {
        // This build's own cache of compiled .nn files, apart from other checkouts' nnc builds.
        ::setenv("XDG_CACHE_HOME", NNC_TEST_CACHE, 1);
        InScratchFolder::SetUp();
    }

    std::string regressor() const { return nnc::test::write_regressor_without_dropout(dir_); }
    std::vector<json> of_type(const std::string& run, const std::string& type) const {
        return nnc::test::metrics_of_type(dir_ / run, type);
    }
    std::set<std::string> codes(const std::string& run) const { return nnc::test::diagnosis_codes(dir_ / run); }
    std::string out(const std::string& run) const { return " --out " + path(run); }
};

bool has(const std::set<std::string>& codes, const std::string& code) { return codes.count(code) > 0; }

// The bar of the issue: 20 noisy points of y = x + N(0, 1), full batch, Adam 1e-2, validation on
// 400 fresh points. The validation loss bottoms out early and climbs while the training loss falls.
TEST_F(Diagnosis, WideRegressorOnTwentyPointsIsCalledOverfitting) {
    const Result r =
        run_nnc("train " + regressor() + nnc::test::regressor_data() + " --epochs 150 --seed 1" + out("run"));
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("nnc: warning: the validation loss rose from"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("[overfitting]\n  advice: the model memorizes its training set; in order: (1) more data or "
                            "a smaller model"),
              std::string::npos)
        << r.output;
    const auto found = of_type("run", "diagnosis");
    const auto it = std::find_if(found.begin(), found.end(), [](const json& j) { return j["code"] == "overfitting"; });
    ASSERT_NE(it, found.end()) << r.output;
    EXPECT_EQ((*it)["severity"], "warning");
    EXPECT_GT((*it)["epoch"].get<int>(), 3);
    // Its dropout layers are there at rate 0: the advice is to turn them on, not to add dropout.
    EXPECT_NE((*it)["advice"].get<std::string>().find("turning its dropout layers on"), std::string::npos)
        << (*it).dump();
    // A regression model has no probe; its standardized targets are not flagged.
    for (const json& e : of_type("run", "epoch")) EXPECT_FALSE(e.contains("probe"));
    EXPECT_FALSE(has(codes("run"), "target-scale"));
}

// A healthy run: fashion_mlp on 900 real training images (100 held out), 4 epochs.
TEST_F(Diagnosis, HealthyClassifierSharpensAndIsNotFlagged) {
    const Result r = run_nnc("train " + std::string(NNC_FASHION_MLP_LIBRARY) +
                             " --limit 1000 --validation 100 --epochs 4 --batch 32 --seed 1" + out("run"));
    ASSERT_EQ(r.status, 0) << r.output;
    const auto c = codes("run");
    for (const char* bad :
         {"overfitting", "class-collapse", "not-sharpening", "underfitting", "target-scale", "task-loss-scale"})
        EXPECT_FALSE(has(c, bad)) << bad << "\n" << r.output;
    const auto epochs = of_type("run", "epoch");
    ASSERT_EQ(epochs.size(), 4u);
    for (const json& e : epochs) {
        ASSERT_TRUE(e.contains("probe")) << e.dump();
        const json& p = e["probe"];
        EXPECT_NEAR(p["max_entropy"].get<double>(), std::log(10.0), 1e-9);
        EXPECT_EQ(p["top_prob_hist"].size(), 10u);
        int64_t total = 0;
        for (const json& n : p["top_prob_hist"]) total += n.get<int64_t>();
        EXPECT_EQ(total, 100);  // the probe: the 100 validation samples
        EXPECT_LT(p["majority_fraction"].get<double>(), 0.5);
    }
    // Sharpening: the entropy falls and the top class grows more probable.
    EXPECT_LT(epochs.back()["probe"]["entropy"].get<double>(), epochs.front()["probe"]["entropy"].get<double>());
    EXPECT_LT(epochs.back()["probe"]["entropy"].get<double>(), 0.7 * std::log(10.0));
    EXPECT_GT(epochs.back()["probe"]["mean_top_prob"].get<double>(),
              epochs.front()["probe"]["mean_top_prob"].get<double>());
    // The end-of-run reading of the loss curve is there.
    EXPECT_TRUE(has(c, "curve-good") || has(c, "lr-too-low") || has(c, "lr-too-high-early") ||
                has(c, "lr-too-high-late"))
        << r.output;
}

// The same run at lr 1e-7: the probe stays near uniform (not-sharpening from epoch 3), and the loss
// curve barely falls (lr-too-low).
TEST_F(Diagnosis, TinyLearningRateDoesNotSharpen) {
    const Result r = run_nnc("train " + std::string(NNC_FASHION_MLP_LIBRARY) +
                             " --limit 1000 --validation 100 --epochs 4 --batch 32 --seed 1 --lr 1e-7" + out("run"));
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("after 3 epochs the predictions are still near uniform"), std::string::npos) << r.output;
    const auto c = codes("run");
    EXPECT_TRUE(has(c, "not-sharpening")) << r.output;
    EXPECT_TRUE(has(c, "lr-too-low")) << r.output;
    EXPECT_FALSE(has(c, "curve-good")) << r.output;
    EXPECT_FALSE(has(c, "overfitting")) << r.output;
    for (const json& d : of_type("run", "diagnosis")) {
        if (d["code"] == "not-sharpening") {
            EXPECT_EQ(d["epoch"], 3);
        }
    }
}

// Targets in the thousands (RMS ~1000), --standardize none: flagged at epoch 1;
// the same data standardized is not.
TEST_F(Diagnosis, LargeTargetsWithoutStandardizationAreFlaggedAtTheFirstEpoch) {
    std::ofstream csv(dir_ / "big.csv");
    csv << "x,y\n";
    for (int i = 0; i < 40; ++i) csv << i / 20.0 - 1 << "," << 1000 + 300 * (i / 20.0 - 1) << "\n";
    csv.close();
    const std::string args =
        "train " + regressor() + " --data " + (dir_ / "big.csv").string() + " --target y --validation 8 --epochs 2";
    const Result r = run_nnc(args + " --standardize none" + out("raw"));
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("regression target 'y' is far from unit scale"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("[target-scale]\n  advice: standardize it: nnc train --standardize both"),
              std::string::npos)
        << r.output;
    const auto found = of_type("raw", "diagnosis");
    const auto it = std::find_if(found.begin(), found.end(), [](const json& j) { return j["code"] == "target-scale"; });
    ASSERT_NE(it, found.end()) << r.output;
    EXPECT_EQ((*it)["epoch"], 1);
    EXPECT_EQ((*it)["subject"], "y");

    const Result z = run_nnc(args + " --standardize both" + out("standardized"));
    ASSERT_EQ(z.status, 0) << z.output;
    EXPECT_FALSE(has(codes("standardized"), "target-scale")) << z.output;
}

// Two tasks: 3-class cross-entropy (~1.1) and mse on values around 100 (~1e4 when not
// standardized): task-loss-scale suggests a weight for the big one; standardized, both are ~1.
TEST_F(Diagnosis, MultiTaskLossesOnDifferentScalesGetAWeight) {
    std::ofstream(dir_ / "two_tasks.nn")
        << "model two_tasks {\n  input x: [4]\n  target label: classes(3)\n  target value: [1]\n"
           "  fc = dense(x, 16)\n  h = relu(fc)\n  logits = dense(h, 3)\n  level = dense(h, 1)\n"
           "  loss classify = softmax_cross_entropy(logits, label)\n  loss regress = mse(level, value)\n"
           "  train {\n    optimizer = adam(lr=1e-3)\n    batch = 16\n    epochs = 2\n  }\n}\n";
    std::ofstream csv(dir_ / "two_tasks.csv");
    csv << "a,b,c,d,label,value\n";
    for (int i = 0; i < 64; ++i) {
        const double x = (i % 17) / 8.0 - 1, y = (i % 5) / 2.0 - 1;
        csv << x << "," << y << "," << -x << "," << x * y << "," << i % 3 << "," << 100 + 30 * x << "\n";
    }
    csv.close();
    const std::string args = "train " + (dir_ / "two_tasks.nn").string() + " --data " +
                             (dir_ / "two_tasks.csv").string() + " --target label,value --validation 16";
    const Result r = run_nnc(args + " --standardize none" + out("raw"));
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("loss 'regress' contributes"), std::string::npos) << r.output;
    EXPECT_NE(
        r.output.find("[task-loss-scale]\n  advice: bring them to one scale: `loss regress = ...(..., weight=0.0"),
        std::string::npos)
        << r.output;
    const auto found = of_type("raw", "diagnosis");
    const auto it =
        std::find_if(found.begin(), found.end(), [](const json& j) { return j["code"] == "task-loss-scale"; });
    ASSERT_NE(it, found.end()) << r.output;
    EXPECT_EQ((*it)["subject"], "regress");
    EXPECT_EQ((*it)["epoch"], 1);

    const Result z = run_nnc(args + " --standardize both" + out("standardized"));
    ASSERT_EQ(z.status, 0) << z.output;
    EXPECT_FALSE(has(codes("standardized"), "task-loss-scale")) << z.output;
}

// Class collapse on a real run: a 3-class classifier trained on data whose labels are all
// class 0 learns to answer 0 for everything; its probe (the validation set, labels spread over
// the 3 classes) is then predicted as one class from epoch 2 on.
TEST_F(Diagnosis, ClassifierTrainedOnOneClassCollapsesItsProbe) {
    std::ofstream(dir_ / "three.nn")
        << "model three {\n  input x: [4]\n  target label: classes(3)\n"
           "  fc = dense(x, 16)\n  h = relu(fc)\n  logits = dense(h, 3)\n"
           "  loss = softmax_cross_entropy(logits, label)\n"
           "  train {\n    optimizer = adam(lr=1e-2)\n    batch = 16\n    epochs = 4\n  }\n}\n";
    auto write = [&](const std::string& name, int rows, bool one_class) {
        std::ofstream csv(dir_ / name);
        csv << "a,b,c,d,label\n";
        for (int i = 0; i < rows; ++i) {
            const double x = (i % 17) / 8.0 - 1, y = (i % 5) / 2.0 - 1;
            csv << x << "," << y << "," << -x << "," << x * y << "," << (one_class ? 0 : i % 3) << "\n";
        }
    };
    write("train.csv", 128, true);
    write("val.csv", 60, false);
    const Result r =
        run_nnc("train " + (dir_ / "three.nn").string() + " --data " + (dir_ / "train.csv").string() +
                " --target label --validation-data " + (dir_ / "val.csv").string() + " --seed 1" + out("run"));
    ASSERT_EQ(r.status, 0) << r.output;
    const auto found = of_type("run", "diagnosis");
    const auto it =
        std::find_if(found.begin(), found.end(), [](const json& j) { return j["code"] == "class-collapse"; });
    ASSERT_NE(it, found.end()) << r.output;
    EXPECT_EQ((*it)["severity"], "warning");
    EXPECT_GE((*it)["epoch"].get<int>(), 2);
    EXPECT_NE(r.output.find("[class-collapse]"), std::string::npos) << r.output;
    const auto epochs = of_type("run", "epoch");
    ASSERT_FALSE(epochs.empty());
    EXPECT_GT(epochs.back()["probe"]["majority_fraction"].get<double>(), 0.9) << epochs.back().dump();
}

TEST_F(Diagnosis, NoDiagnosticsMeasuresAndPrintsNothing) {
    const Result r = run_nnc("train " + std::string(NNC_FASHION_MLP_LIBRARY) +
                             " --limit 300 --validation 100 --epochs 2 --no-diagnostics" + out("run"));
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_EQ(r.output.find("nnc: warning"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("nnc: info"), std::string::npos) << r.output;
    EXPECT_TRUE(of_type("run", "diagnosis").empty());
    const auto epochs = of_type("run", "epoch");
    ASSERT_EQ(epochs.size(), 2u);
    for (const json& e : epochs) EXPECT_FALSE(e.contains("probe")) << e.dump();
}

}  // namespace
