// nnc lr-find and nnc tune (tuning ranks on the validation set only) on a small synthetic
// classification problem with fashion_mlp (784 -> 512 -> 512 -> 10): ten Gaussian blobs, easy to
// learn at a sane lr and impossible at lr 10.
//   - lr-find: the curve falls, then explodes (the sweep stops early); the suggestion lies where
//     the loss is still falling; the model's weights and optimizer state are as before the sweep.
//   - tune: trials ranked by the validation metric as tune.csv records it, a diverging lr last,
//     the test set evaluated once, for the winner only; a malformed range is a clear error.
//   - tune --dropout: the rate is a run-time axis; on the dropout demonstration (an overfitting
//     regressor) dropout 0.5 ranks above 0.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/cli/lr_find.h"
#include "tests/e2e/run_nnc.h"
#include "tests/e2e/scratch_folder.h"
#include "tests/e2e/spawn_nnc.h"
#include "tests/e2e/text_file.h"

namespace {
namespace fs = std::filesystem;

using nnc::test::Result;

const std::string kLib = NNC_FASHION_MLP_LIBRARY;
constexpr int kFeatures = 784, kClasses = 10;

// Samples of ten Gaussian blobs: x = mean[y] + N(0, 1), each mean N(0, 0.3^2) per feature (the
// blobs are far apart in 784 dimensions). The means come from seed 1, the samples from `seed`.
void blobs(int count, unsigned seed, std::vector<float>* x, std::vector<int32_t>* y) {
    std::mt19937 means_rng(1), rng(seed);
    std::normal_distribution<float> normal(0.f, 1.f);
    std::vector<float> means(kClasses * kFeatures);
    for (float& m : means) m = 0.3f * normal(means_rng);
    x->resize(static_cast<size_t>(count) * kFeatures);
    y->resize(static_cast<size_t>(count));
    for (int i = 0; i < count; ++i) {
        const int c = static_cast<int>(rng() % kClasses);
        (*y)[i] = c;
        for (int f = 0; f < kFeatures; ++f)
            (*x)[static_cast<size_t>(i) * kFeatures + f] = means[c * kFeatures + f] + normal(rng);
    }
}

void write_npy(const std::string& path, const char* descr, const std::string& shape, const void* data, size_t bytes) {
    std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    while ((10 + header.size() + 1) % 64 != 0) header += ' ';
    header += '\n';
    std::ofstream out(path, std::ios::binary);
    out.write("\x93NUMPY\x01\x00", 8);
    const uint16_t n = static_cast<uint16_t>(header.size());
    out.write(reinterpret_cast<const char*>(&n), 2);
    out << header;
    out.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
}

// Writes NAME_x.npy and NAME_y.npy.
void write_blobs(const std::string& name, int count, unsigned seed) {
    std::vector<float> x;
    std::vector<int32_t> y;
    blobs(count, seed, &x, &y);
    write_npy(name + "_x.npy", "<f4", "(" + std::to_string(count) + ", " + std::to_string(kFeatures) + ")", x.data(),
              x.size() * 4);
    write_npy(name + "_y.npy", "<i4", "(" + std::to_string(count) + ",)", y.data(), y.size() * 4);
}

std::vector<std::vector<std::string>> read_csv(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::vector<std::string>> rows;
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> row;
        std::stringstream s(line);
        std::string cell;
        while (std::getline(s, cell, ',')) row.push_back(cell);
        if (!line.empty() && line.back() == ',') row.push_back("");
        rows.push_back(row);
    }
    return rows;
}

