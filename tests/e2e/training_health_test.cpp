// nnc train's in-loop measurements, through the command line on
// Fashion-MNIST: per-tensor gradient norms and update ratios in metrics.jsonl, divergence stopped
// with the lr in the message or rolled back with a cut lr, and the update-ratio and
// vanishing-gradient findings provoked — while a healthy run stays silent.
#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/e2e/metrics_log.h"
#include "tests/e2e/run_nnc.h"
#include "tests/e2e/scratch_folder.h"

namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using nnc::test::Result;

// fashion_mlp holds out 5000 samples by default: fewer with --limit.
const std::string kLib = std::string(NNC_FASHION_MLP_LIBRARY) + " --validation 500";

class TrainingHealth : public nnc::test::InScratchFolder {
protected:
    TrainingHealth() : InScratchFolder("nnc_health_") {}
    void SetUp() override {
        InScratchFolder::SetUp();
        // .nn files compile into a cache of this test's own: a library cached by an earlier nnc
        // would carry that nnc's runtime.
        setenv("XDG_CACHE_HOME", path("cache").c_str(), 1);
    }

    Result train(const std::string& model, const std::string& args) {
        return nnc::test::run_nnc("train " + model + " --out " + path("run") + " --metrics-every 0 " + args);
    }
    std::vector<json> lines(const std::string& type) const { return nnc::test::metrics_of_type(path("run"), type); }
    // Compiles a .nn written into the test folder (into nnc's build cache) by training it.
    std::string write_model(const std::string& name, const std::string& text) const {
        std::ofstream(path(name)) << text;
        return path(name);
    }
};

bool mentions(const std::string& output, const std::string& text) { return output.find(text) != std::string::npos; }

TEST_F(TrainingHealth, AHealthyRunWritesPerTensorNumbersAndStaysSilent) {
    const Result r = train(kLib, "--epochs 3 --limit 3000");
    ASSERT_EQ(r.status, 0) << r.output;
    for (const char* code :
         {"[divergence]", "[update-ratio-high]", "[update-ratio-low]", "[gradient-vanishing]", "[gradient-exploding]"})
        EXPECT_FALSE(mentions(r.output, code)) << r.output;
    EXPECT_TRUE(lines("rollback").empty());
    const std::vector<json> epochs = lines("epoch");
    ASSERT_EQ(epochs.size(), 3u);
    for (const json& e : epochs) {
        EXPECT_EQ(e["rollbacks"], 0);
        ASSERT_TRUE(e["grad_norms"].is_object()) << e.dump();
        // fashion_mlp: fc1, fc2, logits, weight and bias each; their squares sum to grad_norm^2.
        EXPECT_EQ(e["grad_norms"].size(), 6u) << e.dump();
        double squares = 0;
        for (const auto& [name, g] : e["grad_norms"].items()) {
            ASSERT_TRUE(g.is_number()) << name;
            squares += g.get<double>() * g.get<double>();
        }
        // Means of norms, not norms of means: sum of squared means <= squared mean of the global norm.
        const double global = e["grad_norm"].get<double>();
        EXPECT_LE(std::sqrt(squares), global * (1 + 1e-9));
        EXPECT_GT(std::sqrt(squares), 0.5 * global);
        const double ratio = e["update_ratios"]["fc1.weight"].get<double>();
        EXPECT_GT(ratio, 1e-4);
        EXPECT_LT(ratio, 1e-2);
    }
}

TEST_F(TrainingHealth, DivergenceStopsWithTheLrByDefault) {
    const Result r = train(kLib, "--epochs 1 --limit 2000 --optimizer sgd --lr 10");
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_TRUE(mentions(r.output, "(lr=10)")) << r.output;
    EXPECT_TRUE(mentions(r.output, "lower the learning rate")) << r.output;
}

