// The diagnoses of one real training run agree with each other and with the run's files:
//  - one verdict on the lr, however its readings contradict each other (one tensor's update ratio
//    says lower, another's says raise);
//  - lr-too-high-early is an early rise or swing, not minibatch noise on a steadily falling curve;
//  - the report's best epoch, the overfitting card's and best.ckpt's are one epoch;
//  - remedies fit the input: no image augmentation for a one-feature regressor, and it is advised
//    for an image model.
// The runs: samples/dropout_regression.nn with its dropout off (1 -> 200 -> 200 -> 1) on the 20
// noisy points of tests/e2e/data, and a one-hidden-layer image model on 300 Fashion-MNIST images.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "tests/e2e/metrics_log.h"
#include "tests/e2e/regressor_without_dropout.h"
#include "tests/e2e/run_nnc.h"
#include "tests/e2e/scratch_folder.h"
#include "tests/e2e/text_file.h"

namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using nnc::test::Result;
using nnc::test::run_nnc;

// The findings that are readings of the lr; a run reports at most one of them (lr_verdict.h).
const std::vector<std::string> kLrCodes = {"update-ratio-high", "update-ratio-low", "update-ratio-spread",
                                           "lr-too-high-early", "lr-too-high-late", "lr-too-low",
                                           "curve-good"};

class DiagnosesAgree : public nnc::test::InScratchFolder {
protected:
    DiagnosesAgree() : InScratchFolder("nnc_agree_") {}
    void SetUp() override {
        ::setenv("XDG_CACHE_HOME", NNC_TEST_CACHE, 1);
        InScratchFolder::SetUp();
    }

    std::string regressor() const { return nnc::test::write_regressor_without_dropout(dir_); }
    Result train_regressor(const std::string& args, const std::string& run, int seed = 1) const {
        return run_nnc("train " + regressor() + nnc::test::regressor_data() + " --seed " + std::to_string(seed) + " " +
                       args + " --out " + path(run));
    }
    std::vector<json> of_type(const std::string& run, const std::string& type) const {
        return nnc::test::metrics_of_type(dir_ / run, type);
    }
    std::vector<json> lr_verdicts(const std::string& run) const {
        std::vector<json> out;
        for (const json& d : of_type(run, "diagnosis"))
            if (std::count(kLrCodes.begin(), kLrCodes.end(), d["code"].get<std::string>())) out.push_back(d);
        return out;
    }
    // The overfitting lines, in order: the last is the run's last word on it.
    std::vector<json> overfitting(const std::string& run) const {
        std::vector<json> out;
        for (const json& d : of_type(run, "diagnosis"))
            if (d["code"] == "overfitting") out.push_back(d);
        return out;
    }
};

// Epochs (1-based, in a row of two: what the update-ratio finding needs) where some weight
// tensor's update ratio is above 1e-2 (high) or below 1e-4 (low).
bool ratios_two_in_a_row(const std::vector<json>& epochs, bool high) {
    bool before = false;
    for (const json& e : epochs) {
        bool now = false;
        for (const auto& [name, r] : e["update_ratios"].items())
            if (name.find("weight") != std::string::npos && r.is_number())
                now = now || (high ? r.get<double>() > 1e-2 : (r.get<double>() > 0 && r.get<double>() < 1e-4));
        if (now && before) return true;
        before = now;
    }
    return false;
}