size_t count_of(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

class Tuning : public nnc::test::InScratchFolder {
protected:
    Tuning() : InScratchFolder("nnc_tuning_") {}
};

double num(const std::string& cell) { return cell == "nan" || cell.empty() ? NAN : std::stod(cell); }

TEST_F(Tuning, LrFindCurveFallsThenExplodesAndTheSuggestionIsWhereItFalls) {
    write_blobs("train", 2000, 2);
    const Result r =
        nnc::test::run_nnc("lr-find " + kLib + " --data train_x.npy --target train_y.npy --steps 120 --out lr");
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("set lr = "), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("in the train section or pass --lr "), std::string::npos) << r.output;

    const auto rows = read_csv("lr/lr_find.csv");
    ASSERT_GE(rows.size(), 12u);
    EXPECT_EQ(rows[0], (std::vector<std::string>{"step", "lr", "loss", "smoothed_loss"}));
    std::vector<double> lr, loss, smoothed;
    for (size_t i = 1; i < rows.size(); ++i) {
        ASSERT_EQ(rows[i].size(), 4u);
        EXPECT_EQ(std::stoi(rows[i][0]), static_cast<int>(i));
        lr.push_back(num(rows[i][1]));
        loss.push_back(num(rows[i][2]));
        smoothed.push_back(num(rows[i][3]));
    }
    // Exponential: a constant ratio between steps, from 1e-7 towards 10.
    EXPECT_NEAR(lr.front(), 1e-7, 1e-12);
    EXPECT_NEAR(lr[1] / lr[0], std::pow(1e8, 1.0 / 119), 1e-6);
    // It stopped early because the loss exploded: the last smoothed loss is over 4x the minimum
    // or not finite, and the sweep did not reach lr 10.
    EXPECT_LT(lr.size(), 120u) << r.output;
    double best = INFINITY;
    size_t best_at = 0;
    for (size_t i = 0; i < smoothed.size(); ++i)
        if (std::isfinite(smoothed[i]) && smoothed[i] < best) best = smoothed[i], best_at = i;
    EXPECT_TRUE(!std::isfinite(smoothed.back()) || smoothed.back() > 4 * best) << r.output;
    // It fell first: from about ln 10 to well below.
    EXPECT_NEAR(loss.front(), std::log(10.0), 1.0);
    EXPECT_LT(best, 0.5 * loss.front());

    const std::string json = nnc::test::read_text("lr/lr_find.json");
    for (const char* key : {"\"suggested_lr\"", "\"min_loss_lr\"", "\"method\"", "\"steps\""})
        EXPECT_NE(json.find(key), std::string::npos) << json;
    const double suggested = std::stod(json.substr(json.find("\"suggested_lr\": ") + 16));
    // In the falling region: after the flat start, before the minimum, and the raw loss over
    // the next 0.4 decades is clearly below that over the 0.4 decades before.
    EXPECT_GT(suggested, lr.front());
    EXPECT_LE(suggested, lr[best_at]);
    size_t at = 0;
    while (at + 1 < lr.size() && lr[at] < suggested * 0.999) ++at;
    const size_t w = 6;  // 120 steps over 8 decades: 15 per decade
    ASSERT_GE(at, w);
    ASSERT_LT(at + w, loss.size());
    double before = 0, after = 0;
    for (size_t i = 1; i <= w; ++i) before += loss[at - i], after += loss[at + i];
    EXPECT_LT(after, 0.9 * before) << "suggested lr " << suggested << "\n" << r.output;
}

// The sweep called as the command calls it, checked from outside through the C ABI: every
// parameter and the optimizer state (a checkpoint's bytes) are as before.
TEST_F(Tuning, LrFindLeavesTheModelUnchanged) {
    nnc::driver::LoadedModel lib(kLib);
    nnc_model* raw = nullptr;
    lib.check(lib.nnc_model_create(&raw), "create");
    std::unique_ptr<nnc_model, void (*)(nnc_model*)> model(raw, lib.nnc_model_destroy);
    nnc_optimizer_config opt{};
    lib.check(lib.nnc_optimizer_defaults("adam", &opt), "defaults");
    opt.lr = 1e-3;
    lib.check(lib.nnc_model_set_optimizer(raw, &opt), "optimizer");
    lib.check(lib.nnc_model_init(raw, 5), "init");
    write_blobs("train", 512, 3);
    const char* targets[] = {"train_y.npy"};
    nnc_dataset* data = nullptr;
    lib.check(lib.nnc_dataset_load_npy(raw, "train_x.npy", targets, 1, &data), "data");
    // A few real updates first, so the optimizer has state to lose.
    nnc_train_config config{};
    config.epochs = 1;
    config.batch = 128;
    config.seed = 1;
    lib.check(lib.nnc_train(raw, data, nullptr, &config), "warm-up training");
    lib.check(lib.nnc_model_save(raw, "before.ckpt"), "save");

    nnc::driver::LrFindSettings s;
    s.steps = 60;
    s.batch = 64;
    const nnc::driver::LrFindResult result = nnc::driver::lr_find(lib, raw, data, s);
    EXPECT_GT(result.points.size(), 10u);
    EXPECT_FALSE(result.stopped.empty());  // it exploded, so the weights did change on the way

    nnc_optimizer_config now{};
    lib.check(lib.nnc_model_get_optimizer(raw, &now), "get optimizer");
    EXPECT_STREQ(now.name, "adam");
    EXPECT_EQ(now.lr, 1e-3);
    lib.check(lib.nnc_model_save(raw, "after.ckpt"), "save");
    const std::string before = nnc::test::read_text("before.ckpt"), after = nnc::test::read_text("after.ckpt");
    ASSERT_GT(before.size(), 1000u);
    EXPECT_TRUE(before == after) << "the checkpoint after lr_find differs from the one before";
    lib.nnc_dataset_destroy(data);
}