TEST_F(TrainingHealth, RollbackCutsTheLrAndTrainingGoesOn) {
    const std::string model = write_model("diverging.nn", R"(model diverging {
  input  image: [784]
  target label: classes(10)
  h      = dense(image, 64, init=he_normal)
  a      = relu(h)
  logits = dense(a, 10)
  loss   = softmax_cross_entropy(logits, label)
  train {
    optimizer     = sgd(lr=10, momentum=0)
    batch         = 64
    epochs        = 2
    on_divergence = rollback(factor=0.1, retries=4)
  }
}
)");
    const Result r = train(model, "--limit 2000");
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_TRUE(mentions(r.output, "rolled back to the start of epoch 1, lr 10 -> 1")) << r.output;
    EXPECT_TRUE(mentions(r.output, "[divergence]")) << r.output;
    const std::vector<json> rollbacks = lines("rollback");
    ASSERT_FALSE(rollbacks.empty());
    EXPECT_EQ(rollbacks[0]["lr"], 10.0);
    EXPECT_NEAR(rollbacks[0]["new_lr"].get<double>(), 1.0, 1e-12);
    EXPECT_EQ(rollbacks[0]["epoch"], 1);
    const std::vector<json> epochs = lines("epoch");
    ASSERT_EQ(epochs.size(), 2u);
    EXPECT_TRUE(epochs.back()["train_loss"].is_number());
    EXPECT_EQ(epochs.back()["rollbacks"], static_cast<int64_t>(rollbacks.size()));
    EXPECT_LT(epochs.back()["lr"].get<double>(), 10.0);
}

// The same policy from the command line, on a model whose train section has none; a bad
// policy is refused with what was wrong.
TEST_F(TrainingHealth, RollbackFromTheCommandLine) {
    const Result r = train(
        kLib, "--epochs 1 --limit 2000 --optimizer sgd --lr 10 --on-divergence 'rollback(factor=0.1, retries=4)'");
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_TRUE(mentions(r.output, "rolled back to the start of epoch 1, lr 10 -> 1")) << r.output;
    ASSERT_FALSE(lines("rollback").empty());

    fs::remove_all(path("run"));
    const Result bad = train(kLib, "--epochs 1 --limit 200 --on-divergence 'rollback(factor=2)'");
    EXPECT_EQ(bad.status, 1) << bad.output;
    EXPECT_TRUE(mentions(bad.output, "bad --on-divergence 'rollback(factor=2)'")) << bad.output;
    EXPECT_TRUE(mentions(bad.output, "must be in (0, 1)")) << bad.output;
}

// The update ratios are readings of the lr: they join the run's one verdict on it (lr_verdict.h),
// named there as agreeing or outweighed.
TEST_F(TrainingHealth, UpdateRatioHighAndLow) {
    auto verdicts = [&] {
        std::vector<json> out;
        for (const json& d : lines("diagnosis"))
            if (d["epoch"] == 0 && d["code"] != "divergence") out.push_back(d);
        return out;
    };
    Result high = train(kLib, "--epochs 2 --limit 2000 --lr 0.02");
    ASSERT_EQ(high.status, 0) << high.output;
    auto v = verdicts();
    ASSERT_EQ(v.size(), 1u) << high.output;
    const std::string said = v[0]["code"].get<std::string>() + " " + v[0]["message"].get<std::string>();
    EXPECT_TRUE(mentions(said, "update-ratio-high")) << high.output;
    EXPECT_FALSE(mentions(said, "update-ratio-low")) << high.output;
    EXPECT_FALSE(mentions(high.output, "raise the learning rate")) << high.output;

    fs::remove_all(path("run"));
    const Result low = train(kLib, "--epochs 2 --limit 2000 --lr 1e-8");
    ASSERT_EQ(low.status, 0) << low.output;
    v = verdicts();
    ASSERT_EQ(v.size(), 1u) << low.output;
    EXPECT_TRUE(mentions(v[0]["message"].get<std::string>(), "update-ratio-low")) << low.output;
    EXPECT_TRUE(mentions(low.output, "raise the learning rate")) << low.output;
    EXPECT_FALSE(mentions(low.output, "update-ratio-high")) << low.output;
    EXPECT_FALSE(mentions(low.output, "lower the learning rate")) << low.output;
}

TEST_F(TrainingHealth, DeepSigmoidStackVanishes) {
    std::string text = "model deep_sigmoid {\n  input image: [784]\n  target label: classes(10)\n";
    std::string prev = "image";
    for (int l = 1; l <= 10; ++l) {
        text += "  d" + std::to_string(l) + " = dense(" + prev + ", 32)\n";
        text += "  s" + std::to_string(l) + " = sigmoid(d" + std::to_string(l) + ")\n";
        prev = "s" + std::to_string(l);
    }
    text += "  logits = dense(" + prev + ", 10)\n  loss = softmax_cross_entropy(logits, label)\n";
    text += "  train {\n    optimizer = sgd(lr=0.01, momentum=0)\n    epochs = 1\n  }\n}\n";
    const Result r = train(write_model("deep_sigmoid.nn", text), "--limit 1000");
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_TRUE(mentions(r.output, "[gradient-vanishing]")) << r.output;
    EXPECT_TRUE(mentions(r.output, "residual connections")) << r.output;
}

}  // namespace
