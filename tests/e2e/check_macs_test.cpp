// nnc check's multiply-accumulate counts on a small conv model whose numbers are worked out by
// hand below: each layer's column, the forward total, the training-step estimate (3x) and the
// per-batch figures; block uses are expanded into their own rows.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "tests/e2e/run_nnc.h"
#include "tests/e2e/scratch_folder.h"

namespace {
namespace fs = std::filesystem;

using nnc::test::Result;
Result run(const std::string& args) { return nnc::test::run_nnc(args); }

// The MACs column of the row that starts with `layer` ("c1 (conv2d)"): the field after the
// shape and the parameter count.
std::string macs_column(const std::string& output, const std::string& layer) {
    std::regex row("(^|\\n)" + std::regex_replace(layer, std::regex("[().]"), "\\$&") +
                   "\\s+(\\[[^\\]]*\\]|\\S+)\\s+(\\S+)\\s+(\\S+)");
    std::smatch m;
    if (!std::regex_search(output, m, row)) return "<no row " + layer + ">";
    return m[4];
}

class CheckMacs : public nnc::test::InScratchFolder {
protected:
    CheckMacs() : InScratchFolder("nnc-check-macs-") {}
};

TEST_F(CheckMacs, ConvModelCountsEveryLayerAndTheTotals) {
    std::ofstream(dir_ / "tiny.nn") << "block conv_relu(x, filters, stride=1) {\n"
                                       "  c   = conv2d(x, filters, stride=stride, bias=false)\n"
                                       "  out = relu(c)\n"
                                       "  return out\n"
                                       "}\n"
                                       "model tiny_conv {\n"
                                       "  input  image: [3, 9, 9]\n"
                                       "  target label: classes(3)\n"
                                       "  b1     = conv_relu(image, 5, stride=2)\n"
                                       "  c2     = conv2d(b1, filters=4, kernel=3, dilation=2, pad=1)\n"
                                       "  p1     = maxpool2d(c2, kernel=2, stride=1)\n"
                                       "  g      = global_avgpool(p1)\n"
                                       "  logits = dense(g, 3)\n"
                                       "  loss = softmax_cross_entropy(logits, label)\n"
                                       "  train {\n"
                                       "    batch = 8\n"
                                       "  }\n"
                                       "}\n";
    Result r = run("check " + (dir_ / "tiny.nn").string());
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("MACs"), std::string::npos) << r.output;

    // b1.c: 3x9x9, 3x3 kernel, stride 2, same padding 1 -> 5x5x5 outputs, each 3*3*3 taps.
    EXPECT_EQ(macs_column(r.output, "b1.c (conv2d)"), "3,375") << r.output;  // 5*5*5 * 27
    // b1 (relu): one per element.
    EXPECT_EQ(macs_column(r.output, "b1 (relu)"), "125") << r.output;
    // c2: effective kernel 5, pad 1: (5 + 2 - 5) + 1 = 3 -> 4x3x3 outputs of 5*3*3 taps.
    EXPECT_EQ(macs_column(r.output, "c2 (conv2d)"), "1,620") << r.output;  // 36 * 45
    // p1: 2x2 windows, stride 1 -> 4x2x2 outputs, 4 compares each.
    EXPECT_EQ(macs_column(r.output, "p1 (maxpool2d)"), "64") << r.output;
    // g: one add per input element, 4*2*2.
    EXPECT_EQ(macs_column(r.output, "g (global_avgpool)"), "16") << r.output;
    // logits: 4 inputs x 3 outputs.
    EXPECT_EQ(macs_column(r.output, "logits (dense)"), "12") << r.output;
    // loss: one per logit.
    EXPECT_EQ(macs_column(r.output, "loss (softmax_cross_entropy)"), "3") << r.output;

    // 3375 + 125 + 1620 + 64 + 16 + 12 + 3 = 5215; a training step ~ 3x = 15645.
    EXPECT_NE(r.output.find("Total MACs: 5,215 (5.2 K) per sample, forward\n"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("Training step: ~15.6 K MACs per sample"), std::string::npos) << r.output;
    // Batch 8: 41,720 forward, 125,160 per training step.
    EXPECT_NE(r.output.find("Per batch of 8: 41.7 K MACs forward, ~125.2 K per training step"), std::string::npos)
        << r.output;
    // Parameters are still counted: 5*3*3*3 + (4*5*3*3 + 4) + (4*3 + 3) = 135 + 184 + 15.
    EXPECT_NE(r.output.find("Total params: 334"), std::string::npos) << r.output;
}

TEST_F(CheckMacs, FashionMlpTotalInMillions) {
    Result r = run(std::string("check ") + NNC_SOURCE_DIR + "/samples/fashion_mlp.nn");
    ASSERT_EQ(r.status, 0) << r.output;
    // Products 784*512 + 512*512 + 512*10 = 668,672; relus 2*512; loss 10: 669,706 (which happens
    // to equal the parameter count).
    EXPECT_EQ(macs_column(r.output, "fc1 (dense)"), "401,408") << r.output;
    EXPECT_NE(r.output.find("Total MACs: 669,706 (669.7 K) per sample, forward"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("Training step: ~2.0 M MACs per sample"), std::string::npos) << r.output;
}

}  // namespace
