// nnc lint and the lint warnings of nnc check, run as a user runs them: exit statuses, the
// warning format (file:line:col, the rule's name, the quoted line and caret), --werror, --target.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/e2e/run_nnc.h"
#include "tests/e2e/scratch_folder.h"

namespace {
namespace fs = std::filesystem;

using nnc::test::Result;
Result run(const std::string& args) { return nnc::test::run_nnc(args); }

class LintCli : public nnc::test::InScratchFolder {
protected:
    LintCli() : InScratchFolder("nnc-lint-cli-") {}
    void SetUp() override {
        InScratchFolder::SetUp();
        // A 5x5 first convolution, and a batch that is fine on a CPU but not a multiple of 32.
        std::ofstream(dir_ / "wide.nn") << "model wide {\n"
                                           "  input  image: [1, 12, 12]\n"
                                           "  target label: classes(4)\n"
                                           "  c1 = conv2d(image, 16, kernel=5)\n"
                                           "  r1 = relu(c1)\n"
                                           "  g  = global_avgpool(r1)\n"
                                           "  logits = dense(g, 4)\n"
                                           "  loss = softmax_cross_entropy(logits, label)\n"
                                           "  train {\n"
                                           "    batch = 48\n"
                                           "  }\n"
                                           "}\n";
        wide = path("wide.nn");
    }
    std::string wide;
};

TEST_F(LintCli, CleanSampleExitsZeroWithNoWarnings) {
    const Result r = run(std::string("lint ") + NNC_SOURCE_DIR + "/samples/fashion_cnn.nn");
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("fashion_cnn.nn: no lint warnings"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("warning:"), std::string::npos) << r.output;
}

TEST_F(LintCli, WarningNamesFileLineColumnAndRule) {
    const Result r = run("lint " + wide);
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find(wide + ":4:33: warning: 'c1' has a 5x5 kernel; 3x3 is the usual choice [kernel-size]\n"
                                   " 4 |   c1 = conv2d(image, 16, kernel=5)\n"
                                   "   |                                 ^\n"),
              std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find(wide + ": 1 lint warning\n"), std::string::npos) << r.output;
}

TEST_F(LintCli, WerrorTurnsWarningsIntoErrorsAndFails) {
    const Result r = run("lint --werror " + wide);
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find(wide + ":4:33: error: 'c1' has a 5x5 kernel"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("1 lint error"), std::string::npos) << r.output;
    // A clean model passes --werror.
    EXPECT_EQ(run(std::string("lint --werror ") + NNC_SOURCE_DIR + "/samples/resnet8.nn").status, 0);
}

TEST_F(LintCli, AllowCommentSilencesAndWerrorThenPasses) {
    std::string text;
    {
        std::ifstream in(wide);
        text.assign(std::istreambuf_iterator<char>(in), {});
    }
    text.replace(text.find("kernel=5)\n"), 10, "kernel=5)   # nnc: allow(kernel-size) -- a wide first look\n");
    std::ofstream(wide) << text;
    const Result r = run("lint --werror " + wide);
    EXPECT_EQ(r.status, 0) << r.output;
}

TEST_F(LintCli, GpuTargetAddsGpuAdvice) {
    const Result r = run("lint --target host-cuda " + wide);
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find(wide + ":10:13: warning: batch 48 on a GPU target (host-cuda) is not a multiple of 32 "
                                   "[batch-size]"),
              std::string::npos)
        << r.output;
}

TEST_F(LintCli, CheckPrintsTheWarningsAndStillSucceeds) {
    const Result r = run("check " + wide);
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("warning: 'c1' has a 5x5 kernel"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("Total params:"), std::string::npos) << r.output;
}

TEST_F(LintCli, ModelWithErrorsFailsWithTheErrors) {
    std::ofstream(dir_ / "broken.nn") << "model b {\n  input x: [4]\n  y = dens(x, 2)\n}\n";
    const Result r = run("lint " + (dir_ / "broken.nn").string());
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find("error: unknown layer 'dens'"), std::string::npos) << r.output;
}

TEST_F(LintCli, RulesListsEveryRule) {
    const Result r = run("lint --rules");
    EXPECT_EQ(r.status, 0) << r.output;
    for (const char* rule : {"loss-task", "init-activation", "rnn-clip-norm", "deep-plain-stack", "deep-cnn-activation",
                             "kernel-size", "filter-count", "first-conv-filters", "batch-size", "momentum", "adam-lr"})
        EXPECT_NE(r.output.find(std::string(rule) + " "), std::string::npos) << rule << "\n" << r.output;
}

}  // namespace