TEST_F(Tuning, TuneRanksByValidationAccuracyAndEvaluatesTheTestSetOnceForTheWinner) {
    write_blobs("train", 1200, 4);
    write_blobs("val", 300, 5);
    write_blobs("test", 300, 6);
    const Result r = nnc::test::run_nnc(
        "tune " + kLib +
        " --data train_x.npy --target train_y.npy --val val_x.npy --val-target val_y.npy --test test_x.npy "
        "--test-target test_y.npy --optimizer sgd --lr 10,0.1,0.03 --batch 32,64 --epochs 1 --out t");
    ASSERT_EQ(r.status, 0) << r.output;

    const auto rows = read_csv("t/tune.csv");
    ASSERT_EQ(rows.size(), 7u) << r.output;  // header + 3 x 2 trials
    EXPECT_EQ(rows[0],
              (std::vector<std::string>{"rank", "trial", "lr", "batch", "optimizer", "momentum", "weight_decay",
                                        "dropout", "val_loss", "val_accuracy", "epochs", "seconds"}));
    double previous = INFINITY;
    for (size_t i = 1; i < rows.size(); ++i) {
        ASSERT_EQ(rows[i].size(), 12u);
        EXPECT_EQ(std::stoi(rows[i][0]), static_cast<int>(i));  // in rank order
        EXPECT_EQ(rows[i][7], "");  // fashion_mlp has no dropout and --dropout was not given
        const double acc = num(rows[i][9]);
        // Ranked by val_accuracy, best first; a diverged trial (no accuracy) after every other.
        if (std::isfinite(acc)) {
            EXPECT_LE(acc, previous) << "row " << i;
            previous = acc;
        } else {
            previous = -INFINITY;
        }
        EXPECT_EQ(rows[i][4], "sgd");
        EXPECT_EQ(rows[i][10], "1");
    }
    // lr 10 ranks below every trial with a sane lr.
    EXPECT_EQ(num(rows[5][2]), 10.0) << r.output;
    EXPECT_EQ(num(rows[6][2]), 10.0) << r.output;
    EXPECT_GT(num(rows[1][9]), 0.8) << r.output;  // the blobs are easy at a sane lr

    // The test set: once, for the winner, and said so.
    EXPECT_EQ(count_of(r.output, "test_loss"), 1u) << r.output;
    EXPECT_NE(r.output.find("test set (evaluated once, for the winner only)"), std::string::npos) << r.output;
    const std::string json = nnc::test::read_text("t/tune.json");
    EXPECT_NE(json.find("\"metric\": \"val_accuracy\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"test_evaluated\": true"), std::string::npos) << json;
    EXPECT_EQ(json.find("\"test_accuracy\": null"), std::string::npos) << json;
    EXPECT_TRUE(fs::exists("t/tune_winner.ckpt"));
}

// samples/dropout_regression.nn on its 20 noisy training points overfits without dropout
// (tests/e2e/dropout_demo_test.cpp): the same library, tuned over the rate alone, ranks 0.5 above 0.
TEST_F(Tuning, TuneDropoutIsARunTimeAxisAndRanksTheRegularizedTrialFirst) {
    const std::string data = std::string(NNC_SOURCE_DIR) + "/tests/e2e/data/";
    const Result r =
        nnc::test::run_nnc("tune " + std::string(NNC_SOURCE_DIR) + "/samples/dropout_regression.nn --data " + data +
                           "dropout_train.csv --target y --val " + data +
                           "dropout_test.csv --dropout 0,0.5 --seed 1 "
                           "--out d");
    ASSERT_EQ(r.status, 0) << r.output;
    const auto rows = read_csv("d/tune.csv");
    ASSERT_EQ(rows.size(), 3u) << r.output;
    ASSERT_EQ(rows[0][7], "dropout");
    ASSERT_EQ(rows[0][8], "val_loss");
    EXPECT_EQ(num(rows[1][7]), 0.5) << r.output;  // ranked by val_loss (real targets), lower first
    EXPECT_EQ(num(rows[2][7]), 0.0) << r.output;
    EXPECT_LT(num(rows[1][8]), num(rows[2][8])) << r.output;
    EXPECT_NE(r.output.find("dropout=0.5"), std::string::npos) << r.output;
    const std::string json = nnc::test::read_text("d/tune.json");
    EXPECT_NE(json.find("\"dropout\": 0.5"), std::string::npos) << json;
    EXPECT_EQ(json.find("not_tunable"), std::string::npos) << json;

    // A rate outside [0, 1), and --dropout on a model without dropout, are refused before training.
    Result bad = nnc::test::run_nnc("tune " + kLib + " --dropout 0.2,1 --validation 100");
    EXPECT_EQ(bad.status, 1) << bad.output;
    EXPECT_NE(bad.output.find("--dropout: 1 is out of range; each value must be in [0, 1)"), std::string::npos)
        << bad.output;
    bad = nnc::test::run_nnc("tune " + kLib + " --dropout 0.2 --validation 100 --limit 200");
    EXPECT_EQ(bad.status, 1) << bad.output;
    EXPECT_NE(bad.output.find("has no dropout layers, so there is no rate to tune"), std::string::npos) << bad.output;
}

