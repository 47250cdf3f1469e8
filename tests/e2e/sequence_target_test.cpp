// Sequence targets end to end: a tiny causal transformer over token ids [T] with one class per
// position (classes(V, [T])) and padding labels (the loss's ignore_index), trained by nnc train on
// .npy data, evaluated by nnc eval, and a label out of range refused with its file, sample,
// position and byte offset.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/e2e/metrics_log.h"
#include "tests/e2e/npy_file.h"
#include "tests/e2e/run_nnc.h"
#include "tests/e2e/scratch_folder.h"
#include "tests/e2e/text_file.h"

namespace {
namespace fs = std::filesystem;

using nnc::test::Result;
using nnc::test::write_npy;
using nnc::test::write_text;

constexpr int kT = 8, kV = 5, kSamples = 64;

// Each position's label is its token plus one, modulo V: learnable position by position.
const char* kSequenceModel = R"(model seq {
  input  tokens: int32[8]
  target next: classes(5, [8])
  emb    = embedding(tokens, vocab=5, dim=8)
  norm   = layernorm(emb)
  att    = attention(norm, heads=2, causal=true)
  h      = add(emb, att)
  logits = dense(h, 5)
  loss   = softmax_cross_entropy(logits, next, ignore_index=-100)
  train {
    optimizer = adam(lr=3e-2)
    batch     = 16
    epochs    = 8
  }
}
)";

class SequenceTargets : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        suite.emplace("nnc-sequence-targets-" + std::to_string(::getpid()));
        setenv("XDG_CACHE_HOME", NNC_TEST_CACHE, 1);
        write_text(suite->dir() / "seq.nn", kSequenceModel);
        compiled = nnc::test::run_nnc(suite->path("seq.nn") + " -q -o " + so());
    }
    static void TearDownTestSuite() {
        unsetenv("XDG_CACHE_HOME");
        suite.reset();
    }
    void SetUp() override {
        ASSERT_EQ(compiled.status, 0) << compiled.output;
        dir = suite->dir() / ::testing::UnitTest::GetInstance()->current_test_info()->name();
        fs::create_directories(dir);
        tokens.resize(kSamples * kT);
        labels.resize(kSamples * kT);
        uint32_t state = 2024;
        for (int32_t& t : tokens) t = static_cast<int32_t>((state = state * 1103515245u + 12345u) >> 16) % kV;
        for (size_t i = 0; i < labels.size(); ++i) labels[i] = (tokens[i] + 1) % kV;
        // Odd samples are padded: their last three positions are ignored.
        for (int s = 1; s < kSamples; s += 2)
            for (int p = kT - 3; p < kT; ++p) labels[static_cast<size_t>(s * kT + p)] = -100;
        write_npy(dir / "tokens.npy", {kSamples, kT}, tokens);
        write_npy(dir / "next.npy", {kSamples, kT}, labels);
    }
    Result run(const std::string& args) const { return nnc::test::run_nnc(args); }
    std::string data(const std::string& targets) const {
        return " --data " + (dir / "tokens.npy").string() + " --target " + (dir / targets).string();
    }
    static std::string so() { return suite->path("seq.so"); }

    static inline std::optional<nnc::test::ScratchFolder> suite;
    static inline Result compiled;
    fs::path dir;
    std::vector<int32_t> tokens, labels;
};

// The number after `word ` in nnc eval's line ("samples 64  loss 0.123  accuracy 0.9").
double field(const std::string& output, const std::string& word) {
    const size_t at = output.find(word + " ");
    return at == std::string::npos ? std::nan("") : std::atof(output.c_str() + at + word.size() + 1);
}