// Full-batch Adam at 1e-2 for 150 epochs: the output layer's updates are 6% of its norm early (lower
// the lr), the one-input first layer's 8e-5 late (raise it), and the loss jumps from 2.3 to 24 at
// the start. Before, each reading gave its own advice: "lower the lr to 0.000162" and "raise it
// to 0.121". Now the run gets one verdict, the loss curve's, naming the readings it outweighs.
TEST_F(DiagnosesAgree, OneVerdictOnTheLrWhenItsReadingsContradict) {
    const Result r = train_regressor("--epochs 150", "run");
    ASSERT_EQ(r.status, 0) << r.output;
    const auto epochs = of_type("run", "epoch");
    ASSERT_TRUE(ratios_two_in_a_row(epochs, true)) << "no tensor's ratio was high: the run provokes nothing";
    ASSERT_TRUE(ratios_two_in_a_row(epochs, false)) << "no tensor's ratio was low: the run provokes nothing";
    const auto verdicts = lr_verdicts("run");
    ASSERT_EQ(verdicts.size(), 1u) << r.output;
    const json& v = verdicts[0];
    EXPECT_EQ(v["epoch"], 0);
    EXPECT_NE(v["message"].get<std::string>().find("outweighed by"), std::string::npos) << v.dump();
    // Advice one way only, in the log and on the terminal.
    const bool lower = r.output.find("lower the learning rate") != std::string::npos;
    const bool raise = r.output.find("raise the learning rate") != std::string::npos;
    EXPECT_FALSE(lower && raise) << r.output;
    EXPECT_TRUE(lower || raise || v["code"] == "curve-good" || v["code"] == "update-ratio-spread") << r.output;
}

// Batches of 2 on noisy points, Adam 1e-3: every epoch's training and validation loss lower than
// the last, but single batches jump (3.1 at the first, 5.3 a few later). That is noise on a
// falling curve, not early instability.
TEST_F(DiagnosesAgree, ASteadilyImprovingRunIsNotLrTooHighEarly) {
    const Result r = train_regressor("--batch 2 --epochs 4 --lr 1e-3", "run");
    ASSERT_EQ(r.status, 0) << r.output;
    const auto epochs = of_type("run", "epoch");
    ASSERT_EQ(epochs.size(), 4u);
    for (size_t e = 1; e < epochs.size(); ++e) {
        ASSERT_LT(epochs[e]["train_loss"].get<double>(), epochs[e - 1]["train_loss"].get<double>()) << r.output;
        ASSERT_LT(epochs[e]["val_loss"].get<double>(), epochs[e - 1]["val_loss"].get<double>()) << r.output;
    }
    EXPECT_FALSE(nnc::test::diagnosis_codes(dir_ / "run").count("lr-too-high-early")) << r.output;
    EXPECT_EQ(r.output.find("lower the learning rate"), std::string::npos) << r.output;
}

// Adam at 1e-2 with batches of 4: the first epoch's mean loss (about 29) is five times the first
// batch's; that is too high an lr, and it is the run's verdict.
TEST_F(DiagnosesAgree, ATooHighLrIsLrTooHighEarly) {
    const Result r = train_regressor("--batch 4 --epochs 10 --lr 1e-2", "run");
    ASSERT_EQ(r.status, 0) << r.output;
    const auto verdicts = lr_verdicts("run");
    ASSERT_EQ(verdicts.size(), 1u) << r.output;
    EXPECT_EQ(verdicts[0]["code"], "lr-too-high-early") << r.output;
    EXPECT_NE(verdicts[0]["message"].get<std::string>().find("rose early"), std::string::npos) << verdicts[0].dump();
}

// The epoch whose weights best.ckpt holds, as its own evaluation shows: the validation loss of
// best.ckpt is that epoch's.
int64_t epoch_of_best_checkpoint(const std::vector<json>& epochs, double loss) {
    int64_t at = 0;
    double nearest = INFINITY;
    for (const json& e : epochs) {
        const double d = std::abs(e["val_loss"].get<double>() - loss);
        if (d < nearest) nearest = d, at = e["epoch"].get<int64_t>();
    }
    return nearest <= 1e-4 * std::max(1.0, loss) ? at : -1;
}

// The best epoch a finding names ("... at epoch 18 (the best epoch) ..."), or -1.
int64_t named_best_epoch(const std::string& message) {
    std::smatch m;
    if (!std::regex_search(message, m, std::regex(R"(at epoch (\d+) \(the best epoch)"))) return -1;
    return std::stoll(m[1]);
}