TEST_F(Tuning, TuneRejectsAMalformedRangeBeforeTraining) {
    Result r = nnc::test::run_nnc("tune " + kLib + " --lr 1e-2,abc --validation 100");
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find("--lr: 'abc' is not a number"), std::string::npos) << r.output;
    r = nnc::test::run_nnc("tune " + kLib + " --batch 32,1.5 --validation 100");
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find("--batch: 1.5 is not a whole number"), std::string::npos) << r.output;
    r = nnc::test::run_nnc("tune " + kLib + " --optimizer sgd,adamm --validation 100");
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find("--optimizer: 'adamm' is not an optimizer"), std::string::npos) << r.output;
    // An IDX folder's t10k files are its test set: never the validation set.
    r = nnc::test::run_nnc("tune " + kLib + " --val /usr/share/datasets/fashion-mnist");
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find("whose t10k files are its test set"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists("runs"));  // nothing written
}

// A tune's --out is locked while it runs, as a training run's folder is: a second tune or an
// lr-find given that folder is refused, naming the running one's pid.
TEST_F(Tuning, ASecondCommandOnAFolderInUseIsRefused) {
    write_blobs("train", 2000, 2);
    const std::string data = " --data train_x.npy --target train_y.npy";
    // Far more trials than the checks below take: it is killed once they are done.
    const pid_t first = nnc::test::start_nnc(
        "tune " + kLib + data + " --validation 200 --lr 1e-4,1e-3,1e-2 --epochs 50 --out busy", path("first.log"));
    ASSERT_GT(first, 0);
    const bool started = nnc::test::wait_for_text(path("busy/lock"), "");
    const Result tune = nnc::test::run_nnc("tune " + kLib + data + " --validation 200 --epochs 1 --out busy");
    const Result lr = nnc::test::run_nnc("lr-find " + kLib + data + " --steps 20 --out busy");
    kill(first, SIGKILL);
    EXPECT_EQ(nnc::test::wait_status(first), -1) << "the first tune ended before the checks: make it longer\n"
                                                 << nnc::test::read_text(path("first.log"));
    ASSERT_TRUE(started) << nnc::test::read_text(path("first.log"));
    const std::string in_use = "'busy' is in use by another process (pid " + std::to_string(first) +
                               "), which writes there; one process at a time writes a folder: wait for it to end, "
                               "or give another --out";
    EXPECT_EQ(tune.status, 1) << tune.output;
    EXPECT_NE(tune.output.find(in_use), std::string::npos) << tune.output;
    EXPECT_EQ(lr.status, 1) << lr.output;
    EXPECT_NE(lr.output.find(in_use), std::string::npos) << lr.output;
    EXPECT_EQ(lr.output.find("lr-find on"), std::string::npos) << "refused after its sweep, not before:\n" << lr.output;
    EXPECT_FALSE(fs::exists(path("busy/lr_find.csv")));
    // Once the holder has ended, the folder is free again.
    const Result after = nnc::test::run_nnc("lr-find " + kLib + data + " --steps 20 --out busy");
    EXPECT_EQ(after.status, 0) << after.output;
}

TEST_F(Tuning, HelpListsEveryOption) {
    const Result tune = nnc::test::run_nnc("tune --help");
    EXPECT_EQ(tune.status, 0) << tune.output;
    for (const char* flag : {"--lr", "--batch", "--optimizer", "--momentum", "--weight-decay", "--random", "--epochs",
                             "--val", "--test", "--metric", "--out", "--dropout"})
        EXPECT_NE(tune.output.find(flag), std::string::npos) << flag << "\n" << tune.output;
    const Result lr = nnc::test::run_nnc("lr-find --help");
    EXPECT_EQ(lr.status, 0) << lr.output;
    for (const char* flag : {"--start", "--end", "--steps", "--batch", "--out", "--data", "steepest"})
        EXPECT_NE(lr.output.find(flag), std::string::npos) << flag << "\n" << lr.output;
}

}  // namespace
