// The field guide's dropout demonstration on samples/dropout_regression.nn: a wide regressor
// trained on 20 noisy points of y = x + N(0, 1) (tests/e2e/data, made once with Python's
// random.seed(1)) overfits without dropout; with dropout 0.5 its test loss is lower. Both runs
// use the same compiled library: `--dropout 0` turns dropout off at run time. Both runs are
// printed side by side.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <regex>
#include <string>

#include "tests/e2e/run_nnc.h"
#include "tests/e2e/scratch_folder.h"
#include "tests/e2e/text_file.h"

namespace {
namespace fs = std::filesystem;
using nnc::test::run_nnc;

struct Losses {
    double train = -1, test = -1;
};

// The last epoch line's losses ("train loss 0.63  val loss 0.74").
Losses last_epoch(const std::string& output) {
    Losses l;
    const std::regex line(R"(train loss ([0-9.eE+-]+)\s+val loss ([0-9.eE+-]+))");
    for (auto it = std::sregex_iterator(output.begin(), output.end(), line); it != std::sregex_iterator(); ++it) {
        l.train = std::stod((*it)[1]);
        l.test = std::stod((*it)[2]);
    }
    return l;
}

TEST(DropoutDemo, DropoutLowersTheTestLossOfAnOverfittingRegressor) {
    const nnc::test::ScratchFolder scratch("nnc-dropout-demo-" + std::to_string(::getpid()));
    const fs::path& dir = scratch.dir();
    const std::string data = std::string(NNC_SOURCE_DIR) + "/tests/e2e/data/";
    const std::string sample = std::string(NNC_SOURCE_DIR) + "/samples/dropout_regression.nn";

    auto train = [&](const std::string& name, const std::string& flags, const std::string& rates) {
        const auto r =
            run_nnc("train " + sample + " --data " + data + "dropout_train.csv --target y --validation-data " + data +
                    "dropout_test.csv --out " + (dir / name).string() + " --seed 1" + flags);
        EXPECT_EQ(r.status, 0) << r.output;
        EXPECT_NE(r.output.find("dropout: " + rates), std::string::npos) << r.output;
        return last_epoch(r.output);
    };
    const Losses with = train("with", "", "d1 0.5, d2 0.5"), without = train("without", " --dropout 0", "d1 0, d2 0");
    // The run folder records the rates the run started with.
    const std::string text = nnc::test::read_text(dir / "without" / "config.json");
    EXPECT_NE(text.find(R"("dropout": {
    "d1": 0.0,
    "d2": 0.0
  })"),
              std::string::npos)
        << text;
    std::printf("\n                 train loss   test loss   (500 epochs, standardized units)\n");
    std::printf("  dropout 0.5    %10.4f  %10.4f\n", with.train, with.test);
    std::printf("  no dropout     %10.4f  %10.4f\n\n", without.train, without.test);
    ASSERT_GT(with.test, 0);
    ASSERT_GT(without.test, 0);
    EXPECT_LT(without.train, with.train);  // without dropout it fits the training points closer...
    EXPECT_LT(with.test, without.test);    // ...and generalizes worse
}

}  // namespace