// The overfitting run of the field guide: the validation loss bottoms out, climbs (overfitting is
// called, from the best epoch so far), and comes down to a new low later: seed 5 calls it from
// epoch 18 and has its lowest validation loss at epoch 123, seed 2 climbs again from its new low.
// The report's best epoch, the overfitting card's and best.ckpt's are one epoch; and the
// one-feature regressor is told nothing about image augmentation.
TEST_F(DiagnosesAgree, TheReportTheOverfittingCardAndBestCkptNameOneBestEpoch) {
    for (const int seed : {5, 2}) {
        const std::string run = "seed" + std::to_string(seed);
        const Result r = train_regressor("--epochs 150", run, seed);
        ASSERT_EQ(r.status, 0) << r.output;
        const auto cards = overfitting(run);
        ASSERT_GE(cards.size(), 2u) << "the best epoch did not move after the first call: nothing provoked\n"
                                    << r.output;
        const int64_t first = named_best_epoch(cards.front()["message"]);
        const int64_t best = named_best_epoch(cards.back()["message"]);
        ASSERT_GT(first, 0) << cards.front().dump();
        ASSERT_GT(best, first) << cards.back().dump();

        const auto epochs = of_type(run, "epoch");
        ASSERT_FALSE(epochs.empty());
        EXPECT_EQ(epochs.back()["best_epoch"].get<int64_t>(), best) << cards.back().dump();

        const Result eval = run_nnc("eval " + regressor() + " --weights " + (dir_ / run / "best.ckpt").string() +
                                    " --data " + NNC_SOURCE_DIR + "/tests/e2e/data/dropout_test.csv --target y");
        ASSERT_EQ(eval.status, 0) << eval.output;
        std::smatch l;
        ASSERT_TRUE(std::regex_search(eval.output, l, std::regex(R"(loss ([0-9.eE+-]+))"))) << eval.output;
        EXPECT_EQ(epoch_of_best_checkpoint(epochs, std::stod(l[1])), best) << eval.output;

        const Result report = run_nnc("report " + (dir_ / run).string());
        ASSERT_EQ(report.status, 0) << report.output;
        const std::string page = nnc::test::read_text(dir_ / run / "report" / "index.html");
        std::smatch b;
        ASSERT_TRUE(std::regex_search(page, b, std::regex(R"(<td>best epoch</td><td>(\d+) \()"))) << page;
        EXPECT_EQ(std::stoll(b[1]), best);
        // Its overfitting card is the latest word, not the call from the earlier best epoch.
        EXPECT_NE(page.find("at epoch " + std::to_string(best) + " (the best epoch"), std::string::npos) << page;
        EXPECT_EQ(page.find("at epoch " + std::to_string(first) + " (the best epoch"), std::string::npos) << page;

        // The advice fits a row of one feature: no image augmentation.
        for (const json& d : of_type(run, "diagnosis"))
            EXPECT_EQ(d["advice"].get<std::string>().find("augment"), std::string::npos) << d.dump();
    }
}

// An image model ([1, 28, 28] in, one hidden layer) on 200 Fashion-MNIST images overfits; its
// remedies include augmentation, which nnc train can apply to it (--augment-flip).
TEST_F(DiagnosesAgree, AnImageModelThatOverfitsIsToldToAugment) {
    nnc::test::write_text(dir_ / "image_mlp.nn", R"(model image_mlp {
  input  image: [1, 28, 28]
  target label: classes(10)
  flat   = flatten(image)
  fc     = dense(flat, 256, init=he_normal)
  h      = relu(fc)
  logits = dense(h, 10)
  loss   = softmax_cross_entropy(logits, label)
  train {
    optimizer = adam(lr=1e-3)
    batch     = 20
    epochs    = 25
  }
}
)");
    const Result r = run_nnc("train " + (dir_ / "image_mlp.nn").string() +
                             " --limit 400 --validation 200 --seed 1 --out " + (dir_ / "run").string());
    ASSERT_EQ(r.status, 0) << r.output;
    const auto cards = overfitting("run");
    ASSERT_FALSE(cards.empty()) << r.output;
    const json& card = cards.back();
    EXPECT_NE(card["advice"].get<std::string>().find("data augmentation (--augment-flip"), std::string::npos)
        << card.dump();
}

}  // namespace