TEST_F(SequenceTargets, TrainsWithIgnoredPositionsAndEvalReportsTheLoss) {
    const Result trained = run("train " + so() + data("next.npy") + " --out " + (dir / "run").string());
    ASSERT_EQ(trained.status, 0) << trained.output;
    std::vector<double> losses;
    for (const nlohmann::json& e : nnc::test::metrics_of_type(dir / "run", "epoch"))
        losses.push_back(e.at("train_loss").get<double>());
    ASSERT_EQ(losses.size(), 8u) << trained.output;
    // Chance is ln 5 = 1.61 per position; the map from token to label is learnt.
    EXPECT_LT(losses.back(), 0.7 * losses.front()) << trained.output;

    const Result eval = run("eval " + so() + " --weights " + (dir / "run" / "last.ckpt").string() + data("next.npy"));
    ASSERT_EQ(eval.status, 0) << eval.output;
    const double loss = field(eval.output, "loss"), accuracy = field(eval.output, "accuracy");
    EXPECT_LT(loss, std::log(5.0)) << eval.output;
    // Accuracy is per position over the labelled ones only: the padding (-100) can never be
    // predicted, so counting it would cap accuracy at 1 - 96/512.
    EXPECT_GT(accuracy, 1.0 - 96.0 / 512.0) << eval.output;
    EXPECT_LE(accuracy, 1.0) << eval.output;
}

TEST_F(SequenceTargets, ALabelOutOfRangeNamesTheFileTheSampleThePositionAndTheByteOffset) {
    std::vector<int32_t> bad = labels;
    bad[3 * kT + 5] = 9;
    write_npy(dir / "bad.npy", {kSamples, kT}, bad);
    const Result r = run("train " + so() + data("bad.npy") + " --out " + (dir / "run").string());
    EXPECT_NE(r.status, 0);
    // A 128-byte header, then int32 element 29 (sample 3, position 5) 116 bytes further on.
    EXPECT_NE(r.output.find("bad.npy' at byte offset 244 (element 29): class 9 of target 'next' at sample 3, "
                            "position 5 is out of range: the model has 5 classes (0 to 4), or the ignored label -100"),
              std::string::npos)
        << r.output;
    EXPECT_FALSE(fs::exists(dir / "run"));

    // CSV: one column per position; the bad label's line and column, sample and position.
    std::string csv = "t0,t1,t2,t3,t4,t5,t6,t7,n0,n1,n2,n3,n4,n5,n6,n7\n";
    for (int i = 0; i < 4; ++i)
        csv += "1,2,3,4,0,1,2,3," + std::string(i == 2 ? "2,3,4,0,1,7,-100,-100" : "2,3,4,0,1,2,-100,-100") + "\n";
    write_text(dir / "bad.csv", csv);
    const Result c = run("train " + so() + " --data " + (dir / "bad.csv").string() +
                         " --target n0,n1,n2,n3,n4,n5,n6,n7 --out " + (dir / "run").string());
    EXPECT_NE(c.status, 0);
    EXPECT_NE(c.output.find("bad.csv:4:27: class 7 of target 'next' at sample 2, position 5 is out of range: the model "
                            "has 5 classes (0 to 4), or the ignored label -100"),
              std::string::npos)
        << c.output;
    EXPECT_FALSE(fs::exists(dir / "run"));

    // A negative label that is not the ignored one is no class either.
    bad = labels;
    bad[2] = -1;
    write_npy(dir / "negative.npy", {kSamples, kT}, bad);
    const Result n = run("train " + so() + data("negative.npy") + " --out " + (dir / "run").string());
    EXPECT_NE(n.status, 0);
    EXPECT_NE(n.output.find("negative.npy' at byte offset 136: element 2 is -1, not a class index"), std::string::npos)
        << n.output;
    EXPECT_FALSE(fs::exists(dir / "run"));
}

TEST_F(SequenceTargets, OneLabelPerSampleIsRefusedForASequenceTarget) {
    std::vector<int32_t> one(kSamples, 1);
    write_npy(dir / "one.npy", {kSamples}, one);
    const Result r = run("train " + so() + data("one.npy") + " --out " + (dir / "run").string());
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.output.find("is one class index per position: pass (N, 8)"), std::string::npos) << r.output;
}

}  // namespace
