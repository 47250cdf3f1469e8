// Lint rules (dsl/lint.h): for each rule, a small model that provokes it (rule, line and column
// asserted) and one that stays silent; allow comments; --werror; and what the samples produce.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "dsl/lint.h"
#include "tests/dsl/compile_helper.h"

namespace nnc::dsl {
namespace {

struct Finding {
    std::string rule;
    int line = 0, col = 0;
    std::string message;
};

struct Linted {
    std::vector<Finding> findings;
    std::string rendered;
    int errors = 0;
};

Linted lint(const std::string& text, LintOptions options = {}) {
    testing::Result r = testing::compile(text);
    Linted out;
    if (!r.model) {
        ADD_FAILURE() << "does not compile:\n" << r.errors;
        return out;
    }
    SourceFile f("t.nn", text);
    Diagnostics d;
    const int n = lint_model(f, *r.model, codegen::layer_catalog(), options, d);
    for (const Diagnostic& diag : d.all()) {
        std::smatch m;
        static const std::regex rule(" \\[([a-z0-9-]+)\\]$");
        Finding x;
        x.message = diag.message;
        if (std::regex_search(diag.message, m, rule)) x.rule = m[1];
        x.line = diag.span.loc.line;
        x.col = diag.span.loc.col;
        out.findings.push_back(x);
    }
    EXPECT_EQ(n, static_cast<int>(out.findings.size()));
    out.rendered = d.render();
    out.errors = d.error_count();
    return out;
}

// The findings of one rule.
std::vector<Finding> of(const Linted& l, const std::string& rule) {
    std::vector<Finding> out;
    for (const Finding& f : l.findings)
        if (f.rule == rule) out.push_back(f);
    return out;
}

#define EXPECT_ONE_AT(linted, rule, ln, cl)                 \
    do {                                                    \
        const auto found_ = of(linted, rule);               \
        ASSERT_EQ(found_.size(), 1u) << (linted).rendered;  \
        EXPECT_EQ(found_[0].line, ln) << (linted).rendered; \
        EXPECT_EQ(found_[0].col, cl) << (linted).rendered;  \
    } while (0)

#define EXPECT_CLEAN(linted) EXPECT_TRUE((linted).findings.empty()) << (linted).rendered

// A clean model with slots for the head and the train section; the head's first line is line 7.
const std::string kClasses = "  target label: classes(10)\n";
const std::string kReal = "  target y: [10]\n";
std::string mlp(const std::string& head, const std::string& train = "", const std::string& target = kClasses) {
    return "model m {\n"              // 1
           "  input  x: [8]\n"        // 2
           + target +                 // 3
           "  # two hidden layers\n"  // 4
           "  fc1 = dense(x, 16)\n"   // 5
           "  h1  = relu(fc1)\n"      // 6
           + head +                   // 7...
           (train.empty() ? "" : "  train {\n" + train + "  }\n") + "}\n";
}

TEST(Lint, RegistryNamesEveryRule) {
    std::vector<std::string> names;
    for (const LintRuleInfo& r : lint_rules()) {
        names.push_back(r.name);
        EXPECT_FALSE(r.summary.empty()) << r.name;
    }
    EXPECT_EQ(names, (std::vector<std::string>{"loss-task", "init-activation", "rnn-clip-norm", "deep-plain-stack",
                                               "deep-cnn-activation", "kernel-size", "filter-count",
                                               "first-conv-filters", "batch-size", "momentum", "adam-lr"}));
}

// ---- loss-task --------------------------------------------------------------------------

TEST(Lint, LossTaskSoftmaxFollowedByMse) {
    const Linted l =
        lint(mlp("  fc2 = dense(h1, 10)\n"
                 "  p   = softmax(fc2)\n"
                 "  loss = mse(p, y)\n",
                 "", kReal));
    EXPECT_ONE_AT(l, "loss-task", 9, 14);  // the `p` in mse(p, y)
    EXPECT_NE(l.rendered.find("softmax followed by mse"), std::string::npos) << l.rendered;
    EXPECT_NE(l.rendered.find("note: 'p' is softmax here"), std::string::npos) << l.rendered;
    EXPECT_EQ(l.findings.size(), 1u) << l.rendered;
}

TEST(Lint, LossTaskSigmoidOnTenClassTarget) {
    const Linted l =
        lint(mlp("  fc2 = dense(h1, 10)\n"
                 "  s   = sigmoid(fc2)\n"
                 "  loss = softmax_cross_entropy(s, label)\n"));
    EXPECT_ONE_AT(l, "loss-task", 9, 32);
    EXPECT_NE(l.rendered.find("a sigmoid output on a classes(10) target"), std::string::npos) << l.rendered;
    EXPECT_NE(l.rendered.find("help: pass the logits: softmax_cross_entropy(fc2, label)"), std::string::npos)
        << l.rendered;
}

TEST(Lint, LossTaskDoubleSoftmaxAndDoubleSigmoidThroughDropout) {
    const Linted a =
        lint(mlp("  fc2 = dense(h1, 10)\n"
                 "  p   = softmax(fc2)\n"
                 "  loss = softmax_cross_entropy(p, label)\n"));
    EXPECT_ONE_AT(a, "loss-task", 9, 32);
    EXPECT_NE(a.rendered.find("softmaxes twice"), std::string::npos) << a.rendered;
    const Linted b =
        lint(mlp("  fc2 = dense(h1, 10)\n"
                 "  s   = sigmoid(fc2)\n"
                 "  d   = dropout(s, 0.1)\n"
                 "  loss = sigmoid_binary_cross_entropy(d, y)\n",
                 "", kReal));
    EXPECT_ONE_AT(b, "loss-task", 10, 39);
    EXPECT_NE(b.rendered.find("squashes twice"), std::string::npos) << b.rendered;
}

TEST(Lint, LossTaskSilentOnLogitsAndLinearRegression) {
    EXPECT_CLEAN(
        lint(mlp("  logits = dense(h1, 10)\n"
                 "  loss = softmax_cross_entropy(logits, label)\n")));
    EXPECT_CLEAN(
        lint(mlp("  logits = dense(h1, 10)\n"
                 "  loss = sigmoid_binary_cross_entropy(logits, y)\n",
                 "", kReal)));
    EXPECT_CLEAN(
        lint(mlp("  pred = dense(h1, 10, init=xavier_uniform)\n"
                 "  loss = mse(pred, y)\n",
                 "", kReal)));
}

// ---- init-activation ---------------------------------------------------------------------

TEST(Lint, InitActivationXavierBeforeRelu) {
    const Linted l =
        lint(mlp("  fc2 = dense(h1, 16, init=xavier_uniform)\n"
                 "  h2  = relu(fc2)\n"
                 "  logits = dense(h2, 10)\n"
                 "  loss = softmax_cross_entropy(logits, label)\n"));
    EXPECT_ONE_AT(l, "init-activation", 7, 28);
    EXPECT_NE(l.rendered.find("'fc2' feeds relu ('h2') but is initialized with xavier_uniform"), std::string::npos)
        << l.rendered;
    EXPECT_NE(l.rendered.find("use init=he_normal"), std::string::npos) << l.rendered;
}

TEST(Lint, InitActivationHeBeforeTanhThroughBatchnorm) {
    const Linted l =
        lint(mlp("  fc2 = dense(h1, 16, init=he_uniform)\n"
                 "  b2  = batchnorm(fc2)\n"
                 "  h2  = tanh(b2)\n"
                 "  logits = dense(h2, 10)\n"
                 "  loss = softmax_cross_entropy(logits, label)\n"));
    EXPECT_ONE_AT(l, "init-activation", 7, 28);
    EXPECT_NE(l.rendered.find("use init=xavier_uniform"), std::string::npos) << l.rendered;
}

TEST(Lint, InitActivationZerosOnAHiddenLayer) {
    const Linted l =
        lint(mlp("  fc2 = dense(h1, 16, init=zeros)\n"
                 "  h2  = relu(fc2)\n"
                 "  logits = dense(h2, 10)\n"
                 "  loss = softmax_cross_entropy(logits, label)\n"));
    EXPECT_ONE_AT(l, "init-activation", 7, 28);
    EXPECT_NE(l.rendered.find("every unit starts the same"), std::string::npos) << l.rendered;
}

TEST(Lint, InitActivationEmbeddingWantsUniform) {
    const Linted l = lint(
        "model m {\n"
        "  input  t: int32[12]\n"
        "  target label: classes(2)\n"
        "  e  = embedding(t, vocab=100, dim=16, init=xavier_uniform)\n"
        "  r  = lstm(e, 32)\n"
        "  logits = dense(r, 2)\n"
        "  loss = softmax_cross_entropy(logits, label)\n"
        "  train {\n"
        "    clip_norm = 5\n"
        "  }\n"
        "}\n");
    EXPECT_ONE_AT(l, "init-activation", 4, 45);
    EXPECT_NE(l.rendered.find("init=uniform(0.05)"), std::string::npos) << l.rendered;
}

// A value passed into a block is reported where the use passes it, with the use as a note.
TEST(Lint, InitActivationInsideABlockPointsAtTheArgument) {
    const Linted l = lint(
        "block unit(x, i) {\n"
        "  fc  = dense(x, 16, init=i)\n"
        "  out = tanh(fc)\n"
        "  return out\n"
        "}\n"
        "model m {\n"
        "  input  x: [8]\n"
        "  target label: classes(10)\n"
        "  u = unit(x, he_normal)\n"
        "  logits = dense(u, 10)\n"
        "  loss = softmax_cross_entropy(logits, label)\n"
        "}\n");
    EXPECT_ONE_AT(l, "init-activation", 9, 15);
    EXPECT_NE(l.rendered.find("note: in block 'unit' used here"), std::string::npos) << l.rendered;
}

TEST(Lint, InitActivationSilentWhenMatchedDefaultedOrOutput) {
    EXPECT_CLEAN(
        lint(mlp("  fc2 = dense(h1, 16, init=he_normal)\n"
                 "  h2  = leaky_relu(fc2)\n"
                 "  fc3 = dense(h2, 16, init=xavier_normal)\n"
                 "  h3  = sigmoid(fc3)\n"
                 "  fc4 = dense(h3, 16)\n"  // default: follows the activation
                 "  h4  = tanh(fc4)\n"
                 "  logits = dense(h4, 10, init=he_normal)\n"  // an output layer: no activation to match
                 "  loss = softmax_cross_entropy(logits, label)\n")));
}

// ---- rnn-clip-norm ------------------------------------------------------------------------

std::string rnn(const std::string& op, const std::string& train) {
    return "model m {\n"
           "  input  t: int32[12]\n"
           "  target label: classes(2)\n"
           "  e  = embedding(t, vocab=100, dim=16)\n"
           "  r  = " +
           op +
           "(e, 32)\n"
           "  logits = dense(r, 2)\n"
           "  loss = softmax_cross_entropy(logits, label)\n"
           "  train {\n" +
           train +
           "  }\n"
           "}\n";
}

TEST(Lint, RnnClipNormMissing) {
    const Linted l = lint(rnn("lstm", "    epochs = 2\n"));
    EXPECT_ONE_AT(l, "rnn-clip-norm", 5, 8);
    EXPECT_NE(l.rendered.find("add `clip_norm = 5`"), std::string::npos) << l.rendered;
    const Linted g = lint(rnn("gru", "    clip_value = 1\n"));
    EXPECT_ONE_AT(g, "rnn-clip-norm", 5, 8);
    EXPECT_NE(g.rendered.find("clip_value clamps each gradient element"), std::string::npos) << g.rendered;
}

TEST(Lint, RnnClipNormTooLoose) {
    const Linted l = lint(rnn("lstm", "    clip_norm = 100\n"));
    EXPECT_ONE_AT(l, "rnn-clip-norm", 9, 17);
}

TEST(Lint, RnnClipNormSilentWithFiveToFifteen) {
    EXPECT_CLEAN(lint(rnn("lstm", "    clip_norm = 5\n")));
    EXPECT_CLEAN(lint(rnn("gru", "    clip_norm = 15\n")));
}

// ---- deep-plain-stack ---------------------------------------------------------------------

std::string deep_mlp(const std::string& unit_extra, int repeat) {
    return "block unit(x) {\n"  // 1
           "  fc  = dense(x, 16)\n" +
           unit_extra +  // 2
           "  out = relu(fc)\n"
           "  return out\n"
           "}\n"
           "model m {\n"
           "  input  x: [8]\n"
           "  target label: classes(10)\n"
           "  h = repeat " +
           std::to_string(repeat) +
           " unit(x)\n"
           "  logits = dense(h, 10)\n"
           "  loss = softmax_cross_entropy(logits, label)\n"
           "}\n";
}

TEST(Lint, DeepPlainStackAtTheEighthWeightLayer) {
    // Seven dense layers in the repeat, the eighth is the classifier.
    const Linted l = lint(deep_mlp("", 7));
    EXPECT_ONE_AT(l, "deep-plain-stack", 10, 12);
    EXPECT_NE(l.rendered.find("'logits' is the 8th weight layer in a row"), std::string::npos) << l.rendered;
    EXPECT_NE(l.rendered.find("note: the plain stack starts at 'h.1.fc'"), std::string::npos) << l.rendered;
    // Eight in the repeat: the finding is inside the block, with the use that reached it.
    const Linted b = lint(deep_mlp("", 8));
    EXPECT_ONE_AT(b, "deep-plain-stack", 2, 9);
    EXPECT_NE(b.rendered.find("note: in block 'unit' (repeat 8 of 8) used here"), std::string::npos) << b.rendered;
}

TEST(Lint, DeepPlainStackSilentWithBatchnormOrShallow) {
    std::string text = deep_mlp("  bn  = batchnorm(fc)\n", 10);
    text.replace(text.find("relu(fc)"), 8, "relu(bn)");
    EXPECT_CLEAN(lint(text));
    EXPECT_CLEAN(lint(deep_mlp("", 6)));
}

TEST(Lint, DeepPlainStackSilentWithResidualConnections) {
    EXPECT_CLEAN(
        lint("block res(x) {\n"
             "  fc  = dense(x, 16)\n"
             "  r   = relu(fc)\n"
             "  fc2 = dense(r, 16)\n"
             "  out = add(fc2, x)\n"
             "  return out\n"
             "}\n"
             "model m {\n"
             "  input  x: [16]\n"
             "  target label: classes(10)\n"
             "  h = repeat 6 res(x)\n"
             "  logits = dense(h, 10)\n"
             "  loss = softmax_cross_entropy(logits, label)\n"
             "}\n"));
}

// ---- deep-cnn-activation -------------------------------------------------------------------

std::string cnn(const std::string& act, int convs) {
    std::string s =
        "model m {\n"
        "  input  image: [1, 8, 8]\n"
        "  target label: classes(10)\n"
        "  h0 = linear(image)\n";
    for (int i = 1; i <= convs; ++i)
        s += "  c" + std::to_string(i) + " = conv2d(h" + std::to_string(i - 1) + ", 16)\n" + "  h" + std::to_string(i) +
             " = " + act + "(c" + std::to_string(i) + ")\n";
    return s + "  g = global_avgpool(h" + std::to_string(convs) + ")\n" +
           "  logits = dense(g, 10)\n"
           "  loss = softmax_cross_entropy(logits, label)\n"
           "}\n";
}

TEST(Lint, DeepCnnActivationFlagsEachHiddenTanh) {
    const Linted l = lint(cnn("tanh", 4));
    const auto found = of(l, "deep-cnn-activation");
    ASSERT_EQ(found.size(), 4u) << l.rendered;
    EXPECT_EQ(found[0].line, 6);
    EXPECT_EQ(found[0].col, 8);
    EXPECT_NE(l.rendered.find("tanh as a hidden activation in a CNN 4 convolutions deep"), std::string::npos)
        << l.rendered;
}

TEST(Lint, DeepCnnActivationSilentWhenShallowOrRelu) {
    EXPECT_CLEAN(lint(cnn("tanh", 3)));
    EXPECT_CLEAN(lint(cnn("relu", 5)));
}

// ---- kernel-size, filter-count, first-conv-filters ------------------------------------------

std::string convs(const std::string& first, const std::string& second) {
    return "model m {\n"
           "  input  image: [1, 8, 8]\n"
           "  target label: classes(10)\n"
           "  c1 = " +
           first +
           "\n"
           "  r1 = relu(c1)\n"
           "  c2 = " +
           second +
           "\n"
           "  r2 = relu(c2)\n"
           "  g  = global_avgpool(r2)\n"
           "  logits = dense(g, 10)\n"
           "  loss = softmax_cross_entropy(logits, label)\n"
           "}\n";
}

TEST(Lint, KernelSize) {
    const Linted l = lint(convs("conv2d(image, 32, kernel=5)", "conv2d(r1, 32)"));
    EXPECT_ONE_AT(l, "kernel-size", 4, 33);
    EXPECT_NE(l.rendered.find("'c1' has a 5x5 kernel"), std::string::npos) << l.rendered;
    EXPECT_CLEAN(lint(convs("conv2d(image, 32)", "conv2d(r1, 64, kernel=1)")));  // 1x1 projections pass
}

TEST(Lint, FilterCount) {
    const Linted l = lint(convs("conv2d(image, 32)", "conv2d(r1, filters=48)"));
    EXPECT_ONE_AT(l, "filter-count", 6, 27);
    EXPECT_NE(l.rendered.find("help: use 32 or 64"), std::string::npos) << l.rendered;
    EXPECT_CLEAN(lint(convs("conv2d(image, 16)", "conv2d(r1, filters=128)")));
}

TEST(Lint, FirstConvFilters) {
    const Linted l = lint(convs("conv2d(image, 8)", "conv2d(r1, 32)"));
    EXPECT_ONE_AT(l, "first-conv-filters", 4, 22);
    // Few filters later on are not the first layer's problem.
    EXPECT_CLEAN(lint(convs("conv2d(image, 16)", "conv2d(r1, 8)")));
}

// ---- batch-size, momentum, adam-lr ----------------------------------------------------------

std::string trained(const std::string& train) {
    return mlp(
        "  logits = dense(h1, 10)\n"
        "  loss = softmax_cross_entropy(logits, label)\n",
        train);
}

TEST(Lint, BatchSize) {
    const Linted l = lint(trained("    batch = 256\n"));
    EXPECT_ONE_AT(l, "batch-size", 10, 13);
    EXPECT_ONE_AT(lint(trained("    batch = 4\n")), "batch-size", 10, 13);
    EXPECT_CLEAN(lint(trained("    batch = 48\n")));
    EXPECT_CLEAN(lint(trained("    batch = 16\n")));
}

TEST(Lint, BatchSizeOnAGpuTargetWantsMultiplesOf32) {
    LintOptions gpu;
    gpu.target = "host-cuda";
    const Linted l = lint(trained("    batch = 48\n"), gpu);
    EXPECT_ONE_AT(l, "batch-size", 10, 13);
    EXPECT_NE(l.rendered.find("help: use 32 or 64"), std::string::npos) << l.rendered;
    EXPECT_CLEAN(lint(trained("    batch = 96\n"), gpu));
}

TEST(Lint, Momentum) {
    EXPECT_ONE_AT(lint(trained("    optimizer = sgd(lr=0.01, momentum=0.5)\n")), "momentum", 10, 39);
    EXPECT_ONE_AT(lint(trained("    optimizer = sgd(0.01, 0)\n")), "momentum", 10, 27);  // positional
    EXPECT_CLEAN(lint(trained("    optimizer = sgd(lr=0.01, momentum=0.95)\n")));
    EXPECT_CLEAN(lint(trained("    optimizer = sgd\n")));
    EXPECT_CLEAN(lint(trained("    optimizer = rmsprop(lr=0.01, momentum=0)\n")));  // not sgd's momentum
}

TEST(Lint, AdamLr) {
    const Linted hi = lint(trained("    optimizer = adam(lr=1e-2)\n"));
    EXPECT_ONE_AT(hi, "adam-lr", 10, 25);
    EXPECT_NE(hi.rendered.find("adam lr 0.01 is 33 times the usual 3e-4"), std::string::npos) << hi.rendered;
    const Linted lo = lint(trained("    optimizer = adamw(1e-5)\n"));
    EXPECT_ONE_AT(lo, "adam-lr", 10, 23);
    EXPECT_NE(lo.rendered.find("1/30 of the usual 3e-4"), std::string::npos) << lo.rendered;
    EXPECT_CLEAN(lint(trained("    optimizer = adam(lr=3e-3)\n")));  // exactly 10x
    EXPECT_CLEAN(lint(trained("    optimizer = adam(1e-3)\n")));
    EXPECT_CLEAN(lint(trained("    optimizer = sgd(lr=0.1)\n")));  // not adam
}

// ---- rendering, silencing, --werror --------------------------------------------------------

TEST(Lint, RendersLikeTheErrorsWithTheRuleName) {
    const Linted l = lint(trained("    batch = 256\n"));
    EXPECT_NE(l.rendered.find("t.nn:10:13: warning: batch 256 is outside the usual 16 to 128 [batch-size]\n"
                              " 10 |     batch = 256\n"
                              "    |             ^~~\n"),
              std::string::npos)
        << l.rendered;
    EXPECT_EQ(l.errors, 0);
}

TEST(Lint, AllowCommentOnTheLineOrAbove) {
    EXPECT_CLEAN(lint(trained("    batch = 256   # nnc: allow(batch-size) -- big batches on purpose\n")));
    EXPECT_CLEAN(
        lint(trained("    # nnc: allow(batch-size)\n"
                     "    # (a second comment line between is fine)\n"
                     "    batch = 256\n")));
    EXPECT_CLEAN(lint(trained("    optimizer = sgd(0.01, 0.5)  // nnc: allow(adam-lr, momentum)\n")));
    // Another rule's name, a comment two lines up with code between, or a blank line between: not silenced.
    EXPECT_EQ(of(lint(trained("    batch = 256   # nnc: allow(momentum)\n")), "batch-size").size(), 1u);
    EXPECT_EQ(of(lint(trained("    # nnc: allow(batch-size)\n"
                              "    epochs = 2\n"
                              "    batch = 256\n")),
                 "batch-size")
                  .size(),
              1u);
    EXPECT_EQ(of(lint(trained("    # nnc: allow(batch-size)\n"
                              "\n"
                              "    batch = 256\n")),
                 "batch-size")
                  .size(),
              1u);
}

TEST(Lint, AllowAtABlockUseSilencesWhatTheBlockReports) {
    std::string text = deep_mlp("", 8);
    text.replace(text.find("unit(x)\n"), 8, "unit(x)   # nnc: allow(deep-plain-stack)\n");
    EXPECT_CLEAN(lint(text));
}

TEST(Lint, AllowAtOneBlockUseLeavesTheOtherUses) {
    const std::string text =
        "block unit(x) {\n"
        "  fc  = dense(x, 16, init=xavier_uniform)\n"
        "  out = relu(fc)\n"
        "  return out\n"
        "}\n"
        "model m {\n"
        "  input  x: [8]\n"
        "  target label: classes(10)\n"
        "  a = unit(x)   # nnc: allow(init-activation)\n"
        "  b = unit(a)\n"
        "  logits = dense(b, 10)\n"
        "  loss = softmax_cross_entropy(logits, label)\n"
        "}\n";
    const Linted l = lint(text);
    EXPECT_ONE_AT(l, "init-activation", 2, 27);
    EXPECT_NE(l.rendered.find("t.nn:10:7: note: in block 'unit' used here"), std::string::npos) << l.rendered;
    // Without the allow comment the two uses are one finding (the same line of the block).
    std::string plain = text;
    plain.replace(plain.find("   # nnc: allow(init-activation)"), 32, "");
    const Linted p = lint(plain);
    EXPECT_ONE_AT(p, "init-activation", 2, 27);
    EXPECT_NE(p.rendered.find("t.nn:9:7: note: in block 'unit' used here"), std::string::npos) << p.rendered;
}

TEST(Lint, AllowCommentNamingNoRuleIsReported) {
    const Linted l = lint(trained("    batch = 256   # nnc: allow(batch-sise)\n"));
    ASSERT_EQ(l.findings.size(), 2u) << l.rendered;
    EXPECT_NE(l.rendered.find("t.nn:10:32: warning: allow comment names no lint rule 'batch-sise'"), std::string::npos)
        << l.rendered;
    EXPECT_NE(l.rendered.find("help: did you mean 'batch-size'?"), std::string::npos) << l.rendered;
}

TEST(Lint, WerrorReportsErrors) {
    LintOptions o;
    o.werror = true;
    const Linted l = lint(trained("    batch = 256\n"), o);
    EXPECT_EQ(l.errors, 1);
    EXPECT_NE(l.rendered.find("t.nn:10:13: error: batch 256 is outside the usual 16 to 128 [batch-size]"),
              std::string::npos)
        << l.rendered;
}

// ---- the samples ---------------------------------------------------------------------------

std::string read(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Every shipped sample is lint-clean; the ones that deviate on purpose say so in an allow comment.
TEST(LintSamples, EverySampleIsClean) {
    int samples = 0;
    for (const auto& e : std::filesystem::directory_iterator(NNC_SAMPLES_DIR)) {
        if (e.path().extension() != ".nn") continue;
        ++samples;
        SCOPED_TRACE(e.path().string());
        EXPECT_CLEAN(lint(read(e.path())));
    }
    EXPECT_GE(samples, 7);
}

// Each allow comment in a sample is needed: without the comments the rule it names fires.
TEST(LintSamples, EveryAllowCommentIsNeeded) {
    static const std::regex allow("nnc: allow\\(([a-z0-9-]+)\\)");
    int allows = 0;
    for (const auto& e : std::filesystem::directory_iterator(NNC_SAMPLES_DIR)) {
        if (e.path().extension() != ".nn") continue;
        const std::string text = read(e.path());
        std::vector<std::string> named;
        for (std::sregex_iterator it(text.begin(), text.end(), allow), end; it != end; ++it) named.push_back((*it)[1]);
        if (named.empty()) continue;
        SCOPED_TRACE(e.path().string());
        const Linted l = lint(std::regex_replace(text, allow, "nnc: ignored"));
        for (const std::string& rule : named) {
            ++allows;
            EXPECT_FALSE(of(l, rule).empty()) << rule << " is allowed but never fires:\n" << l.rendered;
        }
    }
    EXPECT_GE(allows, 1);  // dropout_regression's Adam lr
}

// GRAMMAR.md's Lint section has a row per rule.
TEST(LintDocs, GrammarDocumentsEveryRule) {
    const std::string doc = read(std::filesystem::path(NNC_SAMPLES_DIR) / ".." / "dsl" / "GRAMMAR.md");
    const size_t begin = doc.find("## Lint\n");
    ASSERT_NE(begin, std::string::npos);
    const std::string section = doc.substr(begin, doc.find("\n## ", begin + 1) - begin);
    for (const LintRuleInfo& r : lint_rules())
        EXPECT_NE(section.find("| `" + r.name + "` |"), std::string::npos) << r.name << " has no row in GRAMMAR.md";
}

}  // namespace
}  // namespace nnc::dsl
